//! The durability barrier on a durable cluster with a 10 s `wal_writer_delay` (see the crash
//! tier in `tests/crash/` for the same promise under load and real crashes).

#[path = "../crash/cluster.rs"]
#[allow(dead_code)] // this test only starts a cluster; the crash tier also crashes it
mod cluster;

use std::time::Duration;

use sqlx::postgres::PgPoolOptions;

/// The barrier itself, on the same durable cluster: after `wait_durable`, the flush position
/// covers the batch's asynchronous commit, which it did not before.
#[tokio::test]
async fn barrier_flushes_past_the_batch_commit() {
    let cluster = cluster::Cluster::start();
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(30))
        .connect(&cluster.url("postgres"))
        .await
        .unwrap();
    server::db::migrate(&pool).await.unwrap();
    server::db::coupons::insert(&pool, "B", 10, None, None)
        .await
        .unwrap();
    let mut conn = pool.acquire().await.unwrap();
    let users = vec!["u1".to_string(), "u2".to_string()];
    let attempt = server::db::batches::settle_batch(&mut conn, "B", &users)
        .await
        .unwrap();
    assert_eq!(attempt.granted, users);
    // At or past the end of the batch's COMMIT record.
    let committed: String = sqlx::query_scalar("SELECT pg_current_wal_insert_lsn()::text")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert!(
        !flushed_past(&mut conn, &committed).await,
        "the WAL writer flushed early: the test proves nothing"
    );
    server::db::batches::wait_durable(&mut conn).await.unwrap();
    assert!(
        flushed_past(&mut conn, &committed).await,
        "wait_durable returned before the flush"
    );
}

async fn flushed_past(conn: &mut sqlx::PgConnection, lsn: &str) -> bool {
    sqlx::query_scalar("SELECT pg_current_wal_flush_lsn() >= $1::text::pg_lsn")
        .bind(lsn)
        .fetch_one(conn)
        .await
        .unwrap()
}
