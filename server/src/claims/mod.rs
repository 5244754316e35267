//! The claim engine: the only writer of stock, behind one entry point, [`ClaimEngine::claim`].
//!
//! Correctness lives in PostgreSQL (row lock, unique constraint, CHECK); this module chooses how
//! claims reach it, so the strategy can change without touching handlers.

mod batched;
mod per_request;
pub mod plan;
mod settle;

use std::sync::Arc;

use app::api_types::ClaimReceipt;
use chrono::{DateTime, Utc};
use sqlx::{PgPool, Postgres, pool::PoolConnection};
use tokio_util::sync::CancellationToken;

use crate::{config::EngineMode, live::LiveHub};

/// Why a claim did not succeed. The order of checks is: not found, paused, not started, ended,
/// already claimed, sold out.
#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    #[error("no coupon has this name")]
    NotFound,
    /// The sale refuses claims now: paused, or outside its window.
    #[error(transparent)]
    Refused(Refusal),
    #[error("this user already holds this coupon")]
    AlreadyClaimed,
    #[error("this coupon has no stock left")]
    SoldOut,
    /// The database could not be reached in time, or refused for a passing reason; nothing was
    /// claimed.
    #[error("the database is overloaded")]
    Unavailable,
    /// The database failed after the claim may have committed (e.g. it crashed between COMMIT and
    /// the flush to disk): whether the user holds the coupon is unknown here. A retry tells.
    #[error("the claim may or may not have been recorded")]
    OutcomeUnknown,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Why a sale refuses every claim right now, judged in the claim statement on the locked coupon
/// row by the database's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the sale is paused")]
    Paused,
    #[error("the sale has not started")]
    NotStarted { starts_at: DateTime<Utc> },
    #[error("the sale has ended")]
    Ended,
}

impl Refusal {
    /// The refusal the claim statements return (`paused`, `not_started`, `ended`), if any.
    pub(crate) fn from_db(code: Option<&str>, starts_at: Option<DateTime<Utc>>) -> Option<Self> {
        match (code?, starts_at) {
            ("not_started", Some(starts_at)) => Some(Self::NotStarted { starts_at }),
            ("ended", _) => Some(Self::Ended),
            // "paused", and anything unexpected: refusing is the safe side.
            _ => Some(Self::Paused),
        }
    }
}

impl ClaimError {
    /// What a failed claim statement means for the client, logged here once: a connection lost
    /// mid-way is `OutcomeUnknown`, a busy database (no connection in time, or a passing refusal:
    /// [`crate::db::is_transient`]) is `Unavailable` with nothing claimed, anything else stays a
    /// database error (an opaque 500).
    pub fn classify(error: sqlx::Error) -> Self {
        if crate::db::may_have_committed(&error) {
            tracing::warn!(%error, "database connection lost during a claim: outcome unknown (503)");
            Self::OutcomeUnknown
        } else if crate::db::is_transient(&error) {
            tracing::warn!(%error, "database busy during a claim: answered 503");
            Self::Unavailable
        } else {
            Self::Database(error)
        }
    }
}

/// A pooled connection for claims, or `Unavailable`: a claim that never reached the database
/// committed nothing, whatever the error (none in time, or a connection that could not be made:
/// during a failover the load balancer accepts and drops it).
async fn connection(pool: &PgPool) -> Result<PoolConnection<Postgres>, ClaimError> {
    pool.acquire().await.map_err(|error| {
        tracing::warn!(%error, "no database connection for a claim: answered 503");
        ClaimError::Unavailable
    })
}

/// Grants whose commit PostgreSQL kept locally although no synchronous standby confirmed it
/// ([`crate::db::sync_wait`]): a failover may take them back, so they are answered
/// `OutcomeUnknown`. Logged here, once per statement.
fn log_unconfirmed(coupon: &str, grants: usize) {
    tracing::warn!(
        coupon,
        grants,
        "commit not confirmed by a synchronous standby (wait cancelled): claim_outcome_unknown"
    );
}

/// A claim's outcome as a metrics label.
fn outcome(result: &Result<ClaimReceipt, ClaimError>) -> &'static str {
    match result {
        Ok(_) => "granted",
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
    /// One statement per claim.
    PerRequest,
    /// Per-coupon queues settled in batches.
    Batched(Arc<batched::Batcher>),
}

/// Settles claims. Cheap to clone.
#[derive(Clone)]
pub struct ClaimEngine {
    pool: PgPool,
    strategy: Strategy,
    live: Option<LiveHub>,
    activity: crate::activity::ClaimActivity,
}

impl ClaimEngine {
    /// An engine of the given strategy on `pool`; `max_batch` bounds a batch (batched mode).
    /// Cancelling `stop` lets batch workers finish what is queued and end.
    pub fn new(pool: PgPool, mode: EngineMode, max_batch: usize, stop: CancellationToken) -> Self {
        let strategy = match mode {
            EngineMode::PerRequest => Strategy::PerRequest,
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
    pub fn with_activity(mut self, activity: crate::activity::ClaimActivity) -> Self {
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
            Strategy::PerRequest => 0,
            Strategy::Batched(batcher) => batcher.workers(),
        }
    }

    /// The strategy in use.
    pub fn mode(&self) -> EngineMode {
        match self.strategy {
            Strategy::PerRequest => EngineMode::PerRequest,
            Strategy::Batched(_) => EngineMode::Batched,
        }
    }

    /// Claims one unit of `coupon_name` for `user_id`. A success is a committed row.
    pub async fn claim(
        &self,
        user_id: &str,
        coupon_name: &str,
    ) -> Result<ClaimReceipt, ClaimError> {
        let started = std::time::Instant::now();
        self.activity.touch(started);
        let result = match &self.strategy {
            Strategy::PerRequest => per_request::claim(&self.pool, user_id, coupon_name).await,
            Strategy::Batched(batcher) => batcher.claim(user_id, coupon_name).await,
        };
        if result.is_ok() {
            self.tell_live(coupon_name);
        }
        let result = result.map_err(|e| match e {
            ClaimError::Database(db) => ClaimError::classify(db),
            other => other,
        });
        crate::metrics::claim_answered(outcome(&result), started);
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
