//! Coupon rows: create, read, list.

use app::api_types::CouponSummary;
use sqlx::{PgExecutor, PgPool};

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

/// The users who claimed `name`, in claim order.
#[tracing::instrument(skip(db))]
pub async fn claimers(db: impl PgExecutor<'_>, name: &str) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT user_id FROM claims WHERE coupon_name = $1 ORDER BY id",
        name
    )
    .fetch_all(db)
    .await
}

/// The coupon and its claimers from one snapshot, so `claimed_by` always matches the stock.
pub async fn find_with_claimers(
    pool: &PgPool,
    name: &str,
) -> Result<Option<(CouponSummary, Vec<String>)>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query!("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let Some(coupon) = find(&mut *tx, name).await? else {
        return Ok(None);
    };
    let users = claimers(&mut *tx, name).await?;
    tx.commit().await?;
    Ok(Some((coupon, users)))
}

/// Every coupon, newest first (the admin list; pagination comes with the admin UI).
#[tracing::instrument(skip(db))]
pub async fn list(db: impl PgExecutor<'_>, limit: i64) -> Result<Vec<CouponSummary>, sqlx::Error> {
    sqlx::query_as!(
        CouponSummary,
        "SELECT name, amount, remaining_amount, created_at FROM coupons
         ORDER BY created_at DESC, name LIMIT $1",
        limit
    )
    .fetch_all(db)
    .await
}
