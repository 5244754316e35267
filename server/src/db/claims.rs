//! Claim rows: the statements of the claim engine.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

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

/// What a release call did ([`release`]).
#[derive(Debug)]
pub struct ReleaseCall {
    /// The coupon exists.
    pub known: bool,
    /// The released claim's id; `None` when nothing was released.
    pub claim_id: Option<i64>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub released_at: Option<DateTime<Utc>>,
    /// The stock after the release.
    pub remaining: Option<i32>,
    /// When nothing was released: the claim's redemption, if it is spent (a spent claim gives
    /// no unit back).
    pub redeemed_at: Option<DateTime<Utc>>,
    /// An event that wakes the webhook dispatchers was written.
    pub wake: bool,
}

/// Releases `user_id`'s claim of `coupon_name` in one call of `release_claim` (migration
/// `20261206000006_admin_calls.sql`): under the coupon's row lock (taken first, as a claim takes
/// it), the row goes, the unit goes back to the stock, and the `claim.released` event and the
/// audit entry of `actor` (action `action`) are written, in one round trip and one transaction.
#[tracing::instrument(skip(db))]
pub async fn release(
    db: impl PgExecutor<'_>,
    user_id: &str,
    coupon_name: &str,
    actor: &str,
    action: &str,
) -> Result<ReleaseCall, sqlx::Error> {
    sqlx::query_as!(
        ReleaseCall,
        r#"SELECT known AS "known!", claim_id, claimed_at, released_at, remaining, redeemed_at,
                  wake AS "wake!"
           FROM release_claim($1, $2, $3, $4)"#,
        coupon_name,
        user_id,
        actor,
        action
    )
    .fetch_one(db)
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

/// What a redemption call did ([`redeem`]).
#[derive(Debug)]
pub struct RedeemCall {
    /// `None` when the user holds no claim of the coupon.
    pub claimed_at: Option<DateTime<Utc>>,
    /// The redemption's time: this call's, or the first one's when `redeemed` is false.
    pub redeemed_at: Option<DateTime<Utc>>,
    /// This call redeemed the claim.
    pub redeemed: bool,
    /// An event that wakes the webhook dispatchers was written.
    pub wake: bool,
}

/// Redeems `user_id`'s claim of `coupon_name` now, if it is not yet, in one call of
/// `redeem_claim` (migration `20261206000006_admin_calls.sql`), with its `claim.redeemed` event
/// and the audit entry of `actor`. Concurrent redemptions of one claim queue on its row lock,
/// and the re-checked `redeemed_at IS NULL` lets one through.
#[tracing::instrument(skip(db))]
pub async fn redeem(
    db: impl PgExecutor<'_>,
    user_id: &str,
    coupon_name: &str,
    actor: &str,
    action: &str,
) -> Result<RedeemCall, sqlx::Error> {
    sqlx::query_as!(
        RedeemCall,
        r#"SELECT claimed_at, redeemed_at, redeemed AS "redeemed!", wake AS "wake!"
           FROM redeem_claim($1, $2, $3, $4)"#,
        coupon_name,
        user_id,
        actor,
        action
    )
    .fetch_one(db)
    .await
}
