//! What the UI's server functions need from the server, as a trait the server implements.
//!
//! The server hands an [`SharedBackend`] to every request through Leptos context; this keeps SQL
//! in the server's db module and the dependency direction `server -> app`.

use std::sync::Arc;

use crate::{api_types::CouponSummary, live::LiveCoupon};

/// Reads and writes the admin UI needs. Errors are already logged by the implementation and
/// carry only a sentence safe to show to a user.
#[async_trait::async_trait]
pub trait AdminBackend: Send + Sync + 'static {
    /// Every coupon, newest first.
    async fn list_coupons(&self) -> Result<Vec<CouponSummary>, String>;
    /// Live state of the named coupon (none if unknown), or of every coupon when `None`.
    async fn live_coupons(&self, name: Option<String>) -> Result<Vec<LiveCoupon>, String>;
}

/// The form in which the backend travels through Leptos context.
pub type SharedBackend = Arc<dyn AdminBackend>;
