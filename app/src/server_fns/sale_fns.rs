//! Server functions of running a sale from the admin UI: pause, restock, window, release, and
//! the audit page's reads. Each goes through the same service as the JSON API (and its audit
//! log), and each is a plain form post that works without JavaScript.

use leptos::prelude::*;
use leptos::server_fn::{codec::JsonEncoding, error::FromServerFnError, error::ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::contract::errors::answer;
use crate::contract::errors::{HttpStatus, LoadError, decoded_or};
use crate::{
    contract::api_types::CouponSummary, contract::audit::AuditPage, contract::sale::Release,
};

/// Why a sale action was refused: a sentence to show, and a kind that picks the HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum SaleActionError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// The database is busy.
    #[error("{0}")]
    Busy(String),
    #[error("{0}")]
    Failed(String),
}

impl HttpStatus for SaleActionError {
    fn status(&self) -> u16 {
        match self {
            Self::Invalid(_) => 400,
            Self::NotFound(_) => 404,
            Self::Conflict(_) => 409,
            Self::Busy(_) => 503,
            Self::Failed(_) => 500,
        }
    }
}

impl From<LoadError> for SaleActionError {
    fn from(error: LoadError) -> Self {
        match error {
            LoadError::BadRequest(s) => Self::Invalid(s),
            LoadError::Busy(s) => Self::Busy(s),
            LoadError::Failed(s) => Self::Failed(s),
        }
    }
}

impl FromServerFnError for SaleActionError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        decoded_or(
            value,
            |_| Self::Invalid("The form was incomplete.".to_owned()),
            || Self::Failed("This could not be saved. Try again in a moment.".to_owned()),
        )
    }
}

/// Pauses (`paused = true`) or resumes the sale of `name`.
#[server(prefix = "/rpc", endpoint = "set_paused")]
pub async fn set_paused(name: String, paused: bool) -> Result<CouponSummary, SaleActionError> {
    let patch = crate::contract::sale::CouponPatch {
        paused: Some(paused),
        ..Default::default()
    };
    answer(ssr::patch(&name, patch).await)
}

/// Sets the stock of `name` in all: up to restock, down to the units already claimed.
#[server(prefix = "/rpc", endpoint = "set_amount")]
pub async fn set_amount(name: String, amount: String) -> Result<CouponSummary, SaleActionError> {
    let amount =
        answer(crate::contract::sale::parse_amount(&amount).map_err(SaleActionError::Invalid))?;
    let patch = crate::contract::sale::CouponPatch {
        amount: Some(amount),
        ..Default::default()
    };
    answer(ssr::patch(&name, patch).await)
}

/// Sets the claim window of `name` (UTC date and time; an empty field clears that bound).
#[server(prefix = "/rpc", endpoint = "set_window")]
pub async fn set_window(
    name: String,
    starts_at: String,
    ends_at: String,
) -> Result<CouponSummary, SaleActionError> {
    use crate::contract::sale::{check_window, parse_instant};
    let window = async {
        let starts = parse_instant(&starts_at)
            .map_err(|e| SaleActionError::Invalid(format!("Start {e}.")))?;
        let ends =
            parse_instant(&ends_at).map_err(|e| SaleActionError::Invalid(format!("End {e}.")))?;
        check_window(starts, ends)
            .map_err(|_| SaleActionError::Invalid("The end must be after the start.".to_owned()))?;
        let patch = crate::contract::sale::CouponPatch {
            starts_at: Some(starts),
            ends_at: Some(ends),
            ..Default::default()
        };
        ssr::patch(&name, patch).await
    };
    answer(window.await)
}

/// Releases `user_id`'s claim of `name`, then shows the coupon page saying so.
#[server(prefix = "/rpc", endpoint = "release_claim")]
pub async fn release_claim(name: String, user_id: String) -> Result<Release, SaleActionError> {
    let released = async {
        ssr::checked_name(&name)?;
        ssr::checked_name(&user_id)?;
        let backend = crate::server_fns::backend::admitted()?;
        backend
            .release_claim(&crate::server_fns::backend::actor(), &name, &user_id)
            .await
            .map_err(ssr::refused)
    };
    let release = answer(released.await)?;
    leptos_axum::redirect(&format!(
        "{}?released={}",
        crate::contract::url::coupon_href(&name),
        crate::contract::url::encode(&user_id)
    ));
    Ok(release)
}

/// A page of the audit log before cursor `before` (from the newest when `None`), newest first.
#[server(prefix = "/rpc", endpoint = "audit_page")]
pub async fn load_audit(before: Option<i64>) -> Result<AuditPage, LoadError> {
    let page = async {
        if before.is_some_and(|b| b < 1) {
            let why = "before must be a cursor returned as next";
            return Err(LoadError::BadRequest(why.to_owned()));
        }
        let backend = crate::server_fns::backend::admitted()?;
        Ok(backend
            .recent_audit(before, crate::contract::audit::DEFAULT_AUDIT_LIMIT)
            .await?)
    };
    answer(page.await)
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use super::SaleActionError;
    use crate::{
        contract::api_types::CouponSummary, contract::errors::LoadError,
        contract::sale::CouponPatch, server_fns::backend::Refused,
    };

    /// A name or user id the database can hold (no control characters).
    pub fn checked_name(text: &str) -> Result<(), SaleActionError> {
        crate::server_fns::backend::lookup(text)
            .map_err(|_| SaleActionError::Invalid("Names have no control characters.".to_owned()))
    }

    pub fn refused(refused: Refused) -> SaleActionError {
        match refused {
            Refused::NotFound(s) => SaleActionError::NotFound(capitalised(s)),
            Refused::Rule(s) => SaleActionError::Conflict(capitalised(s)),
            Refused::Failed(failure) => LoadError::from(failure).into(),
        }
    }

    /// The service's sentences start in lower case (they also end JSON error messages).
    fn capitalised(s: String) -> String {
        let mut chars = s.chars();
        chars.next().map_or_else(String::new, |first| {
            format!("{}{}.", first.to_uppercase(), chars.as_str())
        })
    }

    pub async fn patch(name: &str, patch: CouponPatch) -> Result<CouponSummary, SaleActionError> {
        checked_name(name)?;
        crate::server_fns::backend::admitted()?
            .patch_coupon(&crate::server_fns::backend::actor(), name, patch)
            .await
            .map_err(refused)
    }
}
