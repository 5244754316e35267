//! The server's side of the UI's [`AdminBackend`]: database reads for server functions.

use app::{api_types::CouponSummary, backend::AdminBackend, live::LiveCoupon};
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

    async fn live_coupons(&self, name: Option<String>) -> Result<Vec<LiveCoupon>, String> {
        if name
            .as_deref()
            .is_some_and(|n| app::validation::check_name(n).is_err())
        {
            return Ok(Vec::new());
        }
        let names = name.map(|n| vec![n]);
        db::live::states(&self.pool, names.as_deref(), LIST_LIMIT)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "reading live stock failed");
                "The live stock could not be loaded.".to_owned()
            })
    }
}
