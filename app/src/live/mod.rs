//! The live stock dashboard: event payloads shared with the server, the [`LivePanel`] component
//! and the `/live` page.

#[cfg(feature = "hydrate")]
mod client;
pub mod fns;
#[cfg(feature = "hydrate")]
mod follow;
mod page;
mod panel;

pub use crate::live_types::*;
pub use page::LivePage;
pub use panel::{CLAIMERS_SHOWN, Connection, LiveCouponView, LivePanel, RATE_WINDOW};
