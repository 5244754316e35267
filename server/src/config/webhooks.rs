//! The webhook dispatcher's settings (docs/webhooks.md).

use std::time::Duration;

use clap::Args;

/// How webhooks are delivered.
#[derive(Debug, Clone, Args)]
pub struct WebhookConfig {
    /// Send webhooks from this process (`false`: it records events, other processes send them;
    /// the contract tests turn it off so fuzzed endpoints are never called).
    #[arg(long, env = "WEBHOOK_DELIVERIES", default_value_t = true, action = clap::ArgAction::Set)]
    pub webhook_deliveries: bool,
    /// Allow endpoint URLs on loopback, private, link-local and metadata addresses (tests and
    /// local receivers only: in production it lets an admin make the server call its own
    /// network).
    #[arg(long, env = "WEBHOOK_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set)]
    pub webhook_allow_private: bool,
    /// Longest wait for one attempt's answer, connection included, in ms.
    #[arg(long, env = "WEBHOOK_TIMEOUT_MS", default_value_t = 15_000)]
    pub webhook_timeout_ms: u64,
    /// The waits before each retry after a failed attempt (comma-separated durations such as
    /// `5s,5m`); after the last one fails the delivery is `failed`. Each wait varies by up to
    /// a fifth either way (jitter).
    #[arg(
        long,
        env = "WEBHOOK_RETRY_SCHEDULE",
        value_delimiter = ',',
        value_parser = humantime::parse_duration,
        default_value = "5s,5m,30m,2h,5h,10h,10h"
    )]
    pub webhook_retry_schedule: Vec<Duration>,
    /// How long the secret before a rotation still signs, in seconds.
    #[arg(long, env = "WEBHOOK_ROTATION_GRACE_SECS", default_value_t = 86_400)]
    pub webhook_rotation_grace_secs: u64,
    /// An endpoint whose every attempt failed for this long is disabled, in seconds (5 days).
    #[arg(long, env = "WEBHOOK_DISABLE_AFTER_SECS", default_value_t = 432_000)]
    pub webhook_disable_after_secs: u64,
    /// Most attempts in flight at once in this process.
    #[arg(long, env = "WEBHOOK_CONCURRENCY", default_value_t = 64)]
    pub webhook_concurrency: usize,
    /// Most delivery attempts per second in this process while it takes claims (a claim within
    /// the last 250 ms), so a sale keeps the cores; deliveries catch up at full speed after.
    /// 0: no limit.
    #[arg(long, env = "WEBHOOK_RATE_DURING_CLAIMS", default_value_t = 500)]
    pub webhook_rate_during_claims: u32,
    /// How often the dispatcher looks for work without a NOTIFY, in ms (the fallback).
    #[arg(long, env = "WEBHOOK_POLL_MS", default_value_t = 1_000)]
    pub webhook_poll_ms: u64,
    /// How long finished deliveries stay in the delivery log, in hours.
    #[arg(long, env = "WEBHOOK_LOG_RETENTION_HOURS", default_value_t = 168)]
    pub webhook_log_retention_hours: u64,
}
