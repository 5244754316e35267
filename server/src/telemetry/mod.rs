//! What the process tells about itself: its logs (`tracing` to stdout, filtered by RUST_LOG or
//! LOG_LEVEL, with the request id on every request's span and answer, through the layers that
//! [`crate::http`] puts in front of every route), its [`metrics`], and when it last took a claim
//! ([`activity`]).

pub mod activity;
pub mod metrics;

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use axum::{
    extract::Request,
    http::{HeaderName, HeaderValue},
};
use tower_http::{
    classify::{ServerErrorsAsFailures, SharedClassifier},
    request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    trace::{DefaultOnBodyChunk, DefaultOnEos, DefaultOnRequest, DefaultOnResponse, TraceLayer},
};
use tracing::Span;
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Installs the global subscriber once; later calls (tests) are no-ops: the log, filtered, and
/// the watch on PostgreSQL's warnings about unconfirmed commits ([`crate::db::sync_wait`]),
/// which sees them whatever the filter.
pub fn init(default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let _ = tracing_subscriber::registry()
        .with(fmt::layer().with_target(false).with_filter(filter))
        .with(crate::db::sync_wait::NoticeWatch::layer())
        .try_init();
}

/// The span of one request: method, URI and request id (set by [`set_request_id`] before it).
pub type RequestTrace = TraceLayer<
    SharedClassifier<ServerErrorsAsFailures>,
    fn(&Request) -> Span,
    DefaultOnRequest,
    DefaultOnResponse,
    DefaultOnBodyChunk,
    DefaultOnEos,
    (),
>;

/// Gives every request an `x-request-id` (the client's, or a new one).
pub fn set_request_id() -> SetRequestIdLayer<ProcessSequence> {
    SetRequestIdLayer::new(REQUEST_ID, ProcessSequence::new())
}

/// A log span per request that carries its request id. Failures are logged once, where they are
/// handled (ApiError), not here.
pub fn trace() -> RequestTrace {
    TraceLayer::new_for_http()
        .make_span_with(request_span as fn(&Request) -> Span)
        .on_failure(())
}

/// Copies the request id onto the answer.
pub fn propagate_request_id() -> PropagateRequestIdLayer {
    PropagateRequestIdLayer::new(REQUEST_ID)
}

fn request_span(request: &Request) -> Span {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    // The path only: a query string may carry what must never reach a log (a key sent by mistake).
    tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
}

/// Request ids made without a system call: a random prefix per process and a counter
/// (`3f9c2a1b-17`), unique across processes in practice and ordered within one.
#[derive(Clone)]
pub struct ProcessSequence {
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
