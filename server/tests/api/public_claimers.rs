//! `PUBLIC_CLAIMERS=false`: the public `GET /api/coupons/{name}` leaves the claimers' ids out
//! for strangers, shoppers and `claim` keys, and still lists them for the admin and `read` keys;
//! the default keeps the original contract.

use reqwest::Method;
use serde_json::Value;
use sqlx::PgPool;

use crate::common::{
    self, TestApp,
    admin::{PASSWORD, TOKEN},
    creds::{call, create_as, create_key},
};

async fn private_server(pool: &PgPool, public_claimers: bool) -> TestApp {
    common::spawn_with(pool, |c| {
        c.admin_password = Some(PASSWORD.into());
        c.admin_token = Some(TOKEN.into());
        c.public_claimers = public_claimers;
    })
    .await
}

fn lists(body: &Value) -> bool {
    body.get("claimed_by").is_some()
}

#[sqlx::test(migrations = "../migrations")]
async fn only_admin_readers_see_who_claimed(pool: PgPool) {
    let app = private_server(&pool, false).await;
    // Big enough that its answer is kept in memory: the kept answer must not leak either.
    create_as(&app, TOKEN, "HUSH", 500).await;
    for i in 0..120 {
        assert_eq!(app.claim(&format!("shopper-{i}"), "HUSH").await.0, 200);
    }
    let (_, read_key) = create_key(&app, Some(TOKEN), &["read"]).await;
    let (_, claim_key) = create_key(&app, Some(TOKEN), &["claim"]).await;
    // The admin first, so a kept answer with the list exists when strangers come.
    let (status, admin) = call(&app, Method::GET, "/api/coupons/HUSH", TOKEN, None).await;
    assert_eq!(status, 200);
    assert_eq!(admin["claimed_by"].as_array().unwrap().len(), 120);
    let (_, by_read_key) = call(&app, Method::GET, "/api/coupons/HUSH", &read_key, None).await;
    assert_eq!(by_read_key["claimed_by"], admin["claimed_by"]);

    let (status, stranger) = app.get("/api/coupons/HUSH").await;
    assert_eq!(status, 200);
    let (_, by_claim_key) = call(&app, Method::GET, "/api/coupons/HUSH", &claim_key, None).await;
    let (_, wrong_token) = call(&app, Method::GET, "/api/coupons/HUSH", "guess", None).await;
    for body in [&stranger, &by_claim_key, &wrong_token] {
        assert!(!lists(body), "{body}");
        assert!(!body.to_string().contains("shopper-"), "{body}");
        assert_eq!(body["claimed"], 120);
        assert_eq!(body["remaining_amount"], 380);
        assert_eq!(body["name"], "HUSH");
    }
    // The stock read never lists anyone, whatever the setting.
    let (_, stock) = app.get("/api/coupons/HUSH/stock").await;
    assert!(!stock.to_string().contains("shopper-"), "{stock}");
}

#[sqlx::test(migrations = "../migrations")]
async fn by_default_the_list_is_public(pool: PgPool) {
    let app = private_server(&pool, true).await;
    create_as(&app, TOKEN, "OPEN", 5).await;
    assert_eq!(app.claim("u1", "OPEN").await.0, 200);
    let (status, body) = app.get("/api/coupons/OPEN").await;
    assert_eq!((status, lists(&body)), (200, true), "{body}");
    assert_eq!(body["claimed_by"][0], "u1");
    let defaults = server::config::Config::for_database("unused");
    assert!(
        defaults.public_claimers,
        "the default is the original contract"
    );
}
