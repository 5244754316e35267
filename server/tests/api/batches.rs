//! The batched engine's database path, including the race with another process.

use server::{claims::ClaimError, config::EngineMode, db};

use std::time::{Duration, Instant};

use crate::common::{Wait, engine, until_lock_waiters};
use sqlx::{PgPool, Postgres, Transaction};

/// Another "process": locks the coupon and claims it for `user`, without committing yet.
async fn other_process_claims(
    pool: &PgPool,
    coupon: &str,
    user: &str,
) -> Transaction<'static, Postgres> {
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM coupons WHERE name = $1 FOR UPDATE")
        .bind(coupon)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("INSERT INTO claims (user_id, coupon_name) VALUES ($1, $2)")
        .bind(user)
        .bind(coupon)
        .execute(&mut *tx)
        .await
        .unwrap();
    // As every claim statement does, the version moves with the stock.
    sqlx::query(
        "UPDATE coupons SET remaining_amount = remaining_amount - 1, version = version + 1
         WHERE name = $1",
    )
    .bind(coupon)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx
}

#[sqlx::test(migrations = "../migrations")]
async fn one_statement_settles_a_batch_in_arrival_order(pool: PgPool) {
    db::coupons::insert(&pool, db::coupons::NewSale::first_come("B", 2))
        .await
        .unwrap();
    sqlx::query("INSERT INTO claims (user_id, coupon_name) VALUES ('held', 'B')")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE coupons SET remaining_amount = 1 WHERE name = 'B'")
        .execute(&pool)
        .await
        .unwrap();
    let users: Vec<String> = ["x", "held", "x", "y"].map(String::from).to_vec();
    let mut conn = pool.acquire().await.unwrap();
    let attempt = db::batches::settle_batch(&mut conn, "B", &users)
        .await
        .unwrap();
    assert_eq!(attempt.remaining, Some(1));
    assert_eq!(attempt.held, vec!["held"]);
    assert_eq!(attempt.granted, vec!["x"]);
    let coupon = db::coupons::find_with_claimers(&pool, "B")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (coupon.remaining_amount, coupon.claimed_by),
        (0, vec!["held".to_string(), "x".to_string()])
    );
}

/// The batch takes the row lock before it reads who holds the coupon, so a claim committed while
/// it waited for the lock is seen: the holder is refused, and only the stock left is granted.
#[sqlx::test(migrations = "../migrations")]
async fn a_batch_that_waited_for_another_process_sees_its_claim(pool: PgPool) {
    db::coupons::insert(&pool, db::coupons::NewSale::first_come("RACE", 2))
        .await
        .unwrap();
    let other = other_process_claims(&pool, "RACE", "alice").await;
    let users: Vec<String> = ["alice", "bob", "carol"].map(String::from).to_vec();
    let batch = tokio::spawn({
        let pool = pool.clone();
        async move {
            let mut conn = pool.acquire().await.unwrap();
            db::batches::settle_batch(&mut conn, "RACE", &users).await
        }
    });
    until_lock_waiters(&pool, 1).await;
    other.commit().await.unwrap();
    let attempt = batch.await.unwrap().unwrap();
    assert_eq!(attempt.remaining, Some(1), "{attempt:?}");
    assert_eq!(attempt.held, vec!["alice"], "{attempt:?}");
    assert_eq!(attempt.granted, vec!["bob"], "{attempt:?}");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_engine_gets_the_race_with_another_process_right(pool: PgPool) {
    db::coupons::insert(&pool, db::coupons::NewSale::first_come("RACE", 2))
        .await
        .unwrap();
    let engine = engine(&pool, EngineMode::Batched);
    let other = other_process_claims(&pool, "RACE", "alice").await;
    let claims: Vec<_> = ["alice", "bob", "carol"]
        .into_iter()
        .map(|user| {
            let engine = engine.clone();
            tokio::spawn(async move { engine.claim(user, "RACE").await })
        })
        .collect();
    until_lock_waiters(&pool, 1).await;
    other.commit().await.unwrap();
    let mut results = Vec::new();
    for claim in claims {
        results.push(claim.await.unwrap());
    }
    assert!(
        matches!(results[0], Err(ClaimError::AlreadyClaimed)),
        "{:?}",
        results[0]
    );
    let granted = results[1..].iter().filter(|r| r.is_ok()).count();
    let sold_out = results[1..]
        .iter()
        .filter(|r| matches!(r, Err(ClaimError::SoldOut)))
        .count();
    assert_eq!((granted, sold_out), (1, 1), "{results:?}");
    let coupon = db::coupons::find_with_claimers(&pool, "RACE")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((coupon.remaining_amount, coupon.claimed_by.len()), (0, 2));
}

#[sqlx::test(migrations = "../migrations")]
async fn claims_of_unknown_coupons_leave_no_worker_behind(pool: PgPool) {
    db::coupons::insert(&pool, db::coupons::NewSale::first_come("REAL", 5))
        .await
        .unwrap();
    let engine = engine(&pool, EngineMode::Batched);
    let started = Instant::now();
    let claims: Vec<_> = (0..2000)
        .map(|i| {
            let engine = engine.clone();
            tokio::spawn(async move { engine.claim("u", &format!("NO-SUCH-{i}")).await })
        })
        .collect();
    for claim in claims {
        assert!(matches!(claim.await.unwrap(), Err(ClaimError::NotFound)));
    }
    assert!(engine.claim("u", "REAL").await.is_ok());
    // A worker of a missing coupon ends right after its batch, not after the idle time (10 s
    // without a claim, `claims::batched::IDLE`); the real coupon's worker stays. Every missing
    // coupon's batch was settled after `started`, so no idle stop comes before `started` + 10 s:
    // workers gone by then ended after their batch, however slow the machine.
    let idle = Duration::from_secs(10);
    let claims_took = started.elapsed();
    let wait = Wait::new("the batch workers of the missing coupons to end");
    let left = loop {
        let left = engine.batch_workers();
        if left <= 1 {
            break left;
        }
        wait.again().await;
    };
    let ended = started.elapsed();
    println!(
        "2,000 claims of missing coupons answered in {claims_took:.1?}; their workers gone \
         {ended:.1?} after the first claim"
    );
    if claims_took + Duration::from_secs(2) < idle {
        assert!(
            ended < idle,
            "the workers of missing coupons ran until {ended:.1?} after the first claim: stopped \
             by the idle time, not after their batch"
        );
        assert_eq!(left, 1, "the real coupon's worker stays");
    } else {
        println!(
            "(the claims took too long here to tell an end after the batch from an idle stop)"
        );
    }
}
