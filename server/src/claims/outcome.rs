//! What a claim can come to: what it took ([`Taken`]), or why not ([`ClaimError`],
//! [`Refusal`]); and the two steps both engine modes take around the database: taking a
//! connection, and logging grants that a failover may take back.

use app::contract::{api_types::ClaimReceipt, draw::EntryReceipt};
use chrono::{DateTime, Utc};
use sqlx::{PgPool, Postgres, pool::PoolConnection};

/// What a claim took: a unit of a `first_come` coupon, or an entry of a `draw` coupon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taken {
    Claim(ClaimReceipt),
    Entry(EntryReceipt),
}

impl Taken {
    /// The claim's receipt; `None` for an entry.
    pub fn claim(self) -> Option<ClaimReceipt> {
        match self {
            Self::Claim(receipt) => Some(receipt),
            Self::Entry(_) => None,
        }
    }
}

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
    /// A draw coupon: the user has an entry already.
    #[error("this user has entered this draw already")]
    AlreadyEntered,
    /// A draw coupon whose entry window has closed.
    #[error("the entries of this draw have closed")]
    EntriesClosed,
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
pub(super) async fn connection(pool: &PgPool) -> Result<PoolConnection<Postgres>, ClaimError> {
    pool.acquire().await.map_err(|error| {
        tracing::warn!(%error, "no database connection for a claim: answered 503");
        ClaimError::Unavailable
    })
}

/// Grants whose commit PostgreSQL kept locally although no synchronous standby confirmed it
/// ([`crate::db::sync_wait`]): a failover may take them back, so they are answered
/// `OutcomeUnknown`. Logged here, once per statement.
pub(super) fn log_unconfirmed(coupon: &str, grants: usize) {
    tracing::warn!(
        coupon,
        grants,
        "commit not confirmed by a synchronous standby (wait cancelled): claim_outcome_unknown"
    );
}

/// The same refusal for every user of a batch.
pub(super) fn every<T>(
    users: &[String],
    error: impl Fn() -> ClaimError,
) -> Vec<Result<T, ClaimError>> {
    users.iter().map(|_| Err(error())).collect()
}
