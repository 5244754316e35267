//! The claim engine: the only writer of stock, behind one entry point, [`ClaimEngine::claim`].
//!
//! Correctness lives in PostgreSQL (row lock, unique constraint, CHECK); this module chooses how
//! claims reach it, so the strategy can change without touching handlers.

mod batched;
mod entries;
mod outcome;
mod per_request;
pub mod plan;
mod settle;

use std::sync::Arc;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

pub use outcome::{ClaimError, Refusal, Taken};

use crate::{config::EngineMode, live::LiveHub};

/// A claim's outcome as a metrics label.
fn outcome(result: &Result<Taken, ClaimError>) -> &'static str {
    match result {
        Ok(Taken::Claim(_)) => "granted",
        Ok(Taken::Entry(_)) => "entered",
        Err(ClaimError::AlreadyEntered) => "already_entered",
        Err(ClaimError::EntriesClosed) => "entries_closed",
        Err(ClaimError::NotFound) => "not_found",
        Err(ClaimError::AlreadyClaimed) => "already_claimed",
        Err(ClaimError::SoldOut) => "sold_out",
        Err(ClaimError::Refused(Refusal::Paused)) => "paused",
        Err(ClaimError::Refused(Refusal::NotStarted { .. })) => "not_started",
        Err(ClaimError::Refused(Refusal::Ended)) => "ended",
        Err(ClaimError::Unavailable) => "unavailable",
        Err(ClaimError::OutcomeUnknown) => "outcome_unknown",
        Err(ClaimError::Database(_)) => "error",
    }
}

/// How claims reach the database, with what that way needs.
#[derive(Clone)]
enum Strategy {
    /// One statement per claim (the draws it has seen remembered).
    PerRequest(Arc<per_request::KnownDraws>),
    /// Per-coupon queues settled in batches.
    Batched(Arc<batched::Batcher>),
}

/// Settles claims. Cheap to clone.
#[derive(Clone)]
pub struct ClaimEngine {
    pool: PgPool,
    strategy: Strategy,
    live: Option<LiveHub>,
    activity: crate::telemetry::activity::ClaimActivity,
}

impl ClaimEngine {
    /// An engine of the given strategy on `pool`; `max_batch` bounds a batch (batched mode).
    /// Cancelling `stop` lets batch workers finish what is queued and end.
    pub fn new(pool: PgPool, mode: EngineMode, max_batch: usize, stop: CancellationToken) -> Self {
        let strategy = match mode {
            EngineMode::PerRequest => Strategy::PerRequest(Arc::default()),
            EngineMode::Batched => {
                Strategy::Batched(batched::Batcher::new(pool.clone(), max_batch, stop))
            }
        };
        Self {
            pool,
            strategy,
            live: None,
            activity: Default::default(),
        }
    }

    /// Marks `activity` on every claim (the webhook dispatcher yields to a running sale).
    pub fn with_activity(mut self, activity: crate::telemetry::activity::ClaimActivity) -> Self {
        self.activity = activity;
        self
    }

    /// Tells `live` about every successful claim (see [`Self::tell_live`]).
    pub fn with_live(mut self, live: LiveHub) -> Self {
        self.live = Some(live);
        self
    }

    /// Coupons whose batch worker is alive in this process (batched mode).
    pub fn batch_workers(&self) -> usize {
        match &self.strategy {
            Strategy::PerRequest(_) => 0,
            Strategy::Batched(batcher) => batcher.workers(),
        }
    }

    /// The strategy in use.
    pub fn mode(&self) -> EngineMode {
        match self.strategy {
            Strategy::PerRequest(_) => EngineMode::PerRequest,
            Strategy::Batched(_) => EngineMode::Batched,
        }
    }

    /// Claims one unit of `coupon_name` for `user_id`, or, for a `draw` coupon, enters the
    /// user in its draw. A success is a committed row.
    pub async fn claim(&self, user_id: &str, coupon_name: &str) -> Result<Taken, ClaimError> {
        let started = std::time::Instant::now();
        self.activity.touch(started);
        let result = match &self.strategy {
            Strategy::PerRequest(draws) => {
                per_request::claim(&self.pool, draws, user_id, coupon_name).await
            }
            Strategy::Batched(batcher) => batcher.claim(user_id, coupon_name).await,
        };
        if result.is_ok() {
            self.tell_live(coupon_name);
        }
        let result = result.map_err(|e| match e {
            ClaimError::Database(db) => ClaimError::classify(db),
            other => other,
        });
        crate::telemetry::metrics::claim_answered(outcome(&result), started);
        result
    }

    /// Live dashboards: marks the coupon dirty in the hub, nothing more. No I/O and no NOTIFY
    /// here: the hub's publisher re-reads and announces at a bounded rate, so dashboards never
    /// slow a claim down.
    fn tell_live(&self, coupon_name: &str) {
        if let Some(live) = &self.live {
            live.changed(coupon_name);
        }
    }
}
