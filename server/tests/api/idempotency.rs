//! `Idempotency-Key` on claims (Stripe's semantics), over real HTTP, across two server
//! processes sharing one database.

use crate::common;

use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::common::{TestApp, assert_invariants, spawn, spawn_with};

/// Claims with an Idempotency-Key; returns status, whether it was a replay, and the body.
async fn claim_with_key(app: &TestApp, key: &str, user: &str, coupon: &str) -> (u16, bool, Value) {
    let body = json!({"user_id": user, "coupon_name": coupon});
    let (status, headers, body) = app
        .send(
            Method::POST,
            "/api/coupons/claim",
            Some(&body),
            &[("idempotency-key", key)],
        )
        .await;
    let replayed = headers
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true");
    (status, replayed, body)
}

#[sqlx::test(migrations = "../migrations")]
async fn any_process_replays_the_first_answer(pool: PgPool) {
    let one = spawn(&pool).await;
    let two = spawn(&pool).await;
    one.create("K", 1).await;
    let (status, replayed, first) = claim_with_key(&one, "key-1", "alice", "K").await;
    assert_eq!((status, replayed), (200, false), "{first}");
    for app in [&one, &two, &two] {
        let (status, replayed, again) = claim_with_key(app, "key-1", "alice", "K").await;
        assert_eq!((status, replayed), (200, true));
        assert_eq!(again, first, "the same body, byte for byte as JSON");
    }
    // A refusal is an answer too, replayed as it was even after the stock changed.
    let (status, _, sold) = claim_with_key(&two, "key-2", "bob", "K").await;
    assert_eq!((status, sold["code"].clone()), (409, json!("sold_out")));
    one.patch("K", &json!({"amount": 2})).await;
    let (status, replayed, again) = claim_with_key(&one, "key-2", "bob", "K").await;
    assert_eq!((status, replayed, again), (409, true, sold));
    // Without a key, claims behave as before: bob gets the new unit.
    assert_eq!(one.claim("bob", "K").await.0, 200);
    assert_invariants(&pool, "K").await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_key_reused_with_another_body_is_refused(pool: PgPool) {
    let one = spawn(&pool).await;
    let two = spawn(&pool).await;
    one.create("K", 5).await;
    claim_with_key(&one, "shared", "alice", "K").await;
    for (user, coupon) in [("bob", "K"), ("alice", "OTHER")] {
        let (status, replayed, body) = claim_with_key(&two, "shared", user, coupon).await;
        assert_eq!((status, replayed), (422, false), "{body}");
        assert_eq!(body["code"], "idempotency_key_reused");
    }
    assert_eq!(
        common::db_state(&pool, "K").await.2,
        1,
        "the reused key claimed nothing"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn the_same_key_at_the_same_moment_runs_once(pool: PgPool) {
    // The request that runs the claim waits behind the lock until every other one has been
    // answered, however long that takes here: no lock or statement timeout ends its wait first.
    let patient = |c: &mut server::config::Config| {
        c.db_lock_timeout_ms = 120_000;
        c.db_statement_timeout_ms = 120_000;
    };
    let one = spawn_with(&pool, patient).await;
    let two = spawn_with(&pool, patient).await;
    one.create("K", 100).await;
    // Hold the coupon's row lock so the first claim waits: the others arrive meanwhile.
    let blocker = common::hold_row_lock(&pool, "K").await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let app = if i % 2 == 0 { &one } else { &two };
        let (base, http) = (app.base.clone(), app.http.clone());
        tasks.push(tokio::spawn(async move {
            let resp = http
                .post(format!("{base}/api/coupons/claim"))
                .header("idempotency-key", "burst")
                .json(&json!({"user_id": "carol", "coupon_name": "K"}))
                .send()
                .await
                .unwrap();
            let replayed = resp.headers().contains_key("idempotent-replayed");
            (
                resp.status().as_u16(),
                replayed,
                resp.json::<Value>().await.unwrap(),
            )
        }));
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // The others are answered while the one that holds the key waits for the lock.
    let wait =
        common::Wait::new("19 of the 20 requests to be answered while one waits for the lock");
    while tasks.iter().filter(|t| t.is_finished()).count() < tasks.len() - 1 {
        wait.again().await;
    }
    blocker.rollback().await.unwrap();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    let ran = answers.iter().filter(|(s, r, _)| *s == 200 && !r).count();
    let in_use = answers
        .iter()
        .filter(|(s, _, b)| *s == 409 && b["code"] == "idempotency_key_in_use")
        .count();
    assert_eq!(ran, 1, "exactly one request ran the claim: {answers:?}");
    assert_eq!(
        in_use + 1,
        answers.len(),
        "the others were told to wait: {answers:?}"
    );
    // Afterwards every retry replays the one answer.
    let (status, replayed, _) = claim_with_key(&two, "burst", "carol", "K").await;
    assert_eq!((status, replayed), (200, true));
    assert_eq!(common::db_state(&pool, "K").await.2, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_passing_failure_frees_the_key(pool: PgPool) {
    // A short lock timeout turns a held row lock into 503 unavailable (nothing claimed).
    let app = spawn_with(&pool, |c| c.db_lock_timeout_ms = 200).await;
    app.create("K", 1).await;
    let blocker = common::hold_row_lock(&pool, "K").await;
    let (status, _, body) = claim_with_key(&app, "retry-me", "dave", "K").await;
    assert_eq!(
        (status, body["code"].clone()),
        (503, json!("unavailable")),
        "{body}"
    );
    blocker.rollback().await.unwrap();
    let (status, replayed, body) = claim_with_key(&app, "retry-me", "dave", "K").await;
    assert_eq!(
        (status, replayed),
        (200, false),
        "the retry ran the claim: {body}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn old_keys_expire_and_dead_owners_free_theirs(pool: PgPool) {
    let app = spawn(&pool).await;
    app.create("K", 5).await;
    claim_with_key(&app, "old", "erin", "K").await;
    // A day later the key is new again: the claim runs (and erin already holds the coupon).
    sqlx::query("UPDATE idempotency_keys SET created_at = now() - interval '25 hours'")
        .execute(&pool)
        .await
        .unwrap();
    let (status, replayed, body) = claim_with_key(&app, "old", "erin", "K").await;
    assert_eq!(
        (status, replayed, body["code"].clone()),
        (409, false, json!("already_claimed"))
    );
    // A key in progress is in use; left in progress by a process that died, it is free again
    // after a while, whatever the dead request's body was.
    sqlx::query("INSERT INTO idempotency_keys (key, request_hash) VALUES ('orphan', '\\x00')")
        .execute(&pool)
        .await
        .unwrap();
    let frank = || async {
        let (status, _, body) = claim_with_key(&app, "orphan", "frank", "K").await;
        (status, body["code"].clone())
    };
    assert_eq!(frank().await, (422, json!("idempotency_key_reused")));
    sqlx::query("UPDATE idempotency_keys SET request_hash = $1 WHERE key = 'orphan'")
        .bind(server::api::idempotency::fingerprint("frank", "K"))
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(frank().await, (409, json!("idempotency_key_in_use")));
    sqlx::query("UPDATE idempotency_keys SET locked_at = now() - interval '10 minutes'")
        .execute(&pool)
        .await
        .unwrap();
    let (status, replayed, _) = claim_with_key(&app, "orphan", "frank", "K").await;
    assert_eq!((status, replayed), (200, false));
    // The purge removes expired keys only.
    sqlx::query(
        "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'old'",
    )
    .execute(&pool)
    .await
    .unwrap();
    let purged = server::db::idempotency::purge(&pool, 24.0 * 3600.0, 100)
        .await
        .unwrap();
    assert_eq!(purged, 1);
    let left: Vec<String> = sqlx::query_scalar("SELECT key FROM idempotency_keys ORDER BY key")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(left, ["orphan"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn malformed_keys_are_refused_before_anything_runs(pool: PgPool) {
    let app = spawn(&pool).await;
    app.create("K", 5).await;
    let long = "k".repeat(256);
    for key in ["", " ", "with space", "tab\tkey", long.as_str(), "é"] {
        let body = json!({"user_id": "gina", "coupon_name": "K"});
        let resp = app
            .http
            .post(format!("{}/api/coupons/claim", app.base))
            .header(
                "idempotency-key",
                reqwest::header::HeaderValue::from_bytes(key.as_bytes()).unwrap(),
            )
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{key:?}");
    }
    let max = "k".repeat(255);
    assert_eq!(claim_with_key(&app, &max, "gina", "K").await.0, 200);
    assert_eq!(common::db_state(&pool, "K").await.2, 1);
}
