//! Extractors whose rejections are the API's error JSON instead of axum's plain text.

use axum::extract::{FromRequest, FromRequestParts};
use axum::{
    extract::rejection::{JsonRejection, PathRejection, QueryRejection},
    http::StatusCode,
};
use validator::Validate;

use super::ApiError;

/// `axum::Json`, rejecting with the error JSON: 400, 413 or 415.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// `axum::extract::Path` (percent-decoded), rejecting with a 400.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// The `Idempotency-Key` of a request, if any (`400` when malformed: see
/// [`super::idempotency::key_of`]), read without copying the other headers.
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, ApiError> {
        super::idempotency::key_of(&parts.headers).map(Self)
    }
}

/// `axum::extract::Query`, rejecting with a 400 that names the bad parameter.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::InvalidRequest(rejection.body_text())
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType(
                "send the body as JSON with Content-Type: application/json".into(),
            ),
            _ => ApiError::InvalidRequest(rejection.body_text()),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::InvalidRequest(rejection.body_text())
    }
}

/// Who acts on an admin route (see `app::contract::admin_types::Actor`), for the audit log.
pub struct ActorName(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ActorName {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        // The admin guard sets it on every admitted request; "unknown" would mean a route that
        // is public by mistake, which the audit log then shows.
        let actor = parts.extensions.get::<app::contract::admin_types::Actor>();
        Ok(Self(
            actor.map_or_else(|| "unknown".to_owned(), |a| a.0.clone()),
        ))
    }
}

/// Applies the shared validation rules; a broken rule is a 400 naming the field.
pub fn validated<T: Validate>(value: T) -> Result<T, ApiError> {
    value
        .validate()
        .map_err(|e| ApiError::InvalidRequest(app::contract::validation::describe(&e)))?;
    Ok(value)
}
