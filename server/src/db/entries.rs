//! The statements of a draw coupon's entries (docs/draw.md): taken many per call, and read for
//! the draw.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// What one entry call saw and did.
#[derive(Debug)]
pub struct EntryAttempt {
    /// A coupon has the name.
    pub known: bool,
    /// `first_come` (not a draw coupon), or why the window takes no entry (`paused`,
    /// `not_started`, `ended`), judged by the database's clock on the share-locked row; nothing
    /// was inserted then.
    pub refusal: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub draw_at: Option<DateTime<Utc>>,
    /// The users whose entry this call made, at `entered_at`; the others had one.
    pub entered: Vec<String>,
    pub entered_at: DateTime<Utc>,
}

/// Takes the entries of `user_ids` (arrival order, repeats allowed) for `coupon_name` in one
/// call of the database function `enter_batch` (migration `20261206000003_draw.sql`): one
/// round trip, its own transaction, committed synchronously like a claim batch, so an entry is
/// durable once this returns. On Citus the call runs whole on the coupon's worker.
#[tracing::instrument(skip(db, user_ids), fields(users = user_ids.len()))]
pub async fn enter_batch(
    db: &mut PgConnection,
    coupon_name: &str,
    user_ids: &[String],
) -> Result<EntryAttempt, sqlx::Error> {
    sqlx::query_as!(
        EntryAttempt,
        r#"SELECT known AS "known!", refusal, starts_at, draw_at, entered AS "entered!",
                  entered_at AS "entered_at!"
           FROM enter_batch($1, $2)"#,
        coupon_name,
        user_ids
    )
    .fetch_one(db)
    .await
}

/// Every entrant of `coupon_name`, in no particular order (the draw's ranking does not depend
/// on it).
pub async fn entrants(
    db: &mut PgConnection,
    coupon_name: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT user_id FROM entries WHERE coupon_name = $1",
        coupon_name
    )
    .fetch_all(db)
    .await
}
