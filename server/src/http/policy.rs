//! The one place that decides which routes are public. Every other route is an admin route.

use app::contract::api_keys::Scope;
use axum::http::Method;

/// A route anyone may call, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicRoute {
    /// GET also admits HEAD.
    pub method: &'static str,
    /// `{x}` matches one non-empty path segment; a trailing `*` matches the rest of the path.
    pub pattern: &'static str,
    pub why: &'static str,
}

/// The public allowlist. Adding a line here opens a route to the world: the auth test pins it.
pub const PUBLIC_ROUTES: &[PublicRoute] = &[
    PublicRoute {
        method: "POST",
        pattern: "/api/coupons/claim",
        why: "shoppers' clients claim",
    },
    PublicRoute {
        method: "GET",
        pattern: "/api/coupons/{name}",
        why: "shoppers' clients read a coupon",
    },
    PublicRoute {
        method: "GET",
        pattern: "/api/coupons/{name}/stock",
        why: "shoppers' pages read the stock (from memory, no claimer ids)",
    },
    PublicRoute {
        method: "GET",
        pattern: "/api/coupons/{name}/stock/events",
        why: "shoppers' pages follow the stock (server-sent events, no claimer ids)",
    },
    PublicRoute {
        method: "GET",
        pattern: "/api/coupons/{name}/draw",
        why: "anyone checks a draw: its proof, once drawn (the seed is published only then)",
    },
    PublicRoute {
        method: "GET",
        pattern: "/api/coupons/{name}/draw/tickets",
        why: "anyone checks a draw: the ranked tickets, without user ids",
    },
    PublicRoute {
        method: "GET",
        pattern: "/api/openapi.json",
        why: "the API's contract, for clients and their tools",
    },
    PublicRoute {
        method: "GET",
        pattern: "/health",
        why: "load balancers and probes (liveness)",
    },
    PublicRoute {
        method: "GET",
        pattern: "/health/ready",
        why: "load balancers and probes (readiness: the database answers)",
    },
    PublicRoute {
        method: "GET",
        pattern: "/pkg/*",
        why: "the UI's JS, WASM and CSS",
    },
    PublicRoute {
        method: "GET",
        pattern: "/favicon.ico",
        why: "browsers ask for it",
    },
    PublicRoute {
        method: "GET",
        pattern: "/signin",
        why: "the sign-in page",
    },
    PublicRoute {
        method: "POST",
        pattern: "/signin",
        why: "the sign-in form",
    },
];

/// True for the calls a shop's page may make from another origin (`CORS_ALLOWED_ORIGINS`): the
/// claim and the public coupon and stock reads, nothing else (not even another method on their
/// paths).
pub fn is_cross_origin_call(method: &Method, path: &str) -> bool {
    let reads = matches!(*method, Method::GET | Method::HEAD);
    let public_read = [
        "/api/coupons/{name}",
        "/api/coupons/{name}/stock",
        "/api/coupons/{name}/stock/events",
        "/api/coupons/{name}/draw",
        "/api/coupons/{name}/draw/tickets",
        ENTRY,
    ]
    .iter()
    .any(|pattern| pattern_matches(pattern, path));
    is_claim(method, path) || (reads && public_read)
}

/// A shopper's entry of a draw: an admin route (`claim` and `read` keys) that a shopper token
/// opens too, for its own user (the handler checks whose).
const ENTRY: &str = "/api/coupons/{name}/entries/{user_id}";

/// True for the calls a shopper token may be sent to: the claim, and the read of one's entry.
pub fn takes_shopper_token(method: &Method, path: &str) -> bool {
    is_claim(method, path) || is_entry_read(method, path)
}

/// True for the read of one user's entry of a draw ([`ENTRY`]).
pub fn is_entry_read(method: &Method, path: &str) -> bool {
    matches!(*method, Method::GET | Method::HEAD) && pattern_matches(ENTRY, path)
}

/// True for the claim itself, whose credentials the claim's own rules judge (`CLAIM_AUTH`).
pub fn is_claim(method: &Method, path: &str) -> bool {
    method == Method::POST && path == "/api/coupons/claim"
}

/// The scopes an API key may have for an admin route (any one of them; `admin` covers all): the
/// shop's checkout (`claim`) checks a holder and redeems; `read` is for the admin's reads (any
/// GET but the keys themselves, the holder check too); `admin` for the rest.
pub fn scopes_accepted(method: &Method, path: &str) -> &'static [Scope] {
    let reads = matches!(*method, Method::GET | Method::HEAD);
    if reads && pattern_matches("/api/coupons/{name}/claims/{user_id}", path)
        || is_entry_read(method, path)
    {
        &[Scope::Read, Scope::Claim]
    } else if method == Method::POST
        && pattern_matches("/api/coupons/{name}/claims/{user_id}/redeem", path)
    {
        &[Scope::Claim]
    } else if reads && !path.starts_with("/api/keys") {
        &[Scope::Read]
    } else {
        &[Scope::Admin]
    }
}

