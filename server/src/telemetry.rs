//! Logging: `tracing` to stdout, filtered by RUST_LOG or LOG_LEVEL, and the request id on every
//! request's span and answer.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use axum::{
    Router,
    extract::Request,
    http::{HeaderName, HeaderValue},
};
use tower::ServiceBuilder;
use tower_http::{
    request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    trace::TraceLayer,
};
use tracing_subscriber::{EnvFilter, fmt};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Installs the global subscriber once; later calls (tests) are no-ops.
pub fn init(default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let _ = fmt().with_env_filter(filter).with_target(false).try_init();
}

/// The outermost layers of `router`: an `x-request-id` for every request (the client's, or a
/// new one), on its log span and on its answer.
pub fn with_request_ids(router: Router) -> Router {
    router.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(REQUEST_ID, ProcessSequence::new()))
            .layer(
                TraceLayer::new_for_http()
                .make_span_with(|request: &Request| {
                    let id = request
                        .headers()
                        .get(&REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", method = %request.method(), uri = %request.uri(), request_id = %id)
                })
                    // Failures are logged once, where they are handled (ApiError).
                    .on_failure(()),
            )
            .layer(PropagateRequestIdLayer::new(REQUEST_ID)),
    )
}

/// Request ids made without a system call: a random prefix per process and a counter
/// (`3f9c2a1b-17`), unique across processes in practice and ordered within one.
#[derive(Clone)]
struct ProcessSequence {
    prefix: Arc<str>,
    next: Arc<AtomicU64>,
}

impl ProcessSequence {
    fn new() -> Self {
        let random = uuid::Uuid::new_v4().simple().to_string();
        Self {
            prefix: random[..8].into(),
            next: Arc::new(AtomicU64::new(1)),
        }
    }
}

impl MakeRequestId for ProcessSequence {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n}", self.prefix))
            .ok()
            .map(RequestId::new)
    }
}
