//! The default limits never undersell a sale: a flash sale that arrives from one address (a shop's
//! backend, a carrier NAT) is served, and a claim with an API key is never limited by its address.
//! Default settings throughout (rate limits on), truly concurrent claims, counted from the
//! database.

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
    app.create("TIGHT", 100).await;
    let (_, key) = create_key(&app, None, &["claim"]).await;
    let open = bodies("TIGHT", 3);
    let mut anonymous = Vec::new();
    for body in &open {
        anonymous.push(app.post("/api/coupons/claim", body).await.0);
    }
    assert_eq!(
        anonymous,
        [200, 429, 429],
        "the address limit holds without a key"
    );
    let keyed: Vec<Value> = (0..25)
        .map(|i| json!({"user_id": format!("keyed-{i}"), "coupon_name": "TIGHT"}))
        .collect();
    let mut statuses = Vec::new();
    for body in &keyed {
        statuses.push(common::creds::claim_with(&app, Some(&key), body).await.0);
    }
    assert!(statuses[..20].iter().all(|s| *s == 200), "{statuses:?}");
    assert!(
        statuses[20..].iter().all(|s| *s == 429),
        "the key's own limit: {statuses:?}"
    );
    assert_eq!(common::db_state(&pool, "TIGHT").await.2, 21);
}
