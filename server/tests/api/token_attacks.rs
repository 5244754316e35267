//! The shopper-token attack corpus: each forged, stale, misdirected or malformed token is a
//! `401 invalid_token` with the expected reason, leaks nothing, never a 5xx, and claims nothing
//! (counted from the database at the end). Failed tokens count toward the address's lockout.

use serde_json::{Value, json};
use sqlx::PgPool;

use crate::common::{
    self,
    creds::claim_with,
    tokens::{self, AUDIENCE, EdKey, SECRET, forged, hmac_signed, now},
};
use server::config::{ClaimAuthMode, Config};

fn token_server(c: &mut Config, jwks: std::path::PathBuf) {
    c.claim_auth = vec![ClaimAuthMode::Token];
    c.claim_token_secret = Some(SECRET.into());
    c.claim_token_public_keys = Some(jwks);
    c.claim_token_audience = Some(AUDIENCE.into());
}

/// (what, token, the reason it must be refused with).
fn corpus(ed: &EdKey, stranger: &EdKey) -> Vec<(&'static str, String, &'static str)> {
    let hs = |claims: &Value| tokens::hs256(SECRET, claims);
    let with = |changes: Value| {
        let mut claims = tokens::claims("victim");
        for (k, v) in changes.as_object().unwrap() {
            claims[k] = v.clone();
        }
        claims
    };
    let without = |field: &str| {
        let mut claims = tokens::claims("victim");
        claims.as_object_mut().unwrap().remove(field);
        claims
    };
    let good = hs(&tokens::claims("victim"));
    let (head, rest) = good.split_once('.').unwrap();
    let payload = rest.split_once('.').unwrap().0;
    vec![
        (
            "alg none, no signature",
            forged(
                &json!({"alg": "none", "typ": "JWT"}),
                &tokens::claims("victim"),
                b"",
            ),
            "malformed",
        ),
        (
            "alg None, with a signature",
            forged(&json!({"alg": "None"}), &tokens::claims("victim"), b"sig"),
            "malformed",
        ),
        (
            "HS256 keyed with the Ed25519 public key, its kid",
            hmac_signed(
                &json!({"alg": "HS256", "kid": ed.kid}),
                &tokens::claims("victim"),
                &ed.public,
            ),
            "bad_algorithm",
        ),
        (
            "HS256 keyed with the Ed25519 public key, no kid",
            hmac_signed(
                &json!({"alg": "HS256"}),
                &tokens::claims("victim"),
                &ed.public,
            ),
            "bad_signature",
        ),
        (
            "HS256 keyed with the public key's PEM",
            hmac_signed(
                &json!({"alg": "HS256"}),
                &tokens::claims("victim"),
                ed.pem().as_bytes(),
            ),
            "bad_signature",
        ),
        (
            "EdDSA header on an HMAC signature",
            hmac_signed(
                &json!({"alg": "EdDSA", "kid": ed.kid}),
                &tokens::claims("victim"),
                SECRET.as_bytes(),
            ),
            "bad_signature",
        ),
        (
            "RS256, not configured",
            forged(&json!({"alg": "RS256"}), &tokens::claims("victim"), b"x"),
            "bad_algorithm",
        ),
        (
            "signed with another secret",
            tokens::hs256(
                "another-secret-of-at-least-32-bytes!",
                &tokens::claims("victim"),
            ),
            "bad_signature",
        ),
        (
            "signed by an unknown key, its kid",
            stranger.sign(&tokens::claims("victim"), true),
            "unknown_key",
        ),
        (
            "signed by an unknown key, no kid",
            stranger.sign(&tokens::claims("victim"), false),
            "bad_signature",
        ),
        (
            "expired beyond the leeway",
            hs(&with(json!({"iat": now() - 400, "exp": now() - 60}))),
            "expired",
        ),
        (
            "nbf in the future",
            hs(&with(json!({"nbf": now() + 120}))),
            "not_yet_valid",
        ),
        (
            "iat in the future",
            hs(&with(json!({"iat": now() + 120, "exp": now() + 300}))),
            "issued_in_future",
        ),
        (
            "wrong audience",
            hs(&with(json!({"aud": "another-service"}))),
            "wrong_audience",
        ),
        ("no audience", hs(&without("aud")), "missing_claim"),
        ("no subject", hs(&without("sub")), "missing_claim"),
        ("no expiry", hs(&without("exp")), "missing_claim"),
        (
            "expiry as text",
            hs(&with(json!({"exp": "tomorrow"}))),
            "malformed",
        ),
        (
            "subject as a number",
            hs(&with(json!({"sub": 42}))),
            "malformed",
        ),
        (
            "empty subject",
            hs(&with(json!({"sub": ""}))),
            "invalid_subject",
        ),
        (
            "blank subject",
            hs(&with(json!({"sub": "   "}))),
            "invalid_subject",
        ),
        (
            "control character in the subject",
            hs(&with(json!({"sub": "a\u{7}b"}))),
            "invalid_subject",
        ),
        (
            "subject of 256 characters",
            hs(&with(json!({"sub": "s".repeat(256)}))),
            "invalid_subject",
        ),
        (
            "lifetime of an hour",
            hs(&with(json!({"iat": now(), "exp": now() + 3600}))),
            "lifetime_too_long",
        ),
        (
            "a day to live, no iat",
            hs(&without("iat")
                .as_object()
                .map(|o| {
                    let mut o = o.clone();
                    o.insert("exp".into(), json!(now() + 86_400));
                    Value::Object(o)
                })
                .unwrap()),
            "lifetime_too_long",
        ),
        (
            "100 KB of claims",
            hs(&with(json!({"pad": "p".repeat(100 * 1024)}))),
            "too_large",
        ),
        // An HS256 signature is 43 base64url characters: 36 always decode (to the wrong bytes);
        // 33 never do (4n + 1 characters are no base64). 35 or 34 decode or not depending on the
        // last character's unused bits, so they are left out (401 either way).
        (
            "signature cut to 36 characters",
            good[..good.len() - 7].to_owned(),
            "bad_signature",
        ),
        (
            "signature cut to 33 characters",
            good[..good.len() - 10].to_owned(),
            "malformed",
        ),
        (
            "altered signature",
            {
                let (message, signature) = good.rsplit_once('.').unwrap();
                let first = if signature.starts_with('A') { 'B' } else { 'A' };
                format!("{message}.{first}{}", &signature[1..])
            },
            "bad_signature",
        ),
        ("two parts", format!("{head}.{payload}"), "malformed"),
        ("four parts", format!("{good}.{payload}"), "malformed"),
        ("non-base64 parts", "!!!.@@@.###".to_owned(), "malformed"),
        (
            "non-JSON header",
            format!("bm90IGpzb24.{payload}.c2ln"),
            "malformed",
        ),
        // The signature is checked before the claims are read: an unsigned payload is never parsed.
        (
            "non-JSON payload",
            format!("{head}.bm90IGpzb24.c2ln"),
            "bad_signature",
        ),
        ("empty parts", "..".to_owned(), "malformed"),
    ]
}

