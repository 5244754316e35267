//! The live dashboard's server functions: the current state, rendered on the server before the
//! stream takes over.

use leptos::prelude::*;

use super::LiveCoupon;
use crate::errors::LoadError;

/// The live state of the coupon `name`, or of every coupon (newest first) when `None`.
#[server(prefix = "/rpc")]
pub async fn live_coupons(name: Option<String>) -> Result<Vec<LiveCoupon>, LoadError> {
    let states = async {
        if let Some(name) = &name {
            crate::backend::lookup(name)?;
        }
        Ok::<_, LoadError>(crate::backend::admitted()?.live_coupons(name).await?)
    };
    crate::errors::answer(states.await)
}
