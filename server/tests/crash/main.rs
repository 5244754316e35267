//! The crash-and-count tier: a durable PostgreSQL (fsync and synchronous_commit on, a 10 s
//! `wal_writer_delay` that keeps asynchronous commits unflushed), the real server binary as its
//! own process under concurrent HTTP load, and faults in the middle of the sale: PostgreSQL
//! crashed (`pg_ctl stop -m immediate`) and restarted, PostgreSQL restarted cleanly (`-m fast`),
//! the server `kill -9`ed and restarted. A draw coupon takes entries beside the two sales.
//! Afterwards, counted from the database: every user answered `200` (an entry: `202`) has a
//! row, no oversell, no double claim, `remaining == amount - claims`, a
//! retry of an unanswered or unknown claim tells the truth, the server served `200`s again after
//! PostgreSQL came back without being restarted, and no request hung (the slowest answer is
//! printed: about the acquire timeout, a figure rather than a gate a busy machine could fail).
//! The load runs until it has claims answered `200` before the fault, and again after the
//! recovery, rather than for fixed times. A webhook receiver hears of every claim throughout: at
//! the end, the claims it heard of are exactly the claims in the database (see `webhooks`).
//! Then, a commit whose wait for a synchronous standby is abandoned must not be a `200` (see
//! `sync_wait`). Last, a draw cut short by a `kill -9` inside its settle makes one result (see
//! `draws`).

mod cluster;
mod draws;
mod load;
mod process;
mod report;
mod sync_wait;
mod webhooks;

use std::{
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use cluster::Cluster;
use load::Load;
use process::ServerProcess;
use report::Cycle;

/// What goes wrong in the middle of the sale.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// `pg_ctl stop -m immediate`, then start (crash recovery).
    PostgresCrash,
    /// `pg_ctl stop -m fast`, then start.
    PostgresFastRestart,
    /// `kill -9` of the server process, then a new one.
    ServerKill9,
}

/// An answer that took this long is a hang: the server answers every request within its
/// request timeout, and a slow machine gets half a minute more.
const HANG_AFTER: Duration = Duration::from_secs(30).saturating_add(process::REQUEST_TIMEOUT);

/// The faults of one tier run, in order: at least 10 crash cycles across both engine modes.
const FAULTS: &[Fault] = &[
    Fault::PostgresCrash,
    Fault::PostgresCrash,
    Fault::PostgresFastRestart,
    Fault::ServerKill9,
    Fault::PostgresCrash,
];
/// Concurrent clients claiming during each cycle.
const CLIENTS: usize = 24;
/// Stock of the coupon that sells out during a cycle (the other never does).
const SMALL_STOCK: i32 = 150;

async fn status_of(base: &str, path: &str) -> u16 {
    reqwest::get(format!("{base}{path}"))
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

/// Runs every fault of [`FAULTS`] against one server in `engine` mode and checks each cycle.
async fn crash_tier(engine: &str) {
    let cluster = Cluster::start();
    let admin = load::connect(&cluster.url("postgres")).await;
    sqlx::query("CREATE DATABASE coupons")
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let url = cluster.url("coupons");
    let log = cluster.file("server.log");
    let mut server = ServerProcess::start(&url, engine, &log).await;
    let base = Arc::new(RwLock::new(server.base.clone()));
    let receiver = webhooks::subscribe(&server.base).await;
    let mut cycles = Vec::new();
    for (i, fault) in FAULTS.iter().enumerate() {
        let coupons = [
            format!("BIG-{i}"),
            format!("SMALL-{i}"),
            format!("DRAW-{i}"),
        ];
        load::create_coupon(&server.base, &coupons[0], 1_000_000).await;
        load::create_coupon(&server.base, &coupons[1], SMALL_STOCK).await;
        load::create_draw_coupon(&server.base, &coupons[2], SMALL_STOCK).await;
        let started = Instant::now();
        let load = Load::start(base.clone(), &coupons, CLIENTS, &format!("c{i}"));
        // The fault strikes a sale under way: once the load has claims answered.
        assert!(
            load.oks_since(started, CLIENTS, load::PATIENCE).await,
            "{engine}: the load got fewer than {CLIENTS} claims answered 200 in {:?} before the \
             fault",
            load::PATIENCE
        );
        let fault_at = Instant::now();
        match fault {
            Fault::PostgresCrash => {
                cluster.crash();
                // Liveness stays up; readiness tells the load balancer the database is away.
                assert_eq!(status_of(&server.base, "/health").await, 200);
                assert_eq!(status_of(&server.base, "/health/ready").await, 503);
                tokio::time::sleep(Duration::from_millis(1000)).await;
                cluster.restart();
            }
            Fault::PostgresFastRestart => {
                cluster.stop_fast();
                tokio::time::sleep(Duration::from_millis(500)).await;
                cluster.restart();
            }
            Fault::ServerKill9 => {
                server.kill9();
                tokio::time::sleep(Duration::from_millis(300)).await;
                server = ServerProcess::start(&url, engine, &log).await;
                *base.write().unwrap() = server.base.clone();
            }
        }
        let recovered_at = Instant::now();
        // The load goes on until claims sent after the recovery are answered 200 (the report
        // counts them; none in the patience is a problem it names).
        load.oks_since(recovered_at, CLIENTS, load::PATIENCE).await;
        let answers = load.stop().await;
        assert_eq!(status_of(&server.base, "/health/ready").await, 200);
        let db = load::connect(&url).await;
        let cycle = Cycle::check(
            engine,
            &format!("{fault:?}"),
            &coupons,
            answers,
            (fault_at, recovered_at),
            HANG_AFTER,
            &server.base,
            &db,
        )
        .await;
        db.close().await;
        println!("{cycle}");
        cycles.push(cycle);
    }
    let db = load::connect(&url).await;
    let mut failures: Vec<String> = cycles.iter().flat_map(|c| c.problems.clone()).collect();
    failures.extend(sync_wait::check(engine, &server.base, &db).await);
    failures.extend(webhooks::check(&db, &receiver).await);
    db.close().await;
    // The draw does not depend on the claim engine: cut short once, in the batched tier.
    if engine == "batched" {
        failures.extend(draws::check(&url, engine, &log, &mut server).await);
    }
    if !failures.is_empty() {
        let tail = std::fs::read_to_string(&log).unwrap_or_default();
        let tail: Vec<&str> = tail.lines().rev().take(30).collect();
        panic!(
            "{engine}: {} problem(s):\n{}\nserver log (newest last):\n{}",
            failures.len(),
            failures.join("\n"),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_tier_batched_engine() {
    crash_tier("batched").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_tier_per_request_engine() {
    crash_tier("per-request").await;
}
