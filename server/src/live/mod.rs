//! Live stock: states read from PostgreSQL, fanned out to SSE subscribers, shared across
//! processes through LISTEN/NOTIFY.
//!
//! claim or sale change -> [`LiveHub::changed`] (mark dirty) -> publisher (bounded-rate re-read + one NOTIFY per
//! round) -> watch channels -> SSE streams; other processes: NOTIFY -> listener -> mark dirty.

pub mod hub;
mod listener;
mod publisher;
pub mod sse;
pub mod stock;

use std::time::Duration;

pub use hub::LiveHub;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

/// Most coupons a live board carries, newest first: the `/live` page and `GET /api/events`.
pub const BOARD_LIMIT: i64 = 500;

/// Settings of the live updates.
#[derive(Debug, Clone, Copy)]
pub struct LiveSettings {
    /// The publisher's round: the bound on database re-reads and NOTIFYs per process.
    pub refresh: Duration,
    /// The most often a subscriber gets an update.
    pub coalesce: Duration,
    /// Interval of the keep-alive comment.
    pub keep_alive: Duration,
    /// Most streams open at once in this process; more get `503`.
    pub max_subscribers: usize,
}

impl Default for LiveSettings {
    fn default() -> Self {
        Self {
            refresh: Duration::from_millis(50),
            coalesce: Duration::from_millis(100),
            keep_alive: Duration::from_secs(15),
            max_subscribers: 10_000,
        }
    }
}

/// Starts the publisher and the listener of this process; both stop on `shutdown`.
pub fn start(pool: &PgPool, settings: LiveSettings, shutdown: &CancellationToken) -> LiveHub {
    let hub = LiveHub::new(settings);
    let instance = uuid::Uuid::new_v4().to_string();
    tokio::spawn(publisher::run(
        hub.clone(),
        pool.clone(),
        instance.clone(),
        settings.refresh,
        shutdown.clone(),
    ));
    tokio::spawn(listener::run(
        hub.clone(),
        pool.clone(),
        instance,
        shutdown.clone(),
    ));
    hub
}
