//! The live dashboard's server functions: the current state, rendered on the server before the
//! stream takes over.

use leptos::prelude::*;

use crate::contract::errors::LoadError;
use crate::contract::live_types::LiveCoupon;

/// The live state of the coupon `name`, or of every coupon (newest first) when `None`.
#[server(prefix = "/rpc")]
pub async fn live_coupons(name: Option<String>) -> Result<Vec<LiveCoupon>, LoadError> {
    let states = async {
        if let Some(name) = &name {
            crate::server_fns::backend::lookup(name)?;
        }
        Ok::<_, LoadError>(
            crate::server_fns::backend::admitted()?
                .live_coupons(name)
                .await?,
        )
    };
    crate::contract::errors::answer(states.await)
}
