//! Admin authentication: who may use the admin pages and the admin JSON calls.
//!
//! [`crate::http::policy`] is the one place that decides which routes are public; everything else is an admin
//! route. [`require_admin`] enforces it on every request, before any handler: it wraps every route
//! and the fallback ([`crate::http`]), so no path escapes it.

pub mod caller;
mod canonical;
mod error;
mod handlers;
mod middleware;

pub use crate::credentials::{AdminAuth, MIN_SESSION_SECRET_BYTES};
pub use error::AuthError;
pub use handlers::router;
pub use middleware::require_admin;
