//! `GET /metrics`: counters move with real traffic, and only an admin can read them.
//!
//! The recorder is global to a process, so one test drives all traffic in turn and reads deltas.

#[path = "api/common/mod.rs"]
mod common;

use common::{TestApp, Wait, spawn, spawn_with};
use sqlx::PgPool;

/// The value of one series in the exposition (`name{labels}` exactly as exported), 0 if absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |value| value.trim().parse().expect("a number"))
}

async fn scrape(app: &TestApp, headers: &[(&str, &str)]) -> String {
    let (status, response_headers, body) = app
        .send(reqwest::Method::GET, "/metrics", None, headers)
        .await;
    assert_eq!(status, 200, "{body}");
    let content_type = response_headers["content-type"].to_str().unwrap();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    body.as_str().expect("text").to_owned()
}

fn claims(text: &str, outcome: &str) -> f64 {
    sample(
        text,
        &format!("coupons_claims_total{{outcome=\"{outcome}\"}}"),
    )
}

fn http(text: &str, method: &str, route: &str, status: u16) -> f64 {
    let series = format!(
        "coupons_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}}"
    );
    sample(text, &series)
}

#[sqlx::test(migrations = "../migrations")]
async fn metrics_count_real_traffic_and_only_an_admin_reads_them(pool: PgPool) {
    counters_move_with_claims_and_requests(&pool).await;
    only_an_admin_reads_metrics_and_refusals_are_counted(&pool).await;
}

async fn counters_move_with_claims_and_requests(pool: &PgPool) {
    let app = spawn(pool).await;
    let before = scrape(&app, &[]).await;
    app.create("metrics-hot", 2).await;
    assert_eq!(app.claim("m-u1", "metrics-hot").await.0, 200);
    assert_eq!(app.claim("m-u1", "metrics-hot").await.0, 409);
    assert_eq!(app.claim("m-u2", "metrics-hot").await.0, 200);
    assert_eq!(app.claim("m-u3", "metrics-hot").await.0, 409);
    assert_eq!(app.claim("m-u4", "metrics-none").await.0, 404);
    app.patch("metrics-hot", &serde_json::json!({"paused": true}))
        .await;
    assert_eq!(app.claim("m-u5", "metrics-hot").await.0, 409);
    assert_eq!(app.get("/no/such/page/at/all.json").await.0, 404);
    let sse = common::sse::SseReader::connect(&format!("{}/api/events", app.base), None).await;
    let after = scrape(&app, &[]).await;

    let delta = |f: &dyn Fn(&str) -> f64| f(&after) - f(&before);
    assert_eq!(delta(&|t| claims(t, "granted")), 2.0);
    assert_eq!(delta(&|t| claims(t, "already_claimed")), 1.0);
    assert_eq!(delta(&|t| claims(t, "sold_out")), 1.0);
    assert_eq!(delta(&|t| claims(t, "not_found")), 1.0);
    assert_eq!(delta(&|t| claims(t, "paused")), 1.0);
    assert_eq!(
        delta(&|t| sample(t, "coupons_claim_duration_seconds_count")),
        6.0
    );
    let route = "/api/coupons/claim";
    assert_eq!(delta(&|t| http(t, "POST", route, 200)), 2.0);
    assert_eq!(delta(&|t| http(t, "POST", route, 409)), 3.0);
    assert_eq!(delta(&|t| http(t, "POST", route, 404)), 1.0);
    assert_eq!(delta(&|t| http(t, "POST", "/api/coupons", 201)), 1.0);
    assert!(
        delta(&|t| http(t, "GET", "unmatched", 404)) >= 1.0,
        "{after}"
    );
    let timed =
        "coupons_http_request_duration_seconds_count{method=\"POST\",route=\"/api/coupons/claim\"}";
    assert_eq!(delta(&|t| sample(t, timed)), 6.0);
    if std::env::var("CLAIM_ENGINE").as_deref() != Ok("per-request") {
        assert!(delta(&|t| sample(t, "coupons_claim_batch_size_count")) >= 1.0);
        assert!(delta(&|t| sample(t, "coupons_claim_batch_size_sum")) >= 4.0);
        assert!(delta(&|t| sample(t, "coupons_claim_batch_duration_seconds_count")) >= 1.0);
    }
    assert!(sample(&after, "coupons_db_pool_connections") >= 1.0);
    assert!(
        after.contains("coupons_db_pool_idle_connections "),
        "{after}"
    );
    assert!(after.contains("coupons_db_pool_waiters "), "{after}");
    assert_eq!(sample(&after, "coupons_sse_subscribers"), 1.0);
    // The unmatched path is counted under one label: it never becomes a label itself.
    assert!(!after.contains("/no/such/page"), "{after}");
    drop(sse);
    app.stop().await;
}

async fn only_an_admin_reads_metrics_and_refusals_are_counted(pool: &PgPool) {
    let app = spawn_with(pool, |config| {
        config.admin_password = Some("metrics-password".into());
        config.rate_limits = true;
        config.trust_forwarded_for = true;
        config.auth_failures_per_minute = 2;
        config.claims_per_user_burst = 1;
        config.claims_per_user_per_sec = 1;
    })
    .await;
    let admin = [("authorization", "Bearer metrics-password")];
    // A stranger gets the error JSON and nothing of the exposition.
    let (status, _, body) = app.send(reqwest::Method::GET, "/metrics", None, &[]).await;
    assert_eq!(status, 401, "{body}");
    assert!(!body.to_string().contains("coupons_"), "{body}");
    let before = scrape(&app, &admin).await;

    // One user claiming faster than its limit (1 a second), until limited (a slow machine sees
    // a token come back meanwhile, so it claims more).
    let mut limited = 0.0;
    for _ in 0..1000 {
        let (status, _) = app.claim("m-fast", "metrics-none").await;
        limited += f64::from(u8::from(status == 429));
        if limited >= 1.0 {
            break;
        }
    }
    assert!(limited >= 1.0);
    // Wrong tokens from one address until it is locked out.
    let wrong = [
        ("authorization", "Bearer wrong"),
        ("x-forwarded-for", "10.9.8.7"),
    ];
    let mut locked = 0.0;
    for _ in 0..1000 {
        let (status, _, _) = app
            .send(reqwest::Method::GET, "/metrics", None, &wrong)
            .await;
        assert_ne!(status, 200);
        locked += f64::from(u8::from(status == 429));
        if locked >= 1.0 {
            break;
        }
    }
    assert!(locked >= 1.0);
    let limit = |t: &str, name: &str| {
        sample(
            t,
            &format!("coupons_rate_limited_total{{limit=\"{name}\"}}"),
        )
    };
    // The counters may be recorded a moment after the answers: read until they have caught up
    // (then they must be exact).
    let wait = Wait::new("the rate limit counters to count the refusals");
    let after = loop {
        let after = scrape(&app, &admin).await;
        if limit(&after, "claims_per_user") - limit(&before, "claims_per_user") >= limited
            && limit(&after, "auth_failures") - limit(&before, "auth_failures") >= locked
            && http(&after, "GET", "/metrics", 401) >= 1.0
        {
            break after;
        }
        wait.again().await;
    };
    assert_eq!(
        limit(&after, "claims_per_user") - limit(&before, "claims_per_user"),
        limited
    );
    assert_eq!(
        limit(&after, "auth_failures") - limit(&before, "auth_failures"),
        locked
    );
    assert!(http(&after, "GET", "/metrics", 401) >= 1.0, "{after}");
}
