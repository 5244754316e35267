//! The sale lifecycle contract over real HTTP: window, pause, restock, release, audit log.

use crate::common;

use chrono::{DateTime, Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::common::{assert_invariants, spawn};

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339()
}

fn code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or_default()
}

#[sqlx::test(migrations = "../migrations")]
async fn create_and_read_the_window(pool: PgPool) {
    let app = spawn(&pool).await;
    let starts = Utc::now() + Duration::hours(1);
    let ends = starts + Duration::hours(2);
    let body =
        json!({"name": "W", "amount": 3, "starts_at": rfc3339(starts), "ends_at": rfc3339(ends)});
    let (status, created) = app.post("/api/coupons", &body).await;
    assert_eq!(status, 201, "{created}");
    let (status, coupon) = app.get("/api/coupons/W").await;
    assert_eq!(status, 200);
    let at = |v: &Value| v.as_str().unwrap().parse::<DateTime<Utc>>().unwrap();
    assert_eq!(
        at(&coupon["starts_at"]).timestamp_micros(),
        starts.timestamp_micros()
    );
    assert_eq!(
        at(&coupon["ends_at"]).timestamp_micros(),
        ends.timestamp_micros()
    );
    assert_eq!(
        (coupon["paused"].clone(), coupon["claimed"].clone()),
        (json!(false), json!(0))
    );
    assert_eq!(created["starts_at"], coupon["starts_at"]);

    // ends_at must follow starts_at; nothing is created otherwise.
    let bad =
        json!({"name": "BAD", "amount": 1, "starts_at": rfc3339(ends), "ends_at": rfc3339(starts)});
    let (status, body) = app.post("/api/coupons", &bad).await;
    assert_eq!((status, code(&body)), (400, "invalid_request"), "{body}");
    let bad = json!({"name": "BAD", "amount": 1, "starts_at": "tomorrow"});
    assert_eq!(app.post("/api/coupons", &bad).await.0, 400);
    assert_eq!(app.get("/api/coupons/BAD").await.0, 404);
}

#[sqlx::test(migrations = "../migrations")]
async fn refusals_come_in_the_contract_order(pool: PgPool) {
    let app = spawn(&pool).await;
    app.create("R", 1).await;
    assert_eq!(app.claim("holder", "R").await.0, 200);
    // Sold out and held: paused comes first, then the window, then already_claimed/sold_out.
    let future = Utc::now() + Duration::hours(1);
    let (status, _) = app
        .patch("R", &json!({"paused": true, "starts_at": rfc3339(future)}))
        .await;
    assert_eq!(status, 200);
    for user in ["holder", "other"] {
        let (status, body) = app.claim(user, "R").await;
        assert_eq!((status, code(&body)), (409, "paused"), "{body}");
    }
    app.patch("R", &json!({"paused": false})).await;
    let (status, body) = app.claim("other", "R").await;
    assert_eq!((status, code(&body)), (409, "not_started"), "{body}");
    let starts = body["starts_at"]
        .as_str()
        .unwrap()
        .parse::<DateTime<Utc>>()
        .unwrap();
    assert_eq!(starts.timestamp_micros(), future.timestamp_micros());
    let past = Utc::now() - Duration::seconds(1);
    app.patch("R", &json!({"starts_at": null, "ends_at": rfc3339(past)}))
        .await;
    let (status, body) = app.claim("other", "R").await;
    assert_eq!((status, code(&body)), (409, "ended"), "{body}");
    app.patch("R", &json!({"ends_at": null})).await;
    assert_eq!(code(&app.claim("holder", "R").await.1), "already_claimed");
    assert_eq!(code(&app.claim("other", "R").await.1), "sold_out");
    assert_eq!(app.claim("x", "NOPE").await.0, 404);
    assert_invariants(&pool, "R").await;
}

