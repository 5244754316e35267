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

use std::time::{Duration, Instant};

use sqlx::PgPool;

use super::load;

/// `true`: every commit waits for a standby named `nobody` (that never comes); `false`: for none.
async fn wait_for_a_standby(db: &PgPool, wait: bool) {
    let statement = if wait {
        "ALTER SYSTEM SET synchronous_standby_names = 'nobody'"
    } else {
        "ALTER SYSTEM RESET synchronous_standby_names"
    };
    sqlx::query(statement)
        .execute(db)
        .await
        .expect("alter system");
    sqlx::query("SELECT pg_reload_conf()")
        .execute(db)
        .await
        .expect("reload");
    // The reload reaches every backend before its next command; give the postmaster a moment.
    tokio::time::sleep(Duration::from_millis(500)).await;
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

    let claim = tokio::spawn({
        let (http, base, coupon) = (http.clone(), base.to_owned(), coupon.clone());
        async move { load::claim(&http, &base, "sync-cancel", &coupon).await }
    });
    let cancelled = cancel_waiters(db, || claim.is_finished()).await;
    let by_cancel = claim.await.expect("the cancelled claim");
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
    problems
}
