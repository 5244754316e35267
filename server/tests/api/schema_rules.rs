//! Rules the database keeps whatever the application does: a claim names an existing coupon,
//! and coupons are permanent (so it always will); and the planner never takes a new coupon for
//! an empty one.

use sqlx::PgPool;

/// The SQLSTATE of a statement PostgreSQL refused.
async fn refused(pool: &PgPool, sql: &'static str) -> String {
    let error = sqlx::query(sql).execute(pool).await.unwrap_err();
    let code = error.as_database_error().and_then(|e| e.code());
    code.map(|c| c.into_owned())
        .unwrap_or_else(|| panic!("{sql}: {error}"))
}

async fn count(pool: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_claim_must_name_an_existing_coupon(pool: PgPool) {
    server::db::coupons::insert(&pool, server::db::coupons::NewSale::first_come("REAL", 5))
        .await
        .unwrap();
    // 23503: foreign_key_violation, one bad row among good ones, by insert or by update.
    let insert = "INSERT INTO claims (user_id, coupon_name) VALUES ('a', 'REAL'), ('b', 'GHOST')";
    assert_eq!(refused(&pool, insert).await, "23503");
    sqlx::query("INSERT INTO claims (user_id, coupon_name) VALUES ('a', 'REAL')")
        .execute(&pool)
        .await
        .unwrap();
    let update = "UPDATE claims SET coupon_name = 'GHOST' WHERE user_id = 'a'";
    assert_eq!(refused(&pool, update).await, "23503");
    let rows = "SELECT count(*) FROM claims WHERE coupon_name = 'REAL' AND user_id = 'a'";
    assert_eq!(count(&pool, rows).await, 1);
    assert_eq!(count(&pool, "SELECT count(*) FROM claims").await, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn coupons_cannot_be_deleted_truncated_or_renamed(pool: PgPool) {
    server::db::coupons::insert(&pool, server::db::coupons::NewSale::first_come("KEEP", 5))
        .await
        .unwrap();
    // 23001: restrict_violation.
    for sql in [
        "DELETE FROM coupons WHERE name = 'KEEP'",
        "TRUNCATE coupons CASCADE",
        "UPDATE coupons SET name = 'OTHER' WHERE name = 'KEEP'",
    ] {
        assert_eq!(refused(&pool, sql).await, "23001", "{sql}");
    }
    assert_eq!(
        count(&pool, "SELECT count(*) FROM coupons WHERE name = 'KEEP'").await,
        1
    );
    // Setting the same name (no rename) and the stock still work.
    sqlx::query("UPDATE coupons SET name = 'KEEP', remaining_amount = 4 WHERE name = 'KEEP'")
        .execute(&pool)
        .await
        .unwrap();
}

/// A coupon newer than the statistics is not estimated at one claim (migration
/// `20261206000007_coupon_name_estimates.sql`): with the name's statistics, every older coupon is
/// a most common value and a new one looks empty, and the planner may probe a user's claim of it
/// through the primary key, reading every claim of the coupon. Asserted on the planner's own
/// estimate, for claims, entries and ranked tickets.
#[sqlx::test(migrations = "../migrations")]
async fn a_new_coupon_is_not_estimated_empty(pool: PgPool) {
    sqlx::query(
        "INSERT INTO coupons (name, amount, remaining_amount)
         SELECT 'OLD' || i, 100000, 100000 FROM generate_series(1, 4) i",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO claims (user_id, coupon_name)
         SELECT 'u' || g, 'OLD' || (1 + g % 4) FROM generate_series(1, 20000) g",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("ANALYZE claims").execute(&pool).await.unwrap();
    let plan: serde_json::Value =
        sqlx::query_scalar("EXPLAIN (FORMAT JSON) SELECT 1 FROM claims WHERE coupon_name = 'NEW'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let rows = plan[0]["Plan"]["Plan Rows"].as_f64().unwrap();
    // The default share of an equality, 0.5 % of 20,000 rows; with the statistics: 1.
    assert!(
        rows >= 50.0,
        "a new coupon estimated at {rows} claims: {plan}"
    );
    let targets: Vec<(String, i32)> = sqlx::query_as(
        "SELECT attrelid::regclass::text, attstattarget::int FROM pg_attribute
         WHERE attname = 'coupon_name'
           AND attrelid IN ('claims'::regclass, 'entries'::regclass, 'draw_tickets'::regclass)
         ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(targets.iter().all(|(_, t)| *t == 0), "{targets:?}");
}
