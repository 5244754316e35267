//! Shopper tokens: short-lived JWTs that a shop's backend signs for its signed-in shopper, so a
//! claim proves who claims. Verified with `jsonwebtoken` against the configured keys only: an
//! HS256 secret and/or Ed25519 public keys (PEM, or a JWKS selected by `kid`). Each key fixes its
//! one algorithm, so `alg: none` and an HMAC check keyed with a public key cannot happen.

use std::{collections::HashSet, path::Path, sync::Arc};

use jsonwebtoken::{
    Algorithm, DecodingKey, Validation, decode, decode_header, errors::ErrorKind, jwk::JwkSet,
};
use serde::Deserialize;

use crate::config::Config;

/// Shortest `CLAIM_TOKEN_SECRET` accepted (HS256 wants a key as long as its hash).
pub const MIN_SECRET_BYTES: usize = 32;
/// Most clock skew tolerated, whatever the configuration asks.
pub const MAX_LEEWAY_SECS: u64 = 30;
/// Longest token read at all: a claim token is a few hundred bytes.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// The configured verification keys and rules. Cheap to clone.
#[derive(Clone)]
pub struct ShopperTokens(Arc<Inner>);

struct Inner {
    keys: Vec<VerifyKey>,
    max_lifetime_secs: u64,
    leeway_secs: u64,
}

struct VerifyKey {
    kid: Option<String>,
    algorithm: Algorithm,
    key: DecodingKey,
    /// What `jsonwebtoken` checks with this key, built once (not per token).
    rules: Validation,
}

impl VerifyKey {
    fn new(kid: Option<String>, algorithm: Algorithm, key: DecodingKey) -> Self {
        Self {
            kid,
            algorithm,
            key,
            rules: Validation::new(algorithm),
        }
    }
}

/// Who a valid token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shopper {
    /// The token's `sub`: the user who claims.
    pub user_id: String,
    /// The token's `coupon`, when it is good for that coupon only.
    pub coupon: Option<String>,
}

/// Why a token was refused; [`TokenRefusal::reason`] is the `reason` of the `401 invalid_token`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenRefusal {
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token is too large")]
    TooLarge,
    #[error("the token's signature does not verify")]
    BadSignature,
    #[error("the token's algorithm is not the one of its key")]
    BadAlgorithm,
    #[error("the token's kid names no configured key")]
    UnknownKey,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet (nbf)")]
    NotYetValid,
    #[error("the token was issued in the future (iat)")]
    IssuedInFuture,
    #[error("the token lives longer than this server accepts (exp - iat)")]
    LifetimeTooLong,
    #[error("the token is for another audience (aud)")]
    WrongAudience,
    #[error("the token lacks a required claim (sub, exp, aud)")]
    MissingClaim,
    #[error("the token's subject breaks the user_id rules")]
    InvalidSubject,
}

impl TokenRefusal {
    /// The machine-readable reason.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::TooLarge => "too_large",
            Self::BadSignature => "bad_signature",
            Self::BadAlgorithm => "bad_algorithm",
            Self::UnknownKey => "unknown_key",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::IssuedInFuture => "issued_in_future",
            Self::LifetimeTooLong => "lifetime_too_long",
            Self::WrongAudience => "wrong_audience",
            Self::MissingClaim => "missing_claim",
            Self::InvalidSubject => "invalid_subject",
        }
    }
}

/// The claims read from a token; the registered ones are checked by `jsonwebtoken`.
#[derive(Deserialize)]
struct Claims {
    sub: Option<String>,
    exp: Option<u64>,
    iat: Option<u64>,
    coupon: Option<String>,
}

impl ShopperTokens {
    /// The keys and rules of `config`, or `None` when no key is configured. Fails, naming the
    /// setting, on a short secret, an unreadable key file, a missing audience or a leeway above
    /// [`MAX_LEEWAY_SECS`].
    pub fn from_config(config: &Config) -> anyhow::Result<Option<Self>> {
        let mut keys = Vec::new();
        if let Some(secret) = config
            .claim_token_secret
            .as_deref()
            .filter(|s| !s.is_empty())
        {
            anyhow::ensure!(
                secret.len() >= MIN_SECRET_BYTES,
                "CLAIM_TOKEN_SECRET must be at least {MIN_SECRET_BYTES} bytes long"
            );
            let key = DecodingKey::from_secret(secret.as_bytes())?;
            keys.push(VerifyKey::new(None, Algorithm::HS256, key));
        }
        if let Some(path) = &config.claim_token_public_keys {
            keys.extend(
                public_keys(path).map_err(|e| {
                    anyhow::anyhow!("CLAIM_TOKEN_PUBLIC_KEYS={}: {e}", path.display())
                })?,
            );
        }
        if keys.is_empty() {
            return Ok(None);
        }
        let audience = config
            .claim_token_audience
            .clone()
            .filter(|a| !a.is_empty())
            .ok_or_else(|| {
                anyhow::anyhow!("CLAIM_TOKEN_AUDIENCE must be set with shopper token keys")
            })?;
        anyhow::ensure!(
            config.claim_token_leeway_secs <= MAX_LEEWAY_SECS,
            "CLAIM_TOKEN_LEEWAY_SECS may be at most {MAX_LEEWAY_SECS}"
        );
        for key in &mut keys {
            let rules = &mut key.rules;
            rules.leeway = config.claim_token_leeway_secs;
            rules.validate_nbf = true;
            rules.set_audience(&[&audience]);
            rules.required_spec_claims = HashSet::from(["sub", "exp", "aud"].map(String::from));
        }
        Ok(Some(Self(Arc::new(Inner {
            keys,
            max_lifetime_secs: config.claim_token_max_lifetime_secs,
            leeway_secs: config.claim_token_leeway_secs,
        }))))
    }

