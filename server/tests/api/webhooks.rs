//! Webhooks end to end: endpoints over the API, a whole sale's events at a real receiver, each
//! signature verified with the endpoint's secret (and the old one only during a rotation).

use std::{collections::BTreeMap, time::Duration};

use serde_json::{Value, json};
use sqlx::PgPool;
use standardwebhooks::Webhook;

use crate::common::{
    PATIENCE, TestApp, Wait, assert_invariants,
    receiver::{Behaviour, Received, Receiver},
    spawn_with,
};

const ALL_EVENTS: [&str; 5] = [
    "claim.created",
    "claim.released",
    "claim.redeemed",
    "coupon.sold_out",
    "coupon.updated",
];

/// Settings for tests: local receivers allowed, quick retries and polls.
pub fn quick(config: &mut server::config::Config) {
    let hooks = &mut config.webhooks;
    hooks.webhook_allow_private = true;
    hooks.webhook_retry_schedule = vec![Duration::from_millis(100); 4];
    hooks.webhook_poll_ms = 100;
    hooks.webhook_timeout_ms = 1_000;
}

/// Registers `url` for `events`; returns the endpoint's id and secret.
pub async fn register(app: &TestApp, url: &str, events: &[&str]) -> (i64, String) {
    let (status, body) = app
        .post("/api/webhooks", &json!({"url": url, "events": events}))
        .await;
    assert_eq!(status, 201, "{body}");
    let secret = body["secret"].as_str().expect("secret").to_owned();
    (body["id"].as_i64().unwrap(), secret)
}

/// True when `r`'s signature header verifies with `secret`.
pub fn verifies(r: &Received, secret: &str) -> bool {
    Webhook::new(secret)
        .unwrap()
        .verify(r.body.as_bytes(), &r.headers)
        .is_ok()
}

/// Distinct event ids received, by event type.
fn by_type(received: &[Received]) -> BTreeMap<String, std::collections::BTreeSet<String>> {
    let mut map: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    for r in received {
        map.entry(r.event_type()).or_default().insert(r.id.clone());
    }
    map
}

