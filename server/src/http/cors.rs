//! Browser calls from the shop's own pages (`CORS_ALLOWED_ORIGINS`): tower-http's CORS layer,
//! applied to the calls that [`crate::http::policy`] opens to other origins (the claim, the public
//! coupon read and the stock read and stream) and to nothing else, so an admin route never
//! answers a preflight.
//! It sits outside the admin guard, so the guard's own refusals (a `401 invalid_token`, a `429`)
//! reach the shop's page readable, not as an opaque network error.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{HeaderName, HeaderValue, Method, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use tower::{Layer, ServiceExt};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::http::policy;

/// The origins allowed to call from a browser, and the layer that answers them. Cheap to clone.
#[derive(Clone, Default)]
pub struct Cors(Option<Arc<Allowed>>);

struct Allowed {
    origins: Vec<HeaderValue>,
    layer: CorsLayer,
}

impl Cors {
    /// The setting's origins, each `scheme://host[:port]`; fails naming a bad one.
    pub fn new(origins: &[String]) -> anyhow::Result<Self> {
        let origins = origins
            .iter()
            .map(|o| o.trim().trim_end_matches('/'))
            .filter(|o| !o.is_empty())
            .map(parse_origin)
            .collect::<anyhow::Result<Vec<_>>>()?;
        if origins.is_empty() {
            return Ok(Self(None));
        }
        let layer = CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins.clone()))
            .allow_methods([Method::GET, Method::HEAD, Method::POST])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                HeaderName::from_static("idempotency-key"),
                header::IF_NONE_MATCH,
            ])
            .expose_headers([
                header::RETRY_AFTER,
                header::ETAG,
                HeaderName::from_static("idempotent-replayed"),
            ])
            .max_age(std::time::Duration::from_secs(600));
        Ok(Self(Some(Arc::new(Allowed { origins, layer }))))
    }

    /// True when `origin` may call `method path` from a browser.
    pub fn admits(&self, origin: Option<&HeaderValue>, method: &Method, path: &str) -> bool {
        match (&self.0, origin) {
            (Some(allowed), Some(origin)) => {
                policy::is_cross_origin_call(method, path) && allowed.origins.contains(origin)
            }
            _ => false,
        }
    }
}

fn parse_origin(origin: &str) -> anyhow::Result<HeaderValue> {
    let ok = origin.split_once("://").is_some_and(|(scheme, host)| {
        matches!(scheme, "http" | "https") && !host.is_empty() && !host.contains('/')
    });
    anyhow::ensure!(
        ok,
        "CORS_ALLOWED_ORIGINS: {origin:?} is not an origin like https://shop.example"
    );
    Ok(HeaderValue::from_str(origin)?)
}

/// The call a request makes: its method, or for a preflight the method it asks about.
fn intended_method(request: &Request) -> Option<Method> {
    if request.method() != Method::OPTIONS {
        return Some(request.method().clone());
    }
    let asked = request
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)?;
    Method::from_bytes(asked.as_bytes()).ok()
}

/// The middleware: the CORS layer around the rest, on cross-origin calls only (a preflight
/// about any other call is left to the routes, which answer it `405` without CORS headers).
pub async fn apply(State(cors): State<Cors>, request: Request, next: Next) -> Response {
    let cross_origin = intended_method(&request)
        .is_some_and(|method| policy::is_cross_origin_call(&method, request.uri().path()));
    match &cors.0 {
        Some(allowed) if cross_origin => {
            let answered = allowed.layer.layer(next).oneshot(request).await;
            match answered {
                Ok(response) => response.into_response(),
                Err(never) => match never {},
            }
        }
        _ => next.run(request).await,
    }
}
