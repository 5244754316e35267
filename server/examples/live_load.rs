//! Load generator for `make bench-live`: many SSE subscribers on one coupon while claims run;
//! prints the server's memory and the claim-to-event latency. `--stream admin` follows the admin
//! dashboard's stream (`/api/coupons/{name}/events`), `--stream stock` the shoppers' public one
//! (`/api/coupons/{name}/stock/events`).
//!
//! Latency of one event = when a subscriber received the state with `claimed` N minus when the
//! response to the claim that made the count N arrived. Both clocks are this process's. Event ids
//! are the coupon's version (one per batch, not per claim): the count comes from the event's data.
//! Exits non-zero when a subscriber did not see the final count, so a test can run it small.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use clap::Parser;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

#[derive(Parser)]
struct Args {
    /// The server, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    base: String,
    /// Its process id, to read its memory from /proc.
    #[arg(long)]
    server_pid: u32,
    #[arg(long, default_value_t = 5000)]
    subscribers: usize,
    /// Claims to run (the coupon's stock: the last claim sells it out and ends the streams).
    #[arg(long, default_value_t = 3000)]
    claims: usize,
    /// Claims per second.
    #[arg(long, default_value_t = 300)]
    rate: u64,
    /// Which stream the subscribers follow.
    #[arg(long, value_enum, default_value_t = Stream::Admin)]
    stream: Stream,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Stream {
    /// `/api/coupons/{name}/events`: snapshot, stock, claims, sold_out.
    Admin,
    /// `/api/coupons/{name}/stock/events`: stock only, no claimer ids.
    Stock,
}

/// Resident memory of `pid` in KiB, from /proc/<pid>/status.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// The claim count of one SSE block: the `claimed` of a `snapshot` or `stock` event's data (the
/// public stream's first event is a `stock` event too).
fn claimed_of(block: &str) -> Option<u64> {
    let mut lines = block.lines();
    let event = lines.clone().find_map(|l| l.strip_prefix("event: "))?;
    if event != "snapshot" && event != "stock" {
        return None;
    }
    let data = lines.find_map(|l| l.strip_prefix("data: "))?;
    serde_json::from_str::<Value>(data).ok()?["claimed"].as_u64()
}

/// Follows one stream until the state with `last` claims; returns (claimed, received at) of each
/// state it got.
async fn subscribe(url: String, last: u64, ready: Arc<AtomicUsize>) -> Vec<(u64, Instant)> {
    let client = reqwest::Client::new();
    let Ok(mut resp) = client.get(&url).send().await else {
        return Vec::new();
    };
    let (mut buf, mut seen, mut first) = (String::new(), Vec::new(), true);
    while let Ok(Some(chunk)) = resp.chunk().await {
        let now = Instant::now();
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let Some(claimed) = claimed_of(&block) else {
                continue;
            };
            if first {
                first = false;
                ready.fetch_add(1, Ordering::Relaxed);
            }
            seen.push((claimed, now));
            if claimed >= last {
                return seen;
            }
        }
    }
    seen
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let _ = rlimit::increase_nofile_limit(1 << 20);
    let http = reqwest::Client::new();
    let coupon = format!("BENCH_LIVE_{}", std::process::id());
    let created = http
        .post(format!("{}/api/coupons", args.base))
        .json(&json!({"name": coupon, "amount": args.claims}))
        .send()
        .await?;
    anyhow::ensure!(created.status() == 201, "create: {}", created.status());
    let base_rss = rss_kib(args.server_pid);