#[sqlx::test(migrations = "../migrations")]
async fn endpoints_are_managed_and_secrets_shown_once(pool: PgPool) {
    let app = spawn_with(&pool, quick).await;
    let receiver = Receiver::start(Behaviour::Ok).await;
    let (id, secret) = register(&app, &receiver.url, &["claim.created"]).await;
    assert!(
        secret.starts_with("whsec_") && secret.len() > 40,
        "{secret}"
    );
    let (status, list) = app.get("/api/webhooks").await;
    assert_eq!(status, 200);
    assert_eq!(list[0]["id"], id);
    assert!(
        !list.to_string().contains("whsec_"),
        "a list shows no secret: {list}"
    );
    let path = format!("/api/webhooks/{id}");
    let patch = json!({"enabled": false, "description": "shop", "events": ALL_EVENTS});
    let (status, _, body) = app
        .send(reqwest::Method::PATCH, &path, Some(&patch), &[])
        .await;
    assert_eq!((status, &body["enabled"]), (200, &json!(false)), "{body}");
    assert_eq!(body["events"].as_array().unwrap().len(), 5);
    let (status, rotated) = app.post(&format!("{path}/rotate"), &json!({})).await;
    assert_eq!(status, 200, "{rotated}");
    assert_ne!(rotated["secret"], json!(secret));
    assert!(rotated["previous_secret_until"].is_string());
    let audit: Vec<String> =
        sqlx::query_scalar("SELECT concat(action, before, after) FROM audit_log")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(audit.len(), 3, "create, update, rotate: {audit:?}");
    assert!(
        !audit.concat().contains("whsec_"),
        "no secret in the audit log"
    );
    let (status, _, _) = app.send(reqwest::Method::DELETE, &path, None, &[]).await;
    assert_eq!(status, 204);
    let (status, body) = app.get(&path).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("webhook_not_found"))
    );
    let (status, body) = app.get(&format!("{path}/deliveries")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("webhook_not_found"))
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_endpoints_are_refused_and_change_nothing(pool: PgPool) {
    let app = spawn_with(&pool, quick).await;
    let url = "http://127.0.0.1:9/hook";
    for body in [
        json!({"url": url, "events": []}),
        json!({"url": url, "events": ["claim.created", "claim.created"]}),
        json!({"url": url, "events": ["claim.deleted"]}),
        json!({"url": url}),
        json!({"url": "", "events": ["claim.created"]}),
        json!({"url": "not a url", "events": ["claim.created"]}),
        json!({"url": "ftp://example.com/", "events": ["claim.created"]}),
        json!({"url": url, "events": ["claim.created"], "secret": "mine"}),
        json!({"url": url, "events": ["claim.created"], "description": "a\u{7}b"}),
        json!({"url": format!("http://example.com/{}", "a".repeat(2100)), "events": ["claim.created"]}),
    ] {
        let (status, answer) = app.post("/api/webhooks", &body).await;
        assert!(
            status == 400 || status == 422,
            "{body} -> {status} {answer}"
        );
        assert!(answer["code"].is_string(), "{answer}");
    }
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM webhook_endpoints")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_whole_sale_arrives_signed(pool: PgPool) {
    let app = spawn_with(&pool, quick).await;
    let receiver = Receiver::start(Behaviour::Ok).await;
    let (_, secret) = register(&app, &receiver.url, &ALL_EVENTS).await;
    app.create("SALE", 2_000).await;
    let users: Vec<String> = (0..2_000).map(|i| format!("u{i}")).collect();
    for chunk in users.chunks(250) {
        let claims = chunk.iter().map(|u| app.claim(u, "SALE"));
        for (status, body) in futures::future::join_all(claims).await {
            assert_eq!(status, 200, "{body}");
        }
    }
    assert_eq!(app.release("SALE", "u0").await.0, 200);
    assert_eq!(app.patch("SALE", &json!({"amount": 2_001})).await.0, 200);
    assert_eq!(app.patch("SALE", &json!({"paused": true})).await.0, 200);
    assert_eq!(app.patch("SALE", &json!({"paused": false})).await.0, 200);
    for user in ["late1", "late2"] {
        assert_eq!(app.claim(user, "SALE").await.0, 200);
    }
    let redeem = "/api/coupons/SALE/claims/late1/redeem";
    assert_eq!(app.post(redeem, &json!({})).await.0, 200);
    assert_invariants(&pool, "SALE").await;
    let want = [
        ("claim.created", 2_002),
        ("claim.released", 1),
        ("claim.redeemed", 1),
        ("coupon.updated", 3),
        ("coupon.sold_out", 2),
    ];
    let received = receiver
        .wait_until(PATIENCE, |r| {
            let got = by_type(r);
            want.iter()
                .all(|(t, n)| got.get(*t).map_or(0, |ids| ids.len()) >= *n)
        })
        .await;
    let got = by_type(&received);
    for (kind, n) in want {
        assert_eq!(got.get(kind).map(|ids| ids.len()), Some(n), "{kind}");
    }
    assert!(
        received.iter().all(|r| verifies(r, &secret)),
        "a signature failed"
    );
    // Every committed claim was announced, with its user and time.
    let claimed: Vec<(String, chrono::DateTime<chrono::Utc>)> =
        sqlx::query_as("SELECT user_id, claimed_at FROM claims WHERE coupon_name = 'SALE'")
            .fetch_all(&pool)
            .await
            .unwrap();
    let announced: BTreeMap<String, Value> = received
        .iter()
        .filter(|r| r.event_type() == "claim.created")
        .map(|r| {
            let data = r.json()["data"].clone();
            (data["user_id"].as_str().unwrap().to_owned(), data)
        })
        .collect();
    for (user, at) in &claimed {
        let data = announced
            .get(user)
            .unwrap_or_else(|| panic!("{user} not announced"));
        let sent: chrono::DateTime<chrono::Utc> =
            data["claimed_at"].as_str().unwrap().parse().unwrap();
        assert_eq!(&sent, at, "{user}");
    }
    let one = &received[0].json();
    assert!(one["id"].as_str().unwrap().starts_with("evt_") && one["created_at"].is_string());
    assert!(received.iter().all(|r| r.body.len() < 20 * 1024));
    // The outcomes are recorded just after the answers.
    let wait = Wait::new("no delivery pending on the endpoint");
    while app.get("/api/webhooks").await.1[0]["pending"] != 0 {
        wait.again().await;
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn the_old_secret_signs_only_during_the_grace_period(pool: PgPool) {
    // A grace no slow machine outlasts; its end is then brought forward in the database, rather
    // than waited for (a delivery signed late would otherwise miss a short grace).
    let grace = chrono::TimeDelta::hours(1);
    let app = spawn_with(&pool, |c| {
        quick(c);
        c.webhooks.webhook_rotation_grace_secs = grace.num_seconds() as u64;
    })
    .await;
    let receiver = Receiver::start(Behaviour::Ok).await;
    let (id, old) = register(&app, &receiver.url, &["claim.created"]).await;
    app.create("ROT", 10).await;
    let before = chrono::Utc::now();
    let (_, rotated) = app
        .post(&format!("/api/webhooks/{id}/rotate"), &json!({}))
        .await;
    let after_rotation = chrono::Utc::now();
    let new = rotated["secret"].as_str().unwrap().to_owned();
    // The grace is WEBHOOK_ROTATION_GRACE_SECS from the rotation (a second either way: rounding).
    let until: chrono::DateTime<chrono::Utc> = rotated["previous_secret_until"]
        .as_str()
        .expect("previous_secret_until")
        .parse()
        .unwrap();
    let second = chrono::TimeDelta::seconds(1);
    assert!(
        until >= before + grace - second && until <= after_rotation + grace + second,
        "previous_secret_until {until} is not {grace} after the rotation ({before} to {after_rotation})"
    );
    assert_eq!(app.claim("during", "ROT").await.0, 200);
    let during = receiver.wait_until(PATIENCE, |r| !r.is_empty()).await;
    assert!(verifies(&during[0], &new) && verifies(&during[0], &old));
    // The grace ends.
    sqlx::query(
        "UPDATE webhook_endpoints SET previous_secret_until = now() - interval '1 second'
         WHERE id = $1",
    )
    .bind(id)
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(app.claim("after", "ROT").await.0, 200);
    let after = receiver.wait_until(PATIENCE, |r| r.len() >= 2).await;
    assert!(verifies(&after[1], &new), "the new secret signs");
    assert!(
        !verifies(&after[1], &old),
        "the old secret no longer signs after the grace"
    );
    assert!(!verifies(
        &after[1],
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    ));
}

/// The Python verifier of docs/webhooks.md, as printed there, on a real delivery: it accepts
/// it, and refuses it with another body or secret. (webhooks.spec.ts runs the Node one.)
#[sqlx::test(migrations = "../migrations")]
async fn the_documented_python_verifier_agrees(pool: PgPool) {
    let app = spawn_with(&pool, quick).await;
    let receiver = Receiver::start(Behaviour::Ok).await;
    let (_, secret) = register(&app, &receiver.url, &["claim.created"]).await;
    app.create("DOCS", 5).await;
    assert_eq!(app.claim("reader", "DOCS").await.0, 200);
    let got = receiver.wait_until(PATIENCE, |r| !r.is_empty()).await;
    let code = crate::common::docs::python_block("webhooks.md");
    let harness = format!(
        "{code}\nimport json, sys\nh = json.loads(sys.argv[2])\n\
         print(verify(sys.argv[1], h, sys.argv[3].encode()))\n"
    );
    let headers: serde_json::Map<String, Value> = got[0]
        .headers
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v.to_str().unwrap())))
        .collect();
    let headers = Value::Object(headers).to_string();
    let run = |secret: &str, body: &str| {
        crate::common::docs::run_python(&harness, &[secret, &headers, body])
    };
    assert_eq!(run(&secret, &got[0].body), "True");
    assert_eq!(
        run(&secret, &got[0].body.replace("reader", "forger")),
        "False"
    );
    let other = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    assert_eq!(run(other, &got[0].body), "False");
}
