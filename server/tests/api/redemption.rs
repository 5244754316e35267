//! The shop's checkout: a holder check that is one probe, a redemption that happens once (under
//! 50 concurrent tries too), that a release cannot undo and that a retry with its key replays;
//! keys with the claim scope may do both, read keys only check. Counted from the database.

use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::common::{
    self,
    admin::TOKEN,
    creds::{call, create_as, create_key},
};

fn claim_path(coupon: &str, user: &str) -> String {
    format!(
        "/api/coupons/{}/claims/{}",
        common::encode(coupon),
        common::encode(user)
    )
}

async fn redeem(
    app: &common::TestApp,
    coupon: &str,
    user: &str,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let path = format!("{}/redeem", claim_path(coupon, user));
    let (status, _, body) = app.send(Method::POST, &path, None, headers).await;
    (status, body)
}

#[sqlx::test(migrations = "../migrations")]
async fn a_claim_is_checked_redeemed_once_and_then_not_released(pool: PgPool) {
    let app = common::spawn(&pool).await;
    app.create("CHECKOUT", 10).await;
    assert_eq!(app.claim("ann", "CHECKOUT").await.0, 200);
    let (status, held) = app.get(&claim_path("CHECKOUT", "ann")).await;
    assert_eq!(status, 200, "{held}");
    assert_eq!(
        (held["user_id"].as_str(), held["redeemed_at"].is_null()),
        (Some("ann"), true)
    );
    let (status, body) = app.get(&claim_path("CHECKOUT", "nobody")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("claim_not_found"))
    );
    let (status, body) = app.get(&claim_path("NO_SUCH_COUPON", "ann")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("claim_not_found"))
    );

    let (status, first) = redeem(&app, "CHECKOUT", "ann", &[]).await;
    assert_eq!(status, 200, "{first}");
    let at = first["redeemed_at"].as_str().unwrap().to_owned();
    let (status, again) = redeem(&app, "CHECKOUT", "ann", &[]).await;
    assert_eq!(
        (status, again["code"].as_str()),
        (409, Some("already_redeemed"))
    );
    assert_eq!(
        again["redeemed_at"].as_str(),
        Some(at.as_str()),
        "the first time, not a new one"
    );
    assert_eq!(
        app.get(&claim_path("CHECKOUT", "ann")).await.1["redeemed_at"],
        json!(at)
    );

    // A redeemed claim is spent: no release gives the unit back.
    let (status, refused) = app.release("CHECKOUT", "ann").await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (409, Some("redeemed")),
        "{refused}"
    );
    assert_eq!(
        common::db_state(&pool, "CHECKOUT").await.1,
        9,
        "the stock stays taken"
    );
    // Redeem after release: there is nothing to redeem.
    assert_eq!(app.claim("bob", "CHECKOUT").await.0, 200);
    assert_eq!(app.release("CHECKOUT", "bob").await.0, 200);
    let (status, gone) = redeem(&app, "CHECKOUT", "bob", &[]).await;
    assert_eq!(
        (status, gone["code"].as_str()),
        (404, Some("claim_not_found"))
    );

    let audit: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE action = 'claim.redeem'")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(audit.len(), 1, "one audit entry per redemption");
    // The claimers list and the CSV show it.
    let (_, list) = app.get("/api/coupons/CHECKOUT/claims").await;
    assert_eq!(
        (
            list["redeemed"].as_i64(),
            list["claims"][0]["redeemed_at"].as_str()
        ),
        (Some(1), Some(at.as_str()))
    );
    let csv = app
        .fetch("/api/coupons/CHECKOUT/claims.csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.starts_with("user_id,claimed_at,redeemed_at\r\n")
            || csv.starts_with("user_id,claimed_at,redeemed_at\n"),
        "{csv}"
    );
    assert!(
        csv.lines().nth(1).unwrap().starts_with("ann,")
            && csv.lines().nth(1).unwrap().ends_with('Z'),
        "{csv}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn fifty_concurrent_redemptions_make_one(pool: PgPool) {
    let app = common::spawn(&pool).await;
    app.create("RACE", 5).await;
    assert_eq!(app.claim("racer", "RACE").await.0, 200);
    let tries = (0..50).map(|_| redeem(&app, "RACE", "racer", &[]));
    let answers = futures::future::join_all(tries).await;
    let ok = answers.iter().filter(|(s, _)| *s == 200).count();
    let conflicts = answers
        .iter()
        .filter(|(s, b)| *s == 409 && b["code"] == "already_redeemed")
        .count();
    assert_eq!((ok, conflicts), (1, 49), "{answers:?}");
    let audit: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'claim.redeem'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(audit, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_retry_with_its_key_replays_the_redemption(pool: PgPool) {
    let app = common::spawn(&pool).await;
    app.create("RETRY", 5).await;
    assert_eq!(app.claim("kim", "RETRY").await.0, 200);
    let key = [("idempotency-key", "checkout-42")];
    let (status, first) = redeem(&app, "RETRY", "kim", &key).await;
    assert_eq!(status, 200);
    let (status, replay) = redeem(&app, "RETRY", "kim", &key).await;
    assert_eq!((status, &replay), (200, &first), "the first answer, again");
    // The same key for another claim is a different request.
    assert_eq!(app.claim("lee", "RETRY").await.0, 200);
    assert_eq!(redeem(&app, "RETRY", "lee", &key).await.0, 422);
    // A claim's key and a redemption's key never answer for each other.
    let claim_key = [("idempotency-key", "claim-lee-2")];
    let body = json!({"user_id": "lee2", "coupon_name": "RETRY"});
    let (status, _, _) = app
        .send(Method::POST, "/api/coupons/claim", Some(&body), &claim_key)
        .await;
    assert_eq!(status, 200);
    assert_eq!(redeem(&app, "RETRY", "lee2", &claim_key).await.0, 422);
}

#[sqlx::test(migrations = "../migrations")]
async fn claim_keys_check_and_redeem_read_keys_only_check(pool: PgPool) {
    let app = common::admin::locked(&pool, 60).await;
    create_as(&app, TOKEN, "SHOPKEY", 5).await;
    let body = json!({"user_id": "sam", "coupon_name": "SHOPKEY"});
    assert_eq!(
        call(&app, Method::POST, "/api/coupons/claim", TOKEN, Some(&body))
            .await
            .0,
        200
    );
    let (_, claim) = create_key(&app, Some(TOKEN), &["claim"]).await;
    let (_, read) = create_key(&app, Some(TOKEN), &["read"]).await;
    let path = claim_path("SHOPKEY", "sam");
    assert_eq!(call(&app, Method::GET, &path, &claim, None).await.0, 200);
    assert_eq!(call(&app, Method::GET, &path, &read, None).await.0, 200);
    assert_eq!(app.get(&path).await.0, 401, "a stranger learns nothing");
    let redeem_path = format!("{path}/redeem");
    let (status, body) = call(&app, Method::POST, &redeem_path, &read, None).await;
    assert_eq!(
        (status, body["scope"].as_str()),
        (403, Some("claim")),
        "{body}"
    );
    assert_eq!(common::db_state(&pool, "SHOPKEY").await.2, 1);
    let (status, body) = call(&app, Method::POST, &redeem_path, &claim, None).await;
    assert_eq!(status, 200, "{body}");
    // A claim key may not release (an admin action).
    assert_eq!(call(&app, Method::DELETE, &path, &claim, None).await.0, 403);
    let actor: String =
        sqlx::query_scalar("SELECT actor FROM audit_log WHERE action = 'claim.redeem'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(actor.starts_with("key:"), "{actor}");
}
