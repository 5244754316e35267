//! Database-level tests of the claim engine (no HTTP).

use server::{
    claims::{ClaimEngine, ClaimError},
    config::{Config, EngineMode},
    db,
};
use sqlx::PgPool;

use crate::common;

/// The engine of the mode under test (CLAIM_ENGINE, as for the server).
fn engine(pool: &PgPool) -> ClaimEngine {
    common::engine(pool, common::engine_mode())
}

#[sqlx::test(migrations = "../migrations")]
async fn claims_until_sold_out_in_the_documented_order(pool: PgPool) {
    let engine = engine(&pool);
    assert!(matches!(
        engine.claim("u1", "NOPE").await,
        Err(ClaimError::NotFound)
    ));
    db::coupons::insert(&pool, db::coupons::NewSale::first_come("TWO", 2))
        .await
        .unwrap();

    let first = engine.claim("u1", "TWO").await.unwrap().claim().unwrap();
    assert_eq!(
        (
            first.remaining_amount,
            first.user_id.as_str(),
            first.coupon_name.as_str()
        ),
        (1, "u1", "TWO")
    );
    assert!(matches!(
        engine.claim("u1", "TWO").await,
        Err(ClaimError::AlreadyClaimed)
    ));
    let second = engine.claim("u2", "TWO").await.unwrap().claim().unwrap();
    assert_eq!(second.remaining_amount, 0);
    assert!(second.claimed_at >= first.claimed_at);
    assert!(matches!(
        engine.claim("u3", "TWO").await,
        Err(ClaimError::SoldOut)
    ));
    // A holder hears "already claimed" even once the coupon is sold out.
    assert!(matches!(
        engine.claim("u1", "TWO").await,
        Err(ClaimError::AlreadyClaimed)
    ));

    let coupon = db::coupons::find_with_claimers(&pool, "TWO")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(coupon.remaining_amount, 0);
    assert_eq!(coupon.claimed_by, vec!["u1", "u2"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn names_are_exact_and_case_sensitive(pool: PgPool) {
    let engine = engine(&pool);
    db::coupons::insert(&pool, db::coupons::NewSale::first_come("Promo", 5))
        .await
        .unwrap();
    assert!(matches!(
        engine.claim("u", "promo").await,
        Err(ClaimError::NotFound)
    ));
    engine.claim("U", "Promo").await.unwrap();
    engine.claim("u", "Promo").await.unwrap();
    let coupon = db::coupons::find_with_claimers(&pool, "Promo")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(coupon.claimed_by, vec!["U", "u"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_schema_refuses_an_oversell_even_without_the_engine(pool: PgPool) {
    db::coupons::insert(&pool, db::coupons::NewSale::first_come("ONE", 1))
        .await
        .unwrap();
    let err = sqlx::query(
        "UPDATE coupons SET remaining_amount = remaining_amount - 2 WHERE name = 'ONE'",
    )
    .execute(&pool)
    .await
    .unwrap_err();
    assert!(db::violates(&err, "remaining_within_stock"), "{err}");
    sqlx::query("INSERT INTO claims (user_id, coupon_name) VALUES ('a', 'ONE')")
        .execute(&pool)
        .await
        .unwrap();
    let err = sqlx::query("INSERT INTO claims (user_id, coupon_name) VALUES ('a', 'ONE')")
        .execute(&pool)
        .await
        .unwrap_err();
    assert!(db::violates(&err, db::claims::USER_COUPON_KEY), "{err}");
}

#[test]
fn default_mode_is_batched() {
    if std::env::var_os("CLAIM_ENGINE").is_none() {
        assert_eq!(Config::for_database("x").claim_engine, EngineMode::Batched);
    }
}
