//! Status codes for the UI's server functions.
//!
//! Leptos answers every server function error with `500`, but bad input must never be a 5xx
//! here: this layer gives refusals of input their 4xx. It only looks at error responses of
//! `/rpc/...` (small bodies marked by the `serverfnerror` header); anything else passes as is.

use axum::{
    body::{Body, to_bytes},
    extract::Request,
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
};

/// Largest server function error body this layer reads.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Encoded error prefixes and the status each deserves. The first two are Leptos's own
/// (`ServerFnError` encoding), the rest the JSON of `app::admin_fns::CreateCouponError` and of
/// `app::sale_fns::SaleActionError`.
const BAD_INPUT: &[(&[u8], StatusCode)] = &[
    (b"Args|", StatusCode::BAD_REQUEST),
    (b"Deserialization|", StatusCode::BAD_REQUEST),
    (b"\"BadRequest\"", StatusCode::BAD_REQUEST),
    (b"{\"Invalid\"", StatusCode::BAD_REQUEST),
    (b"\"NameTaken\"", StatusCode::CONFLICT),
    (b"{\"NotFound\"", StatusCode::NOT_FOUND),
    (b"{\"Conflict\"", StatusCode::CONFLICT),
];

/// Rewrites the `500` of a server function that refused its input into the right 4xx.
pub async fn input_errors_are_4xx(request: Request, next: Next) -> Response {
    let is_rpc = request.uri().path().starts_with("/rpc/");
    let response = next.run(request).await;
    if !is_rpc
        || response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key("serverfnerror")
    {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ERROR_BODY).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let status = BAD_INPUT
        .iter()
        .find(|(prefix, _)| bytes.starts_with(prefix))
        .map(|(_, status)| *status);
    let mut response = Response::from_parts(parts, Body::from(bytes));
    if let Some(status) = status {
        *response.status_mut() = status;
    }
    response
}
