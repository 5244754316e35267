//! Settling one batch of claims of one coupon in the database: claims of a `first_come`
//! coupon, entries of a `draw` coupon ([`super::entries`]).

use std::collections::{HashMap, HashSet};

use app::contract::api_types::ClaimReceipt;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::{
    ClaimError, Refusal, Taken,
    outcome::every,
    plan::{Decision, granted, plan},
};
use crate::db;

/// The refusal of a claim call on a `draw` coupon (migration 20261206000008): take entries.
pub(super) const DRAW: &str = "draw";

/// Each claim's outcome, in the order of `users`, once durable: every commit here is synchronous
/// (the pool's `synchronous_commit = on`), so it returns only after the WAL flush (and, with a
/// synchronous standby, its confirmation: a grant whose wait was abandoned is `OutcomeUnknown`,
/// see [`db::sync_wait`]).
///
/// When what the database did disagrees with the plan, the batch has committed something else:
/// its claims are answered `OutcomeUnknown` (a retry reads the truth), never a guess.
///
/// `draw` is what the caller knows of the coupon: false until a claim call is refused as a draw
/// coupon's (`'draw'`, nothing taken); then this sets it, and the claims are entries from then
/// on (a coupon's allocation never changes).
pub(super) async fn settle(
    conn: &mut PgConnection,
    coupon: &str,
    users: &[String],
    draw: &mut bool,
) -> Result<Vec<Result<Taken, ClaimError>>, sqlx::Error> {
    if !*draw {
        match claim(conn, coupon, users).await? {
            Some(outcomes) => {
                return Ok(outcomes.into_iter().map(|o| o.map(Taken::Claim)).collect());
            }
            None => *draw = true,
        }
    }
    super::entries::enter(conn, coupon, users).await
}

/// The claims' outcomes; `None` when the coupon is a draw coupon (nothing was done).
async fn claim(
    conn: &mut PgConnection,
    coupon: &str,
    users: &[String],
) -> Result<Option<Vec<Result<ClaimReceipt, ClaimError>>>, sqlx::Error> {
    let (settled, unconfirmed) = db::sync_wait::watch(settle_locally(conn, coupon, users)).await;
    let Some(outcomes) = settled? else {
        return Ok(None);
    };
    if !unconfirmed {
        return Ok(Some(outcomes));
    }
    super::outcome::log_unconfirmed(coupon, outcomes.iter().filter(|o| o.is_ok()).count());
    Ok(Some(
        outcomes
            .into_iter()
            .map(|outcome| outcome.and(Err(ClaimError::OutcomeUnknown)))
            .collect(),
    ))
}

async fn settle_locally(
    conn: &mut PgConnection,
    coupon: &str,
    users: &[String],
) -> Result<Option<Vec<Result<ClaimReceipt, ClaimError>>>, sqlx::Error> {
    let attempt = db::batches::settle_batch(conn, coupon, users).await?;
    let Some(remaining) = attempt.remaining else {
        return Ok(Some(every(users, || ClaimError::NotFound)));
    };
    if attempt.refusal.as_deref() == Some(DRAW) {
        return Ok(None);
    }
    if let Some(refusal) = Refusal::from_db(attempt.refusal.as_deref(), attempt.starts_at) {
        return Ok(Some(every(users, || ClaimError::Refused(refusal))));
    }
    if attempt.wake {
        crate::webhooks::wake_dispatchers(&mut *conn).await;
    }
    let holders: HashSet<String> = attempt.held.into_iter().collect();
    let decisions = plan(users, &holders, remaining);
    if granted(users, &decisions) != attempt.granted {
        tracing::error!(
            coupon,
            database = ?attempt.granted,
            plan = ?granted(users, &decisions),
            "batch committed other grants than planned: its claims answered claim_outcome_unknown"
        );
        return Ok(Some(every(users, || ClaimError::OutcomeUnknown)));
    }
    let claimed_at: HashMap<String, DateTime<Utc>> = attempt
        .granted
        .into_iter()
        .zip(attempt.granted_at)
        .collect();
    Ok(Some(receipts(coupon, users, decisions, &claimed_at)))
}

fn receipts(
    coupon: &str,
    users: &[String],
    decisions: Vec<Decision>,
    claimed_at: &HashMap<String, DateTime<Utc>>,
) -> Vec<Result<ClaimReceipt, ClaimError>> {
    decisions
        .into_iter()
        .zip(users)
        .map(|(decision, user)| decision.receipt(user, coupon, claimed_at.get(user).copied()))
        .collect()
}
