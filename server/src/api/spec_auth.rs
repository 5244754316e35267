//! The document's credentials: the schemes (admin token, session cookie, API key, shopper token)
//! and, on every operation, which of them it takes, from the same rules the guard applies
//! ([`crate::http::policy`]): an admin operation takes an API key with a scope of
//! `policy::scopes_accepted`; the claim takes a key with `claim` or a shopper token (or nothing, in `open` mode).

use axum::http::Method;
use utoipa::{
    Modify,
    openapi::{
        self, Components,
        path::Operation,
        security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
        },
    },
};

use crate::http::policy;

/// Name of the admin bearer-token scheme in the document.
pub const BEARER: &str = "bearer";
/// Name of the session-cookie scheme.
pub const SESSION: &str = "session";
/// Name of the API key scheme.
pub const API_KEY: &str = "api_key";
/// Name of the shopper token scheme.
pub const SHOPPER_TOKEN: &str = "shopper_token";

/// Adds the four schemes to the document's components.
pub struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, doc: &mut openapi::OpenApi) {
        let components: &mut Components = doc.components.get_or_insert_with(Default::default);
        let bearer = |description: &str, format: Option<&str>| {
            let mut http = HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(description));
            if let Some(format) = format {
                http = http.bearer_format(format);
            }
            SecurityScheme::Http(http.build())
        };
        components.add_security_scheme(
            BEARER,
            bearer("ADMIN_TOKEN (defaults to ADMIN_PASSWORD)", None),
        );
        let cookie = ApiKeyValue::with_description(
            crate::config::SESSION_COOKIE,
            "The signed session cookie set by the admin sign-in form (POST /signin)",
        );
        components.add_security_scheme(SESSION, SecurityScheme::ApiKey(ApiKey::Cookie(cookie)));
        components.add_security_scheme(
            API_KEY,
            bearer(
                "An API key (`ck_...`, made by an admin at POST /api/keys). The requirement's list \
                 names the scope it needs: `claim`, `read` or `admin` (which covers both).",
                Some("ck_ key"),
            ),
        );
        components.add_security_scheme(
            SHOPPER_TOKEN,
            bearer(
                "A shopper token: a JWT the shop's backend signs (HS256 or EdDSA) with `sub` (the \
                 user), `aud`, `exp` and optionally `coupon`; with CLAIM_AUTH=token, for claims and for \
                 reading one's own entry of a draw.",
                Some("JWT"),
            ),
        );
    }
}

/// Adds the API key (with its scope) to every admin operation, and keys and tokens to the claim.
pub fn add_credentials(doc: &mut openapi::OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let operations = [
            (Method::GET, &mut item.get),
            (Method::POST, &mut item.post),
            (Method::PATCH, &mut item.patch),
            (Method::DELETE, &mut item.delete),
        ];
        for (method, operation) in operations {
            if let Some(operation) = operation {
                add_to(operation, &method, path);
            }
        }
    }
}

fn add_to(operation: &mut Operation, method: &Method, path: &str) {
    let Some(security) = operation.security.as_mut() else {
        return;
    };
    let admin = security
        .iter()
        .any(|r| serde_json::to_value(r).is_ok_and(|v| v.get(BEARER).is_some()));
    if admin {
        for scope in policy::scopes_accepted(method, path) {
            security.push(SecurityRequirement::new(API_KEY, [scope.as_str()]));
        }
        if policy::is_entry_read(method, path) {
            security.push(SecurityRequirement::new(
                SHOPPER_TOKEN,
                Vec::<String>::new(),
            ));
        }
    } else if policy::is_claim(method, path) {
        security.push(SecurityRequirement::new(API_KEY, ["claim"]));
        security.push(SecurityRequirement::new(
            SHOPPER_TOKEN,
            Vec::<String>::new(),
        ));
    }
}
