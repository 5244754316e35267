//! Browser calls from the shop's own site: the claim and the public read answer CORS for the
//! origins of `CORS_ALLOWED_ORIGINS` only; every other origin (and `null`) meets the cross-site
//! refusal and no CORS header, and no admin route ever answers CORS.

use reqwest::{Method, header::HeaderMap};
use serde_json::json;
use sqlx::PgPool;

use crate::common::{
    self, TestApp,
    creds::holders,
    tokens::{self, AUDIENCE, SECRET},
};
use server::config::ClaimAuthMode;

const SHOP: &str = "https://shop.example";

async fn shop_server(pool: &PgPool) -> TestApp {
    common::spawn_with(pool, |c| {
        c.cors_allowed_origins = vec![SHOP.into(), "http://127.0.0.1:9".into()];
        c.claim_auth = vec![ClaimAuthMode::Token];
        c.claim_token_secret = Some(SECRET.into());
        c.claim_token_audience = Some(AUDIENCE.into());
    })
    .await
}

fn allow_origin(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("access-control-allow-origin")
        .and_then(|v| v.to_str().ok())
}

async fn preflight(app: &TestApp, path: &str, origin: &str, method: &str) -> (u16, HeaderMap) {
    let headers = [
        ("origin", origin),
        ("access-control-request-method", method),
        (
            "access-control-request-headers",
            "authorization,content-type,idempotency-key",
        ),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-mode", "cors"),
    ];
    let (status, headers, _) = app.send(Method::OPTIONS, path, None, &headers).await;
    (status, headers)
}

/// A claim as a browser on `origin` sends it, with a shopper token.
async fn browser_claim(
    app: &TestApp,
    origin: &str,
    token: &str,
) -> (u16, HeaderMap, serde_json::Value) {
    let auth = format!("Bearer {token}");
    let headers = [
        ("origin", origin),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-mode", "cors"),
        ("authorization", auth.as_str()),
    ];
    app.send(
        Method::POST,
        "/api/coupons/claim",
        Some(&json!({"coupon_name": "SHOP"})),
        &headers,
    )
    .await
}

