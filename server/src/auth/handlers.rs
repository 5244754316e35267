//! `POST /signin` and `POST /signout`: plain HTML form posts, so they work without JavaScript.

use axum::{Form, Router, extract::State, response::Redirect, routing::post};
use axum_extra::extract::cookie::SignedCookieJar;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

use super::{AdminAuth, session};
use crate::state::AppState;

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

async fn sign_in(
    State(auth): State<AdminAuth>,
    jar: SignedCookieJar,
    Form(form): Form<SignInForm>,
) -> (SignedCookieJar, Redirect) {
    let next = local_path(&form.next);
    if !auth.required() {
        return (jar, Redirect::to(next));
    }
    if auth.password_matches(&form.password) {
        let jar = session::issue(jar, auth.0.ttl, auth.0.secure_cookie);
        return (jar, Redirect::to(next));
    }
    tracing::warn!("admin sign-in refused: wrong password");
    let again = format!(
        "/signin?error=wrong_password&next={}",
        utf8_percent_encode(next, NON_ALPHANUMERIC)
    );
    (jar, Redirect::to(&again))
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
