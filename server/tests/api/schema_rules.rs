//! Rules the database keeps whatever the application does: a claim names an existing coupon,
//! and coupons are permanent (so it always will).

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
    server::db::coupons::insert(&pool, "REAL", 5, None, None)
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
    server::db::coupons::insert(&pool, "KEEP", 5, None, None)
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
