//! Test harness: the real app on port 0 over a fresh database made by `#[sqlx::test]`, and
//! the claim engine alone.
// `tests/metrics.rs` compiles this too and uses only part of it.
#![allow(dead_code)]

pub mod admin;
pub mod attack;
pub mod creds;
pub mod docs;
pub mod raw;
pub mod receiver;
pub mod sse;
pub mod tokens;

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use serde_json::Value;
use server::{
    claims::ClaimEngine,
    config::{Config, EngineMode},
    startup::Application,
};
use sqlx::PgPool;
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

/// A running server and a client for it. Stops the server when dropped.
pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    pub pool: PgPool,
    pub http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<anyhow::Result<()>>>,
    /// Every route pattern of the running router (see `route_patterns`).
    pub routes: Vec<String>,
}

/// A claim engine on `pool` in `mode`, with the server's default batch bound, as the server
/// builds it (without live updates).
pub fn engine(pool: &PgPool, mode: EngineMode) -> ClaimEngine {
    let config = Config::for_database("unused");
    ClaimEngine::new(
        pool.clone(),
        mode,
        config.claim_batch_max,
        Default::default(),
    )
}

/// The engine mode under test: CLAIM_ENGINE, read as the server reads it.
pub fn engine_mode() -> EngineMode {
    Config::for_database("unused").claim_engine
}

/// Starts the app on `pool`'s database, with the engine named by CLAIM_ENGINE (default
/// per-request) and a pool large enough for the attack tests.
pub async fn spawn(pool: &PgPool) -> TestApp {
    spawn_with(pool, |_| {}).await
}

/// Like [`spawn`], with the configuration adjusted first (e.g. an admin password).
pub async fn spawn_with(pool: &PgPool, adjust: impl FnOnce(&mut Config)) -> TestApp {
    server::telemetry::init("warn");
    let _ = rlimit::increase_nofile_limit(16_384);
    let mut config = Config::for_database("unused");
    config.db_pool_size = 32;
    config.db_acquire_timeout_ms = 30_000;
    // The attack tests fire thousands of claims from one address; rate limit tests turn it on.
    config.rate_limits = false;
    adjust(&mut config);
    // Its own pool on the same database, as a second server process would have.
    let app_pool = server::startup::database_settings(&config, (*pool.connect_options()).clone())
        .request_pool()
        .await
        .expect("connect app pool");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().unwrap();
    let app = Application::on_listener(config, app_pool, listener)
        .await
        .expect("build app");
    let routes = route_patterns(&app.router());
    let (stop, stopped) = oneshot::channel::<()>();
    let handle = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    TestApp {
        addr,
        base: format!("http://{addr}"),
        pool: pool.clone(),
        http: reqwest::Client::new(),
        stop: Some(stop),
        handle: Some(handle),
        routes,
    }
}

/// Every path pattern the router serves (e.g. `/api/coupons/{name}`), read from the router
/// itself: axum lists its routes in its Debug output, so a route added anywhere shows up here.
fn route_patterns(router: &axum::Router) -> Vec<String> {
    let debug = format!("{router:?}");
    // Only the main path router; the fallback router's internal paths are not routes.
    let main = debug.split("fallback_router").next().unwrap_or_default();
    let mut patterns: Vec<String> = main
        .split("RouteId(")
        .skip(1)
        .filter_map(|part| part.split_once(": \"").map(|(_, rest)| rest))
        .filter_map(|rest| rest.split_once('"').map(|(path, _)| path.to_owned()))
        .collect();
    patterns.sort();
    patterns.dedup();
    assert!(
        !patterns.is_empty(),
        "no routes found in the router's Debug output: {debug}"
    );
    patterns
}

impl TestApp {
    /// POSTs `body` as JSON text (sent as is, so malformed bodies can be tested).
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> (u16, Value) {
        let mut req = self.http.post(format!("{}{path}", self.base)).body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        read(req.send().await.expect("request")).await
    }

