//! The Citus tier: the real server binary on the Citus cluster of `scripts/citus.sh` (a
//! coordinator and two workers on loopback, durable), both engines, two server processes on one
//! database. It runs only where Citus is installed (`scripts/test.sh` says so in one line and
//! skips it otherwise).
//! 1. Every claim call is one task, delegated whole to the coupon's worker (`tasks`).
//! 2. A sale's promises through HTTP: claims and refusals, races across the two processes, the
//!    sale's lifecycle and release, idempotency, API keys, redemption, and every webhook event
//!    heard (`acceptance`).
//! 3. Per engine, a worker stopped at once (`pg_ctl stop -m immediate`) under claim load, then
//!    started again: counted from the coordinator (`report::Cycle`): every `200` has its row, no
//!    oversell, no double claim, every unsettled claim retried and the retry truthful, claims
//!    answered `200` again once the worker is back, every entry answered `202` (a draw coupon
//!    beside the two sales) in `entries`; and a webhook receiver heard of exactly the
//!    committed claims (`webhooks::check`), and the claim calls are delegated whole again.

#[path = "../crash/load.rs"]
mod load;
#[path = "../crash/process.rs"]
mod process;
#[path = "../crash/report.rs"]
mod report;
#[path = "../crash/webhooks.rs"]
mod webhooks;

mod acceptance;
mod cluster;
mod tasks;

use std::{
    sync::{Arc, RwLock},
    time::Instant,
};

use cluster::CitusCluster;
use load::Load;
use process::ServerProcess;

/// Concurrent clients claiming during the worker's crash.
const CLIENTS: usize = 24;

const ENGINES: [&str; 2] = ["batched", "per-request"];

/// Coupon names (of `prefix-<n>`), one whose shard is on each worker, so the crash stops the sale
/// of one while the other goes on.
async fn one_coupon_per_worker(db: &sqlx::PgPool, prefix: &str) -> Vec<String> {
    let mut by_worker = std::collections::BTreeMap::new();
    for n in 0..64 {
        let name = format!("{prefix}-{n}");
        let port: i32 = sqlx::query_scalar(
            "SELECT n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid)
             WHERE p.shardid = get_shard_id_for_distribution_column('coupons', $1::text)",
        )
        .bind(&name)
        .fetch_one(db)
        .await
        .expect("the worker of a coupon");
        by_worker.entry(port).or_insert(name);
    }
    assert_eq!(by_worker.len(), 2, "coupons on both workers: {by_worker:?}");
    by_worker.into_values().collect()
}

/// Worker 1 stopped at once under load, against one server in `engine` mode on a database of its
/// own; the problems found.
async fn worker_crash(cluster: &CitusCluster, engine: &str) -> Vec<String> {
    let url = cluster.database(&format!("crash_{}", engine.replace('-', "_")));
    let log = cluster.file(&format!("server-crash-{engine}.log"));
    let server = ServerProcess::start(&url, engine, &log).await;
    let receiver = webhooks::subscribe(&server.base).await;
    let db = load::connect(&url).await;
    let mut coupons = one_coupon_per_worker(&db, "CRASH").await;
    for coupon in &coupons {
        load::create_coupon(&server.base, coupon, 1_000_000).await;
    }
    // And a draw coupon taking entries meanwhile, on whichever worker holds it.
    coupons.push("CRASH-DRAW".to_owned());
    load::create_draw_coupon(&server.base, &coupons[2], 1_000).await;
    let base = Arc::new(RwLock::new(server.base.clone()));
    let started = Instant::now();
    let load = Load::start(base, &coupons, CLIENTS, engine);
    assert!(
        load.oks_since(started, CLIENTS, load::PATIENCE).await,
        "{engine}: fewer than {CLIENTS} claims answered 200 in {:?} before the crash",
        load::PATIENCE
    );
    let fault_at = Instant::now();
    cluster.run(&["kill-worker", "1"]);
    // The sale of the other worker's coupon goes on meanwhile; then the worker comes back.
    load.oks_since(fault_at, CLIENTS, load::PATIENCE).await;
    cluster.run(&["status"]);
    let recovered_at = Instant::now();
    load.oks_since(recovered_at, CLIENTS, load::PATIENCE).await;
    // Once the worker is back, a claim is again one call delegated to it, not statements sent
    // one by one from the coordinator.
    let mut problems = Vec::new();
    for coupon in &coupons {
        for call in [
            format!("SELECT * FROM claim_batch('{coupon}', ARRAY['after-crash'])"),
            format!("SELECT * FROM claim_one('{coupon}', 'after-crash')"),
        ] {
            problems.extend(tasks::delegated(&db, &call).await);
        }
    }
    let answers = load.stop().await;
    let cycle = report::Cycle::check(
        engine,
        "worker 1 stopped at once",
        &coupons,
        answers,
        (fault_at, recovered_at),
        load::CLIENT_TIMEOUT,
        &server.base,
        &db,
    )
    .await;
    println!("{cycle}");
    problems.extend(cycle.problems);
    problems.extend(webhooks::check(&db, &receiver).await);
    db.close().await;
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn citus_tier_both_engines() {
    let cluster = CitusCluster::up();
    let url = cluster.url("coupons");
    let log = cluster.file("servers.log");
    // Two processes on one database, one per engine; the first to start runs the migrations.
    let batched = ServerProcess::start(&url, ENGINES[0], &log).await;
    let per_request = ServerProcess::start(&url, ENGINES[1], &log).await;
    let db = load::connect(&url).await;
    let mut problems = tasks::check(&db).await;
    for (engine, server, other) in [
        (ENGINES[0], &batched, &per_request),
        (ENGINES[1], &per_request, &batched),
    ] {
        let sale = acceptance::Sale::new(&server.base, &other.base, engine);
        problems.extend(
            sale.check(&db)
                .await
                .into_iter()
                .map(|p| format!("{engine}: {p}")),
        );
    }
    db.close().await;
    for engine in ENGINES {
        problems.extend(
            worker_crash(&cluster, engine)
                .await
                .into_iter()
                .map(|p| format!("{engine}, worker crash: {p}")),
        );
    }
    assert!(
        problems.is_empty(),
        "Citus tier: {} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
