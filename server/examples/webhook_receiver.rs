//! Webhook receiver for `make bench` (scripts/bench/webhooks.sh): answers `200` to every POST
//! and keeps, per delivery, the lag from the event's `created_at` (its transaction's time, by
//! the database's clock, the same machine's) to its arrival. `GET /stats` prints the count, the
//! span from the first to the last arrival and the lag percentiles since the last
//! `POST /reset`. It verifies no signature: it measures the sender, not itself.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use axum::{
    Json, Router,
    body::Bytes,
    extract::State,
    routing::{get, post},
};
use chrono::{DateTime, Utc};
use clap::Parser;
use serde_json::{Value, json};

#[derive(Parser)]
struct Args {
    /// Where to listen, e.g. 127.0.0.1:9100.
    #[arg(long)]
    listen: SocketAddr,
}

#[derive(Default)]
struct Arrivals {
    /// (arrival, lag in ms) of each delivery.
    seen: Vec<(DateTime<Utc>, f64)>,
}

type Shared = Arc<Mutex<Arrivals>>;

async fn receive(State(arrivals): State<Shared>, body: Bytes) -> &'static str {
    let now = Utc::now();
    let created = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v["created_at"].as_str()?.parse::<DateTime<Utc>>().ok());
    let lag = created.map_or(f64::NAN, |at| {
        (now - at).num_microseconds().unwrap_or(0) as f64 / 1e3
    });
    arrivals.lock().unwrap().seen.push((now, lag));
    "ok"
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

async fn stats(State(arrivals): State<Shared>) -> Json<Value> {
    let arrivals = arrivals.lock().unwrap();
    let mut lags: Vec<f64> = arrivals
        .seen
        .iter()
        .map(|(_, l)| *l)
        .filter(|l| l.is_finite())
        .collect();
    lags.sort_by(f64::total_cmp);
    let first = arrivals.seen.iter().map(|(at, _)| *at).min();
    let last = arrivals.seen.iter().map(|(at, _)| *at).max();
    let span = match (first, last) {
        (Some(a), Some(b)) => (b - a).num_microseconds().unwrap_or(0) as f64 / 1e6,
        _ => 0.0,
    };
    Json(json!({
        "count": arrivals.seen.len(),
        "span_s": span,
        "lag_p50_ms": percentile(&lags, 0.5),
        "lag_p99_ms": percentile(&lags, 0.99),
        "lag_max_ms": lags.last().copied().unwrap_or(0.0),
    }))
}

async fn reset(State(arrivals): State<Shared>) -> &'static str {
    arrivals.lock().unwrap().seen.clear();
    "reset"
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let shared = Shared::default();
    let app = Router::new()
        .route("/stats", get(stats))
        .route("/reset", post(reset))
        .fallback(post(receive))
        .with_state(shared);
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