    /// POSTs a JSON value.
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.post_raw(path, Some("application/json"), body.to_string())
            .await
    }

    /// GETs a path (already percent-encoded where needed): the whole response.
    pub async fn fetch(&self, path: &str) -> reqwest::Response {
        let url = format!("{}{path}", self.base);
        self.http.get(url).send().await.expect("request")
    }

    /// GETs a path (already percent-encoded where needed): status and JSON body.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        read(self.fetch(path).await).await
    }

    /// GETs a page: status and HTML.
    pub async fn page(&self, path: &str) -> (reqwest::StatusCode, String) {
        let response = self.fetch(path).await;
        (response.status(), response.text().await.expect("body"))
    }

    /// Sends `method path` with an optional JSON body and extra headers; returns the status, the
    /// response headers and the body.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            req = req
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let resp = req.send().await.expect("request");
        let headers = resp.headers().clone();
        let (status, body) = read(resp).await;
        (status, headers, body)
    }

    /// PATCHes a coupon's sale settings.
    pub async fn patch(&self, coupon: &str, body: &Value) -> (u16, Value) {
        let path = format!("/api/coupons/{}", encode(coupon));
        let (status, _, body) = self
            .send(reqwest::Method::PATCH, &path, Some(body), &[])
            .await;
        (status, body)
    }

    /// Releases `user`'s claim of `coupon`.
    pub async fn release(&self, coupon: &str, user: &str) -> (u16, Value) {
        let path = format!("/api/coupons/{}/claims/{}", encode(coupon), encode(user));
        let (status, _, body) = self.send(reqwest::Method::DELETE, &path, None, &[]).await;
        (status, body)
    }

    /// Creates a coupon and asserts it worked.
    pub async fn create(&self, name: &str, amount: i64) {
        let (status, body) = self
            .post(
                "/api/coupons",
                &serde_json::json!({"name": name, "amount": amount}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }

    /// Claims, returning the status and body.
    pub async fn claim(&self, user: &str, coupon: &str) -> (u16, Value) {
        self.post(
            "/api/coupons/claim",
            &serde_json::json!({"user_id": user, "coupon_name": coupon}),
        )
        .await
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(handle) = self.handle.take() {
            handle.await.expect("join").expect("server result");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A path segment, percent-encoded.
pub fn encode(segment: &str) -> String {
    percent_encoding::utf8_percent_encode(segment, percent_encoding::NON_ALPHANUMERIC).to_string()
}

async fn read(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

/// Counts of the database's view of one coupon: (amount, remaining, claims, distinct users).
pub async fn db_state(pool: &PgPool, coupon: &str) -> (i32, i32, i64, i64) {
    sqlx::query_as::<_, (i32, i32, i64, i64)>(
        "SELECT c.amount, c.remaining_amount,
                (SELECT count(*) FROM claims WHERE coupon_name = c.name),
                (SELECT count(DISTINCT user_id) FROM claims WHERE coupon_name = c.name)
         FROM coupons c WHERE c.name = $1",
    )
    .bind(coupon)
    .fetch_one(pool)
    .await
    .expect("db state")
}

/// The stock invariants of one coupon, checked from the database: no oversell, no double
/// claim, `remaining_amount == amount - claims`.
pub async fn assert_invariants(pool: &PgPool, coupon: &str) -> (i32, i32, i64) {
    let (amount, remaining, claims, distinct) = db_state(pool, coupon).await;
    assert!(
        claims <= amount as i64,
        "oversold: {claims} claims of {amount}"
    );
    assert_eq!(claims, distinct, "a user holds the coupon twice");
    assert_eq!(
        remaining as i64,
        amount as i64 - claims,
        "remaining != amount - claims"
    );
    (amount, remaining, claims)
}

/// Tallies statuses and error codes: ("200", n), ("409 sold_out", n), ...
pub fn tally(results: &[(u16, Value)]) -> std::collections::BTreeMap<String, usize> {
    let mut map = std::collections::BTreeMap::new();
    for (status, body) in results {
        let key = match body.get("code").and_then(Value::as_str) {
            Some(code) => format!("{status} {code}"),
            None => status.to_string(),
        };
        *map.entry(key).or_insert(0) += 1;
    }
    map
}

/// How long a test waits for something that must happen: generous for a slow, shared CI box (two
/// cores, the suite one test at a time), short enough that a real hang fails with a message
/// instead of stalling CI.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Waiting for a condition: the test polls it and calls [`Wait::again`] between polls, which
/// panics naming what was awaited once [`PATIENCE`] has passed. Tests wait for what they need,
/// never for a fixed time: a slow machine makes them slower, not red.
pub struct Wait {
    what: String,
    started: Instant,
    polls: std::sync::atomic::AtomicU32,
}

impl Wait {
    /// Starts waiting for `what` (a phrase for the panic message: "waited 60 s for {what}").
    pub fn new(what: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            started: Instant::now(),
            polls: Default::default(),
        }
    }

    /// A moment's pause before the next poll (5 ms, doubling up to 50 ms: a delay measured
    /// through a wait stays fine-grained); panics once the wait has lasted [`PATIENCE`].
    pub async fn again(&self) {
        let waited = self.started.elapsed();
        assert!(waited < PATIENCE, "waited {waited:.1?} for {}", self.what);
        let polls = self
            .polls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let pause = Duration::from_millis(5 << polls.min(4)).min(Duration::from_millis(50));
        tokio::time::sleep(pause).await;
    }
}

/// Waits until `n` sessions of `pool`'s database wait for a lock (e.g. claims queued behind
/// [`hold_row_lock`]).
pub async fn until_lock_waiters(pool: &PgPool, n: i64) {
    let wait = Wait::new(format!(
        "{n} session(s) of the test database to wait for a lock"
    ));
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        if waiting >= n {
            return;
        }
        wait.again().await;
    }
}

/// Holds `coupon`'s row lock, as a claim of another process would, until the returned
/// transaction ends: claims of that coupon wait behind it.
pub async fn hold_row_lock(
    pool: &PgPool,
    coupon: &str,
) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut blocker = pool.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM coupons WHERE name = $1 FOR UPDATE")
        .bind(coupon)
        .execute(&mut *blocker)
        .await
        .unwrap();
    blocker
}
