//! The server's side of the UI's [`AdminBackend`]: database reads for server functions.

use app::{api_types::CouponSummary, backend::AdminBackend};
use sqlx::PgPool;

use crate::db;

/// Most coupons the home page lists.
const LIST_LIMIT: i64 = 500;

/// Serves the UI's server functions from the database.
pub struct DbBackend {
    pub pool: PgPool,
}

#[async_trait::async_trait]
impl AdminBackend for DbBackend {
    async fn list_coupons(&self) -> Result<Vec<CouponSummary>, String> {
        db::coupons::list(&self.pool, LIST_LIMIT)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "listing coupons failed");
                "The coupons could not be loaded.".to_owned()
            })
    }
}
