//! Every row of the API contract (docs/api.md), over real HTTP.

use crate::common::spawn;
use serde_json::{Value, json};
use sqlx::PgPool;

#[sqlx::test(migrations = "../migrations")]
async fn create_answers_201_with_location_and_the_coupon(pool: PgPool) {
    let app = spawn(&pool).await;
    let resp = app
        .http
        .post(format!("{}/api/coupons", app.base))
        .json(&json!({"name": "PROMO_SUPER", "amount": 100}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.headers()["location"], "/api/coupons/PROMO_SUPER");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["name"], "PROMO_SUPER");
    assert_eq!(body["amount"], 100);
    assert_eq!(body["remaining_amount"], 100);
    assert_eq!(body["claimed_by"], json!([]));
    assert!(body["created_at"].as_str().unwrap().contains('T'));

    let (status, body) = app
        .post("/api/coupons", &json!({"name": "PROMO_SUPER", "amount": 5}))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("coupon_exists"))
    );
    assert!(body["error"].as_str().unwrap().len() > 5);
}

#[sqlx::test(migrations = "../migrations")]
async fn claim_and_get_follow_the_contract(pool: PgPool) {
    let app = spawn(&pool).await;
    app.create("C", 2).await;
    let (status, body) = app.claim("u1", "C").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["user_id"].as_str(), body["coupon_name"].as_str()),
        (Some("u1"), Some("C"))
    );
    assert_eq!(body["remaining_amount"], 1);
    assert!(body["claimed_at"].is_string());

    let (status, body) = app.claim("u1", "C").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("already_claimed"))
    );
    app.claim("u2", "C").await;
    let (status, body) = app.claim("u3", "C").await;
    assert_eq!((status, body["code"].as_str()), (409, Some("sold_out")));
    let (status, body) = app.claim("u2", "C").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("already_claimed")),
        "holder after sold out"
    );
    let (status, body) = app.claim("u1", "MISSING").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("coupon_not_found"))
    );

    let (status, body) = app.get("/api/coupons/C").await;
    assert_eq!(status, 200);
    assert_eq!(body["claimed_by"], json!(["u1", "u2"]));
    assert_eq!(
        (body["amount"].as_i64(), body["remaining_amount"].as_i64()),
        (Some(2), Some(0))
    );
    let (status, body) = app.get("/api/coupons/NOPE").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("coupon_not_found"))
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn health_and_unknown_routes(pool: PgPool) {
    let app = spawn(&pool).await;
    assert_eq!(app.get("/health").await, (200, json!({"status": "ok"})));
    let (status, body) = app.get("/api/nothing/here").await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
    let resp = app
        .http
        .delete(format!("{}/api/coupons/X", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
}

#[sqlx::test(migrations = "../migrations")]
async fn unicode_and_punctuation_names_work_end_to_end(pool: PgPool) {
    let app = spawn(&pool).await;
    let names = [
        "🎉 Mega Sale",
        "春节优惠",
        "a/b?c#d%e&f",
        "O'Brien; DROP TABLE coupons;--",
        "claim",
        "tab-less ünïcödé",
    ];
    for name in names {
        app.create(name, 3).await;
        let (status, body) = app.claim("用户 👤", name).await;
        assert_eq!(status, 200, "{name}: {body}");
        assert_eq!(body["coupon_name"], name);
        let encoded =
            percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
        let (status, body) = app.get(&format!("/api/coupons/{encoded}")).await;
        assert_eq!(status, 200, "{name}: {body}");
        assert_eq!(body["name"], name);
        assert_eq!(body["claimed_by"], json!(["用户 👤"]));
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM coupons")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        count,
        names.len() as i64,
        "the SQL-looking name did no harm"
    );
}

/// Rows of the database, to prove a refused request changed nothing.
async fn snapshot(pool: &PgPool) -> (i64, i64, i64) {
    sqlx::query_as("SELECT (SELECT count(*) FROM coupons), (SELECT count(*) FROM claims), (SELECT coalesce(sum(remaining_amount), 0) FROM coupons)")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_inputs_get_a_4xx_with_the_right_code_and_change_nothing(pool: PgPool) {
    let app = spawn(&pool).await;
    app.create("KEEP", 10).await;
    let long = "n".repeat(256);
    let huge = "n".repeat(10 * 1024);
    let creates: Vec<(String, &str)> = vec![
        (r#"{"name": "A", "amount": 0}"#.into(), "invalid_request"),
        (r#"{"name": "A", "amount": -1}"#.into(), "invalid_request"),
        (
            r#"{"name": "A", "amount": 2147483648}"#.into(),
            "invalid_request",
        ),
        (r#"{"name": "A", "amount": 1e20}"#.into(), "invalid_request"),
        (r#"{"name": "A", "amount": 1.5}"#.into(), "invalid_request"),
        (r#"{"name": "A", "amount": "5"}"#.into(), "invalid_request"),
        (r#"{"name": "A", "amount": null}"#.into(), "invalid_request"),
        (r#"{"name": "A"}"#.into(), "invalid_request"),
        (r#"{"amount": 5}"#.into(), "invalid_request"),
        (r#"{"name": "", "amount": 5}"#.into(), "invalid_request"),
        (r#"{"name": "   ", "amount": 5}"#.into(), "invalid_request"),
        (r#"{"name": "a\nb", "amount": 5}"#.into(), "invalid_request"),
        (
            r#"{"name": "a\u0000b", "amount": 5}"#.into(),
            "invalid_request",
        ),
        (r#"{"name": 5, "amount": 5}"#.into(), "invalid_request"),
        (
            format!(r#"{{"name": "{long}", "amount": 5}}"#),
            "invalid_request",
        ),
        (
            format!(r#"{{"name": "{huge}", "amount": 5}}"#),
            "invalid_request",
        ),
        (
            r#"{"name": "A", "amount": 5, "quantity": 5}"#.into(),
            "invalid_request",
        ),
        (r#"{"name": "A", "amount": 5"#.into(), "invalid_request"),
        ("".into(), "invalid_request"),
        ("[]".into(), "invalid_request"),
        ("null".into(), "invalid_request"),
        (r#"{"name": "KEEP", "amount": 5}"#.into(), "coupon_exists"),
    ];
    let claims: Vec<(String, &str)> = vec![
        (r#"{"user_id": "u"}"#.into(), "invalid_request"),
        (r#"{"coupon_name": "KEEP"}"#.into(), "invalid_request"),
        (
            r#"{"user_id": "", "coupon_name": "KEEP"}"#.into(),
            "invalid_request",
        ),
        (
            r#"{"user_id": " ", "coupon_name": "KEEP"}"#.into(),
            "invalid_request",
        ),
        (
            r#"{"user_id": "a\tb", "coupon_name": "KEEP"}"#.into(),
            "invalid_request",
        ),
        (
            r#"{"user_id": 7, "coupon_name": "KEEP"}"#.into(),
            "invalid_request",
        ),
        (
            format!(r#"{{"user_id": "{long}", "coupon_name": "KEEP"}}"#),
            "invalid_request",
        ),
        (
            r#"{"user_id": "u", "coupon_name": "KEEP", "quantity": 5}"#.into(),
            "invalid_request",
        ),
        (
            r#"{"user_id": "u", "coupon_name": "' OR 1=1 --"}"#.into(),
            "coupon_not_found",
        ),
        ("not json".into(), "invalid_request"),
    ];
    let before = snapshot(&pool).await;
    for (path, cases) in [("/api/coupons", &creates), ("/api/coupons/claim", &claims)] {
        for (body, code) in cases.iter() {
            let (status, resp) = app
                .post_raw(path, Some("application/json"), body.clone())
                .await;
            assert!(
                (400..500).contains(&status),
                "{path} {body:.80}: {status} {resp}"
            );
            assert_eq!(
                resp["code"].as_str(),
                Some(*code),
                "{path} {body:.80}: {resp}"
            );
            assert!(!resp["error"].as_str().unwrap_or("").is_empty());
        }
    }
    let (_, resp) = app
        .post_raw(
            "/api/coupons",
            Some("application/json"),
            r#"{"name":"A","amount":5,"quantity":5}"#,
        )
        .await;
    assert!(
        resp["error"].as_str().unwrap().contains("quantity"),
        "names the unknown field: {resp}"
    );

    let (status, resp) = app
        .post_raw(
            "/api/coupons",
            Some("text/plain"),
            r#"{"name":"B","amount":5}"#,
        )
        .await;
    assert_eq!(
        (status, resp["code"].as_str()),
        (415, Some("unsupported_media_type"))
    );
    let (status, _) = app
        .post_raw("/api/coupons", None, r#"{"name":"B","amount":5}"#)
        .await;
    assert_eq!(status, 415);
    let over = format!(r#"{{"name": "{}", "amount": 5}}"#, "x".repeat(200 * 1024));
    let (status, resp) = app
        .post_raw("/api/coupons", Some("application/json"), over)
        .await;
    assert_eq!(
        (status, resp["code"].as_str()),
        (413, Some("payload_too_large"))
    );
    let (status, resp) = app.get(&format!("/api/coupons/{}", "x".repeat(300))).await;
    assert_eq!(
        (status, resp["code"].as_str()),
        (400, Some("invalid_request"))
    );
    let (status, _) = app.get("/api/coupons/%FF%FE").await;
    assert_eq!(status, 400, "invalid UTF-8 in the path");
    let (status, _) = app.get("/api/coupons/a%0Ab").await;
    assert_eq!(status, 400, "control character in the path");

    assert_eq!(
        snapshot(&pool).await,
        before,
        "a refused request changed the database"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn every_answer_carries_a_request_id_kept_from_the_client_or_made(pool: PgPool) {
    let app = spawn(&pool).await;
    let id = |r: &reqwest::Response| r.headers()["x-request-id"].to_str().unwrap().to_owned();
    let first = id(&app.fetch("/health").await);
    let second = id(&app.fetch("/api/coupons/NOPE").await);
    assert_ne!(first, second, "each request gets its own id");
    for made in [&first, &second] {
        assert!(made.len() >= 3 && made.is_ascii(), "{made}");
    }
    let kept = app
        .http
        .get(format!("{}/health", app.base))
        .header("x-request-id", "client-chosen-42")
        .send()
        .await
        .unwrap();
    assert_eq!(id(&kept), "client-chosen-42");
}
