//! A batch is durable when its statement returns, on a durable cluster with a 10 s
//! `wal_writer_delay` (see the crash tier in `tests/crash/` for the same promise under load and
//! real crashes).

#[path = "../crash/cluster.rs"]
#[allow(dead_code)] // this test only starts a cluster; the crash tier also crashes it
mod cluster;

use std::time::Duration;

use sqlx::{PgConnection, postgres::PgConnectOptions};

/// With the request pool's session settings, the WAL is flushed past the batch's COMMIT when
/// `settle_batch` returns. The same statement on a session with `synchronous_commit = off` is
/// not, which shows that the cluster would let a missing flush through.
#[tokio::test]
async fn a_batch_statement_returns_only_once_flushed() {
    let cluster = cluster::Cluster::start();
    let settings = server::db::DatabaseSettings {
        connect: cluster.url("postgres").parse::<PgConnectOptions>().unwrap(),
        pool_size: 2,
        acquire_timeout: Duration::from_secs(30),
        statement_timeout_ms: 0,
        lock_timeout_ms: 0,
    };
    let pool = settings.request_pool().await.unwrap();
    server::db::migrate(&pool).await.unwrap();
    server::db::coupons::insert(&pool, server::db::coupons::NewSale::first_come("B", 10))
        .await
        .unwrap();
    let mut conn = pool.acquire().await.unwrap();
    // A first look reads the catalog entries of the check's functions, so the check after the
    // batch writes no WAL of its own: a read of a catalog page may prune it (the migrations leave
    // dead rows there), and that record would sit unflushed past the batch's COMMIT.
    flushed_past_insert_position(&mut conn).await;

    let users = vec!["u1".to_string(), "u2".to_string()];
    let attempt = server::db::batches::settle_batch(&mut conn, "B", &users)
        .await
        .unwrap();
    assert_eq!(attempt.granted, users);
    assert!(
        flushed_past_insert_position(&mut conn).await,
        "settle_batch returned before its COMMIT was flushed"
    );

    sqlx::query("SET synchronous_commit = off")
        .execute(&mut *conn)
        .await
        .unwrap();
    let users = vec!["u3".to_string()];
    let attempt = server::db::batches::settle_batch(&mut conn, "B", &users)
        .await
        .unwrap();
    assert_eq!(attempt.granted, users);
    assert!(
        !flushed_past_insert_position(&mut conn).await,
        "the WAL writer flushed an asynchronous commit at once: this test proves nothing"
    );
}

/// Whether everything inserted into the WAL so far (so at least the last COMMIT record of this
/// connection) is flushed.
async fn flushed_past_insert_position(conn: &mut PgConnection) -> bool {
    sqlx::query_scalar("SELECT pg_current_wal_flush_lsn() >= pg_current_wal_insert_lsn()")
        .fetch_one(conn)
        .await
        .unwrap()
}