#[sqlx::test(migrations = "../migrations")]
async fn every_claim_answer_carries_a_date(pool: PgPool) {
    let app = spawn(&pool).await;
    app.create("D", 1).await;
    for (user, coupon) in [("a", "D"), ("a", "D"), ("b", "D"), ("a", "NONE")] {
        let body = json!({"user_id": user, "coupon_name": coupon});
        // The answer's time, to the second, between the request and the answer (however long
        // the machine took in between).
        let before = Utc::now() - Duration::seconds(1);
        let (_, headers, _) = app
            .send(Method::POST, "/api/coupons/claim", Some(&body), &[])
            .await;
        let after = Utc::now();
        let date = headers.get("date").expect("Date header").to_str().unwrap();
        let parsed = DateTime::parse_from_rfc2822(&date.replace("GMT", "+0000"))
            .unwrap()
            .to_utc();
        assert!(
            before <= parsed && parsed <= after,
            "{date}, sent after {before}, answered by {after}"
        );
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn patch_restocks_shrinks_and_validates(pool: PgPool) {
    let app = spawn(&pool).await;
    app.create("P", 2).await;
    app.claim("a", "P").await;
    app.claim("b", "P").await;
    assert_eq!(code(&app.claim("c", "P").await.1), "sold_out");
    let (status, body) = app.patch("P", &json!({"amount": 5})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["amount"].clone(), body["remaining_amount"].clone()),
        (json!(5), json!(3))
    );
    assert_eq!(app.claim("c", "P").await.0, 200);
    // Down to the claims is fine, below is 409 and changes nothing.
    let (status, body) = app.patch("P", &json!({"amount": 2})).await;
    assert_eq!((status, code(&body)), (409, "below_claimed"), "{body}");
    let (status, body) = app.patch("P", &json!({"amount": 3})).await;
    assert_eq!((status, body["remaining_amount"].clone()), (200, json!(0)));
    assert_eq!(code(&app.claim("d", "P").await.1), "sold_out");
    // Bad input: 400 and no change.
    for bad in [
        json!({"amount": "9"}),
        json!({"amount": 0}),
        json!({"amount": 2147483648_i64}),
        json!({"paused": "yes"}),
        json!({"paused": null}),
        json!({"colour": "red"}),
        json!({"starts_at": 5}),
        json!([]),
    ] {
        let (status, body) = app.patch("P", &bad).await;
        assert_eq!(
            (status, code(&body)),
            (400, "invalid_request"),
            "{bad}: {body}"
        );
    }
    let now = Utc::now();
    let (status, body) = app
        .patch(
            "P",
            &json!({"starts_at": rfc3339(now), "ends_at": rfc3339(now)}),
        )
        .await;
    assert_eq!((status, code(&body)), (400, "invalid_request"), "{body}");
    assert_eq!(app.patch("NONE", &json!({"paused": true})).await.0, 404);
    let (_, coupon) = app.get("/api/coupons/P").await;
    assert_eq!(
        (coupon["amount"].clone(), coupon["paused"].clone()),
        (json!(3), json!(false))
    );
    assert_eq!(coupon["starts_at"], Value::Null);
    assert_invariants(&pool, "P").await;
}

#[sqlx::test(migrations = "../migrations")]
async fn release_gives_the_unit_back_once(pool: PgPool) {
    let app = spawn(&pool).await;
    app.create("REL", 1).await;
    assert_eq!(app.claim("u1", "REL").await.0, 200);
    assert_eq!(code(&app.claim("u2", "REL").await.1), "sold_out");
    let (status, body) = app.release("REL", "u1").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["user_id"].clone(), body["remaining_amount"].clone()),
        (json!("u1"), json!(1))
    );
    let (status, body) = app.release("REL", "u1").await;
    assert_eq!((status, code(&body)), (404, "claim_not_found"), "{body}");
    assert_eq!(code(&app.release("NONE", "u1").await.1), "coupon_not_found");
    // The unit went back to the pool: the next claimer gets it; u1 may claim again later.
    assert_eq!(app.claim("u2", "REL").await.0, 200);
    app.patch("REL", &json!({"amount": 2})).await;
    assert_eq!(app.claim("u1", "REL").await.0, 200);
    let (_, coupon) = app.get("/api/coupons/REL").await;
    assert_eq!(coupon["claimed_by"], json!(["u2", "u1"]));
    assert_invariants(&pool, "REL").await;
}

