//! Calls with credentials: claims with a bearer, API keys made through the API.

use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

use super::TestApp;

/// `POST /api/coupons/claim` with `body`, and `Authorization: Bearer <bearer>` when given.
pub async fn claim_with(app: &TestApp, bearer: Option<&str>, body: &Value) -> (u16, Value) {
    let auth = bearer.map(|b| format!("Bearer {b}"));
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("authorization", a.as_str())).collect();
    let (status, _, body) = app
        .send(Method::POST, "/api/coupons/claim", Some(body), &headers)
        .await;
    (status, body)
}

/// `method path` with `Authorization: Bearer <bearer>`: status and body.
pub async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    bearer: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let auth = format!("Bearer {bearer}");
    let (status, _, body) = app
        .send(method, path, body, &[("authorization", &auth)])
        .await;
    (status, body)
}

/// Creates a key with `scopes` (as `admin`, a bearer, or none on an open admin): (id, secret).
pub async fn create_key(app: &TestApp, admin: Option<&str>, scopes: &[&str]) -> (i64, String) {
    let body = json!({"name": format!("test {scopes:?}"), "scopes": scopes});
    let (status, created) = match admin {
        Some(bearer) => call(app, Method::POST, "/api/keys", bearer, Some(&body)).await,
        None => app.post("/api/keys", &body).await,
    };
    assert_eq!(status, 201, "{created}");
    (
        created["id"].as_i64().unwrap(),
        created["key"].as_str().unwrap().to_owned(),
    )
}

/// The users holding `coupon`, in claim order.
pub async fn holders(pool: &PgPool, coupon: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT user_id FROM claims WHERE coupon_name = $1 ORDER BY id")
        .bind(coupon)
        .fetch_all(pool)
        .await
        .unwrap()
}

/// Creates coupon `name` with `amount` units as `bearer` (an admin credential) and asserts it.
pub async fn create_as(app: &TestApp, bearer: &str, name: &str, amount: i64) {
    let body = json!({"name": name, "amount": amount});
    let (status, created) = call(app, Method::POST, "/api/coupons", bearer, Some(&body)).await;
    assert_eq!(status, 201, "{created}");
}
