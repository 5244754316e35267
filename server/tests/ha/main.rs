//! The high-availability tier: the real server binary on the cluster of `scripts/ha.sh` (etcd,
//! two PostgreSQL 15 nodes under Patroni in strict synchronous mode, HAProxy to the primary),
//! under concurrent claim load (one coupon that sells out, one that never does), through:
//! 1. a planned switchover (`patronictl switchover`);
//! 2. the primary's PostgreSQL killed with SIGKILL (Patroni restarts it);
//! 3. the primary node lost (its PostgreSQL and its Patroni killed together: the standby is
//!    promoted once the leader key expires);
//! 4. the standby killed (commits wait for it: no `200` until it is back), then, once it is back,
//!    the primary lost;
//! 5. the standby stopped and every commit's wait for it cancelled (`pg_cancel_backend`): the
//!    commits stay local, and none may be a `200`.
//!
//! After each, counted from the surviving primary (`report::Cycle`): every `200` has a row, no
//! oversell, no double claim, `remaining == amount - claims`, every unsettled claim retried and
//! the retry truthful, no request hung, claims answered `200` again after the recovery; and
//! here: no `200` while no standby could confirm, `/health/ready` said `503` while no primary
//! answered. How long the sale stood still is printed beside its target per scenario (a
//! measurement: failover times move with the machine). The load runs until it has claims
//! answered `200` before the fault and after the recovery, not for fixed times.
//! A webhook receiver hears of every claim throughout (`webhooks`), and after each scenario the
//! server's three `LISTEN` connections (live stock, API key revocations, webhook events) are
//! back on the primary (`listeners_on_primary`).
//!
//! `HA_REPLICATION=lenient` (strict mode off) or `async` runs the same tier on a broken setting:
//! it must fail.

// The HA tier's sales are first come: it makes no draw coupon.
#[allow(dead_code)]
#[path = "../crash/load.rs"]
mod load;
#[path = "../crash/process.rs"]
mod process;
#[path = "../crash/report.rs"]
mod report;
#[path = "../crash/webhooks.rs"]
mod webhooks;

mod cluster;
mod scenario;

use std::{
    sync::{Arc, RwLock},
    time::Duration,
};

use cluster::HaCluster;
use load::Load;
use process::ServerProcess;
use scenario::Scenario;

/// Concurrent clients claiming during each scenario.
const CLIENTS: usize = 24;
/// Stock of the coupon that sells out during a scenario (the other never does).
const SMALL_STOCK: i32 = 150;

/// Every scenario against one server in `engine` mode, on a database of its own.
async fn ha_tier(cluster: &HaCluster, engine: &str) -> Vec<String> {
    let database = format!("coupons_{}", engine.replace('-', "_"));
    let admin = load::connect(&cluster.url("postgres")).await;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {database}")))
        .execute(&admin)
        .await
        .expect("create the database");
    admin.close().await;
    let url = cluster.url(&database);
    let log = cluster.file(&format!("server-{engine}.log"));
    let server = ServerProcess::start(&url, engine, &log).await;
    let base = Arc::new(RwLock::new(server.base.clone()));
    let receiver = webhooks::subscribe(&server.base).await;
    let mut problems = Vec::new();
    for (i, scenario) in Scenario::ALL.iter().enumerate() {
        let coupons = [format!("BIG-{i}"), format!("SMALL-{i}")];
        load::create_coupon(&server.base, &coupons[0], 1_000_000).await;
        load::create_coupon(&server.base, &coupons[1], SMALL_STOCK).await;
        let started = std::time::Instant::now();
        let load = Load::start(base.clone(), &coupons, CLIENTS, &format!("{engine}-{i}"));
        let ready = scenario::Readiness::watch(&server.base);
        // The fault strikes a sale under way: once the load has claims answered.
        assert!(
            load.oks_since(started, CLIENTS, load::PATIENCE).await,
            "{engine}: the load got fewer than {CLIENTS} claims answered 200 in {:?} before \
             {scenario:?}",
            load::PATIENCE
        );
        let window = scenario.run(cluster).await;
        // Then until claims sent after the recovery are answered 200 (none is a problem the
        // report names).
        load.oks_since(window.recovered_at, CLIENTS, load::PATIENCE)
            .await;
        let answers = load.stop().await;
        let readiness = ready.stop().await;
        let db = load::connect(&url).await;
        let outcome = scenario::Outcome::check(
            engine,
            *scenario,
            &coupons,
            answers,
            &window,
            &readiness,
            &server.base,
            &db,
        )
        .await;
        problems.extend(listeners_on_primary(&db, &database).await);
        db.close().await;
        println!("{outcome}");
        problems.extend(outcome.problems);
    }
    let db = load::connect(&url).await;
    problems.extend(webhooks::check(&db, &receiver).await);
    db.close().await;
    if !problems.is_empty() {
        let tail = std::fs::read_to_string(&log).unwrap_or_default();
        let tail: Vec<&str> = tail.lines().rev().take(20).collect();
        problems.push(format!(
            "server log (newest last):\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        ));
    }
    problems
}

/// The channels the server LISTENs on, each on a connection of its own.
const CHANNELS: [&str; 3] = [
    server::db::live::CHANNEL,
    server::db::api_keys::CHANNEL,
    server::db::webhooks::CHANNEL,
];

/// Waits (up to a minute) until the primary `db` reaches has a `LISTEN` session of the server on
/// each of [`CHANNELS`] in `database`; the problem otherwise. A listener still on the old primary,
/// or one that gave up, would leave the live dashboard, revocations or webhooks deaf.
async fn listeners_on_primary(db: &sqlx::PgPool, database: &str) -> Option<String> {
    let mut seen = Vec::new();
    for _ in 0..300 {
        seen = sqlx::query_scalar::<_, String>(
            "SELECT query FROM pg_stat_activity WHERE datname = $1 AND query ILIKE 'LISTEN %'",
        )
        .bind(database)
        .fetch_all(db)
        .await
        .unwrap_or_default();
        if CHANNELS.iter().all(|c| seen.iter().any(|q| q.contains(c))) {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Some(format!(
        "after a minute the primary has these LISTEN sessions of the server, not one on each of \
         {CHANNELS:?}: {seen:?}"
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ha_tier_both_engines() {
    let replication = std::env::var("HA_REPLICATION").unwrap_or_else(|_| "strict".into());
    let cluster = HaCluster::up(&replication);
    let mut problems = Vec::new();
    for engine in ["batched", "per-request"] {
        problems.extend(
            ha_tier(&cluster, engine)
                .await
                .into_iter()
                .map(|p| format!("{engine}: {p}")),
        );
    }
    assert!(
        problems.is_empty(),
        "HA tier (replication {replication}): {} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
