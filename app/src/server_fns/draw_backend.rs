//! What the draw panel of a coupon's page needs from the server, as a trait the server
//! implements (like [`crate::server_fns::backend::AdminBackend`], provided through Leptos
//! context).

use std::sync::Arc;

use crate::contract::draw::{DrawPanel, DrawProof};
use crate::contract::errors::LoadError;
use crate::server_fns::backend::{Failure, Refused};

/// A draw coupon's figures, and the admin's "Draw now".
#[async_trait::async_trait]
pub trait DrawBackend: Send + Sync + 'static {
    /// The draw panel of coupon `name`; `None` when it is no draw coupon.
    async fn draw_panel(&self, name: &str) -> Result<Option<DrawPanel>, Failure>;

    /// Draws `name` now as `actor` (audited), as `POST /api/coupons/{name}/draw` does; a
    /// refusal (window open, beacon missing) is a `Rule`.
    async fn draw_now(&self, actor: &str, name: &str) -> Result<DrawProof, Refused>;
}

/// The form in which the draw backend travels through Leptos context.
pub type SharedDraws = Arc<dyn DrawBackend>;

/// The draw backend for a server function of an admitted caller (see
/// [`crate::server_fns::backend::admitted`]).
pub fn admitted() -> Result<SharedDraws, LoadError> {
    crate::server_fns::backend::admitted()?;
    leptos::prelude::use_context::<SharedDraws>()
        .ok_or_else(|| LoadError::Failed("The server is misconfigured.".to_owned()))
}
