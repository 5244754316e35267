//! The database: the pool, migrations, and every SQL statement of the server (nowhere else).

pub mod batches;
pub mod claimers;
pub mod claims;
pub mod coupon_list;
pub mod coupons;
pub mod live;

use sqlx::{PgPool, postgres::PgPoolOptions};

use crate::config::Config;

/// Opens the bounded connection pool.
pub async fn connect(config: &Config) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(config.db_pool_size)
        .acquire_timeout(config.db_acquire_timeout())
        .connect(&config.database_url)
        .await
}

/// Brings the schema up to date; run at startup.
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    sqlx::migrate!("../migrations").run(pool).await
}

/// True when the error is a violation of the named constraint (e.g. a duplicate key).
pub fn violates(error: &sqlx::Error, constraint: &str) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.constraint() == Some(constraint))
}

/// True when the error means "no connection could be had in time": the caller should answer 503.
pub fn is_overloaded(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::PoolTimedOut)
}
