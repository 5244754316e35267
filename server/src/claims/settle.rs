//! Settling one batch of claims of one coupon in the database.

use std::collections::{HashMap, HashSet};

use app::contract::api_types::ClaimReceipt;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::{
    ClaimError, Refusal,
    plan::{Decision, granted, plan},
};
use crate::db;

/// Each claim's outcome, in the order of `users`, once durable: every commit here is synchronous
/// (the pool's `synchronous_commit = on`), so it returns only after the WAL flush (and, with a
/// synchronous standby, its confirmation: a grant whose wait was abandoned is `OutcomeUnknown`,
/// see [`db::sync_wait`]).
///
/// When what the database did disagrees with the plan, the batch has committed something else:
/// its claims are answered `OutcomeUnknown` (a retry reads the truth), never a guess.
pub(super) async fn settle(
    conn: &mut PgConnection,
    coupon: &str,
    users: &[String],
) -> Result<Vec<Result<ClaimReceipt, ClaimError>>, sqlx::Error> {
    let (settled, unconfirmed) = db::sync_wait::watch(settle_locally(conn, coupon, users)).await;
    if !unconfirmed {
        return settled;
    }
    let outcomes = settled?;
    super::outcome::log_unconfirmed(coupon, outcomes.iter().filter(|o| o.is_ok()).count());
    Ok(outcomes
        .into_iter()
        .map(|outcome| outcome.and(Err(ClaimError::OutcomeUnknown)))
        .collect())
}

async fn settle_locally(
    conn: &mut PgConnection,
    coupon: &str,
    users: &[String],
) -> Result<Vec<Result<ClaimReceipt, ClaimError>>, sqlx::Error> {
    let attempt = db::batches::settle_batch(conn, coupon, users).await?;
    let Some(remaining) = attempt.remaining else {
        return Ok(every(users, || ClaimError::NotFound));
    };
    if let Some(refusal) = Refusal::from_db(attempt.refusal.as_deref(), attempt.starts_at) {
        return Ok(every(users, || ClaimError::Refused(refusal)));
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
        return Ok(every(users, || ClaimError::OutcomeUnknown));
    }
    let claimed_at: HashMap<String, DateTime<Utc>> = attempt
        .granted
        .into_iter()
        .zip(attempt.granted_at)
        .collect();
    Ok(receipts(coupon, users, decisions, &claimed_at))
}

/// The same refusal for every claim of the batch.
fn every(
    users: &[String],
    error: impl Fn() -> ClaimError,
) -> Vec<Result<ClaimReceipt, ClaimError>> {
    users.iter().map(|_| Err(error())).collect()
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
