//! How deliveries behave, read from the configuration once at start.

use std::time::Duration;

use crate::config::WebhookConfig;

/// How deliveries behave (from [`WebhookConfig`]).
#[derive(Debug, Clone)]
pub struct Settings {
    pub deliveries: bool,
    pub allow_private: bool,
    pub timeout: Duration,
    pub schedule: Vec<Duration>,
    pub rotation_grace: Duration,
    pub disable_after: Duration,
    pub concurrency: usize,
    /// Attempts per second while claims run (0: no limit).
    pub rate_during_claims: u32,
    pub poll: Duration,
    pub retention: Duration,
}

impl Settings {
    pub fn from_config(c: &WebhookConfig) -> Self {
        Self {
            deliveries: c.webhook_deliveries,
            allow_private: c.webhook_allow_private,
            timeout: Duration::from_millis(c.webhook_timeout_ms.max(1)),
            schedule: c.webhook_retry_schedule.clone(),
            rotation_grace: Duration::from_secs(c.webhook_rotation_grace_secs),
            disable_after: Duration::from_secs(c.webhook_disable_after_secs),
            concurrency: c.webhook_concurrency.max(1),
            rate_during_claims: c.webhook_rate_during_claims,
            poll: Duration::from_millis(c.webhook_poll_ms.max(10)),
            retention: Duration::from_secs(c.webhook_log_retention_hours * 3600),
        }
    }

    /// How long a leased delivery is kept from other senders: the attempt's timeout plus time
    /// to record its outcome.
    pub(super) fn lease(&self) -> Duration {
        self.timeout + Duration::from_secs(10)
    }
}
