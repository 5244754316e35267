//! Draws that run by themselves: every process looks each second for draw coupons whose
//! `draw_at` has come (and whose beacon, if required, was given) and draws them. Any number of
//! processes may find the same draw; the first settle draws it, the others find it drawn
//! ([`super::run`]).

use std::time::Duration;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use super::run::{Outcome, SYSTEM, draw_now};
use crate::{db, live::LiveHub};

/// How often a process looks for due draws: a draw runs within about this long of `draw_at`.
const EVERY: Duration = Duration::from_secs(1);

/// Runs until `stop` is cancelled.
pub async fn run(pool: PgPool, live: LiveHub, stop: CancellationToken) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(EVERY) => {}
            () = stop.cancelled() => return,
        }
        let due = match db::draws::due(&pool).await {
            Ok(due) => due,
            Err(error) => {
                tracing::warn!(%error, "looking for due draws failed; trying again");
                continue;
            }
        };
        for coupon in due {
            match draw_now(&pool, &live, &coupon, SYSTEM).await {
                Ok(Outcome::Drawn {
                    entries, winners, ..
                }) => tracing::info!(coupon, entries, winners, "drew"),
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, coupon, "a due draw failed; trying again"),
            }
        }
    }
}
