//! Prometheus metrics (docs/operations.md): the names, the process-wide recorder, the calls that
//! count, and the HTTP middleware. A leaf: the claim engine and the limits at the bottom of the
//! server call it, so it imports no module of the crate (`GET /metrics` is `api::metrics`).
//!
//! Counting costs the hot path a few atomic operations per claim: the `metrics` macros look a
//! handle up in the recorder's registry and bump it. Gauges that only a scrape needs (the pool,
//! SSE subscribers) are read when `/metrics` renders, not kept up to date on every change.

use std::{sync::OnceLock, time::Instant};

use axum::{
    extract::{MatchedPath, Request},
    http::{Method, StatusCode},
    middleware::Next,
    response::Response,
};
use metrics::{SharedString, counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Claims answered by the engine, by `outcome` (granted, already_claimed, sold_out, not_found,
/// paused, not_started, ended, unavailable, outcome_unknown, error).
pub const CLAIMS: &str = "coupons_claims_total";
/// Seconds from a claim reaching the engine to its answer (durable when granted).
pub const CLAIM_SECONDS: &str = "coupons_claim_duration_seconds";
/// Claims settled in one database transaction by the batched engine.
pub const BATCH_SIZE: &str = "coupons_claim_batch_size";
/// Seconds a batch takes in the database, from asking for a connection to its durable COMMIT.
pub const BATCH_SECONDS: &str = "coupons_claim_batch_duration_seconds";
/// HTTP answers by `method`, `route` (the router's pattern, "unmatched" otherwise) and `status`.
pub const HTTP_REQUESTS: &str = "coupons_http_requests_total";
/// Seconds to an HTTP answer's headers, by `method` and `route`.
pub const HTTP_SECONDS: &str = "coupons_http_request_duration_seconds";
/// Requests refused with `429`, by `limit` (claims_per_ip, claims_per_user, claims_per_key, auth_failures).
pub const RATE_LIMITED: &str = "coupons_rate_limited_total";
/// Connections the pool holds, idle ones, and tasks waiting for one in the claim engine.
pub const POOL_CONNECTIONS: &str = "coupons_db_pool_connections";
pub const POOL_IDLE: &str = "coupons_db_pool_idle_connections";
pub const POOL_WAITERS: &str = "coupons_db_pool_waiters";
/// Open SSE streams in this process.
pub const SSE_SUBSCRIBERS: &str = "coupons_sse_subscribers";
/// Coupons this process's stock reads keep watched in memory.
pub const STOCK_WATCHED: &str = "coupons_stock_watched_coupons";
/// Stock reads that waited for their turn while claims ran, by `outcome` (served, refused: it
/// would have waited over a second and was answered 503).
pub const STOCK_READS_PACED: &str = "coupons_stock_reads_paced_total";
/// Webhook attempts by `outcome` (delivered, retry, failed: the last retry failed).
pub const WEBHOOK_ATTEMPTS: &str = "coupons_webhook_attempts_total";
/// Seconds one webhook attempt took, to its answer or its error.
pub const WEBHOOK_ATTEMPT_SECONDS: &str = "coupons_webhook_attempt_duration_seconds";
/// Age in seconds of the oldest event not yet delivered to an enabled endpoint (0: none).
pub const WEBHOOK_LAG_SECONDS: &str = "coupons_webhook_oldest_pending_seconds";

/// Latency buckets, in seconds: 0.5 ms to 10 s.
const SECONDS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

/// The recorder of this process, installed by the first app that asks (tests run several apps
/// in one process; they share it). `None` when it could not be installed.
pub fn recorder() -> Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS)
                .and_then(|b| {
                    b.set_buckets_for_metric(Matcher::Full(BATCH_SIZE.into()), BATCH_BUCKETS)
                })
                .map(PrometheusBuilder::build_recorder);
            match recorder {
                Ok(recorder) => {
                    let handle = recorder.handle();
                    metrics::set_global_recorder(recorder).ok().map(|()| handle)
                }
                Err(error) => {
                    tracing::error!(%error, "metrics recorder not installed");
                    None
                }
            }
        })
        .clone()
}

/// Counts every HTTP answer by route pattern and status, and times it. Unmatched paths share one
/// label, so a scanner cannot grow the label set.
pub async fn track_http(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    // One allocation, shared by both series (a clone is a reference count).
    let route = request.extensions().get::<MatchedPath>().map_or_else(
        || SharedString::const_str("unmatched"),
        |path| SharedString::from_shared(std::sync::Arc::from(path.as_str())),
    );
    let response = next.run(request).await;
    let status = status_label(response.status());
    histogram!(HTTP_SECONDS, "method" => method, "route" => route.clone())
        .record(started.elapsed().as_secs_f64());
    counter!(HTTP_REQUESTS, "method" => method, "route" => route, "status" => status).increment(1);
    response
}

/// A refusal with `429` by the named limit.
pub fn rate_limited(limit: &'static str) {
    counter!(RATE_LIMITED, "limit" => limit).increment(1);
}

/// One claim answered with `outcome` after `started`.
pub fn claim_answered(outcome: &'static str, started: Instant) {
    counter!(CLAIMS, "outcome" => outcome).increment(1);
    histogram!(CLAIM_SECONDS).record(started.elapsed().as_secs_f64());
}

/// One batch of `size` claims settled, durably, `started` ago.
pub fn batch_settled(size: usize, started: Instant) {
    histogram!(BATCH_SIZE).record(size as f64);
    histogram!(BATCH_SECONDS).record(started.elapsed().as_secs_f64());
}

/// A stock read that had to wait for its turn ended with `outcome`.
pub fn stock_read_paced(outcome: &'static str) {
    counter!(STOCK_READS_PACED, "outcome" => outcome).increment(1);
}

/// One webhook attempt ended with `outcome` after `seconds`.
pub fn webhook_attempted(outcome: &'static str, seconds: f64) {
    counter!(WEBHOOK_ATTEMPTS, "outcome" => outcome).increment(1);
    histogram!(WEBHOOK_ATTEMPT_SECONDS).record(seconds);
}

/// The age of the oldest undelivered event, as last measured.
pub fn webhook_lag(seconds: f64) {
    gauge!(WEBHOOK_LAG_SECONDS).set(seconds);
}

/// Counts a task waiting for a pooled connection for as long as the guard lives.
pub struct PoolWait;

impl PoolWait {
    pub fn start() -> Self {
        gauge!(POOL_WAITERS).increment(1.0);
        Self
    }
}

impl Drop for PoolWait {
    fn drop(&mut self) {
        gauge!(POOL_WAITERS).decrement(1.0);
    }
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::PUT => "PUT",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

fn status_label(status: StatusCode) -> SharedString {
    macro_rules! labels {
        ($($code:literal),*) => {
            match status.as_u16() {
                $($code => SharedString::const_str(stringify!($code)),)*
                other => SharedString::from(other.to_string()),
            }
        };
    }
    // The codes this server answers with, without an allocation per request.
    labels!(
        200, 201, 204, 303, 304, 400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 503
    )
}
