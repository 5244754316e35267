//! The API's one error type and its mapping to status codes and the error JSON.

use app::contract::api_types::ErrorBody;
use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use chrono::{DateTime, Utc};

/// Every way an API call can fail. Internal errors are logged here, once, and answered opaquely.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the request body is too large")]
    PayloadTooLarge,
    #[error("a coupon with this name already exists")]
    CouponExists,
    #[error("no coupon has this name")]
    CouponNotFound,
    #[error("this user has already claimed this coupon")]
    AlreadyClaimed,
    #[error("this coupon is sold out")]
    SoldOut,
    #[error("this user has entered this draw already")]
    AlreadyEntered,
    #[error("the entries of this draw have closed")]
    EntriesClosed,
    #[error("this coupon is first_come: it has no draw")]
    NotADraw,
    #[error("this coupon has not been drawn yet")]
    NotDrawn,
    #[error("the entry window has not closed: the draw comes after it")]
    EntriesOpen,
    #[error("this draw requires a beacon, and none was given")]
    BeaconMissing,
    #[error("this coupon has been drawn already")]
    AlreadyDrawn,
    #[error("another beacon was given for this draw already")]
    BeaconGiven,
    #[error("this user has no entry in this draw")]
    EntryNotFound,
    #[error("the sale is paused")]
    Paused,
    #[error("the sale has not started yet")]
    NotStarted { starts_at: DateTime<Utc> },
    #[error("the sale has ended")]
    Ended,
    #[error("the amount is below the {claimed} units already claimed")]
    BelowClaimed { claimed: i64 },
    #[error("this user holds no claim of this coupon")]
    ClaimNotFound,
    #[error("this claim was redeemed already (see redeemed_at)")]
    AlreadyRedeemed { redeemed_at: DateTime<Utc> },
    #[error("a redeemed claim cannot be released")]
    Redeemed { redeemed_at: DateTime<Utc> },
    #[error("this Idempotency-Key was used with a different request body")]
    IdempotencyKeyReused,
    #[error("a request with this Idempotency-Key is still being processed; retry in a moment")]
    IdempotencyKeyInUse,
    #[error("no such API route")]
    RouteNotFound,
    #[error("this method is not allowed on this route")]
    MethodNotAllowed,
    #[error("the server is busy; try again in a moment")]
    Unavailable,
    #[error(
        "the database failed while this claim was being recorded, so whether it was recorded is \
         unknown; retry it: the answer will tell (your claim, or already_claimed)"
    )]
    ClaimOutcomeUnknown,
    #[error(
        "the change was committed on the primary, but no synchronous standby confirmed it: a \
         failover may undo it; read it back (or send it again) before relying on it"
    )]
    OutcomeUnknown,
    #[error("too many requests from this client or for this user; retry after the given seconds")]
    RateLimited { retry_after_secs: u64 },
    #[error("too many live streams are open on this server; retry in a moment")]
    TooManySubscribers,
    #[error(
        "the request took too long and was abandoned; if it was a claim, whether it was \
         recorded is unknown: retry it, the answer will tell"
    )]
    Timeout,
    #[error("claims here need {0}")]
    ClaimUnauthorized(&'static str),
    #[error("this API key lacks the {} scope", .0.as_str())]
    InsufficientScope(app::contract::api_keys::Scope),
    #[error("the shopper token is for another {0}")]
    TokenMismatch(&'static str),
    #[error("no API key has this id")]
    KeyNotFound,
    #[error("no webhook endpoint has this id")]
    WebhookNotFound,
    #[error("this webhook endpoint has no delivery with this id")]
    DeliveryNotFound,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::InvalidRequest(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
            Self::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            Self::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Self::CouponExists => (StatusCode::CONFLICT, "coupon_exists"),
            Self::CouponNotFound => (StatusCode::NOT_FOUND, "coupon_not_found"),
            Self::AlreadyClaimed => (StatusCode::CONFLICT, "already_claimed"),
            Self::SoldOut => (StatusCode::CONFLICT, "sold_out"),
            Self::AlreadyEntered => (StatusCode::CONFLICT, "already_entered"),
            Self::EntriesClosed => (StatusCode::CONFLICT, "entries_closed"),
            Self::NotADraw => (StatusCode::CONFLICT, "not_a_draw"),
            Self::NotDrawn => (StatusCode::CONFLICT, "not_drawn"),
            Self::EntriesOpen => (StatusCode::CONFLICT, "entries_open"),
            Self::BeaconMissing => (StatusCode::CONFLICT, "beacon_missing"),
            Self::AlreadyDrawn => (StatusCode::CONFLICT, "already_drawn"),
            Self::BeaconGiven => (StatusCode::CONFLICT, "beacon_given"),
            Self::EntryNotFound => (StatusCode::NOT_FOUND, "entry_not_found"),
            Self::Paused => (StatusCode::CONFLICT, "paused"),
            Self::NotStarted { .. } => (StatusCode::CONFLICT, "not_started"),
            Self::Ended => (StatusCode::CONFLICT, "ended"),
            Self::BelowClaimed { .. } => (StatusCode::CONFLICT, "below_claimed"),
            Self::ClaimNotFound => (StatusCode::NOT_FOUND, "claim_not_found"),
            Self::AlreadyRedeemed { .. } => (StatusCode::CONFLICT, "already_redeemed"),
            Self::Redeemed { .. } => (StatusCode::CONFLICT, "redeemed"),
            Self::IdempotencyKeyReused => {
                (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused")
            }
            Self::IdempotencyKeyInUse => (StatusCode::CONFLICT, "idempotency_key_in_use"),
            Self::RouteNotFound => (StatusCode::NOT_FOUND, "not_found"),
            Self::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Self::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Self::ClaimOutcomeUnknown => (StatusCode::SERVICE_UNAVAILABLE, "claim_outcome_unknown"),
            Self::OutcomeUnknown => (StatusCode::SERVICE_UNAVAILABLE, "outcome_unknown"),
            Self::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Self::TooManySubscribers => (StatusCode::SERVICE_UNAVAILABLE, "too_many_subscribers"),
            Self::Timeout => (StatusCode::SERVICE_UNAVAILABLE, "timeout"),
            Self::ClaimUnauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::InsufficientScope(_) => (StatusCode::FORBIDDEN, "insufficient_scope"),
            Self::TokenMismatch(_) => (StatusCode::FORBIDDEN, "token_mismatch"),
            Self::KeyNotFound => (StatusCode::NOT_FOUND, "key_not_found"),
            Self::WebhookNotFound => (StatusCode::NOT_FOUND, "webhook_not_found"),
            Self::DeliveryNotFound => (StatusCode::NOT_FOUND, "delivery_not_found"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
        }
    }
}

/// A rate limit's refusal is a `429` with `Retry-After`.
impl From<crate::http::rate_limit::Refused> for ApiError {
    fn from(refused: crate::http::rate_limit::Refused) -> Self {
        Self::RateLimited {
            retry_after_secs: refused.retry_after_secs(),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        if crate::db::is_transient(&error) {
            tracing::warn!(%error, "database busy: answered 503");
            Self::Unavailable
        } else {
            Self::Internal(error.into())
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let Self::Internal(e) = &self {
            tracing::error!(error = %format_args!("{e:#}"), "request failed");
        }
        let body = ErrorBody {
            error: self.to_string(),
            code: code.to_owned(),
            starts_at: match &self {
                Self::NotStarted { starts_at } => Some(*starts_at),
                _ => None,
            },
            redeemed_at: match &self {
                Self::AlreadyRedeemed { redeemed_at } | Self::Redeemed { redeemed_at } => {
                    Some(*redeemed_at)
                }
                _ => None,
            },
            scope: match &self {
                Self::InsufficientScope(scope) => Some(scope.as_str().to_owned()),
                _ => None,
            },
            ..ErrorBody::default()
        };
        let retry_after = match &self {
            Self::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            // Outages here are short (a pool wait, a database restart), and so is a request
            // holding an idempotency key: ask for a prompt retry.
            Self::IdempotencyKeyInUse => Some(1),
            _ if status == StatusCode::SERVICE_UNAVAILABLE => Some(1),
            _ => None,
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