    // Subscribers connect a few hundred at a time: each connect reads the state from the pool.
    let path = match args.stream {
        Stream::Admin => "events",
        Stream::Stock => "stock/events",
    };
    let url = format!("{}/api/coupons/{coupon}/{path}", args.base);
    let ready = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(Semaphore::new(200));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(args.subscribers);
    for _ in 0..args.subscribers {
        let permit = gate.clone().acquire_owned().await?;
        let (url, ready2) = (url.clone(), ready.clone());
        let before = ready.load(Ordering::Relaxed);
        tasks.push(tokio::spawn(subscribe(url, args.claims as u64, ready2)));
        // Hold the permit until this subscriber got its snapshot (or a short while passed).
        let ready3 = ready.clone();
        tokio::spawn(async move {
            let deadline = Instant::now() + Duration::from_secs(5);
            while ready3.load(Ordering::Relaxed) <= before && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            drop(permit);
        });
    }
    while ready.load(Ordering::Relaxed) < args.subscribers
        && started.elapsed() < Duration::from_secs(60)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let connected = ready.load(Ordering::Relaxed);
    let idle_rss = rss_kib(args.server_pid);
    println!(
        "subscribers connected: {connected} of {} in {:.1?}",
        args.subscribers,
        started.elapsed()
    );

    // Claims at a steady rate, each recording when its response (commit) arrived.
    let committed: Arc<Mutex<HashMap<u64, Instant>>> = Arc::default();
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / args.rate.max(1)));
    let mut claims = Vec::with_capacity(args.claims);
    let mut peak_rss = idle_rss;
    let claims_started = Instant::now();
    for i in 0..args.claims {
        tick.tick().await;
        if i % 50 == 0 {
            peak_rss = peak_rss.max(rss_kib(args.server_pid));
        }
        let (http, base, coupon, committed) = (
            http.clone(),
            args.base.clone(),
            coupon.clone(),
            committed.clone(),
        );
        let amount = args.claims as u64;
        claims.push(tokio::spawn(async move {
            let resp = http
                .post(format!("{base}/api/coupons/claim"))
                .json(&json!({"user_id": format!("load-{i}"), "coupon_name": coupon}))
                .send()
                .await
                .ok()?;
            let body: Value = resp.json().await.ok()?;
            let at = Instant::now();
            let remaining = body["remaining_amount"].as_u64()?;
            committed.lock().unwrap().insert(amount - remaining, at);
            Some(())
        }));
    }
    let mut ok = 0;
    for c in claims {
        ok += usize::from(matches!(c.await, Ok(Some(()))));
    }
    let claims_took = claims_started.elapsed();
    peak_rss = peak_rss.max(rss_kib(args.server_pid));

    let mut latencies = Vec::new();
    let (mut events, mut finished) = (0usize, 0usize);
    let committed = committed.lock().unwrap().clone();
    for task in tasks {
        let seen = match tokio::time::timeout(Duration::from_secs(30), task).await {
            Ok(Ok(seen)) => seen,
            _ => continue,
        };
        finished += usize::from(
            seen.last()
                .is_some_and(|(claimed, _)| *claimed >= args.claims as u64),
        );
        // The first event is the snapshot from before the claims: not a claim-to-event latency.
        for (claimed, at) in seen.into_iter().skip(1) {
            events += 1;
            if let Some(done) = committed.get(&claimed) {
                latencies.push(at.saturating_duration_since(*done));
            }
        }
    }
    latencies.sort();
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!(
        "claims: {ok} of {} succeeded in {claims_took:.1?} ({} /s asked)",
        args.claims, args.rate
    );
    println!("subscribers that saw the final count: {finished} of {connected}");
    println!(
        "events received: {events} ({:.1} per subscriber for {} claims)",
        events as f64 / connected.max(1) as f64,
        args.claims
    );
    println!(
        "server RSS: before subscribers {:.1} MiB, with {connected} idle subscribers {:.1} MiB \
         ({:.1} KiB each), peak during claims {:.1} MiB",
        mib(base_rss),
        mib(idle_rss),
        idle_rss.saturating_sub(base_rss) as f64 / connected.max(1) as f64,
        mib(peak_rss)
    );
    println!(
        "claim-to-event latency over {} events: p50 {:.1?}, p99 {:.1?}, max {:.1?}",
        latencies.len(),
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or_default()
    );
    anyhow::ensure!(
        connected == args.subscribers && finished == connected && ok == args.claims,
        "the streams and the claims disagree: {finished} of {connected} subscribers (of {}) saw \
         the final count of {ok} claims (of {})",
        args.subscribers,
        args.claims
    );
    Ok(())
}