#[sqlx::test(migrations = "../migrations")]
async fn every_forged_or_broken_token_is_refused_and_claims_nothing(pool: PgPool) {
    let (ed, stranger) = (EdKey::new("k1", 7), EdKey::new("k1-stranger", 8));
    let app = common::spawn_with(&pool, |c| {
        token_server(c, tokens::jwks_file(&[&ed]));
        c.rate_limits = true;
        c.auth_failures_per_minute = 10_000;
    })
    .await;
    app.create("GUARDED", 1000).await;
    let mut wrong = Vec::new();
    for (what, token, reason) in corpus(&ed, &stranger) {
        for body in [
            json!({"coupon_name": "GUARDED"}),
            json!({"user_id": "victim", "coupon_name": "GUARDED"}),
        ] {
            let (status, answer) = claim_with(&app, Some(&token), &body).await;
            let got = (status, answer["code"].as_str(), answer["reason"].as_str());
            if got != (401, Some("invalid_token"), Some(reason)) {
                wrong.push(format!("{what}: {answer} ({status})"));
            }
            let fields: Vec<&String> = answer
                .as_object()
                .map(|o| o.keys().collect())
                .unwrap_or_default();
            assert!(
                fields.len() <= 3 && !answer.to_string().contains(SECRET),
                "{what} leaked: {answer}"
            );
        }
    }
    assert!(
        wrong.is_empty(),
        "refused otherwise than expected:\n{}",
        wrong.join("\n")
    );
    let (_, _, claims, _) = common::db_state(&pool, "GUARDED").await;
    assert_eq!(claims, 0, "a refused token claimed");
    // The corpus' own control: the same server takes a good token.
    let good = tokens::hs256(SECRET, &tokens::claims("victim"));
    assert_eq!(
        claim_with(&app, Some(&good), &json!({"coupon_name": "GUARDED"}))
            .await
            .0,
        200
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_tokens_lock_their_address_out(pool: PgPool) {
    let ed = EdKey::new("k1", 9);
    let app = common::spawn_with(&pool, |c| {
        token_server(c, tokens::jwks_file(&[&ed]));
        c.rate_limits = true;
        c.auth_failures_per_minute = 5;
    })
    .await;
    app.create("LOCK", 10).await;
    let bad = tokens::hs256("another-secret-of-at-least-32-bytes!", &tokens::claims("x"));
    let body = json!({"coupon_name": "LOCK"});
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(claim_with(&app, Some(&bad), &body).await.0);
    }
    assert_eq!(&statuses[..5], [401; 5], "{statuses:?}");
    assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
    // Locked out: even a good token gets no answer about itself.
    let good = tokens::hs256(SECRET, &tokens::claims("x"));
    assert_eq!(claim_with(&app, Some(&good), &body).await.0, 429);
    assert_eq!(common::db_state(&pool, "LOCK").await.2, 0);
}
