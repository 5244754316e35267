//! Who may claim (`CLAIM_AUTH`): open by default and unchanged; with keys, the shop's backend
//! vouches for the body's user; with tokens, the token's subject is the user. Every refusal
//! claims nothing, checked from the database.

use reqwest::Method;
use serde_json::json;
use sqlx::PgPool;

use crate::common::{
    self,
    creds::{call, claim_with, create_key, holders},
    tokens::{self, AUDIENCE, EdKey, SECRET},
};
use server::config::{ClaimAuthMode, Config};

fn token_mode(c: &mut Config, modes: &[ClaimAuthMode], jwks: Option<std::path::PathBuf>) {
    c.claim_auth = modes.to_vec();
    c.claim_token_secret = Some(SECRET.into());
    c.claim_token_public_keys = jwks;
    c.claim_token_audience = Some(AUDIENCE.into());
}

#[sqlx::test(migrations = "../migrations")]
async fn open_is_the_default_and_takes_the_body_user(pool: PgPool) {
    let app = common::spawn(&pool).await;
    app.create("OPEN", 10).await;
    assert_eq!(app.claim("anyone", "OPEN").await.0, 200);
    let (status, body) = app
        .post("/api/coupons/claim", &json!({"coupon_name": "OPEN"}))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_request")),
        "{body}"
    );
    assert!(
        body["error"].as_str().unwrap().contains("user_id"),
        "{body}"
    );
    // A stray bearer (not a key) changes nothing while the admin is open, as before.
    let (status, _) = claim_with(
        &app,
        Some("whatever"),
        &json!({"user_id": "u2", "coupon_name": "OPEN"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(holders(&pool, "OPEN").await, ["anyone", "u2"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn token_mode_claims_as_the_subject_only(pool: PgPool) {
    let (k1, k2) = (EdKey::new("k1", 1), EdKey::new("k2", 2));
    let jwks = tokens::jwks_file(&[&k1, &k2]);
    let app = common::spawn_with(&pool, |c| {
        token_mode(c, &[ClaimAuthMode::Token], Some(jwks))
    })
    .await;
    for name in ["T", "OTHER"] {
        app.create(name, 100).await;
    }
    let body = |user: Option<&str>, coupon: &str| match user {
        Some(u) => json!({"user_id": u, "coupon_name": coupon}),
        None => json!({"coupon_name": coupon}),
    };
    // Without credentials: 401, whatever the body says.
    let (status, refused) = claim_with(&app, None, &body(Some("mallory"), "T")).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (401, Some("unauthorized")),
        "{refused}"
    );
    // HS256, EdDSA by kid (either key of the JWKS: a rotation), EdDSA without kid.
    let hs = tokens::hs256(SECRET, &tokens::claims("alice"));
    assert_eq!(claim_with(&app, Some(&hs), &body(None, "T")).await.0, 200);
    let ed = k2.sign(&tokens::claims("bob"), true);
    assert_eq!(
        claim_with(&app, Some(&ed), &body(Some("bob"), "T")).await.0,
        200
    );
    let ed = k1.sign(&tokens::claims("carol"), false);
    assert_eq!(claim_with(&app, Some(&ed), &body(None, "T")).await.0, 200);
    // The body may not name anyone else.
    let dave = tokens::hs256(SECRET, &tokens::claims("dave"));
    let (status, mismatch) = claim_with(&app, Some(&dave), &body(Some("alice2"), "T")).await;
    assert_eq!(
        (status, mismatch["code"].as_str()),
        (403, Some("token_mismatch")),
        "{mismatch}"
    );
    // A token good for one coupon only.
    let mut only_other = tokens::claims("erin");
    only_other["coupon"] = json!("OTHER");
    let erin = tokens::hs256(SECRET, &only_other);
    let (status, wrong) = claim_with(&app, Some(&erin), &body(None, "T")).await;
    assert_eq!(
        (status, wrong["code"].as_str()),
        (403, Some("token_mismatch")),
        "{wrong}"
    );
    assert_eq!(
        claim_with(&app, Some(&erin), &body(None, "OTHER")).await.0,
        200
    );
    // A replayed token is harmless: one claim per user per coupon.
    let (status, again) = claim_with(&app, Some(&hs), &body(None, "T")).await;
    assert_eq!(
        (status, again["code"].as_str()),
        (409, Some("already_claimed"))
    );
    assert_eq!(holders(&pool, "T").await, ["alice", "bob", "carol"]);
    assert_eq!(holders(&pool, "OTHER").await, ["erin"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn key_mode_needs_a_key_with_the_claim_scope(pool: PgPool) {
    let app = common::spawn_with(&pool, |c| c.claim_auth = vec![ClaimAuthMode::Key]).await;
    app.create("K", 100).await;
    let (_, claim_key) = create_key(&app, None, &["claim"]).await;
    let (_, read_key) = create_key(&app, None, &["read"]).await;
    let (_, admin_key) = create_key(&app, None, &["admin"]).await;
    let body = |u: &str| json!({"user_id": u, "coupon_name": "K"});
    let (status, refused) = claim_with(&app, None, &body("anon")).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (401, Some("unauthorized"))
    );
    assert_eq!(
        claim_with(&app, Some(&claim_key), &body("shopper-1"))
            .await
            .0,
        200
    );
    assert_eq!(
        claim_with(&app, Some(&admin_key), &body("shopper-2"))
            .await
            .0,
        200
    );
    let (status, scope) = claim_with(&app, Some(&read_key), &body("shopper-3")).await;
    assert_eq!(status, 403, "{scope}");
    assert_eq!(
        (scope["code"].as_str(), scope["scope"].as_str()),
        (Some("insufficient_scope"), Some("claim"))
    );
    let unknown = format!("ck_{}", "A".repeat(43));
    let (status, bad) = claim_with(&app, Some(&unknown), &body("shopper-4")).await;
    assert_eq!((status, bad["code"].as_str()), (401, Some("invalid_key")));
    // A shopper token means nothing here: this server takes keys only.
    let token = tokens::hs256(SECRET, &tokens::claims("shopper-5"));
    assert_eq!(
        claim_with(&app, Some(&token), &body("shopper-5")).await.0,
        401
    );
    assert_eq!(holders(&pool, "K").await, ["shopper-1", "shopper-2"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn key_and_token_modes_together(pool: PgPool) {
    let app = common::spawn_with(&pool, |c| {
        token_mode(c, &[ClaimAuthMode::Key, ClaimAuthMode::Token], None)
    })
    .await;
    app.create("KT", 100).await;
    let (_, key) = create_key(&app, None, &["claim"]).await;
    let token = tokens::hs256(SECRET, &tokens::claims("by-token"));
    let by_key = json!({"user_id": "by-key", "coupon_name": "KT"});
    assert_eq!(claim_with(&app, Some(&key), &by_key).await.0, 200);
    assert_eq!(
        claim_with(&app, Some(&token), &json!({"coupon_name": "KT"}))
            .await
            .0,
        200
    );
    let (status, _) =
        claim_with(&app, None, &json!({"user_id": "anon", "coupon_name": "KT"})).await;
    assert_eq!(status, 401);
    // A claim key reads no admin list, even with the admin open.
    let (status, _) = call(&app, Method::GET, "/api/coupons/KT/claims", &key, None).await;
    assert_eq!(status, 403, "a claim key may not read the claimers");
    assert_eq!(holders(&pool, "KT").await, ["by-key", "by-token"]);
}

#[test]
fn token_mode_without_keys_or_audience_refuses_to_start() {
    let mut config = Config::for_database("unused");
    config.claim_auth = vec![ClaimAuthMode::Token];
    let error = server::credentials::claim_auth::ClaimAuth::from_config(&config)
        .err()
        .unwrap();
    assert!(error.to_string().contains("CLAIM_TOKEN_SECRET"), "{error}");
    config.claim_token_secret = Some("too short".into());
    let error = server::credentials::claim_auth::ClaimAuth::from_config(&config)
        .err()
        .unwrap();
    assert!(error.to_string().contains("32 bytes"), "{error}");
    config.claim_token_secret = Some(SECRET.into());
    let error = server::credentials::claim_auth::ClaimAuth::from_config(&config)
        .err()
        .unwrap();
    assert!(
        error.to_string().contains("CLAIM_TOKEN_AUDIENCE"),
        "{error}"
    );
    config.claim_token_audience = Some(AUDIENCE.into());
    config.claim_token_leeway_secs = 31;
    assert!(server::credentials::claim_auth::ClaimAuth::from_config(&config).is_err());
    config.claim_token_leeway_secs = 30;
    assert!(server::credentials::claim_auth::ClaimAuth::from_config(&config).is_ok());
}

#[sqlx::test(migrations = "../migrations")]
async fn a_pem_public_key_verifies_tokens_without_kid(pool: PgPool) {
    let key = EdKey::new("pem", 3);
    let pem = std::env::temp_dir().join(format!("coupons-{}.pem", uuid::Uuid::new_v4()));
    std::fs::write(&pem, key.pem()).unwrap();
    let app = common::spawn_with(&pool, |c| {
        c.claim_auth = vec![ClaimAuthMode::Token];
        c.claim_token_public_keys = Some(pem.clone());
        c.claim_token_audience = Some(AUDIENCE.into());
    })
    .await;
    app.create("PEM", 5).await;
    let token = key.sign(&tokens::claims("pem-user"), false);
    assert_eq!(
        claim_with(&app, Some(&token), &json!({"coupon_name": "PEM"}))
            .await
            .0,
        200
    );
    // Only the public key is configured: an HS256 token (any secret) has no key to check it.
    let hs = tokens::hs256(SECRET, &tokens::claims("intruder"));
    let (status, body) = claim_with(&app, Some(&hs), &json!({"coupon_name": "PEM"})).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (401, Some("bad_algorithm")),
        "{body}"
    );
    assert_eq!(holders(&pool, "PEM").await, ["pem-user"]);
    let _ = std::fs::remove_file(pem);
}
