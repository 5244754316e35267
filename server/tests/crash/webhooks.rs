//! Webhooks through the crash cycles: a receiver subscribed to `claim.created` for the whole
//! tier. Afterwards, once nothing is pending, the claims it heard of must be exactly the claims
//! in the database: every committed claim delivered (at least once), none delivered that did
//! not commit.

use std::{
    collections::BTreeSet,
    time::{Duration, Instant},
};

use sqlx::PgPool;

#[path = "../api/common/receiver.rs"]
#[allow(dead_code)]
mod receiver;

pub use receiver::{Behaviour, Receiver};

/// The server settings of the tier: local receivers allowed, quick retries.
pub const SERVER_ENV: &[(&str, &str)] = &[
    ("WEBHOOK_ALLOW_PRIVATE", "true"),
    (
        "WEBHOOK_RETRY_SCHEDULE",
        "200ms,200ms,500ms,1s,1s,2s,2s,2s,2s,2s",
    ),
    ("WEBHOOK_POLL_MS", "200"),
    ("WEBHOOK_TIMEOUT_MS", "2000"),
];

/// A receiver that takes a moment per delivery (so deliveries are in flight at each fault),
/// registered for `claim.created`.
pub async fn subscribe(base: &str) -> Receiver {
    let receiver = Receiver::start(Behaviour::Slow(Duration::from_millis(2))).await;
    let body = serde_json::json!({"url": receiver.url, "events": ["claim.created"]});
    let response = reqwest::Client::new()
        .post(format!("{base}/api/webhooks"))
        .json(&body)
        .send()
        .await
        .expect("register the webhook");
    assert_eq!(response.status(), 201, "register the webhook");
    receiver
}

/// Waits for the outbox and the pending deliveries to drain, then compares. Returns problems
/// and prints the figures.
pub async fn check(db: &PgPool, receiver: &Receiver) -> Vec<String> {
    let started = Instant::now();
    let mut waiting = i64::MAX;
    // A bound on a stuck outbox, not a speed gate (the time it took is printed below).
    while started.elapsed() < Duration::from_secs(300) {
        waiting = sqlx::query_scalar(
            "SELECT (SELECT count(*) FROM webhook_outbox)
                  + (SELECT count(*) FROM webhook_deliveries WHERE state <> 'delivered')",
        )
        .fetch_one(db)
        .await
        .expect("pending deliveries");
        if waiting == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let claims: BTreeSet<(String, String)> =
        sqlx::query_as::<_, (String, String)>("SELECT coupon_name, user_id FROM claims")
            .fetch_all(db)
            .await
            .expect("claims")
            .into_iter()
            .collect();
    let received = receiver.received();
    let heard: BTreeSet<(String, String)> = received
        .iter()
        .map(|r| {
            let data = &r.json()["data"];
            let field = |k: &str| data[k].as_str().unwrap_or_default().to_owned();
            (field("coupon_name"), field("user_id"))
        })
        .collect();
    let ids: BTreeSet<&str> = received.iter().map(|r| r.id.as_str()).collect();
    println!(
        "webhooks: {} claims, {} events heard in {} requests ({} sent more than once), drained {:.1} s after the last cycle",
        claims.len(),
        heard.len(),
        received.len(),
        received.len() - ids.len(),
        started.elapsed().as_secs_f64()
    );
    let mut problems = Vec::new();
    if waiting != 0 {
        problems.push(format!(
            "webhooks: {waiting} events still undelivered after 300 s"
        ));
    }
    let missing: Vec<_> = claims.difference(&heard).take(5).collect();
    if !missing.is_empty() {
        let n = claims.difference(&heard).count();
        problems.push(format!(
            "webhooks: {n} committed claims never delivered, e.g. {missing:?}"
        ));
    }
    let phantom: Vec<_> = heard.difference(&claims).take(5).collect();
    if !phantom.is_empty() {
        let n = heard.difference(&claims).count();
        problems.push(format!(
            "webhooks: {n} events of claims that did not commit, e.g. {phantom:?}"
        ));
    }
    problems
}
