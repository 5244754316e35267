//! The sweep of claims that lapse unredeemed and of a drawn coupon's waitlist
//! (`sweep_claims`, migration `20261206000008_draw_coupons_take_entries.sql`).

use sqlx::PgExecutor;

/// Coupons a sweep may have work on: claims that can lapse, or a drawn coupon with stock (a
/// unit that came back) and so maybe a waitlist to serve. One table, no join: it runs as is on
/// Citus too; the sweep itself finds out whether anything is due.
pub async fn candidates(db: impl PgExecutor<'_>) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT name FROM coupons
         WHERE (redeem_within IS NOT NULL AND remaining_amount < amount)
            OR (allocation = 'draw' AND drawn_at IS NOT NULL AND remaining_amount > 0)"
    )
    .fetch_all(db)
    .await
}

/// What one sweep call did.
#[derive(Debug, Default)]
pub struct Swept {
    pub lapsed: i32,
    pub refilled: i32,
    /// An event that wakes the webhook dispatchers was written.
    pub wake: bool,
    /// The sweep stopped at its row limit: call again.
    pub more: bool,
}

/// Sweeps `coupon_name` once, reading at most `max_rows` claims, in one call (its own
/// transaction, synchronous commit): lapses the claims not redeemed in time, then gives the
/// stock of a drawn coupon to its waitlist in rank order.
#[tracing::instrument(skip(db))]
pub async fn sweep(
    db: impl PgExecutor<'_>,
    coupon_name: &str,
    max_rows: i32,
) -> Result<Swept, sqlx::Error> {
    let swept = sqlx::query_as!(
        Swept,
        r#"SELECT lapsed AS "lapsed!", refilled AS "refilled!", wake AS "wake!", more AS "more!"
           FROM sweep_claims($1, $2)"#,
        coupon_name,
        max_rows
    )
    .fetch_optional(db)
    .await?;
    Ok(swept.unwrap_or_default())
}
