//! Why a request was refused by the admin guard, as the API's error JSON.

use app::api_types::ErrorBody;
use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

/// Refusals of the admin guard on JSON routes (pages are redirected to sign-in instead).
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("sign in or send Authorization: Bearer <ADMIN_TOKEN>")]
    Unauthorized,
    #[error("cross-site requests may not change anything here")]
    CrossSite,
    #[error("ambiguous path: {0}")]
    AmbiguousPath(&'static str),
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let (status, code) = match self {
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::CrossSite => (StatusCode::FORBIDDEN, "cross_site_request"),
            Self::AmbiguousPath(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
        };
        let body = ErrorBody {
            error: self.to_string(),
            code: code.to_owned(),
            starts_at: None,
        };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"coupons admin\""),
            );
        }
        response
    }
}
