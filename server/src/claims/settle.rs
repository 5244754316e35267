//! Settling one batch of claims of one coupon in the database.

use std::collections::{HashMap, HashSet};

use app::api_types::ClaimReceipt;
use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::{
    ClaimError,
    plan::{Decision, granted, plan},
};
use crate::db;

/// Each claim's outcome, in the order of `users`. Commits asynchronously: the caller must wait
/// for `db::batches::wait_durable` before reporting any of them.
pub(super) async fn settle(
    pool: &PgPool,
    coupon: &str,
    users: &[String],
) -> Result<Vec<Result<ClaimReceipt, ClaimError>>, sqlx::Error> {
    // Fast path: one statement. It refuses to act when claims committed while it waited for
    // the row lock (another process), and then the slow path re-reads in a fresh snapshot.
    let attempt = db::batches::settle_batch(pool, coupon, users).await?;
    let Some(remaining) = attempt.remaining else {
        return Ok(users.iter().map(|_| Err(ClaimError::NotFound)).collect());
    };
    if !attempt.consistent {
        return settle_in_steps(pool, coupon, users).await;
    }
    let holders: HashSet<String> = attempt.held.into_iter().collect();
    let decisions = plan(users, &holders, remaining);
    if granted(users, &decisions) != attempt.granted {
        // Committed already: say so loudly, and answer 503 (never a wrong 200).
        return Err(sqlx::Error::Protocol(format!(
            "batch of {coupon:?}: the database granted {:?}, the plan {:?}",
            attempt.granted,
            granted(users, &decisions)
        )));
    }
    let claimed_at: HashMap<String, DateTime<Utc>> = attempt
        .granted
        .into_iter()
        .zip(attempt.granted_at)
        .collect();
    receipts(coupon, users, decisions, &claimed_at)
}

/// Slow path, one statement at a time in one transaction: lock, read holders (fresh snapshot,
/// after the lock), decide, insert.
async fn settle_in_steps(
    pool: &PgPool,
    coupon: &str,
    users: &[String],
) -> Result<Vec<Result<ClaimReceipt, ClaimError>>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(remaining) = db::batches::lock_coupon_async_commit(&mut tx, coupon).await? else {
        return Ok(users.iter().map(|_| Err(ClaimError::NotFound)).collect());
    };
    let distinct: Vec<String> = users
        .iter()
        .cloned()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let holders: HashSet<String> = db::batches::holders(&mut tx, coupon, &distinct)
        .await?
        .into_iter()
        .collect();
    let decisions = plan(users, &holders, remaining);
    let to_insert = granted(users, &decisions);
    let mut claimed_at = HashMap::new();
    if !to_insert.is_empty() {
        claimed_at.extend(db::batches::insert_many(&mut tx, coupon, &to_insert).await?);
        tx.commit().await?;
    }
    receipts(coupon, users, decisions, &claimed_at)
}

fn receipts(
    coupon: &str,
    users: &[String],
    decisions: Vec<Decision>,
    claimed_at: &HashMap<String, DateTime<Utc>>,
) -> Result<Vec<Result<ClaimReceipt, ClaimError>>, sqlx::Error> {
    decisions
        .into_iter()
        .zip(users)
        .map(|(decision, user)| match decision {
            Decision::Grant { remaining_after } => match claimed_at.get(user) {
                Some(at) => Ok(Ok(ClaimReceipt {
                    user_id: user.clone(),
                    coupon_name: coupon.to_owned(),
                    claimed_at: *at,
                    remaining_amount: remaining_after,
                })),
                None => Err(sqlx::Error::Protocol(format!(
                    "granted claim of {user:?} was not inserted"
                ))),
            },
            Decision::AlreadyClaimed => Ok(Err(ClaimError::AlreadyClaimed)),
            Decision::SoldOut => Ok(Err(ClaimError::SoldOut)),
        })
        .collect()
}
