//! API keys: made by an admin and shown once, stored only as a hash, judged by scope on every
//! route, audited under their id, revoked on every process (the delay printed), and not
//! guessable from one address (the lockout).

use std::time::Instant;

use reqwest::Method;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::common::{
    self,
    admin::{PASSWORD, TOKEN},
    creds::{call, claim_with, create_as, create_key},
};

#[sqlx::test(migrations = "../migrations")]
async fn a_key_is_shown_once_and_stored_as_a_hash(pool: PgPool) {
    let app = common::admin::locked(&pool, 60).await;
    let body = json!({"name": "shop backend", "scopes": ["claim", "read"]});
    let (status, created) = call(&app, Method::POST, "/api/keys", TOKEN, Some(&body)).await;
    assert_eq!(status, 201, "{created}");
    let key = created["key"].as_str().unwrap();
    assert!(key.starts_with("ck_") && key.len() == 46, "{key}");
    assert_eq!(created["prefix"].as_str().unwrap(), &key[..9]);
    assert_eq!(created["scopes"], json!(["claim", "read"]));
    let (status, list) = call(&app, Method::GET, "/api/keys", TOKEN, None).await;
    assert_eq!(status, 200);
    assert_eq!(list[0]["name"], "shop backend");
    assert!(
        !list.to_string().contains(&key[9..]),
        "the list shows the secret: {list}"
    );
    // The database holds the SHA-256 of the key and nothing that could rebuild it.
    let (hash, row): (Vec<u8>, String) =
        sqlx::query_as("SELECT secret_hash, row_to_json(api_keys)::text FROM api_keys")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(hash, Sha256::digest(key.as_bytes()).to_vec());
    assert!(!row.contains(&key[9..]), "{row}");
    let audit: String = sqlx::query_scalar("SELECT string_agg(after::text, '') FROM audit_log")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(!audit.contains(&key[9..]), "the audit log holds the secret");
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_key_requests_are_refused_and_store_nothing(pool: PgPool) {
    let app = common::spawn(&pool).await;
    for body in [
        json!({"name": "x", "scopes": []}),
        json!({"name": "x", "scopes": ["root"]}),
        json!({"name": "x", "scopes": ["claim", "claim"]}),
        json!({"name": "", "scopes": ["claim"]}),
        json!({"scopes": ["claim"]}),
        json!({"name": "x", "scopes": ["claim"], "expires": 1}),
        json!({"name": "x", "scopes": "claim"}),
    ] {
        let (status, answer) = app.post("/api/keys", &body).await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (400, Some("invalid_request")),
            "{body}: {answer}"
        );
    }
    let (status, _, answer) = app
        .send(Method::DELETE, "/api/keys/424242", None, &[])
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (404, Some("key_not_found"))
    );
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM api_keys")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn scopes_decide_what_a_key_may_do(pool: PgPool) {
    let app = common::admin::locked(&pool, 60).await;
    create_as(&app, TOKEN, "S", 5).await;
    let (_, read) = create_key(&app, Some(TOKEN), &["read"]).await;
    let (_, claim) = create_key(&app, Some(TOKEN), &["claim"]).await;
    let (admin_id, admin) = create_key(&app, Some(TOKEN), &["admin"]).await;
    let reads = [
        "/api/coupons/S/claims",
        "/api/coupons/S/claims.csv",
        "/api/audit",
        "/metrics",
    ];
    for path in reads {
        let (status, body) = call(&app, Method::GET, path, &read, None).await;
        assert_eq!(status, 200, "read key on {path}: {body}");
        let (status, body) = call(&app, Method::GET, path, &claim, None).await;
        assert_eq!(
            (status, body["scope"].as_str()),
            (403, Some("read")),
            "claim key on {path}: {body}"
        );
    }
    // The admin's pages too: a read key sees the audit page's entries (the app's own check
    // admits it as the guard did).
    let page = app
        .http
        .get(format!("{}/audit", app.base))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.text().await.unwrap().contains("key.create"),
        "the audit page is empty for a read key"
    );
    let create = json!({"name": "BY_KEY", "amount": 3});
    let (status, body) = call(&app, Method::POST, "/api/coupons", &read, Some(&create)).await;
    assert_eq!(
        (status, body["code"].as_str(), body["scope"].as_str()),
        (403, Some("insufficient_scope"), Some("admin"))
    );
    let (status, body) = call(&app, Method::GET, "/api/keys", &read, None).await;
    assert_eq!(
        (status, body["scope"].as_str()),
        (403, Some("admin")),
        "the keys are the admin's"
    );
    let (status, _) = call(&app, Method::POST, "/api/coupons", &admin, Some(&create)).await;
    assert_eq!(status, 201);
    // A claim key claims; the public read needs nothing.
    let body = json!({"user_id": "u1", "coupon_name": "S"});
    assert_eq!(claim_with(&app, Some(&claim), &body).await.0, 200);
    // The audit log names the key, never its secret.
    let actor: String =
        sqlx::query_scalar("SELECT actor FROM audit_log WHERE coupon_name = 'BY_KEY'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(actor, format!("key:{admin_id}"));
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE action LIKE 'key.%'")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(actions, ["key.create"; 3]);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_revoked_key_stops_working_on_every_process(pool: PgPool) {
    let (one, two) = (common::spawn(&pool).await, common::spawn(&pool).await);
    for name in ["R1", "R2"] {
        one.create(name, 100).await;
    }
    let (id, key) = create_key(&one, None, &["read", "claim"]).await;
    // Made on one process, at once usable on the other (looked up once, then cached).
    let claims = "/api/coupons/R1/claims";
    assert_eq!(call(&two, Method::GET, claims, &key, None).await.0, 200);
    let (status, _, revoked) = one
        .send(Method::DELETE, &format!("/api/keys/{id}"), None, &[])
        .await;
    assert_eq!(status, 200, "{revoked}");
    let since = Instant::now();
    assert_eq!(
        call(&one, Method::GET, claims, &key, None).await.0,
        401,
        "revoked where it was revoked"
    );
    // The delay is a measurement (docs/operations.md: milliseconds), not a gate.
    let wait = common::Wait::new("the revocation to reach the second process");
    loop {
        let (status, body) = call(&two, Method::GET, claims, &key, None).await;
        if status == 401 {
            assert_eq!(body["code"], "invalid_key");
            break;
        }
        wait.again().await;
    }
    println!(
        "revocation reached the second process in {:?}",
        since.elapsed()
    );
    let body = json!({"user_id": "late", "coupon_name": "R2"});
    assert_eq!(claim_with(&two, Some(&key), &body).await.0, 401);
    assert_eq!(common::db_state(&pool, "R2").await.2, 0);
    let audit: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'key.revoke'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(audit, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn guessing_keys_locks_the_address_out(pool: PgPool) {
    let app = common::spawn_with(&pool, |c| {
        c.rate_limits = true;
        c.admin_password = Some(PASSWORD.into());
    })
    .await;
    let (_, real) = create_key(&app, Some(PASSWORD), &["read"]).await;
    let guess = |i: usize| {
        let app = &app;
        async move {
            let guess = format!("ck_{:0>43}", i);
            call(app, Method::GET, "/api/audit", &guess, None).await.0
        }
    };
    let started = Instant::now();
    let mut statuses = std::collections::BTreeMap::new();
    for i in 0..1000 {
        *statuses.entry(guess(i).await).or_insert(0) += 1;
    }
    let took = started.elapsed();
    // The default lockout: 10 failures a minute (one more every 6 s), then 429 for every
    // credential of the address. However long the guesses took, only the failures of that
    // allowance were judged.
    let allowance = 10 + (took.as_secs_f64() / 6.0) as usize;
    let failed = statuses.get(&401).copied().unwrap_or(0);
    assert!(
        (10..=allowance).contains(&failed),
        "{failed} guesses judged in {took:.1?} (allowed 10 a minute): {statuses:?}"
    );
    assert_eq!(
        failed + statuses.get(&429).copied().unwrap_or(0),
        1000,
        "{statuses:?}"
    );
    // Locked out (a guess just refused), even the real key gets 429.
    let wait = common::Wait::new("a guess refused with 429");
    let mut i = 1000;
    while guess(i).await != 429 {
        i += 1;
        wait.again().await;
    }
    assert_eq!(
        call(&app, Method::GET, "/api/audit", &real, None).await.0,
        429
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_key_in_the_url_is_refused(pool: PgPool) {
    let app = common::spawn(&pool).await;
    app.create("Q", 5).await;
    let (_, key) = create_key(&app, None, &["admin"]).await;
    for query in [
        format!("api_key={key}"),
        format!("access_token={key}"),
        format!("x={key}"),
        "token=abc".to_owned(),
    ] {
        let (status, body) = app.get(&format!("/api/coupons/Q?{query}")).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("invalid_request")),
            "{query}: {body}"
        );
    }
    assert_eq!(app.get("/api/coupons/Q?after=1").await.0, 200);
}
