//! Claim rows: the statements of the claim engine.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor, PgPool};

/// What the one-statement claim saw and did.
#[derive(Debug)]
pub struct ClaimAttempt {
    /// Stock before this claim, `None` when no coupon has the name.
    pub remaining_before: Option<i32>,
    /// Set when the claim row was inserted.
    pub claimed_at: Option<DateTime<Utc>>,
    /// Stock after this claim, set with `claimed_at`.
    pub remaining_after: Option<i32>,
}

/// Claims one unit in a single statement (one round trip, one implicit transaction).
///
/// The coupon row is locked first (`FOR UPDATE`), so every claim of a coupon queues on that one
/// lock and the claim insert never takes a second lock on the hot row. `ON CONFLICT DO NOTHING`
/// turns a repeat into "no row inserted"; the stock only moves when a row was inserted. The
/// `remaining_within_stock` CHECK is the last guard against an oversell.
#[tracing::instrument(skip(db))]
pub async fn claim_one(
    db: &PgPool,
    user_id: &str,
    coupon_name: &str,
) -> Result<ClaimAttempt, sqlx::Error> {
    sqlx::query_as!(
        ClaimAttempt,
        r#"
        WITH coupon AS (
            SELECT name, remaining_amount FROM coupons WHERE name = $1 FOR UPDATE
        ), claim AS (
            INSERT INTO claims (user_id, coupon_name)
            SELECT $2, name FROM coupon WHERE remaining_amount > 0
            ON CONFLICT (user_id, coupon_name) DO NOTHING
            RETURNING claimed_at
        ), stock AS (
            UPDATE coupons SET remaining_amount = remaining_amount - 1
            WHERE name = $1 AND EXISTS (SELECT 1 FROM claim)
            RETURNING remaining_amount
        )
        SELECT (SELECT remaining_amount FROM coupon) AS remaining_before,
               (SELECT claimed_at FROM claim) AS claimed_at,
               (SELECT remaining_amount FROM stock) AS remaining_after
        "#,
        coupon_name,
        user_id
    )
    .fetch_one(db)
    .await
}

/// True when `user_id` holds `coupon_name`. Run as its own statement so it sees every claim
/// committed before it started (a fresh READ COMMITTED snapshot).
#[tracing::instrument(skip(db))]
pub async fn holds(
    db: impl PgExecutor<'_>,
    user_id: &str,
    coupon_name: &str,
) -> Result<bool, sqlx::Error> {
    let found = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM claims WHERE user_id = $1 AND coupon_name = $2) AS "found!""#,
        user_id,
        coupon_name
    )
    .fetch_one(db)
    .await?;
    Ok(found)
}

/// Takes the coupon's row lock for the rest of `tx` and returns its stock, `None` if no such
/// coupon. Every later statement of the transaction sees all claims committed before the lock.
///
/// It also makes this transaction's COMMIT asynchronous (`synchronous_commit = off`, for this
/// transaction only): COMMIT then returns, and releases the row lock, without waiting for the WAL
/// flush, so the next batch can take the lock while this one's flush is under way. The caller
/// must not report the outcome before [`wait_durable`] returns.
#[tracing::instrument(skip(tx))]
pub async fn lock_coupon_async_commit(
    tx: &mut PgConnection,
    coupon_name: &str,
) -> Result<Option<i32>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT remaining_amount, set_config('synchronous_commit', 'off', true) AS "setting!"
           FROM coupons WHERE name = $1 FOR UPDATE"#,
        coupon_name
    )
    .fetch_optional(tx)
    .await?;
    Ok(row.map(|r| r.remaining_amount))
}

/// Returns once everything committed before the call is durable (flushed WAL).
///
/// WAL is flushed in order, so a flush that covers the current insert position covers every
/// earlier commit. When the flush position is already there this costs one round trip; otherwise
/// the statement takes a transaction id, so its own synchronous COMMIT waits for the flush
/// (concurrent callers share one flush: group commit).
#[tracing::instrument(skip(db))]
pub async fn wait_durable(db: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT CASE WHEN pg_current_wal_flush_lsn() >= pg_current_wal_insert_lsn() THEN '0'
                       ELSE pg_current_xact_id()::text END AS "xid!""#
    )
    .fetch_one(db)
    .await?;
    Ok(())
}

/// Which of `user_ids` already hold `coupon_name`.
#[tracing::instrument(skip(tx, user_ids), fields(users = user_ids.len()))]
pub async fn holders(
    tx: &mut PgConnection,
    coupon_name: &str,
    user_ids: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT user_id FROM claims WHERE coupon_name = $1 AND user_id = ANY($2)",
        coupon_name,
        user_ids
    )
    .fetch_all(tx)
    .await
}

/// Inserts the granted claims in the given (arrival) order and takes them off the stock, in one
/// statement. Returns each inserted user with its claim time. The caller holds the row lock.
#[tracing::instrument(skip(tx, user_ids), fields(users = user_ids.len()))]
pub async fn insert_many(
    tx: &mut PgConnection,
    coupon_name: &str,
    user_ids: &[String],
) -> Result<Vec<(String, DateTime<Utc>)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        WITH granted AS (
            INSERT INTO claims (user_id, coupon_name)
            SELECT u.user_id, $1 FROM unnest($2::text[]) WITH ORDINALITY AS u(user_id, ord)
            ORDER BY u.ord
            RETURNING user_id, claimed_at
        ), stock AS (
            UPDATE coupons SET remaining_amount = remaining_amount - (SELECT count(*) FROM granted)
            WHERE name = $1
        )
        SELECT user_id AS "user_id!", claimed_at AS "claimed_at!" FROM granted
        "#,
        coupon_name,
        user_ids
    )
    .fetch_all(tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.user_id, r.claimed_at))
        .collect())
}
