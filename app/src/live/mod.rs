//! The live stock dashboard: event payloads shared with the server, the [`LivePanel`] component
//! and the `/live` page.

#[cfg(feature = "hydrate")]
mod client;
pub mod fns;
#[cfg(feature = "hydrate")]
mod follow;
mod page;
mod panel;
mod types;

pub use page::LivePage;
pub use panel::{CLAIMERS_SHOWN, Connection, LiveCouponView, LivePanel, RATE_WINDOW};
pub use types::*;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Characters escaped in a path segment or query value: all but RFC 3986 "unreserved" ones.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A coupon name made safe for a URL path segment or query value.
pub fn encode(name: &str) -> String {
    utf8_percent_encode(name, UNRESERVED).to_string()
}