#[sqlx::test(migrations = "../migrations")]
async fn the_audit_log_records_every_admin_action_in_order(pool: PgPool) {
    let app = spawn(&pool).await;
    app.create("AUD", 1).await;
    app.claim("u", "AUD").await;
    app.patch("AUD", &json!({"amount": 4, "paused": true}))
        .await;
    app.release("AUD", "u").await;
    // Refused actions change nothing and are not actions.
    app.patch("AUD", &json!({"amount": -1})).await;
    app.release("AUD", "u").await;

    let (status, page) = app.get("/api/audit?limit=2").await;
    assert_eq!(status, 200, "{page}");
    let first: Vec<Value> = page["entries"].as_array().unwrap().clone();
    assert_eq!(first.len(), 2);
    let after = page["next"].as_i64().expect("a next cursor on a full page");
    let (_, rest) = app.get(&format!("/api/audit?after={after}")).await;
    assert_eq!(rest["next"], Value::Null);
    let all: Vec<Value> = first
        .into_iter()
        .chain(rest["entries"].as_array().unwrap().clone())
        .collect();
    let actions: Vec<&str> = all.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["coupon.create", "coupon.patch", "claim.release"]);
    for entry in &all {
        assert_eq!(entry["actor"], "open", "no password set: {entry}");
        assert_eq!(entry["coupon_name"], "AUD");
        assert!(
            entry["at"]
                .as_str()
                .unwrap()
                .parse::<DateTime<Utc>>()
                .is_ok()
        );
    }
    assert_eq!(all[0]["before"], Value::Null);
    assert_eq!(all[0]["after"]["amount"], 1);
    assert_eq!(
        (
            all[1]["before"]["amount"].clone(),
            all[1]["after"]["amount"].clone()
        ),
        (json!(1), json!(4))
    );
    assert_eq!(
        (
            all[1]["before"]["paused"].clone(),
            all[1]["after"]["paused"].clone()
        ),
        (json!(false), json!(true))
    );
    assert_eq!(all[2]["before"]["user_id"], "u");
    assert_eq!(all[2]["after"]["remaining_amount"], 4);
    for bad in [
        "?limit=0",
        "?limit=501",
        "?after=-1",
        "?after=x",
        "?colour=1",
    ] {
        let (status, body) = app.get(&format!("/api/audit{bad}")).await;
        assert_eq!(
            (status, code(&body)),
            (400, "invalid_request"),
            "{bad}: {body}"
        );
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn the_audit_log_names_token_session_and_sign_ins(pool: PgPool) {
    let app = common::admin::locked(&pool, 60).await;
    let http = common::admin::client();
    let token = format!("Bearer {}", common::admin::TOKEN);
    let create = http
        .post(format!("{}/api/coupons", app.base))
        .header("authorization", &token)
        .json(&json!({"name": "T", "amount": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(create.status(), 201);
    let wrong = common::admin::sign_in(&app, "nope").await;
    assert_eq!(wrong.status(), 303);
    let signed_in = common::admin::sign_in(&app, common::admin::PASSWORD).await;
    let set_cookie = common::admin::session_cookie(&signed_in).expect("a session cookie");
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let patch = http
        .patch(format!("{}/api/coupons/T", app.base))
        .header("cookie", &cookie)
        .json(&json!({"paused": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), 200);
    // Strangers read nothing.
    assert_eq!(app.get("/api/audit").await.0, 401);
    let page: Value = http
        .get(format!("{}/api/audit", app.base))
        .header("authorization", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entries = page["entries"].as_array().unwrap();
    let seen: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["actor"].as_str().unwrap()))
        .collect();
    assert_eq!(seen[0], ("coupon.create", "token"));
    assert_eq!(seen[1], ("signin.failure", "ip:127.0.0.1"));
    assert_eq!(seen[2], ("signin.success", "ip:127.0.0.1"));
    let session = entries[2]["after"]["session"].as_str().unwrap();
    assert!(
        session.starts_with("session:") && session.len() > 10,
        "{session}"
    );
    assert_eq!(
        seen[3],
        ("coupon.patch", session),
        "the patch names the session that signed in"
    );
}
