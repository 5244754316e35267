//! What the UI's server functions need from the server, as a trait the server implements.
//!
//! The server hands an [`SharedBackend`] to every request through Leptos context; this keeps SQL
//! in the server's db module and the dependency direction `server -> app`.

use std::sync::Arc;

use crate::contract::errors::LoadError;

use crate::contract::admin_types::{ClaimersPage, CouponPage};
use crate::{
    contract::api_keys::{ApiKey, CreatedApiKey, NewApiKey},
    contract::api_types::CouponSummary,
    contract::audit::AuditPage,
    contract::live_types::LiveCoupon,
    contract::sale::{CouponPatch, Release},
};

/// The result of creating a coupon that passed the input rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    Coupon(CouponSummary),
    /// A coupon with this name already exists.
    NameTaken,
}

/// Why the backend could not answer; already logged by the implementation. Its sentence is safe
/// to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// The database is busy (no connection in time, or a passing refusal): `503`, retry.
    #[error("The server is busy. Try again in a moment.")]
    Busy,
    /// The change was committed on the primary database, but no standby confirmed it: `503`.
    #[error(
        "The change was saved, but the standby database did not confirm it, so a failover may \
         undo it. Reload to see whether it took effect."
    )]
    Unconfirmed,
    /// Anything else: `500`.
    #[error("The server could not do this just now. Try again in a moment.")]
    Broken,
}

impl From<Failure> for crate::contract::errors::LoadError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Busy | Failure::Unconfirmed => Self::Busy(failure.to_string()),
            Failure::Broken => Self::Failed(failure.to_string()),
        }
    }
}

/// Why an admin's change of a sale was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// No such coupon, or no such claim (a sentence safe to show).
    NotFound(String),
    /// The change breaks a rule (amount below the claims, window out of order).
    Rule(String),
    /// The server failed.
    Failed(Failure),
}

/// Reads and writes the admin UI needs. Failures are already logged by the implementation.
#[async_trait::async_trait]
pub trait AdminBackend: Send + Sync + 'static {
    /// Live state of the named coupon (none if unknown), or of every coupon when `None`.
    async fn live_coupons(&self, name: Option<String>) -> Result<Vec<LiveCoupon>, Failure>;

    /// Page `page` (1-based) of the coupons, newest first.
    async fn coupon_page(&self, page: u32) -> Result<CouponPage, Failure>;

    /// Creates a coupon whose name and amount already passed the shared input rules; `actor`
    /// is who does it, for the audit log. With `draw`, a draw coupon whose entries close then
    /// (and which draws then).
    async fn create_coupon(
        &self,
        actor: &str,
        name: &str,
        amount: i32,
        draw: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Created, Failure>;

    /// Changes a sale (amount, pause, window) as `PATCH /api/coupons/{name}` does.
    async fn patch_coupon(
        &self,
        actor: &str,
        name: &str,
        patch: CouponPatch,
    ) -> Result<CouponSummary, Refused>;

    /// Releases `user_id`'s claim of `name`, as `DELETE /api/coupons/{name}/claims/{user_id}`.
    async fn release_claim(
        &self,
        actor: &str,
        name: &str,
        user_id: &str,
    ) -> Result<Release, Refused>;

    /// Up to `limit` audit log entries before id `before` (from the newest when `None`),
    /// newest first; `next` is the `before` of the following page.
    async fn recent_audit(&self, before: Option<i64>, limit: u32) -> Result<AuditPage, Failure>;

    /// The coupon named `name`, if any.
    async fn find_coupon(&self, name: &str) -> Result<Option<CouponSummary>, Failure>;

    /// Every API key, newest first, revoked ones included.
    async fn list_keys(&self) -> Result<Vec<ApiKey>, Failure>;

    /// Creates an API key that passed the input rules (as `POST /api/keys`, audited).
    async fn create_key(&self, actor: &str, new: &NewApiKey) -> Result<CreatedApiKey, Failure>;

    /// Revokes key `id` (as `DELETE /api/keys/{id}`, audited); `None` when no key has this id.
    async fn revoke_key(&self, actor: &str, id: i64) -> Result<Option<ApiKey>, Failure>;

    /// The OpenAPI document of the JSON API, as `/api/openapi.json` serves it.
    fn api_document(&self) -> String;

    /// Claimers of `name` in claim order after cursor `after`, optionally by user id prefix.
    async fn claimers(
        &self,
        name: &str,
        after: i64,
        limit: u32,
        prefix: Option<String>,
    ) -> Result<ClaimersPage, Failure>;
}

/// The form in which the backend travels through Leptos context.
pub type SharedBackend = Arc<dyn AdminBackend>;

/// True when the admin guard's verdict on this request admits it to admin data: the admin is
/// open, or the caller is signed in. No verdict (a request that reached the app without passing
/// the guard) admits nothing.
pub fn admits(status: Option<crate::contract::admin_types::AdminStatus>) -> bool {
    status.is_some_and(|s| !s.auth_required || s.signed_in)
}

/// The backend, for a server function or page loader of admin data. Defence in depth: the
/// server's guard already refuses strangers before routing, and this refuses them again inside
/// the app, so a routing mistake (a path the guard judged public that rendered the app) cannot
/// hand out admin data.
pub fn admitted() -> Result<SharedBackend, LoadError> {
    use leptos::prelude::use_context;
    let status = use_context::<http::request::Parts>().and_then(|p| {
        p.extensions
            .get::<crate::contract::admin_types::AdminStatus>()
            .copied()
    });
    if !admits(status) {
        return Err(LoadError::Failed("Sign in to see this.".to_owned()));
    }
    use_context::<SharedBackend>()
        .ok_or_else(|| LoadError::Failed("The server is misconfigured.".to_owned()))
}

/// Who acts, for the audit log: the admin guard's verdict on this request (`token`,
/// `session:<id>` or `open`).
pub fn actor() -> String {
    use leptos::prelude::use_context;
    use_context::<http::request::Parts>()
        .and_then(|p| {
            p.extensions
                .get::<crate::contract::admin_types::Actor>()
                .cloned()
        })
        .map_or_else(|| "unknown".to_owned(), |a| a.0)
}

/// A name a server function looks up: anything the database can hold. Control characters (NUL
/// above all, which PostgreSQL refuses in text) are a client error (400), never a 500.
pub fn lookup(name: &str) -> Result<(), LoadError> {
    if name.chars().any(char::is_control) {
        return Err(LoadError::BadRequest(
            "name must not contain control characters".to_owned(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::admits;
    use crate::contract::admin_types::AdminStatus;

    #[test]
    fn only_a_guard_verdict_of_open_or_signed_in_admits() {
        let status = |auth_required, signed_in| {
            Some(AdminStatus {
                auth_required,
                signed_in,
                claims_open: true,
            })
        };
        assert!(!admits(None));
        assert!(!admits(status(true, false)));
        assert!(admits(status(true, true)));
        assert!(admits(status(false, false)));
    }
}
