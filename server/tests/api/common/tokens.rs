//! Shopper tokens for tests, minted with `jsonwebtoken` as a shop's backend would: HS256 with a
//! shared secret, or EdDSA with an Ed25519 key made from a seed (its public half written as the
//! server reads it: a JWKS with kids, or a PEM).

use base64::{Engine, engine::general_purpose::STANDARD, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header, jwk::Jwk};
use serde_json::{Value, json};

/// The HS256 secret of token-mode test servers (32+ bytes).
pub const SECRET: &str = "a-test-secret-of-at-least-32-bytes!!";
/// The audience of token-mode test servers.
pub const AUDIENCE: &str = "coupons-test";

/// Seconds since the epoch.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Standard claims for `sub`: audience, issued now, five minutes to live.
pub fn claims(sub: &str) -> Value {
    json!({"sub": sub, "aud": AUDIENCE, "iat": now(), "exp": now() + 300})
}

/// `claims` signed with HS256 and `secret`.
pub fn hs256(secret: &str, claims: &Value) -> String {
    let key = EncodingKey::from_secret(secret.as_bytes()).unwrap();
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key).unwrap()
}

/// An Ed25519 key pair from a 32-byte seed.
pub struct EdKey {
    pub kid: String,
    encoding: EncodingKey,
    /// The public key, raw (32 bytes).
    pub public: Vec<u8>,
}

impl EdKey {
    pub fn new(kid: &str, seed: u8) -> Self {
        // PKCS#8 v1 of an Ed25519 private key: a fixed prefix, then the seed.
        let mut der = hex("302e020100300506032b657004220420");
        der.extend([seed; 32]);
        let encoding = EncodingKey::from_ed_der(&der);
        let jwk = Jwk::from_encoding_key(&encoding, Algorithm::EdDSA).unwrap();
        let x = serde_json::to_value(&jwk).unwrap()["x"]
            .as_str()
            .unwrap()
            .to_owned();
        Self {
            kid: kid.to_owned(),
            encoding,
            public: URL_SAFE_NO_PAD.decode(x).unwrap(),
        }
    }

    /// `claims` signed with this key, its kid in the header when `with_kid`.
    pub fn sign(&self, claims: &Value, with_kid: bool) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = with_kid.then(|| self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).unwrap()
    }

    /// This key as one entry of a JWKS.
    pub fn jwk(&self) -> Value {
        json!({"kty": "OKP", "crv": "Ed25519", "kid": self.kid, "alg": "EdDSA", "use": "sig",
               "x": URL_SAFE_NO_PAD.encode(&self.public)})
    }

    /// The public key as a PEM (SubjectPublicKeyInfo).
    pub fn pem(&self) -> String {
        let mut der = hex("302a300506032b6570032100");
        der.extend(&self.public);
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            STANDARD.encode(der)
        )
    }
}

/// A JWKS file of `keys`, written to a temporary path the server can read.
pub fn jwks_file(keys: &[&EdKey]) -> std::path::PathBuf {
    let set = json!({"keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>()});
    let path = std::env::temp_dir().join(format!("coupons-jwks-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&path, set.to_string()).unwrap();
    path
}

/// A token whose parts are `header` and `payload` as given (JSON, base64url-encoded) and a
/// signature of `signature` bytes: for tokens no library would sign.
pub fn forged(header: &Value, payload: &Value, signature: &[u8]) -> String {
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.{}",
        part(header),
        part(payload),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

/// HS256 over `header.payload` keyed with `key` (e.g. a public key's bytes: the confusion
/// attack).
pub fn hmac_signed(header: &Value, payload: &Value, key: &[u8]) -> String {
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let message = format!("{}.{}", part(header), part(payload));
    let signature = jsonwebtoken::crypto::sign(
        message.as_bytes(),
        &EncodingKey::from_secret(key).unwrap(),
        Algorithm::HS256,
    )
    .unwrap();
    format!("{message}.{signature}")
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}
