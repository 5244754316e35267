//! Helpers of the admin auth tests: a server with a password, sign-in, the session cookie.

use reqwest::{StatusCode, header, redirect::Policy};
use sqlx::PgPool;

/// The admin password of [`locked`] servers.
pub const PASSWORD: &str = "correct horse battery staple";
/// The bearer token of [`locked`] servers.
pub const TOKEN: &str = "admin-token-for-scripts";

/// A client that shows redirects instead of following them, and fails instead of hanging.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .timeout(super::PATIENCE)
        .build()
        .unwrap()
}

/// A server without ADMIN_PASSWORD (the admin is open).
pub async fn open(pool: &PgPool) -> super::TestApp {
    super::spawn_with(pool, |_| {}).await
}

/// A server with ADMIN_PASSWORD and ADMIN_TOKEN set and sessions of `ttl_minutes`.
pub async fn locked(pool: &PgPool, ttl_minutes: u64) -> super::TestApp {
    super::spawn_with(pool, |c| {
        c.admin_password = Some(PASSWORD.into());
        c.admin_token = Some(TOKEN.into());
        c.session_ttl_minutes = ttl_minutes;
    })
    .await
}

/// True for the admin guard's redirect of a page to sign-in.
pub fn goes_to_signin(resp: &reqwest::Response) -> bool {
    resp.status() == StatusCode::SEE_OTHER
        && resp
            .headers()
            .get(header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .is_some_and(|l| l.starts_with("/signin?next="))
}

/// Posts the sign-in form with `password`.
pub async fn sign_in(app: &super::TestApp, password: &str) -> reqwest::Response {
    client()
        .post(format!("{}/signin", app.base))
        .form(&[("password", password), ("next", "/coupons/X?after=1")])
        .send()
        .await
        .unwrap()
}

/// The Set-Cookie line of the session cookie, if the response sets one.
pub fn session_cookie(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("coupons_admin="))
        .map(str::to_owned)
}
