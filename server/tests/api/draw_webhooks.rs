//! A draw's webhook events (docs/draw.md, docs/webhooks.md): `entry.won` and `entry.waitlisted`
//! for an endpoint that subscribes, with each entry's rank; the winners' `claim.created` too.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::{
    common::{
        PATIENCE,
        receiver::{Behaviour, Receiver},
        spawn_with,
    },
    webhooks::{quick, register, verifies},
};

#[sqlx::test(migrations = "../migrations")]
async fn a_draw_announces_its_winners_and_its_waitlist(pool: PgPool) {
    let app = spawn_with(&pool, quick).await;
    let receiver = Receiver::start(Behaviour::Ok).await;
    let events = ["entry.won", "entry.waitlisted", "claim.created"];
    let (_, secret) = register(&app, &receiver.url, &events).await;
    let body = json!({"name": "HOOKED", "amount": 2, "allocation": "draw",
                      "ends_at": (Utc::now() + Duration::hours(1)).to_rfc3339()});
    assert_eq!(app.post("/api/coupons", &body).await.0, 201);
    for i in 0..5 {
        assert_eq!(app.claim(&format!("e{i}"), "HOOKED").await.0, 202);
    }
    sqlx::query("UPDATE coupons SET ends_at = now() WHERE name = 'HOOKED'")
        .execute(&pool)
        .await
        .unwrap();
    let (status, proof) = app.post("/api/coupons/HOOKED/draw", &json!({})).await;
    assert_eq!(status, 200, "{proof}");
    let got = receiver.wait_until(PATIENCE, |r| r.len() >= 7).await;
    assert!(
        got.iter().all(|r| verifies(r, &secret)),
        "every event signed"
    );
    let mut by_type: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for r in &got {
        by_type
            .entry(r.event_type())
            .or_default()
            .push(r.json()["data"].clone());
    }
    let counts: BTreeMap<&str, usize> =
        by_type.iter().map(|(k, v)| (k.as_str(), v.len())).collect();
    assert_eq!(
        counts,
        BTreeMap::from([
            ("claim.created", 2),
            ("entry.waitlisted", 3),
            ("entry.won", 2)
        ]),
        "{by_type:?}"
    );
    let mut ranks: Vec<i64> = by_type["entry.won"]
        .iter()
        .chain(&by_type["entry.waitlisted"])
        .map(|d| d["rank"].as_i64().unwrap())
        .collect();
    ranks.sort();
    assert_eq!(ranks, [1, 2, 3, 4, 5]);
    let positions: Vec<i64> = by_type["entry.waitlisted"]
        .iter()
        .map(|d| d["waitlist_position"].as_i64().unwrap())
        .collect();
    assert!(
        positions.iter().all(|p| (1..=3).contains(p)),
        "{positions:?}"
    );
    let won: Vec<&Value> = by_type["entry.won"].iter().map(|d| &d["user_id"]).collect();
    let claimed: Vec<&Value> = by_type["claim.created"]
        .iter()
        .map(|d| &d["user_id"])
        .collect();
    assert!(
        won.iter().all(|u| claimed.contains(u)),
        "each winner's claim announced"
    );
    for d in &by_type["entry.waitlisted"] {
        assert_eq!(
            d["waitlist_position"],
            d["rank"].as_i64().unwrap() - 2,
            "{d}"
        );
    }
    // A released winner's unit goes to the first waitlisted entry: an entry.won from the waitlist.
    let first = by_type["entry.won"].iter().find(|d| d["rank"] == 1);
    let first = first.and_then(|d| d["user_id"].as_str()).unwrap();
    assert_eq!(app.release("HOOKED", first).await.0, 200);
    let refilled = |d: &Value| d["from_waitlist"] == true;
    let got = receiver
        .wait_until(PATIENCE, |r| r.iter().any(|e| refilled(&e.json()["data"])))
        .await;
    let refill = got.iter().map(|r| r.json()["data"].clone()).find(refilled);
    let refill = refill.unwrap();
    assert_eq!(
        (refill["rank"].as_i64(), refill.get("waitlist_position")),
        (Some(3), None)
    );
    assert_eq!(
        refill["drawn_at"], by_type["entry.won"][0]["drawn_at"],
        "{refill}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_lapsed_claim_is_announced(pool: PgPool) {
    let app = spawn_with(&pool, quick).await;
    let receiver = Receiver::start(Behaviour::Ok).await;
    let (_, secret) = register(&app, &receiver.url, &["claim.lapsed"]).await;
    let body = json!({"name": "LAPSE", "amount": 3, "redeem_within": 60});
    assert_eq!(app.post("/api/coupons", &body).await.0, 201);
    assert_eq!(app.claim("late", "LAPSE").await.0, 200);
    sqlx::query("UPDATE claims SET claimed_at = now() - interval '1 hour'")
        .execute(&pool)
        .await
        .unwrap();
    let got = receiver.wait_until(PATIENCE, |r| !r.is_empty()).await;
    assert!(verifies(&got[0], &secret));
    assert_eq!(got[0].event_type(), "claim.lapsed");
    let data = &got[0].json()["data"];
    assert_eq!(
        (&data["coupon_name"], &data["user_id"]),
        (&json!("LAPSE"), &json!("late"))
    );
    assert!(data["lapsed_at"].is_string(), "{data}");
}
