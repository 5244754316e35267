//! Headers every response carries, whatever produced it (a page, the JSON API, a refusal, a
//! static file): no MIME sniffing, no framing, no referrer to other sites, and a CSP that allows
//! nothing for responses that are not pages. Pages set their own CSP with the render's script
//! nonce (`app::shell`); a header a handler set is never overwritten.

use axum::http::{HeaderName, HeaderValue, header};
use tower::{
    ServiceBuilder,
    layer::util::{Identity, Stack},
};
use tower_http::set_header::SetResponseHeaderLayer;

/// The CSP of responses that did not set their own (everything but pages).
const NOT_A_PAGE_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

type UnlessSet<L> = Stack<SetResponseHeaderLayer<HeaderValue>, L>;

/// The security header layers, each adding its header to a response that lacks it. Plain tower
/// layers, not a `from_fn` middleware: no boxed future and no service clone per request.
pub type Layers = ServiceBuilder<UnlessSet<UnlessSet<UnlessSet<UnlessSet<Identity>>>>>;

/// See [`Layers`]; [`crate::http`] puts them in front of every route.
pub fn layers() -> Layers {
    let unless_set = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    ServiceBuilder::new()
        .layer(unless_set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(unless_set(header::X_FRAME_OPTIONS, "DENY"))
        .layer(unless_set(header::REFERRER_POLICY, "same-origin"))
        .layer(unless_set(header::CONTENT_SECURITY_POLICY, NOT_A_PAGE_CSP))
}
