//! Webhooks (docs/webhooks.md): endpoints the admin registers, events the database records with
//! the changes they describe, and their delivery, signed the Standard Webhooks way.
//!
//! - Events: triggers on `claims` and `coupons` write one outbox row per statement in its own
//!   transaction (a claim batch is one row), so an event exists exactly when its change
//!   committed. Admin changes NOTIFY the dispatchers at commit; claims do not (every notifying
//!   commit takes one cluster-wide lock until it has committed), and are found by polling, every 50 ms while
//!   the process takes claims.
//! - Delivery ([`dispatch`]): each process's dispatcher moves outbox rows into one delivery per
//!   event and endpoint, leases due deliveries with `SKIP LOCKED` (one sender at a time), posts
//!   them ([`send`]), and records each outcome with its next attempt ([`retry`]). At least once:
//!   a delivery is done only when a 2xx is recorded; a sender that dies leaves its lease to
//!   expire and the delivery is sent again.
//! - Safety: endpoint URLs must be public ([`target`]), checked on save and at connection time.
//! - Claims first: while this process takes claims, attempts are limited to
//!   `WEBHOOK_RATE_DURING_CLAIMS` per second; the backlog drains at full speed after the sale.

mod dispatch;
mod manage;
mod retry;
mod send;
pub mod sign;
pub mod target;

use std::{sync::Arc, time::Duration};

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

pub use manage::WebhookError;

use crate::{activity::ClaimActivity, config::WebhookConfig};

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
    fn lease(&self) -> Duration {
        self.timeout + Duration::from_secs(10)
    }
}

/// The webhooks of this process: management and the dispatcher. Cheap to clone.
#[derive(Clone)]
pub struct Webhooks(Arc<Inner>);

struct Inner {
    pool: PgPool,
    settings: Settings,
    client: reqwest::Client,
    /// This process's claims, which deliveries yield to.
    claims: ClaimActivity,
}

impl Webhooks {
    pub fn new(pool: PgPool, settings: Settings, claims: ClaimActivity) -> anyhow::Result<Self> {
        let client = send::client(&settings)?;
        Ok(Self(Arc::new(Inner {
            pool,
            settings,
            client,
            claims,
        })))
    }

    /// Starts this process's dispatcher (unless WEBHOOK_DELIVERIES is off); it stops with
    /// `shutdown`.
    pub fn start(&self, shutdown: &CancellationToken) {
        if !self.0.settings.deliveries {
            tracing::info!("WEBHOOK_DELIVERIES=false: this process sends no webhooks");
            return;
        }
        tokio::spawn(dispatch::run(self.clone(), shutdown.clone()));
    }
}
