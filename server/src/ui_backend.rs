//! The server's side of the UI's [`AdminBackend`]: database reads and writes for server functions.

use app::{
    admin_types::{COUPONS_PER_PAGE, ClaimersPage, CouponPage},
    api_types::CouponSummary,
    backend::{AdminBackend, Created},
    live::LiveCoupon,
};
use sqlx::PgPool;

use crate::db;

/// Most coupons the home page lists.
const LIST_LIMIT: i64 = 500;

/// Serves the UI's server functions from the database.
pub struct DbBackend {
    pub pool: PgPool,
}

/// Logs a database failure once, here, and gives the UI a sentence without internals.
fn failed(what: &'static str) -> impl FnOnce(sqlx::Error) -> String {
    move |e| {
        tracing::error!(error = %e, "{what} failed");
        "The server could not do this just now. Try again in a moment.".to_owned()
    }
}

#[async_trait::async_trait]
impl AdminBackend for DbBackend {
    async fn coupon_page(&self, page: u32) -> Result<CouponPage, String> {
        let total = db::coupon_list::count(&self.pool)
            .await
            .map_err(failed("counting coupons"))?;
        let per_page = i64::from(COUPONS_PER_PAGE);
        let pages = u32::try_from(((total + per_page - 1) / per_page).max(1)).unwrap_or(u32::MAX);
        let page = page.clamp(1, pages);
        let offset = i64::from(page - 1) * per_page;
        let coupons = db::coupon_list::page(&self.pool, per_page, offset)
            .await
            .map_err(failed("listing coupons"))?;
        Ok(CouponPage {
            coupons,
            page,
            pages,
            total,
        })
    }

    async fn create_coupon(&self, name: &str, amount: i32) -> Result<Created, String> {
        match db::coupons::insert(&self.pool, name, amount).await {
            Ok(coupon) => Ok(Created::Coupon(coupon)),
            Err(e) if db::violates(&e, db::coupons::NAME_KEY) => Ok(Created::NameTaken),
            Err(e) => Err(failed("creating a coupon")(e)),
        }
    }

    async fn find_coupon(&self, name: &str) -> Result<Option<CouponSummary>, String> {
        db::coupons::find(&self.pool, name)
            .await
            .map_err(failed("reading a coupon"))
    }

    async fn claimers(
        &self,
        name: &str,
        after: i64,
        limit: u32,
        prefix: Option<String>,
    ) -> Result<ClaimersPage, String> {
        db::claimers::page(&self.pool, name, after, limit, prefix.as_deref())
            .await
            .map_err(failed("listing claimers"))
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
