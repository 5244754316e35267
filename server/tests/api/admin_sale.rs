//! The coupon page's sale forms, posted the way a browser without JavaScript posts them: each
//! server function changes the sale through the same service as the JSON API (rules, audit
//! log), answers a refused input with a 4xx that changes nothing, and sends the browser back.

use crate::common;

use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::common::{TestApp, admin};

/// Posts a form to the server function at `path` as a plain HTML form does (Accept: text/html,
/// a Referer). Returns the status and the Location.
async fn form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let response = admin::client()
        .post(format!("{}/rpc/{path}", app.base))
        .header(header::ACCEPT, "text/html")
        .header(header::REFERER, format!("{}/coupons/S", app.base))
        .form(fields)
        .send()
        .await
        .unwrap();
    let location = response
        .headers()
        .get(header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (response.status(), location)
}

/// Posts a form the way the page's script does (no text/html): the status tells the outcome.
async fn call(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> StatusCode {
    admin::client()
        .post(format!("{}/rpc/{path}", app.base))
        .form(fields)
        .send()
        .await
        .unwrap()
        .status()
}

async fn coupon(app: &TestApp) -> Value {
    let (status, body) = app.get("/api/coupons/S").await;
    assert_eq!(status, 200);
    body
}

#[sqlx::test(migrations = "../migrations")]
async fn sale_forms_change_the_sale_and_go_back(pool: PgPool) {
    let app = admin::open(&pool).await;
    app.create("S", 1).await;
    assert_eq!(app.claim("u1", "S").await.0, 200);

    // Restock a sold-out coupon; the browser goes back to the page it came from.
    let (status, location) = form(&app, "set_amount", &[("name", "S"), ("amount", "3")]).await;
    assert_eq!(status, StatusCode::FOUND);
    // (server_fn strips its error parameters from the Referer, leaving an empty query)
    assert_eq!(
        location.trim_end_matches('?'),
        format!("{}/coupons/S", app.base)
    );
    let c = coupon(&app).await;
    assert_eq!(
        (c["amount"].as_i64(), c["remaining_amount"].as_i64()),
        (Some(3), Some(2))
    );

    // A refused amount comes back in the URL (no JavaScript) and changes nothing.
    let (status, location) = form(&app, "set_amount", &[("name", "S"), ("amount", "0")]).await;
    assert_eq!(status, StatusCode::FOUND);
    assert!(location.contains("__err="), "{location}");
    for amount in ["0", "x", "2147483648"] {
        let status = call(&app, "set_amount", &[("name", "S"), ("amount", amount)]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "amount {amount}");
    }
    assert_eq!(coupon(&app).await["amount"].as_i64(), Some(3));

    // Pause: claims are refused; resume: they pass.
    let (status, _) = form(&app, "set_paused", &[("name", "S"), ("paused", "true")]).await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(app.claim("u2", "S").await.1["code"], "paused");
    form(&app, "set_paused", &[("name", "S"), ("paused", "false")]).await;
    assert_eq!(app.claim("u2", "S").await.0, 200);

    // A window in the future: not started. An end before the start: 400, nothing changes.
    let later = (chrono::Utc::now() + chrono::TimeDelta::hours(1))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let fields = [
        ("name", "S"),
        ("starts_at", later.as_str()),
        ("ends_at", ""),
    ];
    assert_eq!(form(&app, "set_window", &fields).await.0, StatusCode::FOUND);
    assert_eq!(app.claim("u3", "S").await.1["code"], "not_started");
    let backwards = [
        ("name", "S"),
        ("starts_at", "2030-01-02T00:00"),
        ("ends_at", "2030-01-01T00:00"),
    ];
    assert_eq!(call(&app, "set_window", &backwards).await, 400);
    let bad = [("name", "S"), ("starts_at", "soon"), ("ends_at", "")];
    assert_eq!(call(&app, "set_window", &bad).await, 400);
    assert!(coupon(&app).await["starts_at"].is_string());
    let clear = [("name", "S"), ("starts_at", ""), ("ends_at", "")];
    form(&app, "set_window", &clear).await;
    assert_eq!(coupon(&app).await["starts_at"], Value::Null);

    // Shrinking below the claims is a conflict.
    let status = call(&app, "set_amount", &[("name", "S"), ("amount", "1")]).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Release: the page comes back saying so; a second release finds nothing.
    let (status, location) = form(&app, "release_claim", &[("name", "S"), ("user_id", "u1")]).await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(location, "/coupons/S?released=u1");
    let c = coupon(&app).await;
    assert_eq!(c["claimed_by"], json!(["u2"]));
    let status = call(&app, "release_claim", &[("name", "S"), ("user_id", "u1")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let status = call(&app, "set_paused", &[("name", "NOPE"), ("paused", "true")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    common::assert_invariants(&pool, "S").await;

    // Each change is in the audit log, by the open admin, and the audit page lists them.
    let (_, audit) = app.get("/api/audit").await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "coupon.create",
            "coupon.patch",
            "coupon.patch",
            "coupon.patch",
            "coupon.patch",
            "coupon.patch",
            "claim.release"
        ]
    );
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor"] == "open")
    );
    let page = app.fetch("/audit").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert_eq!(html.matches(">coupon.patch<").count(), 5, "{html}");
    let at = |action: &str| html.find(&format!(">{action}<")).unwrap();
    assert!(at("claim.release") < at("coupon.create"), "newest first");
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn the_coupon_page_shows_the_sale_and_the_list_its_status(pool: PgPool) {
    let app = admin::open(&pool).await;
    app.create("S", 2).await;
    let (status, _) = app.patch("S", &json!({"paused": true})).await;
    assert_eq!(status, 200);
    let html = |path: &'static str| {
        let app = &app;
        async move {
            let (status, page) = app.page(path).await;
            assert_eq!(status, 200, "{path}");
            page
        }
    };
    let page = html("/coupons/S").await;
    assert!(page.contains("Resume sale"), "{page}");
    assert!(page.contains(">paused<"), "the live panel's status: {page}");
    let list = html("/").await;
    assert!(list.contains(">paused<"), "{list}");
    app.patch(
        "S",
        &json!({"paused": false, "starts_at": "2999-01-01T00:00:00Z"}),
    )
    .await;
    let page = html("/coupons/S").await;
    assert!(
        page.contains("Pause sale") && page.contains(">scheduled<"),
        "{page}"
    );
    assert!(page.contains("From 2999-01-01 00:00:00 UTC."), "{page}");
    assert!(html("/").await.contains(">scheduled<"));
    // Asking to release shows a confirmation, not a release.
    app.claim("u1", "S").await;
    app.patch("S", &json!({"starts_at": null})).await;
    app.claim("u1", "S").await;
    let page = html("/coupons/S?release=u1").await;
    assert!(page.contains("Release the claim of u1?"), "{page}");
    assert_eq!(coupon(&app).await["claimed_by"], json!(["u1"]));
    app.stop().await;
}
