//! The webhook events of a sale's changes outside the claim engine (docs/webhooks.md): written to
//! the outbox in the change's own transaction, so an event exists exactly when its change
//! committed, and the dispatchers woken once it has.

use app::contract::api_types::CouponSummary;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use crate::db;

/// `coupon.updated` when a setting changed (amount, pause, window), `coupon.sold_out` when the
/// change took the stock to zero. Returns whether it wrote an event.
pub(super) async fn patched(
    tx: &mut PgConnection,
    before: &CouponSummary,
    after: &CouponSummary,
) -> Result<bool, sqlx::Error> {
    let settings = |c: &CouponSummary| (c.amount, c.paused, c.starts_at, c.ends_at);
    let mut wrote = false;
    if settings(before) != settings(after) {
        wrote |= db::webhooks::coupon_event(&mut *tx, "coupon.updated", after).await?;
    }
    if before.remaining_amount > 0 && after.remaining_amount == 0 {
        wrote |= db::webhooks::coupon_event(&mut *tx, "coupon.sold_out", after).await?;
    }
    Ok(wrote)
}

/// `claim.released` (`at`: `released_at`) or `claim.redeemed` (`redeemed_at`).
pub(super) async fn claim(
    tx: &mut PgConnection,
    kind: ClaimEvent,
    coupon: &str,
    user_id: &str,
    claimed_at: DateTime<Utc>,
    at: Option<DateTime<Utc>>,
) -> Result<bool, sqlx::Error> {
    let (name, field) = match kind {
        ClaimEvent::Released => ("claim.released", "released_at"),
        ClaimEvent::Redeemed => ("claim.redeemed", "redeemed_at"),
    };
    db::webhooks::claim_event(tx, name, coupon, user_id, claimed_at, field, at).await
}

#[derive(Debug, Clone, Copy)]
pub(super) enum ClaimEvent {
    Released,
    Redeemed,
}

/// After the commit of a change that wrote an event: wakes every process's dispatcher.
pub(super) async fn wake(pool: &PgPool, wrote: bool) {
    if wrote {
        crate::webhooks::wake_dispatchers(pool).await;
    }
}
