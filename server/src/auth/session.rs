//! The admin session: a signed cookie holding its own expiry.

use std::time::Duration;

use axum_extra::extract::cookie::{Cookie, SameSite, SignedCookieJar};
use time::OffsetDateTime;

/// Name of the session cookie.
pub const COOKIE: &str = "coupons_admin";

/// A jar holding a fresh session that ends after `ttl`.
///
/// The expiry is inside the signed value as well as in Max-Age: a client that keeps the cookie
/// longer than told still cannot use it.
pub fn issue(jar: SignedCookieJar, ttl: Duration, secure: bool) -> SignedCookieJar {
    let expires = OffsetDateTime::now_utc().unix_timestamp() + ttl.as_secs() as i64;
    let cookie = Cookie::build((COOKIE, expires.to_string()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(time::Duration::seconds(ttl.as_secs() as i64));
    jar.add(cookie)
}

/// True when the jar holds a correctly signed session that has not expired.
pub fn is_valid(jar: &SignedCookieJar) -> bool {
    jar.get(COOKIE)
        .and_then(|c| c.value().parse::<i64>().ok())
        .is_some_and(|expires| expires > OffsetDateTime::now_utc().unix_timestamp())
}

/// A jar that tells the browser to drop the session.
pub fn clear(jar: SignedCookieJar) -> SignedCookieJar {
    jar.remove(Cookie::build(COOKIE).path("/"))
}
