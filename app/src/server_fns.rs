//! The UI's private calls to the server. The public contract is the JSON API under `/api`.

use leptos::prelude::*;

use crate::api_types::CouponSummary;

/// Every coupon, newest first.
#[server(prefix = "/rpc")]
pub async fn list_coupons() -> Result<Vec<CouponSummary>, ServerFnError> {
    let backend = use_context::<crate::backend::SharedBackend>()
        .ok_or_else(|| ServerFnError::new("the server has no backend in context"))?;
    backend.list_coupons().await.map_err(ServerFnError::new)
}
