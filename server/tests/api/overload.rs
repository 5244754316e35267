//! A request that cannot get a database connection in time gets a 503 with the error JSON.

use crate::common;

use sqlx::PgPool;

#[sqlx::test(migrations = "../migrations")]
async fn no_free_connection_is_a_503_not_a_hang(pool: PgPool) {
    // One connection, a short wait for it; the live dashboard's listener stays off the pool. The
    // claim that holds the connection waits for the lock as long as the test needs (no lock or
    // statement timeout frees the connection before the test has seen the 503s).
    let app = common::spawn_with(&pool, |c| {
        c.db_pool_size = 1;
        c.db_acquire_timeout_ms = 300;
        c.db_lock_timeout_ms = 120_000;
        c.db_statement_timeout_ms = 120_000;
    })
    .await;
    app.create("BUSY", 10).await;

    // Block the coupon row, so a per-request claim holds the app's only connection while it
    // waits for the lock (in batched mode the batch does).
    let blocker = common::hold_row_lock(&pool, "BUSY").await;
    let stuck = tokio::spawn({
        let http = app.http.clone();
        let url = format!("{}/api/coupons/claim", app.base);
        async move {
            let body = serde_json::json!({"user_id": "first", "coupon_name": "BUSY"});
            http.post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    // Wait until that claim holds the connection and waits for the lock.
    common::until_lock_waiters(&pool, 1).await;

    let (status, body) = app.get("/api/coupons/BUSY").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (503, Some("unavailable")),
        "{body}"
    );
    assert!(!body["error"].as_str().unwrap_or("").is_empty());
    // Readiness needs a database round trip; liveness does not.
    let ready = app.fetch("/health/ready").await;
    assert_eq!(ready.status(), 503);
    assert_eq!(ready.headers()["retry-after"], "1");
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["code"], "unavailable", "{body}");
    assert_eq!(app.get("/health").await.0, 200);

    blocker.commit().await.unwrap();
    assert_eq!(
        stuck.await.unwrap(),
        200,
        "the waiting claim completes once the lock is free"
    );
    let (status, body) = app.get("/api/coupons/BUSY").await;
    assert_eq!((status, body["remaining_amount"].as_i64()), (200, Some(9)));
    assert_eq!(
        app.get("/health/ready").await,
        (200, serde_json::json!({"status": "ready"}))
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_stuck_lock_ends_in_lock_timeout_503_and_claims_nothing(pool: PgPool) {
    let app = common::spawn_with(&pool, |c| c.db_lock_timeout_ms = 200).await;
    app.create("LOCKED", 10).await;
    let blocker = common::hold_row_lock(&pool, "LOCKED").await;
    // The lock timeout ends the wait (without it the claim would wait as long as the lock).
    let (status, body) = tokio::time::timeout(common::PATIENCE, app.claim("stuck", "LOCKED"))
        .await
        .expect("the claim still waits for the lock after a minute");
    assert_eq!(
        (status, body["code"].as_str()),
        (503, Some("unavailable")),
        "{body}"
    );
    blocker.rollback().await.unwrap();
    let (_, coupon) = app.get("/api/coupons/LOCKED").await;
    assert_eq!(
        (
            coupon["remaining_amount"].as_i64(),
            coupon["claimed_by"].clone()
        ),
        (Some(10), serde_json::json!([]))
    );
    assert_eq!(app.claim("stuck", "LOCKED").await.0, 200);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_statement_over_the_statement_timeout_is_a_503_and_claims_nothing(pool: PgPool) {
    // No lock timeout: only the statement timeout can end the wait.
    let app = common::spawn_with(&pool, |c| {
        c.db_lock_timeout_ms = 0;
        c.db_statement_timeout_ms = 300;
    })
    .await;
    app.create("STUCK", 10).await;
    let blocker = common::hold_row_lock(&pool, "STUCK").await;
    let (status, body) = tokio::time::timeout(common::PATIENCE, app.claim("u", "STUCK"))
        .await
        .expect("the claim still waits after a minute");
    assert_eq!(
        (status, body["code"].as_str()),
        (503, Some("unavailable")),
        "{body}"
    );
    blocker.rollback().await.unwrap();
    let (_, coupon) = app.get("/api/coupons/STUCK").await;
    assert_eq!(coupon["remaining_amount"].as_i64(), Some(10));
}
