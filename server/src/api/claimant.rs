//! Who claims: the claim's own rules (`CLAIM_AUTH`) applied to the caller the guard judged, and
//! the rate limits keyed on what that caller proved. The engine still takes only
//! `(user_id, coupon_name)`; this decides which user id that is.

use app::{contract::api_keys::Scope, contract::api_types::ClaimRequest};
use axum::{extract::FromRequestParts, http::request::Parts};

use super::ApiError;
use crate::{
    config::ClaimAuthMode,
    credentials::{caller::Caller, shopper_token::Shopper},
    state::AppState,
};

/// The proven claimant of a claim request (an extractor, run before the body is read).
pub enum Claimant {
    /// No credential, with `open` taken: the body's `user_id`, on trust.
    Open,
    /// The shop's backend (an API key with the `claim` scope, or the admin) vouches for the
    /// body's `user_id`.
    Backend,
    /// A shopper token's subject.
    Shopper(Shopper),
}

impl FromRequestParts<AppState> for Claimant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let auth = &state.claim_auth;
        let backend_taken = auth.takes(ClaimAuthMode::Key) || auth.takes(ClaimAuthMode::Open);
        let caller = parts.extensions.get::<Caller>().cloned();
        match caller.unwrap_or(Caller::Anonymous) {
            Caller::Anonymous if auth.takes(ClaimAuthMode::Open) => {
                let ip = state.limits.client_ip(&parts.headers, &parts.extensions);
                state.limits.claim_by_ip(ip)?;
                Ok(Self::Open)
            }
            Caller::Anonymous => Err(ApiError::ClaimUnauthorized(auth.required())),
            Caller::Key(key) if !Scope::Claim.granted_by(&key.scopes) => {
                Err(ApiError::InsufficientScope(Scope::Claim))
            }
            Caller::Key(key) if backend_taken => {
                state.limits.claim_by_key(key.id)?;
                Ok(Self::Backend)
            }
            Caller::Admin(_) if backend_taken => Ok(Self::Backend),
            Caller::Key(_) | Caller::Admin(_) => {
                Err(ApiError::ClaimUnauthorized("a shopper token"))
            }
            Caller::Shopper(shopper) => Ok(Self::Shopper(shopper)),
        }
    }
}

impl Claimant {
    /// The user who claims with `body`: the token's subject (the body may repeat it, and the
    /// token may be good for one coupon only), else the body's `user_id`.
    pub fn user_for(&self, body: &ClaimRequest) -> Result<String, ApiError> {
        match self {
            Self::Shopper(shopper) => {
                if body.user_id.as_ref().is_some_and(|u| *u != shopper.user_id) {
                    return Err(ApiError::TokenMismatch("user_id"));
                }
                if shopper
                    .coupon
                    .as_ref()
                    .is_some_and(|c| *c != body.coupon_name)
                {
                    return Err(ApiError::TokenMismatch("coupon"));
                }
                Ok(shopper.user_id.clone())
            }
            Self::Open | Self::Backend => body
                .user_id
                .clone()
                .ok_or_else(|| ApiError::InvalidRequest("missing field `user_id`".to_owned())),
        }
    }
}
