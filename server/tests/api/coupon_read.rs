//! The public GET of a coupon with many claimers: streamed page by page, yet the same JSON and
//! the same snapshot as a small coupon's one-statement answer; kept in memory while unchanged,
//! yet never one change behind (two processes, claims, releases and restocks racing the reads).

use crate::common;

use serde_json::{Value, json};
use sqlx::PgPool;

/// Gives `coupon` `n` claims straight in the database (users `bulk-1` ..), stock to match.
async fn bulk_claims(pool: &PgPool, coupon: &str, n: i32) {
    sqlx::query(
        "INSERT INTO claims (user_id, coupon_name)
         SELECT 'bulk-' || g, $1 FROM generate_series(1, $2) AS g ORDER BY g",
    )
    .bind(coupon)
    .bind(n)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE coupons SET remaining_amount = remaining_amount - $2, version = version + 1
         WHERE name = $1",
    )
    .bind(coupon)
    .bind(n)
    .execute(pool)
    .await
    .unwrap();
}

async fn claimed_in_db(pool: &PgPool, coupon: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT user_id FROM claims WHERE coupon_name = $1 ORDER BY id")
        .bind(coupon)
        .fetch_all(pool)
        .await
        .unwrap()
}

fn claimed_by(body: &Value) -> Vec<String> {
    serde_json::from_value(body["claimed_by"].clone()).unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_coupon_with_many_claimers_reads_whole_and_consistent(pool: PgPool) {
    let app = common::spawn(&pool).await;
    app.create("MANY", 100_000).await;
    bulk_claims(&pool, "MANY", 12_345).await;
    let (status, body) = app.get("/api/coupons/MANY").await;
    assert_eq!(status, 200);
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "allocation",
            "amount",
            "claimed",
            "claimed_by",
            "created_at",
            "ends_at",
            "name",
            "paused",
            "remaining_amount",
            "starts_at"
        ]
    );
    assert_eq!(claimed_by(&body), claimed_in_db(&pool, "MANY").await);
    assert_eq!(body["remaining_amount"], 100_000 - 12_345);

    // Claims landing while readers stream: every answer is one snapshot.
    let claims: Vec<_> = (0..300)
        .map(|i| {
            let (http, url) = (app.http.clone(), format!("{}/api/coupons/claim", app.base));
            let body = serde_json::json!({"user_id": format!("live-{i}"), "coupon_name": "MANY"});
            tokio::spawn(async move { http.post(url).json(&body).send().await.unwrap().status() })
        })
        .collect();
    let mut reads = Vec::new();
    for _ in 0..6 {
        let (http, url) = (app.http.clone(), format!("{}/api/coupons/MANY", app.base));
        reads.push(tokio::spawn(async move {
            let response = http.get(url).send().await.unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        }));
    }
    for claim in claims {
        assert_eq!(claim.await.unwrap(), 200);
    }
    let all = claimed_in_db(&pool, "MANY").await;
    for read in reads {
        let (status, body) = read.await.unwrap();
        assert_eq!(status, 200);
        let seen = claimed_by(&body);
        let remaining = body["remaining_amount"].as_i64().unwrap();
        assert_eq!(
            seen.len() as i64,
            100_000 - remaining,
            "list and stock disagree"
        );
        assert_eq!(body["claimed"], seen.len(), "claimed and the list disagree");
        assert_eq!(
            seen[..],
            all[..seen.len()],
            "not a prefix of the claim order"
        );
    }
}

/// Every read of `coupon` by `app` matches the database as it was at some instant: the list,
/// `claimed` and the stock agree, and the list is the claim order.
async fn read_consistent(app: &common::TestApp, coupon: &str) -> Vec<String> {
    let (status, body) = app.get(&format!("/api/coupons/{coupon}")).await;
    assert_eq!(status, 200, "{body}");
    let seen = claimed_by(&body);
    let claimed = body["amount"].as_i64().unwrap() - body["remaining_amount"].as_i64().unwrap();
    assert_eq!(seen.len() as i64, claimed, "list and stock disagree");
    assert_eq!(body["claimed"], json!(claimed));
    seen
}

#[sqlx::test(migrations = "../migrations")]
async fn a_kept_answer_is_never_one_change_behind(pool: PgPool) {
    let (a, b) = (common::spawn(&pool).await, common::spawn(&pool).await);
    a.create("KEPT", 10_000).await;
    bulk_claims(&pool, "KEPT", 150).await;
    // Read twice on each process (the second from memory), then every change shows at once.
    for app in [&a, &b] {
        assert_eq!(
            read_consistent(app, "KEPT").await,
            claimed_in_db(&pool, "KEPT").await
        );
        assert_eq!(read_consistent(app, "KEPT").await.len(), 150);
    }
    assert_eq!(a.claim("late", "KEPT").await.0, 200);
    assert_eq!(read_consistent(&b, "KEPT").await.last().unwrap(), "late");
    assert_eq!(b.release("KEPT", "bulk-7").await.0, 200);
    let seen = read_consistent(&a, "KEPT").await;
    assert!(!seen.contains(&"bulk-7".to_owned()) && seen.len() == 150);
    let (status, _) = b.patch("KEPT", &json!({"amount": 20_000})).await;
    assert_eq!(status, 200);
    let (_, body) = a.get("/api/coupons/KEPT").await;
    assert_eq!(body["amount"], json!(20_000));

    // Claims and releases on both processes race readers on both.
    let writers: Vec<_> = (0..200)
        .map(|i| {
            let (app, user) = (if i % 2 == 0 { &a } else { &b }, format!("race-{i}"));
            let (http, base) = (app.http.clone(), app.base.clone());
            tokio::spawn(async move {
                let claim = json!({"user_id": user, "coupon_name": "KEPT"});
                let url = format!("{base}/api/coupons/claim");
                assert_eq!(
                    http.post(url).json(&claim).send().await.unwrap().status(),
                    200
                );
                if i % 5 == 0 {
                    let url = format!("{base}/api/coupons/KEPT/claims/{user}");
                    let status = http.delete(url).send().await.unwrap().status();
                    assert_eq!(status, 200);
                }
            })
        })
        .collect();
    let mut reads = 0;
    while !writers.iter().all(|w| w.is_finished()) {
        for app in [&a, &b] {
            read_consistent(app, "KEPT").await;
            reads += 1;
        }
    }
    for writer in writers {
        writer.await.unwrap();
    }
    let all = claimed_in_db(&pool, "KEPT").await;
    eprintln!("{reads} consistent reads while 200 claims and 40 releases ran");
    assert_eq!(read_consistent(&a, "KEPT").await, all);
    assert_eq!(read_consistent(&b, "KEPT").await, all);
}
