//! Claim rows: the statements of the claim engine.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

/// What one claim call did: `claimed_at` and `remaining_after` are set when the claim row was
/// inserted; otherwise the rest says why not, read after it in a fresh snapshot.
#[derive(Debug)]
pub struct ClaimAttempt {
    pub claimed_at: Option<DateTime<Utc>>,
    /// Stock after this claim.
    pub remaining_after: Option<i32>,
    /// False when no coupon has the name.
    pub known: bool,
    pub remaining: Option<i32>,
    /// `paused`, `not_started` or `ended`, by the database's clock.
    pub refusal: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    /// The user holds a claim of the coupon.
    pub holds: Option<bool>,
    /// An event that wakes the webhook dispatchers was written (`coupon.sold_out`).
    pub wake: bool,
}

/// Name of the unique index that makes a second claim by one user impossible.
pub const USER_COUPON_KEY: &str = "claims_coupon_user_key";

/// Claims one unit in one call of the database function `claim_one` (one round trip, one
/// implicit transaction; on Citus it runs whole on the coupon's worker), or does nothing and
/// says why.
///
/// The stock is taken first, by an `UPDATE` whose conditions (stock left, not paused, inside the
/// window by the database's `now()`, the user holds no claim) PostgreSQL re-checks on the newest
/// row version once it holds the row lock, so every claim of a coupon queues on that one lock and
/// never acts on a stale stock. (A `SELECT ... FOR UPDATE` in a CTE feeding the insert was seen
/// to act on a stale stock once stock could go back up, by restock or release: see
/// `tests/api/sale_races.rs`.) The claim row is inserted only if the stock was taken. The "holds no
/// claim" condition reads the statement's snapshot: a claim by the same user committed while
/// this one waited for the lock makes the insert fail on [`USER_COUPON_KEY`] instead, and the
/// whole call rolls back. The `remaining_within_stock` CHECK is the last guard against an
/// oversell.
#[tracing::instrument(skip(db))]
pub async fn claim_one(
    db: impl PgExecutor<'_>,
    user_id: &str,
    coupon_name: &str,
) -> Result<ClaimAttempt, sqlx::Error> {
    sqlx::query_as!(
        ClaimAttempt,
        r#"SELECT claimed_at, remaining_after, known AS "known!", remaining, refusal, starts_at,
                  holds, wake AS "wake!"
           FROM claim_one($1, $2)"#,
        coupon_name,
        user_id
    )
    .fetch_one(db)
    .await
}

/// The claim a release gave back.
#[derive(Debug)]
pub struct Released {
    pub claim_id: i64,
    pub claimed_at: DateTime<Utc>,
    pub released_at: DateTime<Utc>,
    /// Stock after the release.
    pub remaining_amount: i32,
}

/// Releases `user_id`'s claim of `coupon_name`: deletes the row and gives the unit back.
/// `None` when there is no such claim, or it is redeemed ([`held`] tells which). The caller holds the coupon's row lock (taken by
/// `db::coupons::lock` in an earlier statement of `tx`), in the same order as a claim takes its
/// locks, so the two never deadlock; this statement's snapshot is taken after that lock, so it
/// sees every claim committed before. Bumps the version, so a batch that read the claim before
/// this sees the change.
#[tracing::instrument(skip(tx))]
pub async fn release(
    tx: &mut PgConnection,
    user_id: &str,
    coupon_name: &str,
) -> Result<Option<Released>, sqlx::Error> {
    sqlx::query_as!(
        Released,
        r#"
        WITH released AS (
            DELETE FROM claims
            WHERE coupon_name = $1 AND (user_id COLLATE "C") = $2 AND redeemed_at IS NULL
            RETURNING id, claimed_at
        ), stock AS (
            UPDATE coupons SET remaining_amount = remaining_amount + 1, version = version + 1
            WHERE name = $1 AND EXISTS (SELECT 1 FROM released)
            RETURNING remaining_amount
        )
        SELECT r.id AS claim_id, r.claimed_at, now() AS "released_at!",
               s.remaining_amount
        FROM released r, stock s
        "#,
        coupon_name,
        user_id
    )
    .fetch_optional(tx)
    .await
}

/// One user's claim of one coupon.
#[derive(Debug)]
pub struct Held {
    pub claimed_at: DateTime<Utc>,
    pub redeemed_at: Option<DateTime<Utc>>,
}

/// `user_id`'s claim of `coupon_name`, if any: one probe of claims_coupon_user_key.
#[tracing::instrument(skip(db))]
pub async fn held(
    db: impl PgExecutor<'_>,
    user_id: &str,
    coupon_name: &str,
) -> Result<Option<Held>, sqlx::Error> {
    sqlx::query_as!(
        Held,
        r#"SELECT claimed_at, redeemed_at FROM claims
           WHERE coupon_name = $1 AND (user_id COLLATE "C") = $2"#,
        coupon_name,
        user_id
    )
    .fetch_optional(db)
    .await
}

/// Marks `user_id`'s claim of `coupon_name` redeemed now, if it is not yet. `None` when there is
/// no such claim or it was redeemed already ([`held`] tells which). Concurrent redemptions of
/// one claim queue on its row lock, and the re-checked `redeemed_at IS NULL` lets one through.
#[tracing::instrument(skip(db))]
pub async fn redeem(
    db: impl PgExecutor<'_>,
    user_id: &str,
    coupon_name: &str,
) -> Result<Option<Held>, sqlx::Error> {
    sqlx::query_as!(
        Held,
        r#"UPDATE claims SET redeemed_at = now()
           WHERE coupon_name = $1 AND (user_id COLLATE "C") = $2 AND redeemed_at IS NULL
           RETURNING claimed_at, redeemed_at"#,
        coupon_name,
        user_id
    )
    .fetch_optional(db)
    .await
}
