//! Why a request was refused by the guard, as the API's error JSON.

use app::{contract::api_keys::Scope, contract::api_types::ErrorBody};
use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::credentials::shopper_token::TokenRefusal;

/// Refusals of the guard on JSON routes (pages are redirected to sign-in instead).
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("sign in or send Authorization: Bearer <ADMIN_TOKEN or an API key>")]
    Unauthorized,
    #[error("cross-site requests may not change anything here")]
    CrossSite,
    #[error("ambiguous path: {0}")]
    AmbiguousPath(&'static str),
    #[error("this API key is unknown or revoked")]
    InvalidKey,
    #[error("invalid shopper token: {0}")]
    InvalidToken(TokenRefusal),
    #[error("this API key lacks the {} scope", .0.as_str())]
    InsufficientScope(Scope),
    #[error("send API keys and tokens in the Authorization header, never in the URL")]
    CredentialInUrl,
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let (status, code) = match self {
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::CrossSite => (StatusCode::FORBIDDEN, "cross_site_request"),
            Self::AmbiguousPath(_) | Self::CredentialInUrl => {
                (StatusCode::BAD_REQUEST, "invalid_request")
            }
            Self::InvalidKey => (StatusCode::UNAUTHORIZED, "invalid_key"),
            Self::InvalidToken(_) => (StatusCode::UNAUTHORIZED, "invalid_token"),
            Self::InsufficientScope(_) => (StatusCode::FORBIDDEN, "insufficient_scope"),
        };
        let body = ErrorBody {
            error: self.to_string(),
            code: code.to_owned(),
            reason: match &self {
                Self::InvalidToken(why) => Some(why.reason().to_owned()),
                _ => None,
            },
            scope: match &self {
                Self::InsufficientScope(scope) => Some(scope.as_str().to_owned()),
                _ => None,
            },
            ..ErrorBody::default()
        };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"coupons\""),
            );
        }
        response
    }
}
