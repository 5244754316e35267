//! Keeps a process's key cache true: reloads it on every announcement of a change (and after
//! every reconnection, when announcements may have been missed), every half minute as a backstop,
//! and writes the keys' last uses every few seconds.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::ApiKeys;
use crate::db;

const RETRY_PAUSE: Duration = Duration::from_secs(1);
const BACKSTOP: Duration = Duration::from_secs(30);
const FLUSH_EVERY: Duration = Duration::from_secs(10);

/// Runs until `shutdown`, then writes the last uses one more time.
pub async fn run(keys: ApiKeys, shutdown: CancellationToken) {
    // Their first ticks one period from now (an interval's first tick is at once, and the
    // cache was just loaded).
    let start = tokio::time::Instant::now();
    let mut flush = tokio::time::interval_at(start + FLUSH_EVERY, FLUSH_EVERY);
    let mut backstop = tokio::time::interval_at(start + BACKSTOP, BACKSTOP);
    loop {
        let mut listener = match db::listen(&keys.0.pool, db::api_keys::CHANNEL).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, "API key listener cannot connect; retrying");
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(RETRY_PAUSE) => continue,
                }
            }
        };
        // Changes announced before LISTEN took effect were not heard: read them all.
        reload(&keys).await;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => {
                    flush_last_used(&keys).await;
                    return;
                }
                _ = flush.tick() => flush_last_used(&keys).await,
                _ = backstop.tick() => reload(&keys).await,
                next = listener.try_recv() => match next {
                    Ok(_) => reload(&keys).await,
                    Err(error) => {
                        tracing::warn!(%error, "API key listener failed; reconnecting");
                        break;
                    }
                },
            }
        }
    }
}

async fn reload(keys: &ApiKeys) {
    if let Err(error) = keys.reload().await {
        tracing::warn!(%error, "API keys: reload failed; the cache may be stale until the next");
    }
}

async fn flush_last_used(keys: &ApiKeys) {
    if let Err(error) = keys.flush_last_used().await {
        tracing::warn!(%error, "API keys: last uses not written; retried on the next round");
    }
}
