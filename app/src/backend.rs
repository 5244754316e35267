//! What the UI's server functions need from the server, as a trait the server implements.
//!
//! The server hands an [`SharedBackend`] to every request through Leptos context; this keeps SQL
//! in the server's db module and the dependency direction `server -> app`.

use std::sync::Arc;

use crate::admin_types::{ClaimersPage, CouponPage};
use crate::{api_types::CouponSummary, live::LiveCoupon};

/// The result of creating a coupon that passed the input rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    Coupon(CouponSummary),
    /// A coupon with this name already exists.
    NameTaken,
}

/// Reads and writes the admin UI needs. Errors are already logged by the implementation and
/// carry only a sentence safe to show to a user.
#[async_trait::async_trait]
pub trait AdminBackend: Send + Sync + 'static {
    /// Live state of the named coupon (none if unknown), or of every coupon when `None`.
    async fn live_coupons(&self, name: Option<String>) -> Result<Vec<LiveCoupon>, String>;

    /// Page `page` (1-based) of the coupons, newest first.
    async fn coupon_page(&self, page: u32) -> Result<CouponPage, String>;

    /// Creates a coupon whose name and amount already passed the shared input rules.
    async fn create_coupon(&self, name: &str, amount: i32) -> Result<Created, String>;

    /// The coupon named `name`, if any.
    async fn find_coupon(&self, name: &str) -> Result<Option<CouponSummary>, String>;

    /// Claimers of `name` in claim order after cursor `after`, optionally by user id prefix.
    async fn claimers(
        &self,
        name: &str,
        after: i64,
        limit: u32,
        prefix: Option<String>,
    ) -> Result<ClaimersPage, String>;
}

/// The form in which the backend travels through Leptos context.
pub type SharedBackend = Arc<dyn AdminBackend>;
