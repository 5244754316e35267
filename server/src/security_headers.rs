//! Headers every response carries, whatever produced it (a page, the JSON API, a refusal, a
//! static file): no MIME sniffing, no framing, no referrer to other sites, and a CSP that allows
//! nothing for responses that are not pages. Pages set their own CSP with the render's script
//! nonce (`app::shell`); a header a handler set is never overwritten.

use axum::{
    extract::Request,
    http::{HeaderValue, header},
    middleware::Next,
    response::Response,
};

/// The CSP of responses that did not set their own (everything but pages).
const NOT_A_PAGE_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// Middleware: adds the security headers a response lacks.
pub async fn add(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::CONTENT_SECURITY_POLICY, NOT_A_PAGE_CSP),
    ] {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    response
}
