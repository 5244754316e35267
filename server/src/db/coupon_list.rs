//! The admin's coupons list: pages of coupons, newest first.

use app::contract::api_types::CouponSummary;
use sqlx::PgExecutor;

use super::coupon_row::CouponRow;

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
    let rows = sqlx::query_as!(
        CouponRow,
        "SELECT name, amount, remaining_amount, paused, starts_at, ends_at, created_at,
                allocation, commitment, draw_at, beacon_required, beacon, drawn_at,
                redeem_within
         FROM coupons ORDER BY created_at DESC, name LIMIT $1 OFFSET $2",
        limit,
        offset
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(CouponSummary::from).collect())
}
