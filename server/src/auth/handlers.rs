//! `POST /signin` and `POST /signout`: plain HTML form posts, so they work without JavaScript.

use axum::{
    Form, Router,
    extract::State,
    response::{IntoResponse, Redirect, Response},
    routing::post,
};
use axum_extra::extract::cookie::SignedCookieJar;
use serde::Deserialize;

use super::AdminAuth;
use crate::credentials::session;
use crate::{
    api::ApiError,
    http::rate_limit::{ClientAddr, RateLimits},
    sale::Sales,
    state::AppState,
};

/// The sign-in form's fields. Missing fields are empty, so any form post gets a page, not a 4xx.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SignInForm {
    password: String,
    next: String,
}

/// The auth routes that are not Leptos pages (GET /signin is the page in `app`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/signin", post(sign_in))
        .route("/signout", post(sign_out))
}

/// Checks the password. An address that failed `AUTH_FAILURES_PER_MINUTE` times is refused with
/// `429` before its password is even looked at, and its refusals are not logged (no log flood).
async fn sign_in(
    State(auth): State<AdminAuth>,
    State(limits): State<RateLimits>,
    State(sales): State<Sales>,
    ClientAddr(ip): ClientAddr,
    jar: SignedCookieJar,
    Form(form): Form<SignInForm>,
) -> Response {
    let next = local_path(&form.next);
    if !auth.required() {
        return (jar, Redirect::to(next)).into_response();
    }
    if let Err(refused) = limits.locked_out(ip) {
        return ApiError::from(refused).into_response();
    }
    let who = format!("ip:{ip}");
    if auth.password_matches(&form.password) {
        let (jar, id) = auth.issue_session(jar);
        tracing::info!(%ip, session = id, "admin signed in");
        sales.record_sign_in(&who, Some(&id)).await;
        return (jar, Redirect::to(next)).into_response();
    }
    sales.record_sign_in(&who, None).await;
    if let Err(refused) = limits.auth_failed(ip) {
        tracing::warn!(%ip, "admin sign-in: too many failures; this address is locked out");
        return ApiError::from(refused).into_response();
    }
    tracing::warn!(%ip, "admin sign-in refused: wrong password");
    let again = format!(
        "/signin?error=wrong_password&next={}",
        app::contract::url::encode(next)
    );
    (jar, Redirect::to(&again)).into_response()
}

async fn sign_out(jar: SignedCookieJar) -> (SignedCookieJar, Redirect) {
    (session::clear(jar), Redirect::to("/signin?signed_out=1"))
}

/// Only a path on this site: `next` must never send the admin to another site.
fn local_path(next: &str) -> &str {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(char::is_control);
    if local { next } else { "/" }
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(local_path("/coupons/A?after=3"), "/coupons/A?after=3");
        for bad in ["", "https://evil", "//evil", "/\\evil", "evil", "/a\nb"] {
            assert_eq!(local_path(bad), "/", "{bad:?}");
        }
    }
}
