//! The public stock reads (`GET /api/coupons/{name}/stock` and its stream) served from memory.
//!
//! The first read of a coupon reads it from PostgreSQL once and keeps a receiver on the hub's
//! channel of that coupon, so the publisher keeps it fresh from then on (local claims mark it
//! dirty; other processes' NOTIFYs do too): every later read is a lock and a clone, no I/O. A
//! coupon nobody has read for [`IDLE`] is let go. A name that is no coupon is remembered as
//! missing for [`MISSING_TTL`], so a storm of reads of a mistyped name costs one database read a
//! second, and both maps are bounded, so a flood of made-up names cannot grow memory.
//!
//! Claims first: a read costs the server ~20 µs of CPU, and tens of thousands of them a second
//! would take the cores a sale needs. While this process takes claims, reads wait their turn at
//! `STOCK_READS_PER_SEC_DURING_CLAIMS` (paced, not refused; a read that would wait over
//! [`MAX_WAIT`] answers `503`). A CDN or the shop's cache (`Cache-Control: max-age=1`) takes the
//! rest of a storm.

use std::{
    collections::HashMap,
    num::NonZeroU32,
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use app::contract::{api_types::CouponStock, live_types::LiveCoupon};
use chrono::Utc;
use sqlx::PgPool;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use super::LiveHub;
use crate::{db, telemetry::activity::ClaimActivity, telemetry::metrics};

/// A watched coupon not read for this long is let go (the next read reads it again).
pub const IDLE: Duration = Duration::from_secs(60);
/// How long "no such coupon" is believed.
pub const MISSING_TTL: Duration = Duration::from_secs(1);
/// Most coupons watched for stock reads; reads of others go to the database each time.
const MAX_WATCHED: usize = 10_000;
/// Most names remembered as missing; when full, expired ones go, then all.
const MAX_MISSING: usize = 10_000;
/// The longest a read waits for its turn while claims run.
pub const MAX_WAIT: Duration = Duration::from_secs(1);
/// "Claims run": a claim arrived within this.
const CLAIMS_WINDOW: Duration = Duration::from_millis(250);

/// What a stock read found.
pub type Found = Option<watch::Receiver<Arc<LiveCoupon>>>;

/// Cheap to clone: a handle on this process's stock reads.
#[derive(Clone)]
pub struct StockReads {
    hub: LiveHub,
    pool: PgPool,
    inner: Arc<Mutex<Reads>>,
    pace: Option<Arc<Pace>>,
}

/// The reads' pace while claims run.
struct Pace {
    claims: ClaimActivity,
    limiter: DefaultDirectRateLimiter,
    /// Waiting reads queue here (tokio's mutex is first come, first served), so one at a time
    /// waits on the limiter: 64 readers all sleeping on it would wake together, and all but one
    /// sleep again, every turn.
    queue: tokio::sync::Mutex<()>,
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
    /// Stock reads on `hub`, paced to `per_sec_during_claims` (0: never) while `claims` run,
    /// with a sweeper that lets idle coupons go until `shutdown`.
    pub fn start(
        hub: LiveHub,
        pool: PgPool,
        claims: ClaimActivity,
        per_sec_during_claims: u32,
        shutdown: &CancellationToken,
    ) -> Self {
        let pace = NonZeroU32::new(per_sec_during_claims).map(|rate| {
            let burst = NonZeroU32::new(rate.get().div_ceil(10)).unwrap_or(NonZeroU32::MIN);
            let limiter = RateLimiter::direct(Quota::per_second(rate).allow_burst(burst));
            let queue = tokio::sync::Mutex::new(());
            Arc::new(Pace {
                claims,
                limiter,
                queue,
            })
        });
        let reads = Self {
            hub,
            pool,
            inner: Arc::default(),
            pace,
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

    /// Waits for this read's turn while claims run; false when it would wait over [`MAX_WAIT`].
    pub async fn turn(&self) -> bool {
        match &self.pace {
            Some(pace) if pace.claims.within(CLAIMS_WINDOW) => {
                // Nobody waiting and a turn free: go (the common case, no wait counted).
                if pace.queue.try_lock().is_ok() && pace.limiter.check().is_ok() {
                    return true;
                }
                let turn = async {
                    let _first = pace.queue.lock().await;
                    // governor's own `until_ready` sleeps on futures-timer's thread; the
                    // runtime's timer wakes this task without a second thread.
                    while let Err(not_until) = pace.limiter.check() {
                        let now = governor::clock::Clock::now(pace.limiter.clock());
                        tokio::time::sleep(not_until.wait_time_from(now)).await;
                    }
                };
                let served = tokio::time::timeout(MAX_WAIT, turn).await.is_ok();
                metrics::stock_read_paced(if served { "served" } else { "refused" });
                served
            }
            _ => true,
        }
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
            let (rx, last_read) = (rx.clone(), now);
            reads
                .watched
                .insert(name.to_owned(), Watched { rx, last_read });
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
        draw: state.draw.as_ref().map(|d| d.at(now, state.ends_at)),
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
