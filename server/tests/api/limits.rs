//! Limits that hold under hostile clients, tried with real slow clients on loopback.

use crate::common::{self, PATIENCE};

use std::time::{Duration, Instant};

use sqlx::PgPool;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// The header timeout of the tests that hold half-open connections: long enough that they are
/// all still held while the test looks, however slow the machine.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

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
    let app = common::spawn_with(&pool, |c| {
        c.header_read_timeout_ms = HEADER_TIMEOUT.as_millis() as u64;
    })
    .await;
    let mut slow = Vec::new();
    for _ in 0..200 {
        slow.push(half_open(app.addr).await);
    }
    // Meanwhile the server answers everybody else: while all of them are still held (not once
    // the header timeout has freed it). How long it took is printed, not judged.
    let started = Instant::now();
    let health = app.http.get(format!("{}/health", app.base)).send();
    let status = tokio::time::timeout(PATIENCE, health)
        .await
        .expect("/health did not answer within a minute")
        .unwrap()
        .status();
    let took = started.elapsed();
    assert_eq!(status, 200, "after {took:?}");
    println!("/health beside 200 half-open connections answered in {took:?}");
    for (i, stream) in slow.iter().enumerate() {
        let mut byte = [0u8; 1];
        let held = matches!(
            stream.try_read(&mut byte),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock
        );
        assert!(
            held,
            "connection {i} was closed before /health answered ({took:?}): /health waited for \
             the header timeout"
        );
    }
    // Every half-open connection is closed by the server after the header timeout.
    for (i, mut stream) in slow.into_iter().enumerate() {
        let mut rest = Vec::new();
        let closed =
            tokio::time::timeout(HEADER_TIMEOUT + PATIENCE, stream.read_to_end(&mut rest)).await;
        assert!(
            closed.is_ok(),
            "connection {i} still open a minute after the header timeout"
        );
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn the_connection_cap_holds_and_frees_up(pool: PgPool) {
    let app = common::spawn_with(&pool, |c| {
        c.max_connections = 20;
        c.header_read_timeout_ms = HEADER_TIMEOUT.as_millis() as u64;
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..20 {
        held.push(half_open(app.addr).await);
    }
    // The 21st client waits in the backlog (accepted in order: after the 20), not served while
    // the 20 hold their slots (for the header timeout, far beyond this look)...
    let waiting = tokio::time::timeout(
        Duration::from_millis(700),
        app.http.get(format!("{}/health", app.base)).send(),
    )
    .await;
    assert!(waiting.is_err(), "a connection beyond the cap was served");
    // ...and is served once the header timeout frees the slots.
    let served = tokio::time::timeout(
        HEADER_TIMEOUT + PATIENCE,
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
    let (status, body) = tokio::time::timeout(PATIENCE, app.claim("u", "SLOW"))
        .await
        .expect("no answer within a minute");
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
    let closed = tokio::time::timeout(PATIENCE, stream.read_to_end(&mut rest)).await;
    assert!(
        closed.is_ok(),
        "an idle keep-alive connection was kept a minute"
    );
}
