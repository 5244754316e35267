//! Who is calling, as the guard (`auth::caller::judge`) found it: a request extension that the
//! admin rule and the claim's own rules read.

use std::sync::Arc;

use super::{api_keys::KeyEntry, shopper_token::Shopper};

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
    /// True for the admin and for a key that may read admin data (`read` or `admin` scope).
    pub fn reads_admin_data(&self) -> bool {
        match self {
            Self::Admin(_) => true,
            Self::Key(key) => app::api_keys::Scope::Read.granted_by(&key.scopes),
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
