//! API keys' types (`/api/keys`, the API keys page), shared by the server and the browser.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use validator::{Validate, ValidationError};

use crate::contract::validation::{MAX_TEXT_CHARS, check_text};

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Scope {
    /// Claim for a shopper (the body's `user_id`), and read a coupon.
    Claim,
    /// The admin's reads: coupons, claims lists and CSV, the audit log, metrics, live streams.
    Read,
    /// Everything the admin token can do (which includes `claim` and `read`).
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Claim, Scope::Read, Scope::Admin];

    /// The name in JSON and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Claim => "claim",
            Self::Read => "read",
            Self::Admin => "admin",
        }
    }

    /// The scope named `name`, if any.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// True when a key with `scopes` may do what needs `self`: `admin` may do anything.
    pub fn granted_by(self, scopes: &[Scope]) -> bool {
        scopes.contains(&self) || scopes.contains(&Scope::Admin)
    }
}

/// `POST /api/keys` body.
#[derive(Debug, Clone, Deserialize, Serialize, Validate)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewApiKey {
    /// What the key is for, e.g. "shop backend".
    #[validate(
        length(min = 1, max = MAX_TEXT_CHARS, message = "must be 1 to 255 characters"),
        custom(function = "check_text")
    )]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 255))]
    pub name: String,
    /// One to three of `claim`, `read`, `admin`, each at most once.
    #[validate(custom(function = "check_scopes"))]
    #[cfg_attr(feature = "ssr", schema(min_items = 1, max_items = 3))]
    pub scopes: Vec<Scope>,
}

fn check_scopes(scopes: &[Scope]) -> Result<(), ValidationError> {
    let mut sorted = scopes.to_vec();
    sorted.sort();
    sorted.dedup();
    if scopes.is_empty() || sorted.len() != scopes.len() {
        return Err(ValidationError::new("scopes")
            .with_message("must name one to three scopes, each once".into()));
    }
    Ok(())
}

/// A key as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiKey {
    pub id: i64,
    pub name: String,
    pub scopes: Vec<Scope>,
    /// The key's first characters, to tell keys apart (not enough to use it).
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    /// Recorded every few seconds, not per request.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Set once the key is revoked: it works nowhere from then on.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// `POST /api/keys` answer: the key and, this once, its secret.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub info: ApiKey,
    /// `ck_` and 43 base64url characters (256 random bits). Shown only now: only its hash is
    /// kept. Send it as `Authorization: Bearer <key>`.
    pub key: String,
}
