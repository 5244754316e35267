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

/// Applies the shared validation rules; a broken rule is a 400 naming the field.
pub fn validated<T: Validate>(value: T) -> Result<T, ApiError> {
    value
        .validate()
        .map_err(|e| ApiError::InvalidRequest(app::validation::describe(&e)))?;
    Ok(value)
}
