//! Live stock: states read from PostgreSQL, fanned out to SSE subscribers, shared across
//! processes through LISTEN/NOTIFY.
//!
//! claim or sale change -> [`LiveHub::changed`] (mark dirty) -> publisher (bounded-rate re-read + one NOTIFY per
//! round) -> watch channels -> SSE streams; other processes: NOTIFY -> listener -> mark dirty.

pub mod hub;
mod listener;
mod publisher;
mod settings;
pub mod sse;
pub mod stock;

pub use hub::LiveHub;
pub use settings::LiveSettings;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

/// Most coupons a live board carries, newest first: the `/live` page and `GET /api/events`.
pub const BOARD_LIMIT: i64 = 500;

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
