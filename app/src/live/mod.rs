//! The live stock dashboard: the [`LivePanel`] component and the `/live` page. Their events'
//! payloads are the contract's ([`crate::contract::live_types`]).

#[cfg(feature = "hydrate")]
mod client;
mod connection;
pub mod fns;
#[cfg(feature = "hydrate")]
mod follow;
mod page;
mod panel;

pub use connection::{CLAIMERS_SHOWN, Connection, RATE_WINDOW};
pub use page::LivePage;
pub use panel::{LiveCouponView, LivePanel};
