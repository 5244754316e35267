//! Attack tests: truly concurrent claims, then the invariants checked from the database.

use crate::common::{assert_invariants, attack::burst, spawn, tally};
use serde_json::{Value, json};
use sqlx::PgPool;

fn claims(users: impl IntoIterator<Item = String>, coupon: &str) -> Vec<Value> {
    users
        .into_iter()
        .map(|u| json!({"user_id": u, "coupon_name": coupon}))
        .collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn flash_sale_50_users_stock_5(pool: PgPool) {
    let app = spawn(&pool).await;
    app.create("FLASH", 5).await;
    let results = burst(
        app.addr,
        "/api/coupons/claim",
        &claims((0..50).map(|i| format!("user-{i}")), "FLASH"),
    )
    .await;
    let tally = tally(&results);
    println!("flash sale tally: {tally:?}");
    assert_eq!(tally.get("200"), Some(&5), "{tally:?}");
    assert_eq!(tally.get("409 sold_out"), Some(&45), "{tally:?}");
    assert_eq!(assert_invariants(&pool, "FLASH").await, (5, 0, 5));
    // Every 200 answered is a committed row, and its remaining count is consistent.
    let mut remaining: Vec<i64> = Vec::new();
    for (status, body) in &results {
        if *status == 200 {
            let user = body["user_id"].as_str().unwrap();
            let held: bool = sqlx::query_scalar(
                "SELECT EXISTS(SELECT 1 FROM claims WHERE user_id=$1 AND coupon_name='FLASH')",
            )
            .bind(user)
            .fetch_one(&pool)
            .await
            .unwrap();
            assert!(held, "200 for {user} without a committed row");
            remaining.push(body["remaining_amount"].as_i64().unwrap());
        }
    }
    remaining.sort();
    assert_eq!(remaining, vec![0, 1, 2, 3, 4]);
}

#[sqlx::test(migrations = "../migrations")]
async fn double_dip_10_claims_by_one_user(pool: PgPool) {
    let app = spawn(&pool).await;
    app.create("DIP", 100).await;
    let results = burst(
        app.addr,
        "/api/coupons/claim",
        &claims((0..10).map(|_| "greedy".to_owned()), "DIP"),
    )
    .await;
    let tally = tally(&results);
    println!("double dip tally: {tally:?}");
    assert_eq!(tally.get("200"), Some(&1), "{tally:?}");
    assert_eq!(tally.get("409 already_claimed"), Some(&9), "{tally:?}");
    assert_eq!(assert_invariants(&pool, "DIP").await, (100, 99, 1));
}

#[sqlx::test(migrations = "../migrations")]
async fn large_round_2000_users_stock_500_plus_200_repeats(pool: PgPool) {
    let app = spawn(&pool).await;
    app.create("BIG", 500).await;
    let mut bodies = claims((0..2000).map(|i| format!("shopper-{i}")), "BIG");
    // One user who fires 200 claims at once, interleaved with everybody else.
    for i in 0..200 {
        bodies.insert(i * 10, json!({"user_id": "repeater", "coupon_name": "BIG"}));
    }
    let results = burst(app.addr, "/api/coupons/claim", &bodies).await;
    let tally = tally(&results);
    println!("large round tally: {tally:?}");
    assert_eq!(tally.get("200"), Some(&500), "{tally:?}");
    let repeater_wins = results
        .iter()
        .zip(&bodies)
        .filter(|((s, _), b)| *s == 200 && b["user_id"] == "repeater")
        .count();
    assert!(repeater_wins <= 1, "repeater won {repeater_wins} times");
    assert_eq!(
        results.iter().filter(|(s, _)| *s >= 500).count(),
        0,
        "{tally:?}"
    );
    assert_eq!(assert_invariants(&pool, "BIG").await, (500, 0, 500));
}

#[sqlx::test(migrations = "../migrations")]
async fn no_false_sold_out_100_users_stock_100(pool: PgPool) {
    let app = spawn(&pool).await;
    app.create("EXACT", 100).await;
    let results = burst(
        app.addr,
        "/api/coupons/claim",
        &claims((0..100).map(|i| format!("u{i}")), "EXACT"),
    )
    .await;
    let tally = tally(&results);
    assert_eq!(tally.get("200"), Some(&100), "{tally:?}");
    assert_eq!(assert_invariants(&pool, "EXACT").await, (100, 0, 100));
}

#[sqlx::test(migrations = "../migrations")]
async fn two_server_instances_on_one_database(pool: PgPool) {
    let a = spawn(&pool).await;
    let b = spawn(&pool).await;
    a.create("SHARED", 50).await;
    let bodies = claims((0..300).map(|i| format!("p{i}")), "SHARED");
    let (half_a, half_b) = bodies.split_at(150);
    let (ra, rb) = tokio::join!(
        burst(a.addr, "/api/coupons/claim", half_a),
        burst(b.addr, "/api/coupons/claim", half_b)
    );
    let all: Vec<_> = ra.into_iter().chain(rb).collect();
    let tally = tally(&all);
    assert_eq!(tally.get("200"), Some(&50), "{tally:?}");
    assert_eq!(tally.get("409 sold_out"), Some(&250), "{tally:?}");
    assert_eq!(assert_invariants(&pool, "SHARED").await, (50, 0, 50));
    // Both instances read the same truth.
    let (_, from_a) = a.get("/api/coupons/SHARED").await;
    let (_, from_b) = b.get("/api/coupons/SHARED").await;
    assert_eq!(from_a, from_b);
    assert_eq!(from_a["claimed_by"].as_array().unwrap().len(), 50);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_failed_claim_never_answers_200_and_commits_nothing(pool: PgPool) {
    // A trigger makes any claim by "poison" fail inside the database, as a broken batch would.
    sqlx::raw_sql(
        "CREATE FUNCTION reject_poison() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN IF NEW.user_id = 'poison' THEN RAISE EXCEPTION 'poisoned claim'; END IF; RETURN NEW; END $$;
         CREATE TRIGGER reject_poison BEFORE INSERT ON claims FOR EACH ROW EXECUTE FUNCTION reject_poison();",
    )
    .execute(&pool)
    .await
    .unwrap();
    let app = spawn(&pool).await;
    app.create("POISONED", 1000).await;
    let mut users: Vec<String> = (0..300).map(|i| format!("ok-{i}")).collect();
    users.insert(150, "poison".to_owned());
    let results = burst(
        app.addr,
        "/api/coupons/claim",
        &claims(users.clone(), "POISONED"),
    )
    .await;
    let tally = tally(&results);
    println!("poisoned round tally: {tally:?}");
    let poison = &results[150];
    assert!(poison.0 >= 500, "the failing claim answered {poison:?}");
    assert_eq!(
        results
            .iter()
            .filter(|(s, _)| *s != 200 && *s < 500)
            .count(),
        0,
        "{tally:?}"
    );
    for ((status, _), user) in results.iter().zip(&users) {
        let held: bool =
            sqlx::query_scalar("SELECT EXISTS(SELECT 1 FROM claims WHERE user_id = $1)")
                .bind(user)
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(
            held,
            *status == 200,
            "{user}: status {status} but committed row = {held}"
        );
    }
    let (_, _, claimed) = assert_invariants(&pool, "POISONED").await;
    assert_eq!(claimed as usize, tally.get("200").copied().unwrap_or(0));
}
