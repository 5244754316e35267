//! Limits that hold under hostile clients, tried with real slow clients on loopback.

use crate::common;

use std::time::{Duration, Instant};

use sqlx::PgPool;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// A client that sent half a request and stopped.
async fn half_open(addr: std::net::SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: slow\r\n")
        .await
        .unwrap();
    stream
}

#[sqlx::test(migrations = "../migrations")]
async fn slowloris_connections_are_closed_and_health_stays_fast(pool: PgPool) {
    let app = common::spawn_with(&pool, |c| c.header_read_timeout_ms = 1000).await;
    let mut slow = Vec::new();
    for _ in 0..200 {
        slow.push(half_open(app.addr).await);
    }
    // Meanwhile the server answers everybody else at once.
    let started = Instant::now();
    let health = app.http.get(format!("{}/health", app.base)).send();
    let status = tokio::time::timeout(Duration::from_secs(2), health)
        .await
        .expect("/health did not answer within 2 s")
        .unwrap()
        .status();
    assert_eq!(status, 200, "after {:?}", started.elapsed());
    // Every half-open connection is closed by the server soon after the header timeout.
    for (i, mut stream) in slow.into_iter().enumerate() {
        let mut rest = Vec::new();
        let closed =
            tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest)).await;
        assert!(
            closed.is_ok(),
            "connection {i} still open 5 s after the header timeout"
        );
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn the_connection_cap_holds_and_frees_up(pool: PgPool) {
    let app = common::spawn_with(&pool, |c| {
        c.max_connections = 20;
        c.header_read_timeout_ms = 1500;
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..20 {
        held.push(half_open(app.addr).await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The 21st client waits in the backlog, not served while the 20 hold their slots...
    let waiting = tokio::time::timeout(
        Duration::from_millis(700),
        app.http.get(format!("{}/health", app.base)).send(),
    )
    .await;
    assert!(waiting.is_err(), "a connection beyond the cap was served");
    // ...and is served once the header timeout frees the slots.
    let served = tokio::time::timeout(
        Duration::from_secs(5),
        app.http.get(format!("{}/health", app.base)).send(),
    )
    .await
    .expect("not served after the slots freed")
    .unwrap();
    assert_eq!(served.status(), 200);
    drop(held);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_request_that_takes_too_long_gets_a_503_with_the_error_json(pool: PgPool) {
    let app = common::spawn_with(&pool, |c| {
        c.request_timeout_ms = 300;
        c.db_lock_timeout_ms = 0;
    })
    .await;
    app.create("SLOW", 5).await;
    let blocker = common::hold_row_lock(&pool, "SLOW").await;
    let (status, body) = tokio::time::timeout(Duration::from_secs(5), app.claim("u", "SLOW"))
        .await
        .expect("no answer within 5 s");
    assert_eq!(
        (status, body["code"].as_str()),
        (503, Some("timeout")),
        "{body}"
    );
    blocker.rollback().await.unwrap();
}

#[sqlx::test(migrations = "../migrations")]
async fn idle_keep_alive_connections_are_closed(pool: PgPool) {
    let app = common::spawn_with(&pool, |c| c.header_read_timeout_ms = 1000).await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: idle\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 12];
    stream.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    // Then silence: the server ends the connection instead of keeping it for ever.
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "an idle keep-alive connection was kept 5 s");
}
