//! Claims that lapse and waitlists that refill (docs/draw.md): every process sweeps each second.
//! A claim not redeemed within its coupon's `redeem_within` goes (its unit back to the stock),
//! and a drawn coupon's stock goes to its waitlist in rank order. Each sweep is one call under
//! the coupon's row lock, so processes sweeping at once, claims, releases, restocks and
//! redemptions never make more outstanding claims than the coupon's amount.

use std::time::Duration;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::{db, live::LiveHub};

/// How often a process sweeps: a claim lapses, and a unit reaches the waitlist, within about
/// this long.
const EVERY: Duration = Duration::from_secs(1);
/// Claims read per sweep call (one transaction); a coupon with more lapsed is swept again.
const MAX_ROWS: i32 = 1_000;

/// Runs until `stop` is cancelled.
pub async fn run(pool: PgPool, live: LiveHub, stop: CancellationToken) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(EVERY) => {}
            () = stop.cancelled() => return,
        }
        if let Err(error) = sweep_all(&pool, &live).await {
            tracing::warn!(%error, "sweeping lapsed claims and waitlists failed; trying again");
        }
    }
}

/// One sweep of every coupon that may have work.
pub async fn sweep_all(pool: &PgPool, live: &LiveHub) -> Result<(), sqlx::Error> {
    for coupon in db::sweeps::candidates(pool).await? {
        loop {
            let swept = db::sweeps::sweep(pool, &coupon, MAX_ROWS).await?;
            if swept.wake {
                crate::webhooks::wake_dispatchers(pool).await;
            }
            if swept.lapsed > 0 || swept.refilled > 0 {
                tracing::info!(
                    coupon,
                    lapsed = swept.lapsed,
                    refilled = swept.refilled,
                    "swept"
                );
                live.changed(&coupon);
            }
            if !swept.more {
                break;
            }
        }
    }
    Ok(())
}
