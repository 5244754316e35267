//! Claims that lapse and a waitlist that refills (docs/draw.md): a claim not redeemed within
//! `redeem_within` goes and its unit comes back (on sale again, or to the next waitlisted entry
//! of a draw); releases and restocks feed the waitlist too; and however lapses, releases,
//! restocks, redemptions and sweeps race, there are never more claims than the amount.

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::common::{self, Wait, assert_invariants, creds, spawn};

/// Makes every claim of `coupon` older than any `redeem_within`, as if time had passed.
async fn age_claims(pool: &PgPool, coupon: &str) {
    sqlx::query("UPDATE claims SET claimed_at = now() - interval '2 days' WHERE coupon_name = $1")
        .bind(coupon)
        .execute(pool)
        .await
        .unwrap();
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// A drawn coupon `name` of `amount` units with `entrants` entries (ranked by its draw).
async fn drawn(app: &common::TestApp, name: &str, amount: i64, entrants: usize, within: i64) {
    let body = json!({"name": name, "amount": amount, "allocation": "draw",
                      "redeem_within": within,
                      "ends_at": (Utc::now() + Duration::hours(1)).to_rfc3339()});
    let (status, created) = app.post("/api/coupons", &body).await;
    assert_eq!(status, 201, "{created}");
    for i in 0..entrants {
        assert_eq!(app.claim(&format!("{name}-{i:02}"), name).await.0, 202);
    }
    sqlx::query("UPDATE coupons SET ends_at = now() WHERE name = $1")
        .bind(name)
        .execute(&app.pool)
        .await
        .unwrap();
    let (status, proof) = app
        .post(&format!("/api/coupons/{name}/draw"), &json!({}))
        .await;
    assert_eq!(status, 200, "{proof}");
}

/// The users of `coupon`'s ranked tickets, by rank.
async fn by_rank(pool: &PgPool, coupon: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT user_id FROM draw_tickets WHERE coupon_name = $1 ORDER BY rank")
        .bind(coupon)
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn an_unredeemed_claim_lapses_and_its_unit_goes_back_on_sale(pool: PgPool) {
    let app = spawn(&pool).await;
    let body = json!({"name": "L", "amount": 2, "redeem_within": 900});
    let (status, created) = app.post("/api/coupons", &body).await;
    assert_eq!(
        (status, &created["redeem_within"]),
        (201, &json!(900)),
        "{created}"
    );
    assert_eq!(app.claim("idle", "L").await.0, 200);
    assert_eq!(app.claim("buyer", "L").await.0, 200);
    let (status, _) = app
        .post("/api/coupons/L/claims/buyer/redeem", &json!({}))
        .await;
    assert_eq!(status, 200);
    age_claims(&pool, "L").await;
    let wait = Wait::new("the unredeemed claim of L to lapse");
    while creds::holders(&pool, "L")
        .await
        .contains(&"idle".to_owned())
    {
        wait.again().await;
    }
    assert_eq!(
        creds::holders(&pool, "L").await,
        ["buyer"],
        "a redeemed claim never lapses"
    );
    let (_, remaining, _) = assert_invariants(&pool, "L").await;
    assert_eq!(remaining, 1, "the lapsed unit is back on sale");
    let lapse: (String, Value) = sqlx::query_as(
        "SELECT actor, before FROM audit_log WHERE action = 'claim.lapse' AND coupon_name = 'L'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (lapse.0.as_str(), &lapse.1["user_id"]),
        ("system", &json!("idle"))
    );
    let (status, again) = app.claim("idle", "L").await;
    assert_eq!(status, 200, "{again}");
    for bad in [json!(0), json!(-5), json!(31_536_001), json!("60")] {
        let body = json!({"name": "BAD", "amount": 1, "redeem_within": bad});
        let (status, refused) = app.post("/api/coupons", &body).await;
        assert_eq!(
            (status, refused["code"].as_str()),
            (400, Some("invalid_request")),
            "{bad}"
        );
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn units_that_come_back_go_to_the_waitlist_in_rank_order(pool: PgPool) {
    let app = spawn(&pool).await;
    drawn(&app, "W", 2, 6, 3_600).await;
    let ranked = by_rank(&pool, "W").await;
    assert_eq!(creds::holders(&pool, "W").await, ranked[..2]);
    // A release: the unit goes to rank 3.
    assert_eq!(app.release("W", &ranked[0]).await.0, 200);
    let wait = Wait::new("rank 3 of W to get the released unit");
    while !creds::holders(&pool, "W").await.contains(&ranked[2]) {
        wait.again().await;
    }
    // A restock of two: ranks 4 and 5.
    assert_eq!(app.patch("W", &json!({"amount": 4})).await.0, 200);
    let wait = Wait::new("ranks 4 and 5 of W to get the restocked units");
    while creds::holders(&pool, "W").await.len() < 4 {
        wait.again().await;
    }
    let mut holders = creds::holders(&pool, "W").await;
    holders.sort();
    let mut expected = ranked[1..5].to_vec();
    expected.sort();
    assert_eq!(holders, expected);
    assert_invariants(&pool, "W").await;
    let (_, entry) = app
        .get(&format!("/api/coupons/W/entries/{}", ranked[5]))
        .await;
    assert_eq!(
        (&entry["state"], &entry["waitlist_position"]),
        (&json!("waitlisted"), &json!(1))
    );
    let (_, entry) = app
        .get(&format!("/api/coupons/W/entries/{}", ranked[0]))
        .await;
    assert_eq!(entry["state"], "lost");
    // A winner who does not redeem in time lapses, and the last waitlisted entry gets the unit.
    sqlx::query("UPDATE claims SET claimed_at = now() - interval '2 hours' WHERE user_id = $1")
        .bind(&ranked[1])
        .execute(&pool)
        .await
        .unwrap();
    let wait = Wait::new("rank 2 of W to lapse and rank 6 to get its unit");
    while !creds::holders(&pool, "W").await.contains(&ranked[5]) {
        wait.again().await;
    }
    assert!(!creds::holders(&pool, "W").await.contains(&ranked[1]));
    assert_invariants(&pool, "W").await;
}

/// Lapses, releases, redemptions, a restock and two sweepers at once, with the invariants read
/// throughout: never more claims than the amount, never a redeemed claim lapsed, one claim per
/// user; at the end every unit is held while the waitlist lasts.
#[sqlx::test(migrations = "../migrations")]
async fn lapses_racing_releases_and_redemptions_never_oversell(pool: PgPool) {
    let app = spawn(&pool).await;
    drawn(&app, "R", 8, 40, 60).await;
    let ranked = by_rank(&pool, "R").await;
    age_claims(&pool, "R").await;
    let live = server::live::LiveHub::default();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..2 {
        let (pool, live) = (pool.clone(), live.clone());
        tasks.spawn(async move {
            for _ in 0..20 {
                server::sale::sweeper::sweep_all(&pool, &live)
                    .await
                    .unwrap();
            }
            Vec::new()
        });
    }
    let base = app.base.clone();
    for (i, user) in ranked[..8].iter().enumerate() {
        let (http, base, user) = (app.http.clone(), base.clone(), user.clone());
        tasks.spawn(async move {
            let url = if i % 2 == 0 {
                format!("{base}/api/coupons/R/claims/{user}/redeem")
            } else {
                format!("{base}/api/coupons/R/claims/{user}")
            };
            let request = if i % 2 == 0 {
                http.post(url)
            } else {
                http.delete(url)
            };
            let status = request.send().await.unwrap().status().as_u16();
            vec![(i % 2 == 0, user, status)]
        });
    }
    let (http, patch) = (app.http.clone(), format!("{base}/api/coupons/R"));
    tasks.spawn(async move {
        let status = http
            .patch(patch)
            .json(&json!({"amount": 12}))
            .send()
            .await
            .unwrap();
        assert_eq!(status.status().as_u16(), 200);
        Vec::new()
    });
    let mut redeemed = Vec::new();
    while !tasks.is_empty() {
        assert_invariants(&pool, "R").await;
        if let Some(done) = tasks.try_join_next() {
            for (redeeming, user, status) in done.unwrap() {
                assert!(status == 200 || status == 404, "{user}: {status}");
                if redeeming && status == 200 {
                    redeemed.push(user);
                }
            }
        } else {
            tokio::task::yield_now().await;
        }
    }
    server::sale::sweeper::sweep_all(&pool, &live)
        .await
        .unwrap();
    let (amount, remaining, claims) = assert_invariants(&pool, "R").await;
    assert_eq!(
        (amount, remaining, claims),
        (12, 0, 12),
        "every unit held: the waitlist is long"
    );
    let holders = creds::holders(&pool, "R").await;
    for user in &redeemed {
        assert!(holders.contains(user), "a redeemed claim of {user} went");
    }
    let lapsed = count(
        &pool,
        "SELECT count(*) FROM audit_log WHERE action = 'claim.lapse'",
    )
    .await;
    let released = count(
        &pool,
        "SELECT count(*) FROM audit_log WHERE action = 'claim.release'",
    )
    .await;
    assert_eq!(
        lapsed + released + i64::try_from(redeemed.len()).unwrap(),
        8,
        "each winner once"
    );
}
