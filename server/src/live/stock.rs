//! The public stock reads (`GET /api/coupons/{name}/stock` and its stream) served from memory.
//!
//! The first read of a coupon reads it from PostgreSQL once and keeps a receiver on the hub's
//! channel of that coupon, so the publisher keeps it fresh from then on (local claims mark it
//! dirty; other processes' NOTIFYs do too): every later read is a lock and a clone, no I/O. A
//! coupon nobody has read for [`IDLE`] is let go. A name that is no coupon is remembered as
//! missing for [`MISSING_TTL`], so a storm of reads of a mistyped name costs one database read a
//! second, and both maps are bounded, so a flood of made-up names cannot grow memory.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use app::{api_types::CouponStock, live::LiveCoupon};
use chrono::Utc;
use sqlx::PgPool;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::LiveHub;
use crate::db;

/// A watched coupon not read for this long is let go (the next read reads it again).
pub const IDLE: Duration = Duration::from_secs(60);
/// How long "no such coupon" is believed.
pub const MISSING_TTL: Duration = Duration::from_secs(1);
/// Most coupons watched for stock reads; reads of others go to the database each time.
const MAX_WATCHED: usize = 10_000;
/// Most names remembered as missing; when full, expired ones go, then all.
const MAX_MISSING: usize = 10_000;

/// What a stock read found.
pub type Found = Option<watch::Receiver<Arc<LiveCoupon>>>;

/// Cheap to clone: a handle on this process's stock reads.
#[derive(Clone)]
pub struct StockReads {
    hub: LiveHub,
    pool: PgPool,
    inner: Arc<Mutex<Reads>>,
}

#[derive(Default)]
struct Reads {
    watched: HashMap<String, Watched>,
    missing: HashMap<String, Instant>,
}

struct Watched {
    rx: watch::Receiver<Arc<LiveCoupon>>,
    last_read: Instant,
}

enum Cached {
    Watched(watch::Receiver<Arc<LiveCoupon>>),
    Missing,
    Unknown,
}

impl Reads {
    /// Remembers `name` as missing since `now`, within [`MAX_MISSING`] names.
    fn missing_at(&mut self, name: &str, now: Instant) {
        if self.missing.len() >= MAX_MISSING {
            self.missing
                .retain(|_, at| now.duration_since(*at) < MISSING_TTL);
            if self.missing.len() >= MAX_MISSING {
                self.missing.clear();
            }
        }
        self.missing.insert(name.to_owned(), now);
    }
}

fn lock(m: &Mutex<Reads>) -> MutexGuard<'_, Reads> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl StockReads {
    /// Stock reads on `hub`, with a sweeper that lets idle coupons go until `shutdown`.
    pub fn start(hub: LiveHub, pool: PgPool, shutdown: &CancellationToken) -> Self {
        let reads = Self {
            hub,
            pool,
            inner: Arc::default(),
        };
        let sweeper = reads.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(IDLE / 4);
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = every.tick() => sweeper.sweep(Instant::now()),
                }
            }
        });
        reads
    }

    /// The newest state of `name`: from memory when watched, else read once and watched from
    /// now on. `None` when no coupon has the name.
    pub async fn find(&self, name: &str) -> Result<Found, sqlx::Error> {
        match self.cached(name) {
            Cached::Watched(rx) => return Ok(Some(rx)),
            Cached::Missing => return Ok(None),
            Cached::Unknown => {}
        }
        let fresh = db::live::states(&self.pool, Some(&[name.to_owned()]), 1)
            .await?
            .pop();
        let mut reads = lock(&self.inner);
        let now = Instant::now();
        let Some(fresh) = fresh else {
            reads.missing_at(name, now);
            return Ok(None);
        };
        let rx = self.hub.subscribe(fresh);
        if reads.watched.len() < MAX_WATCHED {
            let last_read = now;
            reads.watched.insert(
                name.to_owned(),
                Watched {
                    rx: rx.clone(),
                    last_read,
                },
            );
        }
        Ok(Some(rx))
    }

    fn cached(&self, name: &str) -> Cached {
        let mut reads = lock(&self.inner);
        if let Some(watched) = reads.watched.get_mut(name) {
            watched.last_read = Instant::now();
            return Cached::Watched(watched.rx.clone());
        }
        match reads.missing.get(name) {
            Some(at) if at.elapsed() < MISSING_TTL => Cached::Missing,
            _ => Cached::Unknown,
        }
    }

    /// Lets go of coupons idle since `now - IDLE` and forgets expired missing names.
    pub fn sweep(&self, now: Instant) {
        let mut reads = lock(&self.inner);
        reads
            .watched
            .retain(|_, w| now.duration_since(w.last_read) < IDLE);
        reads
            .missing
            .retain(|_, at| now.duration_since(*at) < MISSING_TTL);
    }

    /// Coupons watched and names remembered as missing (for tests and metrics).
    pub fn sizes(&self) -> (usize, usize) {
        let reads = lock(&self.inner);
        (reads.watched.len(), reads.missing.len())
    }
}

/// The public view of a state, at the server's clock now.
pub fn public(state: &LiveCoupon) -> CouponStock {
    let now = Utc::now();
    CouponStock {
        name: state.name.clone(),
        amount: state.amount,
        remaining_amount: state.remaining_amount,
        claimed: state.claimed,
        status: state.status(now),
        version: state.version,
        starts_at: state.starts_at,
        ends_at: state.ends_at,
        now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_of_made_up_names_stays_bounded() {
        let mut reads = Reads::default();
        let start = Instant::now();
        for i in 0..3 * MAX_MISSING {
            reads.missing_at(&format!("nope-{i}"), start);
            assert!(reads.missing.len() <= MAX_MISSING);
        }
        // Expired names make room before anything else goes.
        let later = start + MISSING_TTL;
        reads.missing_at("fresh", later);
        assert_eq!(reads.missing.len(), 1);
    }
}
