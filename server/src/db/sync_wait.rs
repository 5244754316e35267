//! Commits that PostgreSQL reports as done although no synchronous standby confirmed them.
//!
//! With synchronous replication, a commit waits for the standby after it is written locally.
//! When that wait is cancelled (`pg_cancel_backend`, or a query cancel of any origin),
//! PostgreSQL keeps the local commit and reports success with only a WARNING: "canceling wait
//! for synchronous replication due to user request ... The transaction has already committed
//! locally, but might not have been replicated to the standby." A failover then loses it. (A
//! terminated backend breaks the connection instead, which the engines already answer as
//! `claim_outcome_unknown`; PostgreSQL 15 disarms `statement_timeout` before the commit, so a
//! wait that nobody ends runs into the request timeout, `503 timeout`.)
//!
//! sqlx hands notices to nobody but its log (target `sqlx::postgres::notice`), so [`NoticeWatch`],
//! a `tracing` layer that [`crate::telemetry::init`] installs, listens there, and [`watch`] tells
//! the code that awaited the statement whether such a warning arrived while it ran: the notice
//! is read while that future is polled, inside its task-local scope.
//!
//! The warning is known by its severity, never by its text: the text follows the server's
//! `lc_messages` (in German: "storniere Warten auf synchrone Replikation wegen
//! Benutzeraufforderung"), and sqlx logs nothing else of a notice (no SQLSTATE, which is the
//! generic `01000` here anyway). The severity comes from the protocol's `V` field, which
//! PostgreSQL never translates, and sqlx logs a `WARNING` at level `WARN`. The statements
//! watched (a claim, a batch, an admin write's commit) raise no other warning, and a false alarm
//! would only answer "outcome unknown" for a change that a retry or a read shows: never a lost
//! one. Admin writes commit through [`commit`], or are one [`call`].

use std::{cell::Cell, future::Future};

use sqlx::{Postgres, Transaction};

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::{
    Layer,
    filter::{Filtered, Targets},
    layer::Context,
};

/// Where sqlx logs the notices PostgreSQL sends.
const NOTICE_TARGET: &str = "sqlx::postgres::notice";

tokio::task_local! {
    static UNCONFIRMED: Cell<bool>;
}

/// Runs `work` and says whether PostgreSQL warned, meanwhile, that a commit of it was not
/// confirmed by a synchronous standby (then its success must not be promised).
pub async fn watch<F: Future>(work: F) -> (F::Output, bool) {
    UNCONFIRMED
        .scope(Cell::new(false), async move {
            let output = work.await;
            (output, UNCONFIRMED.with(Cell::get))
        })
        .await
}

/// Why an admin write's commit cannot be promised.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// PostgreSQL kept the commit locally; no synchronous standby confirmed it, so a failover
    /// may take it back.
    #[error("committed locally, not confirmed by a synchronous standby")]
    Unconfirmed,
}

/// Commits `tx`, an admin write; one that PostgreSQL kept only locally is
/// [`CommitError::Unconfirmed`] (logged here, once), never a plain success.
pub async fn commit(tx: Transaction<'_, Postgres>) -> Result<(), CommitError> {
    call(tx.commit()).await
}

/// Runs `call`, an admin write whose commit it awaits (one statement in its own transaction, or
/// a transaction's COMMIT); one that PostgreSQL kept only locally is
/// [`CommitError::Unconfirmed`] (logged here, once), never a plain success.
pub async fn call<T>(call: impl Future<Output = Result<T, sqlx::Error>>) -> Result<T, CommitError> {
    let (done, unconfirmed) = watch(call).await;
    let done = done?;
    if unconfirmed {
        tracing::warn!(
            "an admin write's commit was not confirmed by a synchronous standby (wait cancelled): \
             answered outcome_unknown"
        );
        return Err(CommitError::Unconfirmed);
    }
    Ok(done)
}

/// The `tracing` layer that marks the running [`watch`] when the warning arrives. Its own filter
/// keeps the notices enabled whatever `RUST_LOG` says.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoticeWatch;

impl NoticeWatch {
    /// The layer with the filter it needs.
    pub fn layer<S>() -> Filtered<Self, Targets, S>
    where
        S: Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    {
        Self.with_filter(Targets::new().with_target(NOTICE_TARGET, Level::WARN))
    }
}

impl<S: Subscriber> Layer<S> for NoticeWatch {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        // Only PostgreSQL's WARNINGs reach here (the filter); outside a watch (a statement
        // nobody promised anything about) there is nothing to mark.
        if *event.metadata().level() == Level::WARN {
            let _ = UNCONFIRMED.try_with(|flag| flag.set(true));
        }
    }
}
