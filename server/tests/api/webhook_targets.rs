//! Server-side request forgery: without WEBHOOK_ALLOW_PRIVATE, endpoint URLs that reach
//! loopback, private, link-local or metadata addresses are refused when saved, and again when a
//! delivery would connect. No test sends traffic off loopback: the refused addresses are never
//! contacted, and the one receiver (on 127.0.0.1) counts its connections to prove it.

use std::time::Duration;

use serde_json::json;
use sqlx::PgPool;

use crate::{
    common::{
        PATIENCE, Wait,
        receiver::{Behaviour, Receiver},
        spawn_with,
    },
    webhooks::register,
};

#[sqlx::test(migrations = "../migrations")]
async fn private_and_odd_urls_are_refused_before_any_connection(pool: PgPool) {
    let app = spawn_with(&pool, |_| {}).await;
    let receiver = Receiver::start(Behaviour::Ok).await;
    let port = receiver.port;
    let corpus = [
        format!("http://127.0.0.1:{port}/hook"),
        format!("http://localhost:{port}/hook"),
        format!("http://[::1]:{port}/hook"),
        format!("http://[::ffff:127.0.0.1]:{port}/hook"),
        format!("http://2130706433:{port}/hook"),
        format!("http://0x7f.1:{port}/hook"),
        format!("http://0.0.0.0:{port}/hook"),
        "http://127.0.0.1".into(),
        "http://[::1]".into(),
        "http://169.254.169.254/latest/meta-data/".into(),
        "http://[fd00:ec2::254]/".into(),
        "http://10.0.0.1/".into(),
        "http://172.16.0.1/".into(),
        "http://192.168.0.1/".into(),
        "http://100.64.0.1/".into(),
        "http://[fe80::1]/".into(),
        "file:///etc/passwd".into(),
        "gopher://example.com/".into(),
        "ftp://example.com/".into(),
        "http://user:pass@example.com/".into(),
        "http:///nohost".into(),
    ];
    for url in &corpus {
        let (status, body) = app
            .post(
                "/api/webhooks",
                &json!({"url": url, "events": ["claim.created"]}),
            )
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("invalid_request")),
            "{url}: {body}"
        );
    }
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM webhook_endpoints")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);
    assert_eq!(receiver.connections(), 0, "a refused URL was contacted");
}

#[sqlx::test(migrations = "../migrations")]
async fn deliveries_to_private_addresses_are_refused_at_connection_time(pool: PgPool) {
    let app = spawn_with(&pool, |c| {
        crate::webhooks::quick(c);
        c.webhooks.webhook_allow_private = false;
    })
    .await;
    let receiver = Receiver::start(Behaviour::Ok).await;
    // Saved while allowed (or before a name's DNS changed): the database says so directly.
    for url in [
        receiver.url.clone(),
        format!("http://localhost:{}/hook", receiver.port),
    ] {
        sqlx::query(
            "INSERT INTO webhook_endpoints (url, events, secret, created_by)
             VALUES ($1, '{claim.created}', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'test')",
        )
        .bind(url)
        .execute(&pool)
        .await
        .unwrap();
    }
    app.create("PRIV", 5).await;
    assert_eq!(app.claim("u1", "PRIV").await.0, 200);
    let wait = Wait::new("both deliveries to have an error recorded");
    let errors = loop {
        let errors = sqlx::query_scalar::<_, String>(
            "SELECT last_error FROM webhook_deliveries WHERE last_error IS NOT NULL",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        if errors.len() >= 2 {
            break errors;
        }
        wait.again().await;
    };
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors
            .iter()
            .all(|e| e.starts_with("refused:") && e.contains("loopback")),
        "{errors:?}"
    );
    let patch = json!({"url": format!("http://127.0.0.1:{}/x", receiver.port)});
    let (status, _, _) = app
        .send(reqwest::Method::PATCH, "/api/webhooks/1", Some(&patch), &[])
        .await;
    assert_eq!(status, 400, "a changed URL is checked too");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        receiver.connections(),
        0,
        "no connection reached the receiver"
    );
}

/// Two server processes on one database share the deliveries: each event is sent, and never by
/// both at once.
#[sqlx::test(migrations = "../migrations")]
async fn two_processes_never_send_one_event_at_once(pool: PgPool) {
    let settings = |c: &mut server::config::Config| {
        crate::webhooks::quick(c);
        c.webhooks.webhook_timeout_ms = 10_000;
    };
    let first = spawn_with(&pool, settings).await;
    let second = spawn_with(&pool, settings).await;
    let receiver = Receiver::start(Behaviour::Slow(Duration::from_millis(20))).await;
    register(&first, &receiver.url, &["claim.created"]).await;
    first.create("TWO", 400).await;
    let users: Vec<String> = (0..400).map(|i| format!("u{i}")).collect();
    let claims = users.iter().enumerate().map(|(i, user)| {
        let app = if i % 2 == 0 { &first } else { &second };
        app.claim(user, "TWO")
    });
    for (status, body) in futures::future::join_all(claims).await {
        assert_eq!(status, 200, "{body}");
    }
    let received = receiver
        .wait_until(PATIENCE, |r| {
            r.iter()
                .map(|x| &x.id)
                .collect::<std::collections::HashSet<_>>()
                .len()
                >= 400
        })
        .await;
    let ids: std::collections::HashSet<_> = received.iter().map(|r| r.id.clone()).collect();
    assert_eq!(ids.len(), 400);
    assert_eq!(
        receiver.max_in_flight_per_id(),
        1,
        "an event was sent twice at once"
    );
    // The outcomes are recorded just after the answers.
    let wait = Wait::new("400 deliveries recorded as delivered");
    loop {
        let delivered: i64 =
            sqlx::query_scalar("SELECT count(*) FROM webhook_deliveries WHERE state = 'delivered'")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert!(delivered <= 400, "{delivered} deliveries of 400 events");
        if delivered == 400 {
            break;
        }
        wait.again().await;
    }
}
