//! The guard in front of every route: cross-site check, then the admin rule of [`policy`].

use app::admin_types::{Actor, AdminStatus};
use axum::{
    extract::{Request, State},
    http::{HeaderMap, Method, header},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::cookie::SignedCookieJar;

use super::{AdminAuth, AuthError, canonical, policy};
use crate::credentials::session;
use crate::{api::ApiError, rate_limit::RateLimits};

/// Refuses ambiguous paths first (see [`canonical`]) and state-changing requests from another
/// site, whoever sends them. Then admits public routes, and admin routes when no password is set
/// or the caller has a session or the bearer token. Refused JSON calls get `401`; refused pages
/// are sent to sign-in. A wrong bearer token counts as a failure of its address; an address out
/// of failures gets `429` for any token until its lockout ends.
pub async fn require_admin(
    State(auth): State<AdminAuth>,
    State(limits): State<RateLimits>,
    mut request: Request,
    next: Next,
) -> Response {
    if let Some(why) = canonical::ambiguity(request.uri().path()) {
        return AuthError::AmbiguousPath(why).into_response();
    }
    let method = request.method().clone();
    // No route serves another method: 405 for everyone, before any credential is judged (so an
    // odd method neither reaches a handler nor turns into a sign-in redirect).
    if !SERVED_METHODS.contains(&method) {
        return ApiError::MethodNotAllowed.into_response();
    }
    if !is_safe(&method) && is_cross_site(request.headers()) {
        return AuthError::CrossSite.into_response();
    }
    let actor = if auth.required() {
        // Only requests that present a token are judged by address (claims never are).
        let ip = || limits.client_ip(request.headers(), request.extensions());
        // A locked-out address gets no answer about its token, right or wrong.
        if request.headers().contains_key(header::AUTHORIZATION)
            && let Err(refused) = limits.locked_out(ip())
        {
            return ApiError::from(refused).into_response();
        }
        match credentials(&auth, request.headers()) {
            Credentials::Session(id) => Some(format!("session:{id}")),
            Credentials::Token => Some("token".to_owned()),
            Credentials::WrongToken => {
                if let Err(refused) = limits.auth_failed(ip()) {
                    return ApiError::from(refused).into_response();
                }
                None
            }
            Credentials::None => None,
        }
    } else {
        Some("open".to_owned())
    };
    let signed_in = auth.required() && actor.is_some();
    let path = request.uri().path();
    if auth.required() && !signed_in && !policy::is_public(&method, path) {
        return refuse(request);
    }
    request.extensions_mut().insert(AdminStatus {
        auth_required: auth.required(),
        signed_in,
    });
    if let Some(actor) = actor {
        request.extensions_mut().insert(Actor(actor));
    }
    next.run(request).await
}

/// Every method some route of this server answers.
const SERVED_METHODS: [Method; 5] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PATCH,
    Method::DELETE,
];

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// What browsers tell us about where a request comes from. Clients that are not browsers send
/// neither header and are judged by their credentials alone.
fn is_cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return !matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let (Some(origin), Some(host)) = (headers.get(header::ORIGIN), headers.get(header::HOST))
    else {
        return false;
    };
    let origin = origin.to_str().unwrap_or_default();
    let authority = origin.split_once("://").map_or("", |(_, rest)| rest);
    authority.as_bytes() != host.as_bytes()
}

enum Credentials {
    None,
    /// A valid session, with its id.
    Session(String),
    Token,
    WrongToken,
}

fn credentials(auth: &AdminAuth, headers: &HeaderMap) -> Credentials {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    match bearer {
        Some(token) if auth.token_matches(token) => Credentials::Token,
        Some(_) => Credentials::WrongToken,
        None => session::valid_id(&SignedCookieJar::from_headers(headers, auth.key()))
            .map_or(Credentials::None, Credentials::Session),
    }
}

fn refuse(request: Request) -> Response {
    let path = request.uri().path();
    if policy::is_machine_path(path) {
        return AuthError::Unauthorized.into_response();
    }
    let back = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let target = format!("/signin?next={}", app::url::encode(&back));
    Redirect::to(&target).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn cross_site_detection() {
        assert!(!is_cross_site(&headers(&[])));
        assert!(!is_cross_site(&headers(&[(
            "sec-fetch-site",
            "same-origin"
        )])));
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(!is_cross_site(&headers(&[
            ("origin", "http://a:1"),
            ("host", "a:1")
        ])));
        assert!(is_cross_site(&headers(&[
            ("origin", "http://evil"),
            ("host", "a:1")
        ])));
        assert!(is_cross_site(&headers(&[
            ("origin", "null"),
            ("host", "a:1")
        ])));
    }
}
