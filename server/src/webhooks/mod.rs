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

pub mod dispatch;
mod manage;
mod retry;
mod send;
mod settings;
pub mod sign;
pub mod target;

use std::sync::Arc;

use sqlx::PgPool;

pub use manage::WebhookError;
pub use settings::Settings;

use crate::telemetry::activity::ClaimActivity;

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
}

/// Wakes every process's dispatcher after the commit of a change that wrote an event (or made a
/// delivery due). A failure is logged here, not raised: the change stands, and the dispatchers
/// poll.
pub async fn wake_dispatchers(db: impl sqlx::PgExecutor<'_>) {
    if let Err(error) = crate::db::webhooks::wake(db).await {
        tracing::warn!(%error, "could not wake the webhook dispatchers; they will poll");
    }
}