    /// Verifies `token` now: its key (by `kid`, else each key of its algorithm), signature,
    /// `aud`, `exp`, `nbf`, `iat`, lifetime and subject.
    pub fn verify(&self, token: &str) -> Result<Shopper, TokenRefusal> {
        let now = jsonwebtoken::get_current_timestamp();
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenRefusal::TooLarge);
        }
        let header = decode_header(token).map_err(refusal)?;
        let candidates: Vec<&VerifyKey> = match &header.kid {
            Some(kid) => {
                let key = self.0.keys.iter().find(|k| k.kid.as_ref() == Some(kid));
                vec![key.ok_or(TokenRefusal::UnknownKey)?]
            }
            None => self.0.keys.iter().collect(),
        };
        let mut candidates = candidates.into_iter().filter(|k| k.algorithm == header.alg);
        let first = candidates.next().ok_or(TokenRefusal::BadAlgorithm)?;
        let mut verified = self.decode(token, first);
        // Without a kid, any key of the token's algorithm may have signed it (a rotation).
        for key in candidates {
            if !matches!(verified, Err(TokenRefusal::BadSignature)) {
                break;
            }
            verified = self.decode(token, key);
        }
        let claims = verified?;
        let (Some(sub), Some(exp)) = (claims.sub, claims.exp) else {
            return Err(TokenRefusal::MissingClaim);
        };
        let leeway = self.0.leeway_secs;
        if claims.iat.is_some_and(|iat| iat > now + leeway) {
            return Err(TokenRefusal::IssuedInFuture);
        }
        let issued = claims.iat.unwrap_or(now).min(now);
        if exp.saturating_sub(issued) > self.0.max_lifetime_secs {
            return Err(TokenRefusal::LifetimeTooLong);
        }
        app::contract::validation::check_name(&sub).map_err(|_| TokenRefusal::InvalidSubject)?;
        Ok(Shopper {
            user_id: sub,
            coupon: claims.coupon,
        })
    }

    fn decode(&self, token: &str, key: &VerifyKey) -> Result<Claims, TokenRefusal> {
        decode::<Claims>(token, &key.key, &key.rules)
            .map(|data| data.claims)
            .map_err(refusal)
    }
}

fn refusal(error: jsonwebtoken::errors::Error) -> TokenRefusal {
    match error.kind() {
        ErrorKind::InvalidSignature => TokenRefusal::BadSignature,
        ErrorKind::ExpiredSignature => TokenRefusal::Expired,
        ErrorKind::ImmatureSignature => TokenRefusal::NotYetValid,
        ErrorKind::InvalidAudience => TokenRefusal::WrongAudience,
        ErrorKind::MissingRequiredClaim(_) => TokenRefusal::MissingClaim,
        ErrorKind::InvalidAlgorithm
        | ErrorKind::MissingAlgorithm
        | ErrorKind::UnsupportedAlgorithm
        | ErrorKind::InvalidAlgorithmName
        | ErrorKind::InvalidEddsaKey
        | ErrorKind::InvalidKeyFormat => TokenRefusal::BadAlgorithm,
        _ => TokenRefusal::Malformed,
    }
}

/// The Ed25519 keys of a PEM file (one key, no kid) or a JWKS file (each with its kid).
fn public_keys(path: &Path) -> anyhow::Result<Vec<VerifyKey>> {
    let text = std::fs::read_to_string(path)?;
    if !text.trim_start().starts_with('{') {
        let key = DecodingKey::from_ed_pem(text.as_bytes())?;
        return Ok(vec![VerifyKey::new(None, Algorithm::EdDSA, key)]);
    }
    let set: JwkSet = serde_json::from_str(&text)?;
    let keys = set
        .keys
        .iter()
        .map(|jwk| {
            let key = DecodingKey::from_jwk(jwk)?;
            anyhow::ensure!(
                key.family() == jsonwebtoken::AlgorithmFamily::Ed,
                "only Ed25519 (OKP) keys are accepted"
            );
            Ok(VerifyKey::new(
                jwk.common.key_id.clone(),
                Algorithm::EdDSA,
                key,
            ))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    anyhow::ensure!(!keys.is_empty(), "the JWKS holds no key");
    Ok(keys)
}

/// What verifying costs, alone: `cargo test --release -p server --lib token_verify_cost --
/// --ignored --nocapture` prints the time per token (docs/benchmark.md). Ignored by default: it
/// measures, it does not check.
#[cfg(test)]
mod cost {
    #[test]
    #[ignore]
    fn token_verify_cost() {
        use jsonwebtoken::{EncodingKey, Header, encode};
        let secret = "s".repeat(40);
        let mut config = crate::config::Config::for_database("unused");
        config.claim_token_secret = Some(secret.clone());
        config.claim_token_audience = Some("bench".into());
        let tokens = super::ShopperTokens::from_config(&config).unwrap().unwrap();
        let now = jsonwebtoken::get_current_timestamp();
        let key = EncodingKey::from_secret(secret.as_bytes()).unwrap();
        let claims = |i: usize| serde_json::json!({"sub": format!("tok-{i}"), "aud": "bench", "iat": now, "exp": now + 300});
        let list: Vec<String> = (0..20_000)
            .map(|i| encode(&Header::default(), &claims(i), &key).unwrap())
            .collect();
        let start = std::time::Instant::now();
        for token in &list {
            assert!(tokens.verify(token).is_ok());
        }
        println!(
            "HS256 shopper token verified in {:?} each",
            start.elapsed() / 20_000
        );
    }
}