#[sqlx::test(migrations = "../migrations")]
async fn the_shops_origin_may_claim_and_read_from_a_browser(pool: PgPool) {
    let app = shop_server(&pool).await;
    app.create("SHOP", 10).await;
    let (status, headers) = preflight(&app, "/api/coupons/claim", SHOP, "POST").await;
    assert_eq!(
        (status, allow_origin(&headers)),
        (200, Some(SHOP)),
        "{headers:?}"
    );
    let allowed = headers["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    for name in ["authorization", "content-type", "idempotency-key"] {
        assert!(allowed.contains(name), "{allowed}");
    }
    assert!(
        headers["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );
    let token = tokens::hs256(SECRET, &tokens::claims("web-shopper"));
    let (status, headers, body) = browser_claim(&app, SHOP, &token).await;
    assert_eq!(
        (status, allow_origin(&headers)),
        (200, Some(SHOP)),
        "{body}"
    );
    let exposed = headers["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        exposed.contains("retry-after") && exposed.contains("idempotent-replayed"),
        "{exposed}"
    );
    // A refusal reaches the shop's page readable: an expired token is a 401 it can show.
    let mut stale = tokens::claims("web-shopper-2");
    stale["exp"] = json!(tokens::now() - 120);
    let (status, headers, body) = browser_claim(&app, SHOP, &tokens::hs256(SECRET, &stale)).await;
    assert_eq!(
        (status, allow_origin(&headers), body["reason"].as_str()),
        (401, Some(SHOP), Some("expired"))
    );
    // The public read.
    let (status, headers, _) = app
        .send(Method::GET, "/api/coupons/SHOP", None, &[("origin", SHOP)])
        .await;
    assert_eq!((status, allow_origin(&headers)), (200, Some(SHOP)));
    assert_eq!(holders(&pool, "SHOP").await, ["web-shopper"]);
    // The stock read (its ETag readable by the page) and the stock stream.
    let (status, headers, _) = app
        .send(
            Method::GET,
            "/api/coupons/SHOP/stock",
            None,
            &[("origin", SHOP)],
        )
        .await;
    assert_eq!((status, allow_origin(&headers)), (200, Some(SHOP)));
    let exposed = headers["access-control-expose-headers"].to_str().unwrap();
    assert!(exposed.to_ascii_lowercase().contains("etag"), "{exposed}");
    let stream = app
        .http
        .get(format!("{}/api/coupons/SHOP/stock/events", app.base))
        .header("origin", SHOP)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (stream.status().as_u16(), allow_origin(stream.headers())),
        (200, Some(SHOP))
    );
    let (_, headers) = preflight(&app, "/api/coupons/SHOP/stock", SHOP, "GET").await;
    assert_eq!(allow_origin(&headers), Some(SHOP));
    // Another origin reads nothing it could use.
    let (_, headers, _) = app
        .send(
            Method::GET,
            "/api/coupons/SHOP/stock",
            None,
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(allow_origin(&headers), None);
}

#[sqlx::test(migrations = "../migrations")]
async fn other_origins_and_null_are_refused(pool: PgPool) {
    let app = shop_server(&pool).await;
    app.create("SHOP", 10).await;
    let token = tokens::hs256(SECRET, &tokens::claims("victim"));
    for origin in [
        "https://evil.example",
        "null",
        "https://shop.example.evil",
        "http://shop.example",
        "https://shop.example:8443",
    ] {
        let (_, headers) = preflight(&app, "/api/coupons/claim", origin, "POST").await;
        assert_eq!(
            allow_origin(&headers),
            None,
            "preflight from {origin}: {headers:?}"
        );
        let (status, headers, body) = browser_claim(&app, origin, &token).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (403, Some("cross_site_request")),
            "claim from {origin}"
        );
        assert_eq!(allow_origin(&headers), None);
    }
    assert!(holders(&pool, "SHOP").await.is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn admin_routes_never_answer_cors(pool: PgPool) {
    let app = shop_server(&pool).await;
    app.create("SHOP", 10).await;
    for (path, method) in [
        ("/api/coupons", "POST"),
        ("/api/coupons/SHOP/claims", "GET"),
        ("/api/coupons/SHOP/events", "GET"),
        ("/api/events", "GET"),
        ("/api/keys", "POST"),
        ("/api/coupons/SHOP", "PATCH"),
        ("/rpc/x", "POST"),
        ("/", "GET"),
    ] {
        let (_, headers) = preflight(&app, path, SHOP, method).await;
        assert_eq!(
            allow_origin(&headers),
            None,
            "preflight of {method} {path}: {headers:?}"
        );
    }
    let headers = [("origin", SHOP), ("sec-fetch-site", "cross-site")];
    let create = json!({"name": "FROM_SHOP", "amount": 1});
    let (status, answer_headers, body) = app
        .send(Method::POST, "/api/coupons", Some(&create), &headers)
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("cross_site_request"))
    );
    assert_eq!(allow_origin(&answer_headers), None);
    let (status, answer_headers, _) = app
        .send(
            Method::PATCH,
            "/api/coupons/SHOP",
            Some(&json!({"paused": true})),
            &headers,
        )
        .await;
    assert_eq!((status, allow_origin(&answer_headers)), (403, None));
    let (_, answer_headers, _) = app
        .send(Method::GET, "/api/coupons/SHOP/claims", None, &headers)
        .await;
    assert_eq!(allow_origin(&answer_headers), None);
}

#[sqlx::test(migrations = "../migrations")]
async fn without_the_setting_no_origin_is_answered(pool: PgPool) {
    let app = common::spawn(&pool).await;
    app.create("PLAIN", 10).await;
    let (status, headers) = preflight(&app, "/api/coupons/claim", SHOP, "POST").await;
    assert_eq!((status, allow_origin(&headers)), (405, None));
    let headers = [("origin", SHOP), ("sec-fetch-site", "cross-site")];
    let body = json!({"user_id": "u", "coupon_name": "PLAIN"});
    let (status, _, answer) = app
        .send(Method::POST, "/api/coupons/claim", Some(&body), &headers)
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (403, Some("cross_site_request"))
    );
}

#[test]
fn odd_origins_in_the_setting_refuse_to_start() {
    for bad in [
        "*",
        "null",
        "shop.example",
        "https://shop.example/path",
        "ftp://shop.example",
    ] {
        assert!(
            server::http::cors::Cors::new(&[bad.to_owned()]).is_err(),
            "{bad}"
        );
    }
    assert!(
        server::http::cors::Cors::new(&["https://shop.example/".to_owned(), String::new()]).is_ok()
    );
}