/// True for paths that programs call (the JSON API, server functions, Prometheus' `/metrics`):
/// refused with `401` and the error JSON, where a browser's page gets the sign-in instead.
pub fn is_machine_path(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/rpc/") || path == "/metrics"
}

/// True when `method path` (the raw, still percent-encoded path) is on the public allowlist.
pub fn is_public(method: &Method, path: &str) -> bool {
    let method = if method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    PUBLIC_ROUTES
        .iter()
        .any(|r| r.method == method && pattern_matches(r.pattern, path))
}

fn pattern_matches(pattern: &str, path: &str) -> bool {
    if let Some(prefix) = pattern.strip_suffix('*') {
        return path.starts_with(prefix) && !path[prefix.len()..].split('/').any(|s| s == "..");
    }
    let mut want = pattern.split('/');
    let mut got = path.split('/');
    loop {
        match (want.next(), got.next()) {
            (None, None) => return true,
            (Some(w), Some(g)) if w.starts_with('{') && w.ends_with('}') => {
                if g.is_empty() {
                    return false;
                }
            }
            (Some(w), Some(g)) if w == g => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_routes() {
        assert!(is_public(&Method::POST, "/api/coupons/claim"));
        assert!(is_public(&Method::GET, "/api/coupons/claim"));
        assert!(is_public(&Method::GET, "/api/coupons/PROMO%20X"));
        assert!(is_public(&Method::HEAD, "/health"));
        assert!(is_public(&Method::GET, "/pkg/coupons.wasm"));
        assert!(is_public(&Method::POST, "/signin"));
    }

    #[test]
    fn admin_routes() {
        assert!(!is_public(&Method::POST, "/api/coupons"));
        assert!(!is_public(&Method::GET, "/api/coupons"));
        assert!(!is_public(&Method::GET, "/api/coupons/"));
        assert!(!is_public(&Method::GET, "/api/coupons/X/claims"));
        assert!(!is_public(&Method::GET, "/api/coupons/X/claims.csv"));
        assert!(!is_public(&Method::DELETE, "/api/coupons/X"));
        assert!(!is_public(&Method::GET, "/"));
        assert!(!is_public(&Method::GET, "/coupons/X"));
        assert!(!is_public(&Method::POST, "/signout"));
        assert!(!is_public(&Method::GET, "/pkg/../api/coupons"));
        assert!(!is_public(&Method::GET, "/healthz"));
        assert!(!is_public(&Method::GET, "/signin/x"));
    }

    #[test]
    fn cross_origin_routes_and_scopes() {
        assert!(is_cross_origin_call(&Method::POST, "/api/coupons/claim"));
        assert!(is_cross_origin_call(&Method::GET, "/api/coupons/claim"));
        assert!(is_cross_origin_call(&Method::GET, "/api/coupons/PROMO%20X"));
        assert!(!is_cross_origin_call(
            &Method::PATCH,
            "/api/coupons/PROMO%20X"
        ));
        assert!(!is_cross_origin_call(&Method::POST, "/api/coupons"));
        assert!(!is_cross_origin_call(&Method::GET, "/api/coupons/X/claims"));
        assert!(is_cross_origin_call(&Method::GET, "/api/coupons/X/stock"));
        assert!(is_cross_origin_call(
            &Method::GET,
            "/api/coupons/X/stock/events"
        ));
        assert!(!is_cross_origin_call(&Method::GET, "/api/coupons/X/events"));
        assert!(!is_cross_origin_call(&Method::GET, "/api/keys"));
        assert_eq!(scopes_accepted(&Method::GET, "/api/audit"), [Scope::Read]);
        assert_eq!(scopes_accepted(&Method::GET, "/metrics"), [Scope::Read]);
        assert_eq!(scopes_accepted(&Method::GET, "/api/keys"), [Scope::Admin]);
        assert_eq!(
            scopes_accepted(&Method::POST, "/api/coupons"),
            [Scope::Admin]
        );
        assert_eq!(
            scopes_accepted(&Method::DELETE, "/api/keys/1"),
            [Scope::Admin]
        );
        let holder = "/api/coupons/X/claims/u1";
        assert_eq!(
            scopes_accepted(&Method::GET, holder),
            [Scope::Read, Scope::Claim]
        );
        assert_eq!(scopes_accepted(&Method::DELETE, holder), [Scope::Admin]);
        let redeem = "/api/coupons/X/claims/u1/redeem";
        assert_eq!(scopes_accepted(&Method::POST, redeem), [Scope::Claim]);
    }
}
