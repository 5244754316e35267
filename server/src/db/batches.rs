//! The statements of the batched claim engine: many claims of one coupon per transaction.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// What one batch call saw and did.
#[derive(Debug)]
pub struct BatchAttempt {
    /// Stock when the row lock was taken, `None` when no coupon has the name.
    pub remaining: Option<i32>,
    /// Why the sale refuses claims (`paused`, `not_started`, `ended`), judged on the locked row
    /// by the database's clock; nothing was inserted then.
    pub refusal: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    /// Users of the batch who already held the coupon.
    pub held: Vec<String>,
    /// Granted users, in claim order, with their claim times.
    pub granted: Vec<String>,
    pub granted_at: Vec<DateTime<Utc>>,
    /// An event that wakes the webhook dispatchers was written (`coupon.sold_out`): wake them
    /// once this has committed ([`super::webhooks::wake`]).
    pub wake: bool,
}

/// Settles a batch in one call of the database function `claim_batch` (migration
/// `20261206000001_one_trip_statements.sql`), one round trip: lock the coupon row, then, seeing
/// every claim committed before the lock, find the users who already hold it, grant the first
/// `remaining` other distinct users in arrival order, insert their claims and decrement the
/// stock. On Citus the call runs whole on the coupon's worker. The call is its own transaction,
/// and its COMMIT is synchronous (every pooled session runs with `synchronous_commit = on`, see
/// [`super::DatabaseSettings`]): it returns only once the batch is flushed to disk, and so is
/// every commit it read (PostgreSQL makes a synchronous commit visible only after its flush).
#[tracing::instrument(skip(db, user_ids), fields(users = user_ids.len()))]
pub async fn settle_batch(
    db: &mut PgConnection,
    coupon_name: &str,
    user_ids: &[String],
) -> Result<BatchAttempt, sqlx::Error> {
    sqlx::query_as!(
        BatchAttempt,
        r#"SELECT remaining, refusal, starts_at, held AS "held!", granted AS "granted!",
                  granted_at AS "granted_at!", wake AS "wake!"
           FROM claim_batch($1, $2)"#,
        coupon_name,
        user_ids
    )
    .fetch_one(db)
    .await
}
