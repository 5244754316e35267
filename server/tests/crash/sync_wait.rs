//! A commit whose wait for a synchronous standby never ends, or is abandoned, is never a `200`.
//!
//! With `synchronous_standby_names` naming a standby that never comes, every commit waits.
//! - Nothing ends the wait: PostgreSQL 15 disarms `statement_timeout` before it commits, so the
//!   request timeout answers `503 timeout` ("whether it was recorded is unknown: retry").
//! - `pg_cancel_backend` abandons the wait: PostgreSQL keeps the local commit and reports success
//!   with only a WARNING. A failover would lose the row, so the server must answer `503
//!   claim_outcome_unknown`.
//!
//! Both rows exist locally afterwards: the danger was real, and the answers promised nothing.
//! The same holds with PostgreSQL's messages in German, and for an admin write (`503
//! outcome_unknown`): the warning is known by its severity, not its words.

use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::PgPool;

use super::load;

/// `true`: every commit waits for a standby named `nobody` (that never comes); `false`: for none.
async fn wait_for_a_standby(db: &PgPool, wait: bool) {
    set_system(
        db,
        "synchronous_standby_names",
        if wait { "nobody" } else { "" },
    )
    .await;
}

/// `ALTER SYSTEM SET name = value`, reloaded, and waited for until a session sees it. The reload
/// is asynchronous: the postmaster reads the file, then signals every backend at once, and each
/// applies it before its next command.
async fn set_system(db: &PgPool, name: &str, value: &str) {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "ALTER SYSTEM SET {name} = '{value}'"
    )))
    .execute(db)
    .await
    .expect("alter system");
    sqlx::query("SELECT pg_reload_conf()")
        .execute(db)
        .await
        .expect("reload");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let now: String = sqlx::query_scalar("SELECT setting FROM pg_settings WHERE name = $1")
            .bind(name)
            .fetch_one(db)
            .await
            .expect("pg_settings");
        if now == value {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "waited a minute for {name} = '{value}' after the reload (it is '{now}')"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Cancels every backend waiting for a synchronous standby until `until` says stop.
async fn cancel_waiters(db: &PgPool, until: impl Fn() -> bool) -> i64 {
    let mut cancelled = 0;
    while !until() {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FILTER (WHERE pg_cancel_backend(pid))
               FROM pg_stat_activity WHERE wait_event = 'SyncRep'",
        )
        .fetch_one(db)
        .await
        .expect("cancel the waiters");
        cancelled += n;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    cancelled
}

/// Pauses `coupon` (an admin write; the tiers' servers have an open admin).
async fn pause(http: &reqwest::Client, base: &str, coupon: &str) -> load::Answer {
    let sent = Instant::now();
    let response = http
        .patch(format!("{base}/api/coupons/{coupon}"))
        .json(&json!({"paused": true}))
        .send()
        .await;
    load::answer("admin", coupon, sent, response).await
}

/// Runs `request` while cancelling every wait for a standby until it is answered; the answer and
/// how many backends were cancelled.
async fn cancelling(
    db: &PgPool,
    request: impl std::future::Future<Output = load::Answer> + Send + 'static,
) -> (load::Answer, i64) {
    let request = tokio::spawn(request);
    let cancelled = cancel_waiters(db, || request.is_finished()).await;
    (request.await.expect("the request"), cancelled)
}

fn expect_503(what: &str, answer: &load::Answer, code: &str, problems: &mut Vec<String>) {
    if (answer.status, answer.code.as_deref()) != (Some(503), Some(code)) {
        problems.push(format!(
            "sync wait {what}: answered {:?} {:?} after {:?}, not 503 {code}",
            answer.status, answer.code, answer.took
        ));
    }
}

/// Runs both abandoned waits against the server at `base`; returns the problems.
pub async fn check(engine: &str, base: &str, db: &PgPool) -> Vec<String> {
    let coupon = format!("SYNC-{engine}");
    load::create_coupon(base, &coupon, 10).await;
    let http = reqwest::Client::new();
    let mut problems = Vec::new();
    wait_for_a_standby(db, true).await;

    let timed_out = load::claim(&http, base, "sync-timeout", &coupon).await;
    expect_503("never confirmed", &timed_out, "timeout", &mut problems);

    let (by_cancel, cancelled) = cancelling(db, {
        let (http, base, coupon) = (http.clone(), base.to_owned(), coupon.clone());
        async move { load::claim(&http, &base, "sync-cancel", &coupon).await }
    })
    .await;
    expect_503(
        "cancelled",
        &by_cancel,
        "claim_outcome_unknown",
        &mut problems,
    );

    wait_for_a_standby(db, false).await;
    let started = Instant::now();
    let holders: Vec<String> =
        sqlx::query_scalar("SELECT user_id FROM claims WHERE coupon_name = $1 ORDER BY user_id")
            .bind(&coupon)
            .fetch_all(db)
            .await
            .expect("claims");
    if holders != ["sync-cancel", "sync-timeout"] {
        problems.push(format!(
            "sync wait: the abandoned commits should exist locally, found {holders:?}"
        ));
    }
    let retry = load::claim(&http, base, "sync-timeout", &coupon).await;
    if retry.code.as_deref() != Some("already_claimed") {
        problems.push(format!("sync wait: the retry answered {:?}", retry.code));
    }
    println!(
        "sync wait ({engine}): never confirmed -> {:?} {:?} after {:.1?}; pg_cancel_backend \
         ({cancelled} backends) -> {:?} {:?} after {:.1?}; retry -> {:?} ({:.0?})",
        timed_out.status,
        timed_out.code,
        timed_out.took,
        by_cancel.status,
        by_cancel.code,
        by_cancel.took,
        retry.code,
        started.elapsed()
    );
    problems.extend(in_german(engine, base, db).await);
    problems
}

/// The locale of PostgreSQL's messages in [`in_german`] (`scripts/setup.sh test` makes it).
const GERMAN: &str = "de_DE.UTF-8";

/// The abandoned wait again with PostgreSQL speaking German (its warning's text then names no
/// "synchronous replication"), for a claim and for an admin write (a pause): both answer `503`,
/// `claim_outcome_unknown` and `outcome_unknown`, and both changes exist locally.
async fn in_german(engine: &str, base: &str, db: &PgPool) -> Vec<String> {
    let coupon = format!("SYNC-DE-{engine}");
    load::create_coupon(base, &coupon, 10).await;
    let http = reqwest::Client::new();
    let mut problems = Vec::new();
    let english: String = sqlx::query_scalar("SHOW lc_messages")
        .fetch_one(db)
        .await
        .expect("lc_messages");
    set_system(db, "lc_messages", GERMAN).await;
    let spoken = sqlx::query("SELECT 1 / 0")
        .execute(db)
        .await
        .expect_err("a division by zero")
        .to_string();
    assert!(
        spoken.contains("Division durch Null"),
        "PostgreSQL should speak German with lc_messages = {GERMAN}, said: {spoken}"
    );
    wait_for_a_standby(db, true).await;

    let (claimed, _) = cancelling(db, {
        let (http, base, coupon) = (http.clone(), base.to_owned(), coupon.clone());
        async move { load::claim(&http, &base, "sync-cancel-de", &coupon).await }
    })
    .await;
    expect_503(
        "cancelled (German)",
        &claimed,
        "claim_outcome_unknown",
        &mut problems,
    );

    let (paused, _) = cancelling(db, {
        let (http, base, coupon) = (http.clone(), base.to_owned(), coupon.clone());
        async move { pause(&http, &base, &coupon).await }
    })
    .await;
    expect_503(
        "cancelled admin write (German)",
        &paused,
        "outcome_unknown",
        &mut problems,
    );

    wait_for_a_standby(db, false).await;
    set_system(db, "lc_messages", &english).await;
    let (holders, is_paused): (i64, bool) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM claims WHERE coupon_name = $1), paused
           FROM coupons WHERE name = $1",
    )
    .bind(&coupon)
    .fetch_one(db)
    .await
    .expect("the coupon");
    if (holders, is_paused) != (1, true) {
        problems.push(format!(
            "sync wait (German): the abandoned commits should exist locally, found {holders} \
             claims and paused = {is_paused}"
        ));
    }
    println!(
        "sync wait ({engine}, lc_messages {GERMAN}): claim -> {:?} {:?}, pause -> {:?} {:?}",
        claimed.status, claimed.code, paused.status, paused.code
    );
    problems
}
