//! A draw cut short: the server `kill -9`ed while its draw is inside `draw_settle`, held there
//! past its inserts of tickets and claims by a lock this test holds on the draw's row, then a new
//! server. Counted from the database: one result, the whole ranking, exactly
//! `min(amount, entries)` claims, and the winners those that the seed ranks first (recomputed
//! here); the proof's digest is that of the ranking recomputed here.
//!
//! The database checks for a vanished client every 100 ms (`client_connection_check_interval`, as
//! production should), so the killed server's statement may be cancelled (the draw not done, the
//! new server draws) or complete (done whole by the dead server): either is one result, and the
//! test prints which it was.

use std::{path::Path, time::Instant};

use server::draw::{proof, ticket};
use sqlx::PgPool;

use super::{load, process::ServerProcess};

const COUPON: &str = "KILLED-DRAW";
const ENTRIES: i64 = 20_000;
const UNITS: i32 = 1_000;

/// Sessions whose statement is (or last was) the draw's settle; not this test's own sessions,
/// whose last statement may be this one.
const SETTLING: &str = "SELECT count(*) FROM pg_stat_activity
    WHERE query LIKE '%FROM draw_settle(%' AND query NOT LIKE '%pg_stat_activity%'";

/// Polls `sql` (one integer) until `done` holds, at most [`load::PATIENCE`].
async fn until(db: &PgPool, what: &str, sql: &str, done: impl Fn(i64) -> bool) {
    let started = Instant::now();
    loop {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(db)
            .await
            .unwrap_or(-1);
        if done(n) {
            return;
        }
        assert!(
            started.elapsed() < load::PATIENCE,
            "waited {:?} for {what}",
            started.elapsed()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Runs the draw cut short against `url`, replacing `server`; the problems found.
pub async fn check(url: &str, engine: &str, log: &Path, server: &mut ServerProcess) -> Vec<String> {
    let db = load::connect(url).await;
    load::create_draw_coupon(&server.base, COUPON, UNITS).await;
    sqlx::query(
        "INSERT INTO entries (coupon_name, user_id, entered_at)
         SELECT $1, 'entrant-' || g, now() FROM generate_series(1, $2) AS g",
    )
    .bind(COUPON)
    .bind(ENTRIES)
    .execute(&db)
    .await
    .expect("enter the draw");
    sqlx::query("UPDATE coupons SET entry_count = $2 WHERE name = $1")
        .bind(COUPON)
        .bind(ENTRIES)
        .execute(&db)
        .await
        .unwrap();
    sqlx::query("ALTER DATABASE coupons SET client_connection_check_interval = '100ms'")
        .execute(&db)
        .await
        .unwrap();
    // A server whose sessions check for a vanished client.
    server.kill9();
    *server = ServerProcess::start(url, engine, log).await;
    let mut hold = db.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM draws WHERE coupon_name = $1 FOR UPDATE")
        .bind(COUPON)
        .fetch_one(&mut *hold)
        .await
        .unwrap();
    sqlx::query("UPDATE coupons SET ends_at = now(), draw_at = now() WHERE name = $1")
        .bind(COUPON)
        .execute(&db)
        .await
        .unwrap();
    let waiting = format!("{SETTLING} AND wait_event_type = 'Lock'");
    until(
        &db,
        "the due draw to wait inside draw_settle",
        &waiting,
        |n| n == 1,
    )
    .await;
    server.kill9();
    hold.rollback().await.unwrap();
    until(
        &db,
        "the killed server's draw_settle to end",
        SETTLING,
        |n| n == 0,
    )
    .await;
    let by_the_killed: bool =
        sqlx::query_scalar("SELECT drawn_at IS NOT NULL FROM coupons WHERE name = $1")
            .bind(COUPON)
            .fetch_one(&db)
            .await
            .unwrap();
    *server = ServerProcess::start(url, engine, log).await;
    let drawn =
        format!("SELECT count(*) FROM coupons WHERE name = '{COUPON}' AND drawn_at IS NOT NULL");
    until(&db, "the new server to draw", &drawn, |n| n == 1).await;
    println!(
        "{engine}: a draw of {ENTRIES} entries with the server killed inside draw_settle: {}",
        if by_the_killed {
            "the killed server's statement completed (done whole)"
        } else {
            "the killed server's statement was cancelled (not done); the new server drew"
        }
    );
    let problems = counted(&db, &server.base).await;
    db.close().await;
    problems
}

/// The draw's result against the ranking recomputed from its seed.
async fn counted(db: &PgPool, base: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let (seed, entries, winners): (Vec<u8>, Option<i64>, Option<i64>) =
        sqlx::query_as("SELECT seed, entries, winners FROM draws WHERE coupon_name = $1")
            .bind(COUPON)
            .fetch_one(db)
            .await
            .unwrap();
    let users: Vec<String> =
        sqlx::query_scalar("SELECT user_id FROM entries WHERE coupon_name = $1")
            .bind(COUPON)
            .fetch_all(db)
            .await
            .unwrap();
    let seed: ticket::Seed = seed.try_into().expect("a 32-byte seed");
    let refs: Vec<&str> = users.iter().map(String::as_str).collect();
    let ranked = ticket::rank(&ticket::key(&seed, None), &refs);
    let amount = u64::try_from(UNITS).unwrap();
    let mut expected: Vec<&str> = ranked
        .iter()
        .take(UNITS as usize)
        .map(|r| refs[r.entry])
        .collect();
    expected.sort_unstable();
    let mut claimed: Vec<String> =
        sqlx::query_scalar("SELECT user_id FROM claims WHERE coupon_name = $1 ORDER BY user_id")
            .bind(COUPON)
            .fetch_all(db)
            .await
            .unwrap();
    claimed.sort_unstable();
    let (tickets, remaining): (i64, i32) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM draw_tickets WHERE coupon_name = $1), remaining_amount
         FROM coupons WHERE name = $1",
    )
    .bind(COUPON)
    .fetch_one(db)
    .await
    .unwrap();
    if claimed != expected {
        problems.push(format!(
            "the killed draw: {} claims, not the {UNITS} users the seed ranks first",
            claimed.len()
        ));
    }
    if (tickets, entries, winners, remaining) != (ENTRIES, Some(ENTRIES), Some(UNITS.into()), 0) {
        problems.push(format!(
            "the killed draw: {tickets} tickets, draws.entries {entries:?}, winners {winners:?}, \
             remaining {remaining}; expected {ENTRIES}, {ENTRIES}, {UNITS}, 0"
        ));
    }
    let proof: serde_json::Value = reqwest::get(format!("{base}/api/coupons/{COUPON}/draw"))
        .await
        .expect("the proof")
        .json()
        .await
        .expect("the proof's JSON");
    let digest = proof::digest(&proof::tickets_text(&ranked, amount));
    if proof["tickets_digest"] != digest.as_str() {
        problems.push(format!(
            "the killed draw's proof {proof} is not of the recomputed ranking"
        ));
    }
    problems
}
