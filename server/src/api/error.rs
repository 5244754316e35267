//! The API's one error type and its mapping to status codes and the error JSON.

use app::api_types::ErrorBody;
use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::claims::ClaimError;

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
    #[error("too many requests from this client or for this user; retry after the given seconds")]
    RateLimited { retry_after_secs: u64 },
    #[error("too many live streams are open on this server; retry in a moment")]
    TooManySubscribers,
    #[error(
        "the request took too long and was abandoned; if it was a claim, whether it was \
         recorded is unknown: retry it, the answer will tell"
    )]
    Timeout,
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
            Self::RouteNotFound => (StatusCode::NOT_FOUND, "not_found"),
            Self::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Self::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Self::ClaimOutcomeUnknown => (StatusCode::SERVICE_UNAVAILABLE, "claim_outcome_unknown"),
            Self::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Self::TooManySubscribers => (StatusCode::SERVICE_UNAVAILABLE, "too_many_subscribers"),
            Self::Timeout => (StatusCode::SERVICE_UNAVAILABLE, "timeout"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        if crate::db::is_overloaded(&error) {
            tracing::warn!("no database connection within the acquire timeout: answered 503");
            Self::Unavailable
        } else if crate::db::is_transient(&error) {
            tracing::warn!(%error, "database refused for a passing reason: answered 503");
            Self::Unavailable
        } else {
            Self::Internal(error.into())
        }
    }
}

impl From<ClaimError> for ApiError {
    fn from(error: ClaimError) -> Self {
        match error {
            ClaimError::NotFound => Self::CouponNotFound,
            ClaimError::AlreadyClaimed => Self::AlreadyClaimed,
            ClaimError::SoldOut => Self::SoldOut,
            ClaimError::Unavailable => Self::Unavailable,
            ClaimError::OutcomeUnknown => Self::ClaimOutcomeUnknown,
            ClaimError::Database(e) => e.into(),
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
        };
        let retry_after = match &self {
            Self::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            // Outages here are short (a pool wait, a database restart): ask for a prompt retry.
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
