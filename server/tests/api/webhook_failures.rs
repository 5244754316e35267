//! Receivers that fail: retries until a 2xx, a timeout, `410 Gone`, a redirect (never
//! followed), `Retry-After`, an endpoint failing for too long, and "send again".

use std::time::Duration;

use serde_json::{Value, json};
use sqlx::PgPool;

use crate::{
    common::{
        PATIENCE, TestApp, Wait,
        receiver::{Behaviour, Receiver},
        spawn_with,
    },
    webhooks::{quick, register},
};

/// An app with quick settings, one endpoint at a receiver behaving so, and one claim made.
async fn one_event(pool: &PgPool, behaviour: Behaviour) -> (TestApp, Receiver, i64) {
    one_event_with(pool, behaviour, |_| {}).await
}

async fn one_event_with(
    pool: &PgPool,
    behaviour: Behaviour,
    adjust: impl FnOnce(&mut server::config::Config),
) -> (TestApp, Receiver, i64) {
    let app = spawn_with(pool, |c| {
        quick(c);
        adjust(c);
    })
    .await;
    let receiver = Receiver::start(behaviour).await;
    let (id, _) = register(&app, &receiver.url, &["claim.created"]).await;
    app.create("HOOKED", 10).await;
    assert_eq!(app.claim("u1", "HOOKED").await.0, 200);
    (app, receiver, id)
}

/// The endpoint's delivery log once `done` holds for its first row (`what` names it for the
/// message when it never does).
async fn log_when(app: &TestApp, id: i64, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let wait = Wait::new(format!("webhook {id}'s delivery log to show {what}"));
    loop {
        let (_, log) = app.get(&format!("/api/webhooks/{id}/deliveries")).await;
        if log.get(0).is_some_and(&done) {
            return log[0].clone();
        }
        wait.again().await;
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn three_failures_then_delivered(pool: PgPool) {
    let (app, receiver, id) = one_event(&pool, Behaviour::FailFirst(3)).await;
    let row = log_when(&app, id, "a delivered event", |d| d["state"] == "delivered").await;
    assert_eq!(
        (row["attempts"].as_i64(), row["last_status"].as_i64()),
        (Some(4), Some(200))
    );
    let received = receiver.received();
    assert_eq!(received.len(), 4, "three 500s and the 200");
    assert!(
        received.iter().all(|r| r.id == received[0].id),
        "one event id on every attempt"
    );
    let metrics = app.fetch("/metrics").await.text().await.unwrap();
    for series in [
        "coupons_webhook_attempts_total{outcome=\"retry\"}",
        "coupons_webhook_attempts_total{outcome=\"delivered\"}",
        "coupons_webhook_attempt_duration_seconds_count",
        "coupons_webhook_oldest_pending_seconds",
    ] {
        assert!(metrics.contains(series), "{series} missing from /metrics");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_hanging_receiver_times_out_and_fails_at_the_end(pool: PgPool) {
    let (app, receiver, id) = one_event_with(&pool, Behaviour::Hang, |c| {
        c.webhooks.webhook_timeout_ms = 300;
        c.webhooks.webhook_retry_schedule = vec![Duration::from_millis(100)];
    })
    .await;
    let row = log_when(&app, id, "a failed event", |d| d["state"] == "failed").await;
    assert_eq!(row["attempts"], 2, "{row}");
    assert_eq!(row["last_status"], Value::Null);
    assert_eq!(row["last_error"], "no answer within 300 ms");
    assert_eq!(receiver.received().len(), 2);
}

#[sqlx::test(migrations = "../migrations")]
async fn gone_disables_the_endpoint(pool: PgPool) {
    let (app, receiver, id) = one_event(&pool, Behaviour::Status(410)).await;
    log_when(&app, id, "a 410 answer", |d| d["last_status"] == 410).await;
    let (_, endpoint) = app.get(&format!("/api/webhooks/{id}")).await;
    assert_eq!(endpoint["enabled"], false, "{endpoint}");
    assert_eq!(
        endpoint["disabled_reason"],
        "the receiver answered 410 Gone"
    );
    assert_eq!(app.claim("u2", "HOOKED").await.0, 200);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        receiver.received().len(),
        1,
        "nothing more goes to a disabled endpoint"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_redirect_is_not_followed(pool: PgPool) {
    let elsewhere = Receiver::start(Behaviour::Ok).await;
    let to = format!("http://127.0.0.1:{}/internal", elsewhere.port);
    let (app, receiver, id) = one_event(&pool, Behaviour::Redirect(to.clone())).await;
    // `attempts` counts an attempt when it is leased, before the request leaves: wait until
    // the receiver has heard the second one too.
    let row = log_when(&app, id, "two attempts, both heard by the receiver", |d| {
        d["attempts"].as_i64() >= Some(2) && receiver.received().len() >= 2
    })
    .await;
    assert_eq!(row["last_status"], 302);
    assert_eq!(
        row["last_error"],
        format!("redirect not followed (to {to})")
    );
    assert_eq!(
        elsewhere.connections(),
        0,
        "the redirect's target was never contacted"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn retry_after_is_honoured(pool: PgPool) {
    let (app, receiver, id) = one_event(&pool, Behaviour::RetryAfter(503, 2)).await;
    log_when(&app, id, "a delivered event", |d| d["state"] == "delivered").await;
    let received = receiver.received();
    assert_eq!(received.len(), 2);
    let gap = received[1].at - received[0].at;
    assert!(
        gap >= Duration::from_millis(1_900),
        "retried after {gap:?}, not 2 s"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn an_endpoint_failing_too_long_is_disabled(pool: PgPool) {
    let (app, _receiver, id) = one_event_with(&pool, Behaviour::Status(500), |c| {
        c.webhooks.webhook_disable_after_secs = 1;
        c.webhooks.webhook_retry_schedule = vec![Duration::from_millis(400); 10];
    })
    .await;
    let wait = Wait::new(format!("webhook {id} to be disabled"));
    loop {
        let (_, endpoint) = app.get(&format!("/api/webhooks/{id}")).await;
        if endpoint["enabled"] == false {
            let reason = endpoint["disabled_reason"].as_str().unwrap();
            assert!(
                reason.starts_with("every delivery failed since"),
                "{reason}"
            );
            assert!(endpoint["failing_since"].is_string());
            let (_, _, again) = app
                .send(
                    reqwest::Method::PATCH,
                    &format!("/api/webhooks/{id}"),
                    Some(&json!({"enabled": true})),
                    &[],
                )
                .await;
            assert_eq!(
                (&again["disabled_reason"], &again["failing_since"]),
                (&Value::Null, &Value::Null)
            );
            return;
        }
        wait.again().await;
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn send_again_repeats_the_same_event(pool: PgPool) {
    let (app, receiver, id) = one_event(&pool, Behaviour::Ok).await;
    let row = log_when(&app, id, "a delivered event", |d| d["state"] == "delivered").await;
    let path = format!("/api/webhooks/{id}/deliveries/{}/retry", row["id"]);
    let (status, again) = app.post(&path, &json!({})).await;
    assert_eq!(
        (status, again["state"].as_str()),
        (200, Some("pending")),
        "{again}"
    );
    let received = receiver.wait_until(PATIENCE, |r| r.len() >= 2).await;
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].id, received[1].id);
    let missing = format!("/api/webhooks/{id}/deliveries/999999/retry");
    let (status, body) = app.post(&missing, &json!({})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("delivery_not_found"))
    );
}
