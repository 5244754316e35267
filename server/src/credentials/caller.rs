//! Who is calling, as the guard (`auth::caller::judge`) found it: a request extension that the
//! admin rule and the claim's own rules read.

use std::sync::Arc;

use axum::http::Method;

use super::{api_keys::KeyEntry, shopper_token::Shopper};
use crate::http::policy;

/// The caller of a request, as the guard judged it (a request extension).
#[derive(Debug, Clone)]
pub enum Caller {
    /// No credential; or, with the admin open, a bearer that is neither a key nor a token.
    Anonymous,
    /// The admin, by ADMIN_TOKEN or a session: the audit log's name for them.
    Admin(String),
    /// A working API key.
    Key(Arc<KeyEntry>),
    /// A valid shopper token's subject (claim route only).
    Shopper(Shopper),
}

impl Caller {
    /// True for the admin, and for a key that the admin rule would let through for `method path`
    /// ([`policy::scopes_accepted`]): what a public route shows only to those with admin rights
    /// follows the same rule as the admin routes (for a `GET`, the `read` or `admin` scope).
    pub fn reads_admin_data(&self, method: &Method, path: &str) -> bool {
        match self {
            Self::Admin(_) => true,
            Self::Key(key) => policy::scopes_accepted(method, path)
                .iter()
                .any(|scope| scope.granted_by(&key.scopes)),
            Self::Anonymous | Self::Shopper(_) => false,
        }
    }

    /// The audit log's name for this caller, when it is an admin or a key.
    pub fn actor(&self) -> Option<String> {
        match self {
            Self::Admin(actor) => Some(actor.clone()),
            Self::Key(key) => Some(format!("key:{}", key.id)),
            Self::Anonymous | Self::Shopper(_) => None,
        }
    }
}
