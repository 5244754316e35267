//! The live stock dashboard: event payloads shared with the server, the `LivePanel` component
//! and the `/live` page.

mod types;

pub use types::*;
