//! Server functions of a draw coupon's panel: its figures, and "Draw now" (a plain form post
//! that works without JavaScript), through the same service as the JSON API.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::contract::errors::answer;
use crate::contract::{
    draw::{DrawPanel, DrawProof},
    errors::LoadError,
};
use crate::server_fns::sale_fns::SaleActionError;

/// The draw panel of coupon `name`; `None` when it is no draw coupon.
#[server(prefix = "/rpc", endpoint = "draw_panel")]
pub async fn load_draw_panel(name: String) -> Result<Option<DrawPanel>, LoadError> {
    let panel = async {
        crate::server_fns::backend::lookup(&name)?;
        let draws = crate::server_fns::draw_backend::admitted()?;
        Ok::<_, LoadError>(draws.draw_panel(&name).await?)
    };
    answer(panel.await)
}

/// Draws coupon `name` now, then shows its page.
#[server(prefix = "/rpc", endpoint = "draw_now")]
pub async fn draw_now(name: String) -> Result<DrawProof, SaleActionError> {
    let drawn = async {
        crate::server_fns::sale_fns::ssr::checked_name(&name)?;
        let draws = crate::server_fns::draw_backend::admitted()?;
        draws
            .draw_now(&crate::server_fns::backend::actor(), &name)
            .await
            .map_err(crate::server_fns::sale_fns::ssr::refused)
    };
    let proof = answer(drawn.await)?;
    leptos_axum::redirect(&crate::contract::url::coupon_href(&name));
    Ok(proof)
}
