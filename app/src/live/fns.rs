//! The live dashboard's server functions: the current state, rendered on the server before the
//! stream takes over.

use leptos::prelude::*;

use super::LiveCoupon;

/// The live state of the coupon `name`, or of every coupon (newest first) when `None`.
#[server(prefix = "/rpc")]
pub async fn live_coupons(name: Option<String>) -> Result<Vec<LiveCoupon>, ServerFnError> {
    if let Some(name) = &name {
        crate::backend::lookup(name)?;
    }
    let backend = crate::backend::admitted().map_err(ServerFnError::new)?;
    backend.live_coupons(name).await.map_err(ServerFnError::new)
}
