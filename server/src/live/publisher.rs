//! The per-process publisher: re-reads dirty coupons from PostgreSQL at a bounded rate, feeds the
//! hub, and announces local claims to other processes with one NOTIFY statement per round.
//!
//! The NOTIFY is sent here and never inside a claim transaction: NOTIFY takes a global lock at
//! commit, which would serialise every claim of every coupon.

use std::time::Duration;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use super::{LiveHub, listener::payload};
use crate::db;

/// Most coupons one refresh reads.
const MAX_REFRESH: i64 = 1000;
/// Pause after a failed round, so a database outage is not hammered.
const ERROR_PAUSE: Duration = Duration::from_secs(1);

/// Runs rounds until `shutdown`: wait for a dirty coupon, let `interval` pass (this is what
/// bounds the rate and coalesces many claims into one read), then refresh and announce.
pub async fn run(
    hub: LiveHub,
    pool: PgPool,
    instance: String,
    interval: Duration,
    shutdown: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = hub.dirtied() => {}
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(interval) => {}
        }
        let round = hub.take_round();
        if let Err(e) = publish(&hub, &pool, &instance, &round).await {
            tracing::warn!(error = %e, "live refresh failed; retrying");
            hub.retry(round);
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(ERROR_PAUSE) => {}
            }
        }
        hub.prune();
    }
}

async fn publish(
    hub: &LiveHub,
    pool: &PgPool,
    instance: &str,
    round: &super::hub::Round,
) -> Result<(), sqlx::Error> {
    if !round.refresh.is_empty() {
        let states = db::live::states(pool, Some(&round.refresh), MAX_REFRESH).await?;
        hub.publish(states);
    }
    if !round.announce.is_empty() {
        let payloads: Vec<String> = round
            .announce
            .iter()
            .map(|name| payload(instance, name))
            .collect();
        db::live::notify(pool, &payloads).await?;
    }
    Ok(())
}
