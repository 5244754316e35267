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

use std::{cell::Cell, future::Future};

use tracing::{
    Event, Level, Subscriber,
    field::{Field, Visit},
};
use tracing_subscriber::{
    Layer,
    filter::{Filtered, Targets},
    layer::Context,
};

/// Where sqlx logs the notices PostgreSQL sends.
const NOTICE_TARGET: &str = "sqlx::postgres::notice";
/// In both of PostgreSQL 15's warnings about an abandoned wait (syncrep.c).
const ABANDONED_WAIT: &str = "wait for synchronous replication";

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
        if *event.metadata().level() != Level::WARN {
            return;
        }
        let mut found = AbandonedWait(false);
        event.record(&mut found);
        if found.0 {
            // Outside a watch (a statement nobody promised anything about): nothing to mark.
            let _ = UNCONFIRMED.try_with(|flag| flag.set(true));
        }
    }
}

/// Looks for [`ABANDONED_WAIT`] in the event's message.
struct AbandonedWait(bool);

impl Visit for AbandonedWait {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" && value.contains(ABANDONED_WAIT) {
            self.0 = true;
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" && format!("{value:?}").contains(ABANDONED_WAIT) {
            self.0 = true;
        }
    }
}
