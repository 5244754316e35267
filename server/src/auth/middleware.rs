//! The guard in front of every route: cross-site check, then the admin rule of [`policy`].

use app::contract::admin_types::{Actor, AdminStatus};
use axum::{
    extract::{Request, State},
    http::{HeaderMap, Method, header},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};

use super::{AuthError, caller, canonical};
use crate::{
    api::ApiError, config::ClaimAuthMode, credentials::caller::Caller, http::policy,
    state::AppState,
};

/// Refuses ambiguous paths first (see [`canonical`]) and state-changing requests from another
/// site, whoever sends them, except a claim from an origin of `CORS_ALLOWED_ORIGINS`. Then judges
/// the caller once ([`caller::judge`]) and admits public routes, and admin routes when no
/// password is set, or for the admin (session or bearer token), or for an API key whose scopes
/// cover the route (`403 insufficient_scope` otherwise). Refused JSON calls get `401`; refused
/// pages are sent to sign-in.
pub async fn require_admin(
    State(state): State<AppState>,
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
    let path = request.uri().path();
    let headers = request.headers();
    if !is_safe(&method)
        && is_cross_site(headers)
        && !(policy::is_claim(&method, path)
            && state
                .cors
                .admits(headers.get(header::ORIGIN), &method, path))
    {
        return AuthError::CrossSite.into_response();
    }
    if caller::credential_in_query(request.uri().query()) {
        return AuthError::CredentialInUrl.into_response();
    }
    let ip = state.limits.client_ip(headers, request.extensions());
    let caller = match caller::judge(&state, headers, &method, path, ip).await {
        Ok(caller) => caller,
        Err(answer) => return answer,
    };
    let public = policy::is_public(&method, path);
    if let Caller::Key(key) = &caller
        && !public
    {
        let accepted = policy::scopes_accepted(&method, path);
        if !accepted.iter().any(|scope| scope.granted_by(&key.scopes)) {
            return AuthError::InsufficientScope(accepted[0]).into_response();
        }
    }
    // A key admitted here (its scope covers the route) counts as signed in, as the admin token
    // does: the app's own check (`app::server_fns::backend::admits`) then serves it too.
    let signed_in = matches!(caller, Caller::Admin(_) | Caller::Key(_));
    // A shopper token opens the read of an entry (its handler admits only the token's user).
    let shopper = matches!(caller, Caller::Shopper(_)) && policy::is_entry_read(&method, path);
    let admitted = public || !state.auth.required() || signed_in || shopper;
    if !admitted {
        return refuse(request);
    }
    let actor = caller
        .actor()
        .or_else(|| (!state.auth.required()).then(|| "open".to_owned()));
    let extensions = request.extensions_mut();
    extensions.insert(AdminStatus {
        auth_required: state.auth.required(),
        signed_in: state.auth.required() && signed_in,
        claims_open: state.claim_auth.takes(ClaimAuthMode::Open),
    });
    if let Some(actor) = actor {
        extensions.insert(Actor(actor));
    }
    extensions.insert(caller);
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
    let target = format!("/signin?next={}", app::contract::url::encode(&back));
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
