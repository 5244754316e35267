//! The server's side of the UI: the [`AdminBackend`], webhook and draw backends that the UI's
//! server functions call, answered from `db/` and the services the JSON API uses too.

pub mod draws;
mod webhooks;

use app::{
    contract::admin_types::{COUPONS_PER_PAGE, ClaimersPage, CouponPage},
    contract::api_keys::{ApiKey, CreatedApiKey, NewApiKey},
    contract::api_types::CouponSummary,
    contract::audit::AuditPage,
    contract::live_types::LiveCoupon,
    contract::sale::{CouponPatch, Release},
    server_fns::backend::{AdminBackend, Created, Failure, Refused},
};
use sqlx::PgPool;

use crate::{
    credentials::api_keys::{ApiKeys, KeyError},
    db::{self, sync_wait::CommitError},
    sale::{SaleError, Sales},
    state::ApiSpec,
};

/// Serves the UI's server functions from the database.
pub struct DbBackend {
    pub pool: PgPool,
    pub sales: Sales,
    pub api_spec: ApiSpec,
    pub keys: ApiKeys,
}

/// A failed key operation as the UI shows it (logged here, once).
fn key_failure(what: &'static str, error: KeyError) -> Failure {
    match error {
        KeyError::Database(e) => failed(what)(e),
        KeyError::Commit(e) => commit_failed(what, e),
        other => {
            tracing::error!(error = %other, "{what} failed");
            Failure::Broken
        }
    }
}

/// A refused admin action as the UI shows it; server failures are logged here, once.
fn refused(what: &'static str, error: SaleError) -> Refused {
    match error {
        SaleError::NotFound | SaleError::ClaimNotFound => Refused::NotFound(error.to_string()),
        SaleError::Database(e) => Refused::Failed(failed(what)(e)),
        SaleError::Commit(e) => Refused::Failed(commit_failed(what, e)),
        other => Refused::Rule(other.to_string()),
    }
}

/// An admin write whose commit failed or was kept only locally (already logged by
/// [`db::sync_wait::commit`]).
pub(crate) fn commit_failed(what: &'static str, error: CommitError) -> Failure {
    match error {
        CommitError::Database(e) => failed(what)(e),
        CommitError::Unconfirmed => Failure::Unconfirmed,
    }
}

/// Logs a database failure once, here, and tells the UI whether it was a busy database (`503`,
/// by the same rule as the JSON API: [`db::is_transient`]) or a broken one (`500`).
pub(crate) fn failed(what: &'static str) -> impl FnOnce(sqlx::Error) -> Failure {
    move |e| {
        if db::is_transient(&e) {
            tracing::warn!(error = %e, "{what}: database busy, answered 503");
            Failure::Busy
        } else {
            tracing::error!(error = %e, "{what} failed");
            Failure::Broken
        }
    }
}

#[async_trait::async_trait]
impl AdminBackend for DbBackend {
    async fn list_keys(&self) -> Result<Vec<ApiKey>, Failure> {
        self.keys
            .list()
            .await
            .map_err(|e| key_failure("listing API keys", e))
    }

    async fn create_key(&self, actor: &str, new: &NewApiKey) -> Result<CreatedApiKey, Failure> {
        self.keys
            .create(actor, new)
            .await
            .map_err(|e| key_failure("creating an API key", e))
    }

    async fn revoke_key(&self, actor: &str, id: i64) -> Result<Option<ApiKey>, Failure> {
        match self.keys.revoke(actor, id).await {
            Ok(key) => Ok(Some(key)),
            Err(KeyError::NotFound) => Ok(None),
            Err(e) => Err(key_failure("revoking an API key", e)),
        }
    }

    fn api_document(&self) -> String {
        self.api_spec.0.to_string()
    }

    async fn coupon_page(&self, page: u32) -> Result<CouponPage, Failure> {
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
            now: chrono::Utc::now(),
        })
    }

    async fn create_coupon(
        &self,
        actor: &str,
        name: &str,
        amount: i32,
        draw: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Created, Failure> {
        let sale = match draw {
            None => db::coupons::NewSale::first_come(name, amount),
            Some(close) => db::coupons::NewSale {
                allocation: app::contract::draw::Allocation::Draw,
                ends_at: Some(close),
                ..db::coupons::NewSale::first_come(name, amount)
            },
        };
        match self.sales.create(actor, sale).await {
            Ok(coupon) => Ok(Created::Coupon(coupon)),
            Err(SaleError::NameTaken) => Ok(Created::NameTaken),
            Err(SaleError::Database(e)) => Err(failed("creating a coupon")(e)),
            Err(SaleError::Commit(e)) => Err(commit_failed("creating a coupon", e)),
            // The form's rules are the API's: anything else is a bug, told as one.
            Err(other) => {
                tracing::error!(error = %other, "creating a coupon refused after the input rules passed");
                Err(Failure::Broken)
            }
        }
    }

    async fn patch_coupon(
        &self,
        actor: &str,
        name: &str,
        patch: CouponPatch,
    ) -> Result<CouponSummary, Refused> {
        self.sales
            .patch(actor, name, &patch)
            .await
            .map_err(|e| refused("changing a sale", e))
    }

    async fn release_claim(
        &self,
        actor: &str,
        name: &str,
        user_id: &str,
    ) -> Result<Release, Refused> {
        self.sales
            .release(actor, name, user_id)
            .await
            .map_err(|e| refused("releasing a claim", e))
    }

    async fn recent_audit(&self, before: Option<i64>, limit: u32) -> Result<AuditPage, Failure> {
        let entries = db::audit::recent(&self.pool, before, i64::from(limit))
            .await
            .map_err(failed("reading the audit log"))?;
        Ok(AuditPage::of(entries, limit))
    }

    async fn find_coupon(&self, name: &str) -> Result<Option<CouponSummary>, Failure> {
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
    ) -> Result<ClaimersPage, Failure> {
        db::claimers::page(&self.pool, name, after, limit, prefix.as_deref())
            .await
            .map_err(failed("listing claimers"))
    }

    async fn live_coupons(&self, name: Option<String>) -> Result<Vec<LiveCoupon>, Failure> {
        if name
            .as_deref()
            .is_some_and(|n| app::contract::validation::check_name(n).is_err())
        {
            return Ok(Vec::new());
        }
        let names = name.map(|n| vec![n]);
        db::live::states(&self.pool, names.as_deref(), crate::live::BOARD_LIMIT)
            .await
            .map_err(failed("reading live stock"))
    }
}
