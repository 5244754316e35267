//! Who is calling: the one judgement of what a request presents, made by the guard before any
//! route runs. A bearer credential is an API key (`ck_...`), a shopper token (a JWT, on the claim
//! route when `CLAIM_AUTH` takes tokens) or the admin token; without one, the session cookie.
//! A credential that fails counts toward its address's lockout.

use std::net::IpAddr;

use axum::{
    http::{HeaderMap, Method, header},
    response::{IntoResponse, Response},
};
use axum_extra::extract::cookie::SignedCookieJar;

use super::AuthError;
use crate::{
    api::ApiError,
    credentials::{api_keys, caller::Caller, session},
    http::policy,
    state::AppState,
};

/// The bearer credential of `headers`, if any.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
}

/// Judges what the request presents. `Err` is the answer: a failed key or token (`401`), an
/// address locked out (`429`), or the database busy while looking a key up (`503`).
pub async fn judge(
    state: &AppState,
    headers: &HeaderMap,
    method: &Method,
    path: &str,
    ip: IpAddr,
) -> Result<Caller, Response> {
    let Some(token) = bearer(headers) else {
        return Ok(session_of(state, headers));
    };
    // A locked-out address gets no answer about its credential, right or wrong.
    state
        .limits
        .locked_out(ip)
        .map_err(|refused| ApiError::from(refused).into_response())?;
    let failed = |error: AuthError| match state.limits.auth_failed(ip) {
        Err(refused) => ApiError::from(refused).into_response(),
        Ok(()) => error.into_response(),
    };
    if token.starts_with(api_keys::KEY_PREFIX) {
        return match state.keys.check(token).await {
            Ok(Some(key)) => Ok(Caller::Key(key)),
            Ok(None) => Err(failed(AuthError::InvalidKey)),
            Err(error) => Err(ApiError::from(error).into_response()),
        };
    }
    if state.auth.required() && state.auth.token_matches(token) {
        return Ok(Caller::Admin("token".to_owned()));
    }
    // On the routes of a shopper (the claim, one's entry) of a server that takes tokens, any
    // other bearer is a shopper token.
    if let Some(tokens) = state.claim_auth.tokens()
        && policy::takes_shopper_token(method, path)
    {
        return tokens
            .verify(token)
            .map(Caller::Shopper)
            .map_err(|why| failed(AuthError::InvalidToken(why)));
    }
    if !state.auth.required() {
        // The admin is open: a bearer means nothing here (as before keys and tokens existed).
        return Ok(Caller::Anonymous);
    }
    // A wrong admin token: counted, and the request goes on as anonymous (public routes serve).
    state
        .limits
        .auth_failed(ip)
        .map_err(|refused| ApiError::from(refused).into_response())?;
    Ok(Caller::Anonymous)
}

fn session_of(state: &AppState, headers: &HeaderMap) -> Caller {
    if !state.auth.required() {
        return Caller::Anonymous;
    }
    session::valid_id(&SignedCookieJar::from_headers(headers, state.auth.key()))
        .map_or(Caller::Anonymous, |id| {
            Caller::Admin(format!("session:{id}"))
        })
}

/// True when the query string carries what looks like a credential: refused, so a key pasted
/// into a URL (and from there into logs, histories and referrers) fails loudly.
pub fn credential_in_query(query: Option<&str>) -> bool {
    query.is_some_and(|q| {
        q.split('&').any(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            matches!(
                name.to_ascii_lowercase().as_str(),
                "api_key" | "apikey" | "key" | "token" | "access_token"
            ) || api_keys::well_formed(value)
        })
    })
}
