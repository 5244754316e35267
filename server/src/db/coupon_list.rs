//! The admin's coupons list: pages of coupons, newest first.

use app::contract::api_types::CouponSummary;
use sqlx::PgExecutor;

/// How many coupons exist.
#[tracing::instrument(skip(db))]
pub async fn count(db: impl PgExecutor<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM coupons"#)
        .fetch_one(db)
        .await
}

/// `limit` coupons after skipping `offset`, newest first (served by coupons_created_at_idx).
#[tracing::instrument(skip(db))]
pub async fn page(
    db: impl PgExecutor<'_>,
    limit: i64,
    offset: i64,
) -> Result<Vec<CouponSummary>, sqlx::Error> {
    sqlx::query_as!(
        CouponSummary,
        "SELECT name, amount, remaining_amount, paused, starts_at, ends_at, created_at FROM coupons
         ORDER BY created_at DESC, name LIMIT $1 OFFSET $2",
        limit,
        offset
    )
    .fetch_all(db)
    .await
}
