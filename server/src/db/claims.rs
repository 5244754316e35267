//! Claim rows: the statements of the claim engine.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, PgPool};

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
