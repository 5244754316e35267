//! The per-process listener: LISTEN for other processes' announcements and mark those coupons
//! dirty in the hub, so the publisher re-reads them.

use std::time::Duration;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use super::LiveHub;
use crate::db;

const RETRY_PAUSE: Duration = Duration::from_secs(1);

/// The payload of an announcement: the sender's instance id, a colon, the coupon name.
pub fn payload(instance: &str, coupon: &str) -> String {
    format!("{instance}:{coupon}")
}

/// Listens until `shutdown`. Its own announcements are skipped (already published here).
pub async fn run(hub: LiveHub, pool: PgPool, instance: String, shutdown: CancellationToken) {
    let own = format!("{instance}:");
    loop {
        let mut listener = match db::listen(&pool, db::live::CHANNEL).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "live listener cannot connect; retrying");
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(RETRY_PAUSE) => continue,
                }
            }
        };
        // Anything announced before LISTEN took effect is unknown: re-read what is watched.
        hub.refresh_all();
        loop {
            let next = tokio::select! {
                _ = shutdown.cancelled() => return,
                next = listener.try_recv() => next,
            };
            match next {
                Ok(Some(n)) if n.payload().starts_with(&own) => {}
                Ok(Some(n)) => {
                    if let Some((_, coupon)) = n.payload().split_once(':') {
                        hub.changed_elsewhere(coupon);
                    }
                }
                // The connection dropped; notifications sent meanwhile are lost.
                Ok(None) => hub.refresh_all(),
                Err(e) => {
                    tracing::warn!(error = %e, "live listener failed; reconnecting");
                    break;
                }
            }
        }
    }
}
