//! Credentials: the admin's password and token (kept as digests, compared in constant time), the
//! key that signs session cookies ([`session`]), API keys ([`api_keys`]) and shopper tokens
//! ([`shopper_token`]). No HTTP here: the guard that judges them is `auth`.

pub mod api_keys;
pub mod caller;
pub mod claim_auth;
pub mod session;
pub mod shopper_token;

use std::{sync::Arc, time::Duration};

use axum_extra::extract::cookie::{Key, SignedCookieJar};
use sha2::{Digest, Sha256, Sha512};
use subtle::ConstantTimeEq;

use crate::config::Config;

/// Shortest `SESSION_SECRET` accepted: the signing key is derived from it.
pub const MIN_SESSION_SECRET_BYTES: usize = 32;

/// The admin secrets and the session signing key. Cheap to clone.
#[derive(Clone)]
pub struct AdminAuth(Arc<Inner>);

struct Inner {
    /// SHA-256 of ADMIN_PASSWORD: only digests are kept and compared, in constant time.
    password: Option<[u8; 32]>,
    /// SHA-256 of ADMIN_TOKEN (defaults to the password).
    token: Option<[u8; 32]>,
    key: Key,
    ttl: Duration,
    secure_cookie: bool,
}

impl AdminAuth {
    /// Reads the secrets from the configuration. Fails on a `SESSION_SECRET` too short to sign with.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let password = non_empty(config.admin_password.as_deref());
        let token = non_empty(config.admin_token.as_deref()).or(password);
        let key = match non_empty(config.session_secret.as_deref()) {
            Some(secret) if secret.len() < MIN_SESSION_SECRET_BYTES => anyhow::bail!(
                "SESSION_SECRET must be at least {MIN_SESSION_SECRET_BYTES} bytes long"
            ),
            // Key::from wants 64 bytes; SHA-512 stretches any long-enough secret to exactly that.
            // The password goes in too, so changing ADMIN_PASSWORD ends every session.
            Some(secret) => {
                let mut material = Sha512::new();
                material.update(secret.as_bytes());
                material.update([0]);
                material.update(password.unwrap_or_default().as_bytes());
                Key::from(&material.finalize())
            }
            None => Key::generate(),
        };
        if password.is_some() && config.session_secret.is_none() {
            tracing::info!(
                "SESSION_SECRET is not set: sessions are signed with a per-process key and end when the server restarts"
            );
        }
        Ok(Self(Arc::new(Inner {
            password: password.map(digest),
            token: token.map(digest),
            key,
            ttl: Duration::from_secs(config.session_ttl_minutes.saturating_mul(60)),
            secure_cookie: config.cookie_secure,
        })))
    }

    /// True when a password is set, so admin routes need a session or the bearer token.
    pub fn required(&self) -> bool {
        self.0.password.is_some()
    }

    /// Compares a sign-in attempt with ADMIN_PASSWORD in constant time.
    pub fn password_matches(&self, candidate: &str) -> bool {
        matches(self.0.password.as_ref(), candidate)
    }

    /// Compares a bearer token with ADMIN_TOKEN in constant time.
    pub fn token_matches(&self, candidate: &str) -> bool {
        matches(self.0.token.as_ref(), candidate)
    }

    pub(crate) fn key(&self) -> Key {
        self.0.key.clone()
    }

    /// `jar` with a fresh session cookie (this configuration's lifetime and `Secure` flag), and
    /// the session's id.
    pub fn issue_session(&self, jar: SignedCookieJar) -> (SignedCookieJar, String) {
        session::issue(jar, self.0.ttl, self.0.secure_cookie)
    }
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Digests first, so neither the secret's length nor its content leaks through timing.
fn matches(expected: Option<&[u8; 32]>, candidate: &str) -> bool {
    expected.is_some_and(|e| bool::from(e.ct_eq(&digest(candidate))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(password: Option<&str>, token: Option<&str>) -> AdminAuth {
        let mut config = Config::for_database("unused");
        config.admin_password = password.map(str::to_owned);
        config.admin_token = token.map(str::to_owned);
        AdminAuth::from_config(&config).unwrap()
    }

    #[test]
    fn open_without_password() {
        let a = auth(None, None);
        assert!(!a.required());
        assert!(!a.password_matches(""));
        assert!(!a.token_matches(""));
        assert!(
            !auth(Some(""), None).required(),
            "an empty password counts as unset"
        );
    }

    #[test]
    fn token_defaults_to_password() {
        let a = auth(Some("s3cret"), None);
        assert!(a.required());
        assert!(a.password_matches("s3cret"));
        assert!(a.token_matches("s3cret"));
        assert!(!a.password_matches("s3cre"));
        assert!(!a.password_matches("s3cret "));
    }

    #[test]
    fn separate_token() {
        let a = auth(Some("pw"), Some("tok"));
        assert!(a.token_matches("tok"));
        assert!(!a.token_matches("pw"));
        assert!(!a.password_matches("tok"));
    }

    #[test]
    fn a_new_password_ends_old_sessions() {
        let key = |password: &str| {
            let mut config = Config::for_database("unused");
            config.admin_password = Some(password.into());
            config.session_secret = Some("s".repeat(MIN_SESSION_SECRET_BYTES));
            AdminAuth::from_config(&config).unwrap().key()
        };
        assert_eq!(
            key("one").signing(),
            key("one").signing(),
            "same inputs, same key"
        );
        assert_ne!(key("one").signing(), key("two").signing());
    }

    #[test]
    fn short_session_secret_is_refused() {
        let mut config = Config::for_database("unused");
        config.session_secret = Some("short".into());
        assert!(AdminAuth::from_config(&config).is_err());
        config.session_secret = Some("x".repeat(MIN_SESSION_SECRET_BYTES));
        assert!(AdminAuth::from_config(&config).is_ok());
    }
}
