//! Coupon rows: create, read, list.

use app::api_types::{Coupon, CouponSummary};
use sqlx::PgExecutor;

/// Name of the primary key, whose violation means "a coupon with this name exists".
pub const NAME_KEY: &str = "coupons_pkey";

/// Inserts a coupon with its whole stock remaining.
#[tracing::instrument(skip(db))]
pub async fn insert(
    db: impl PgExecutor<'_>,
    name: &str,
    amount: i32,
) -> Result<CouponSummary, sqlx::Error> {
    sqlx::query_as!(
        CouponSummary,
        "INSERT INTO coupons (name, amount, remaining_amount) VALUES ($1, $2, $2)
         RETURNING name, amount, remaining_amount, created_at",
        name,
        amount
    )
    .fetch_one(db)
    .await
}

/// The coupon named `name`, if any.
#[tracing::instrument(skip(db))]
pub async fn find(
    db: impl PgExecutor<'_>,
    name: &str,
) -> Result<Option<CouponSummary>, sqlx::Error> {
    sqlx::query_as!(
        CouponSummary,
        "SELECT name, amount, remaining_amount, created_at FROM coupons WHERE name = $1",
        name
    )
    .fetch_optional(db)
    .await
}

/// The coupon with its claimers in claim order, read by one statement (so from one snapshot:
/// `claimed_by` always matches the stock) in one round trip.
#[tracing::instrument(skip(db))]
pub async fn find_with_claimers(
    db: impl PgExecutor<'_>,
    name: &str,
) -> Result<Option<Coupon>, sqlx::Error> {
    sqlx::query_as!(
        Coupon,
        r#"SELECT c.name, c.amount, c.remaining_amount, c.created_at,
                  ARRAY(SELECT user_id FROM claims WHERE coupon_name = c.name ORDER BY id) AS "claimed_by!"
           FROM coupons c WHERE c.name = $1"#,
        name
    )
    .fetch_optional(db)
    .await
}
