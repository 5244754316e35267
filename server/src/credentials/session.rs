//! The admin session: a signed cookie holding its own expiry.

use std::time::Duration;

use axum_extra::extract::cookie::{Cookie, SameSite, SignedCookieJar};
use time::OffsetDateTime;

/// Name of the session cookie (fixed; the OpenAPI document names it too).
const COOKIE: &str = crate::config::SESSION_COOKIE;

/// A jar holding a fresh session that ends after `ttl`, and the session's id.
///
/// The signed value is `<expiry>.<id>`. The expiry is inside it as well as in Max-Age: a client
/// that keeps the cookie longer than told still cannot use it. The id (random) names the session
/// in the audit log.
pub fn issue(jar: SignedCookieJar, ttl: Duration, secure: bool) -> (SignedCookieJar, String) {
    let expires = OffsetDateTime::now_utc().unix_timestamp() + ttl.as_secs() as i64;
    let id = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
    let cookie = Cookie::build((COOKIE, format!("{expires}.{id}")))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(time::Duration::seconds(ttl.as_secs() as i64));
    (jar.add(cookie), id)
}

/// The id of the jar's session when it is correctly signed and has not expired.
pub fn valid_id(jar: &SignedCookieJar) -> Option<String> {
    let cookie = jar.get(COOKIE)?;
    let (expires, id) = cookie.value().split_once('.')?;
    let expires: i64 = expires.parse().ok()?;
    (expires > OffsetDateTime::now_utc().unix_timestamp()).then(|| id.to_owned())
}

/// A jar that tells the browser to drop the session.
pub fn clear(jar: SignedCookieJar) -> SignedCookieJar {
    jar.remove(Cookie::build(COOKIE).path("/"))
}
