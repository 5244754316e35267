//! The default limits never undersell a sale: a flash sale that arrives from one address (a shop's
//! backend, a carrier NAT) is served, and a claim with an API key is never limited by its address.
//! Default settings throughout (rate limits on), truly concurrent claims, counted from the
//! database.

use std::time::Instant;

use serde_json::{Value, json};
use sqlx::PgPool;

use crate::common::{self, attack, creds::create_key};
use server::config::ClaimAuthMode;

fn bodies(coupon: &str, users: usize) -> Vec<Value> {
    (0..users)
        .map(|i| json!({"user_id": format!("shopper-{i}"), "coupon_name": coupon}))
        .collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_thousand_users_from_one_address_sell_out_a_coupon(pool: PgPool) {
    let app = common::spawn_with(&pool, |c| c.rate_limits = true).await;
    app.create("NAT", 100).await;
    let results = attack::burst(app.addr, "/api/coupons/claim", &bodies("NAT", 1000)).await;
    let tally = common::tally(&results);
    assert_eq!(tally.get("200"), Some(&100), "{tally:?}");
    assert_eq!(tally.get("409 sold_out"), Some(&900), "{tally:?}");
    let (amount, remaining, claims) = common::assert_invariants(&pool, "NAT").await;
    assert_eq!((amount, remaining, claims), (100, 0, 100));
}

#[sqlx::test(migrations = "../migrations")]
async fn claims_with_a_key_are_not_limited_per_address(pool: PgPool) {
    let app = common::spawn_with(&pool, |c| {
        c.rate_limits = true;
        c.claim_auth = vec![ClaimAuthMode::Key];
    })
    .await;
    app.create("BACKEND", 2500).await;
    let (_, key) = create_key(&app, None, &["claim"]).await;
    // More than the address's burst (2,000) at once, all from this one address.
    let header = format!("Authorization: Bearer {key}\r\n");
    let results = attack::burst_with(
        app.addr,
        "/api/coupons/claim",
        &bodies("BACKEND", 3000),
        &header,
    )
    .await;
    let tally = common::tally(&results);
    assert_eq!(tally.get("200"), Some(&2500), "{tally:?}");
    assert_eq!(tally.get("409 sold_out"), Some(&500), "{tally:?}");
    common::assert_invariants(&pool, "BACKEND").await;
}

#[sqlx::test(migrations = "../migrations")]
async fn the_address_limit_spares_keys_and_the_key_limit_holds(pool: PgPool) {
    let app = common::spawn_with(&pool, |c| {
        c.rate_limits = true;
        c.claims_per_ip_per_sec = 1;
        c.claims_per_ip_burst = 1;
        c.claims_per_key_per_sec = 1;
        c.claims_per_key_burst = 20;
    })
    .await;
    app.create("TIGHT", 10_000).await;
    let (_, key) = create_key(&app, None, &["claim"]).await;
    // Without a key: the first claim passes (burst 1), then the address is refused. Claimed
    // until a 429: a slow machine may see a token come back meanwhile (1 a second).
    let mut anonymous = Vec::new();
    for body in &bodies("TIGHT", 1000) {
        let status = app.post("/api/coupons/claim", body).await.0;
        anonymous.push(status);
        if status == 429 {
            break;
        }
    }
    assert_eq!(anonymous[0], 200, "{anonymous:?}");
    assert_eq!(
        anonymous.last(),
        Some(&429),
        "the address limit holds without a key: {anonymous:?}"
    );
    // With a key, from the same address: the key's own limit (1 a second, burst 20), not the
    // address's. The first 20 pass; claimed until 5 are refused, no more pass than the burst
    // and 1 a second of the time it took.
    let started = Instant::now();
    let mut statuses = Vec::new();
    while statuses.iter().filter(|s| **s == 429).count() < 5 {
        assert!(
            statuses.len() < 1000,
            "the key's limit never held: {statuses:?}"
        );
        let i = statuses.len();
        let body = json!({"user_id": format!("keyed-{i}"), "coupon_name": "TIGHT"});
        statuses.push(common::creds::claim_with(&app, Some(&key), &body).await.0);
    }
    let took = started.elapsed();
    assert!(
        statuses.len() >= 20 && statuses[..20].iter().all(|s| *s == 200),
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );
    let granted = statuses.iter().filter(|s| **s == 200).count();
    let allowed = 20 + took.as_secs_f64().ceil() as usize;
    assert!(
        granted <= allowed,
        "the key's own limit: {granted} granted in {took:.1?}: {statuses:?}"
    );
    let anonymous_granted = anonymous.iter().filter(|s| **s == 200).count();
    assert_eq!(
        common::db_state(&pool, "TIGHT").await.2,
        (anonymous_granted + granted) as i64
    );
}
