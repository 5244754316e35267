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

/// Where one user's entry of a draw coupon stands, as read in one statement.
#[derive(Debug)]
pub struct EntryRow {
    /// The coupon is a draw coupon.
    pub draw: bool,
    pub drawn: bool,
    /// The user entered.
    pub entered: bool,
    /// The entry's rank, once drawn.
    pub rank: Option<i64>,
    /// The draw made the entry a winner, or a unit came to it from the waitlist since.
    pub given: bool,
    /// The user holds a claim of the coupon now (redeemed or not).
    pub holds: bool,
    /// Waitlisted entries ranked up to this one that have no unit yet (its place in the line).
    pub waitlist_position: Option<i64>,
}

/// The entry of `user_id` in `coupon_name`'s draw; `None` when no coupon has the name.
pub async fn status(
    db: impl sqlx::PgExecutor<'_>,
    coupon_name: &str,
    user_id: &str,
) -> Result<Option<EntryRow>, sqlx::Error> {
    sqlx::query_as!(
        EntryRow,
        r#"SELECT c.allocation = 'draw' AS "draw!", c.drawn_at IS NOT NULL AS "drawn!",
                  EXISTS (SELECT 1 FROM entries e WHERE e.coupon_name = $1
                          AND e.user_id = $2) AS "entered!",
                  t.rank AS "rank?",
                  coalesce(t.won OR t.promoted_at IS NOT NULL, false) AS "given!",
                  EXISTS (SELECT 1 FROM claims k WHERE k.coupon_name = $1
                          AND (k.user_id COLLATE "C") = $2) AS "holds!",
                  CASE WHEN NOT t.won AND t.promoted_at IS NULL THEN
                      (SELECT count(*) FROM draw_tickets w WHERE w.coupon_name = $1
                       AND NOT w.won AND w.promoted_at IS NULL AND w.rank <= t.rank)
                  END AS waitlist_position
           FROM coupons c
           LEFT JOIN draw_tickets t ON t.coupon_name = $1 AND t.user_id = $2
           WHERE c.name = $1"#,
        coupon_name,
        user_id
    )
    .fetch_optional(db)
    .await
}
