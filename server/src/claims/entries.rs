//! Entries: what a claim of a `draw` coupon is (docs/draw.md). Taken many per call, one per
//! user, durable before the answer, as a claim batch is.

use std::collections::HashSet;

use app::contract::draw::EntryReceipt;
use sqlx::PgConnection;

use super::{ClaimError, Refusal, Taken, outcome::every};
use crate::db;

/// Each entry's outcome, in the order of `users` (repeats allowed: the first is the entry, the
/// others `AlreadyEntered`), once durable; see [`super::settle::settle`] for what an
/// unconfirmed synchronous commit makes of the entries it took.
pub(super) async fn enter(
    conn: &mut PgConnection,
    coupon: &str,
    users: &[String],
) -> Result<Vec<Result<Taken, ClaimError>>, sqlx::Error> {
    let (attempt, unconfirmed) =
        db::sync_wait::watch(db::entries::enter_batch(conn, coupon, users)).await;
    let attempt = attempt?;
    if !attempt.known {
        return Ok(every(users, || ClaimError::NotFound));
    }
    match attempt.refusal.as_deref() {
        None => {}
        Some("first_come") => {
            // A coupon's allocation never changes: the engine asked the wrong way.
            tracing::error!(coupon, "entries sent to a first_come coupon; answered 503");
            return Ok(every(users, || ClaimError::Unavailable));
        }
        Some("ended") => return Ok(every(users, || ClaimError::EntriesClosed)),
        Some(other) => {
            let refusal = Refusal::from_db(Some(other), attempt.starts_at);
            return Ok(every(users, || {
                refusal.map_or(ClaimError::Unavailable, ClaimError::Refused)
            }));
        }
    }
    if unconfirmed && !attempt.entered.is_empty() {
        super::outcome::log_unconfirmed(coupon, attempt.entered.len());
    }
    let mut new: HashSet<String> = attempt.entered.into_iter().collect();
    let draw_at = attempt.draw_at.unwrap_or(attempt.entered_at);
    Ok(users
        .iter()
        .map(|user| match new.remove(user) {
            true if unconfirmed => Err(ClaimError::OutcomeUnknown),
            true => Ok(Taken::Entry(EntryReceipt {
                user_id: user.clone(),
                coupon_name: coupon.to_owned(),
                state: "entered".to_owned(),
                entered_at: attempt.entered_at,
                draw_at,
            })),
            false => Err(ClaimError::AlreadyEntered),
        })
        .collect())
}
