//! The live dashboard's server functions: the current state, rendered on the server before the
//! stream takes over.

use leptos::prelude::*;

use super::LiveCoupon;

/// The live state of the coupon `name`, or of every coupon (newest first) when `None`.
#[server(prefix = "/rpc")]
pub async fn live_coupons(name: Option<String>) -> Result<Vec<LiveCoupon>, ServerFnError> {
    if name
        .as_deref()
        .is_some_and(|n| n.chars().any(char::is_control))
    {
        return Err(ServerFnError::Args(
            "name must not contain control characters".to_owned(),
        ));
    }
    let backend = crate::backend::admitted().map_err(ServerFnError::new)?;
    backend.live_coupons(name).await.map_err(ServerFnError::new)
}
