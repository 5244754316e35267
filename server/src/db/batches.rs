//! The statements of the batched claim engine: many claims of one coupon per transaction.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// What one batch statement saw and did.
#[derive(Debug)]
pub struct BatchAttempt {
    /// Stock when the row lock was taken, `None` when no coupon has the name.
    pub remaining: Option<i32>,
    /// Why the sale refuses claims (`paused`, `not_started`, `ended`), judged on the locked row
    /// by the database's clock; nothing was inserted then.
    pub refusal: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    /// False when the coupon changed between the statement's snapshot and its lock (a claim,
    /// a release, a restock): then `held` may be stale, nothing was inserted, and the caller must
    /// use the slow path.
    pub consistent: bool,
    /// Users of the batch who already held the coupon.
    pub held: Vec<String>,
    /// Granted users, in arrival order, with their claim times.
    pub granted: Vec<String>,
    pub granted_at: Vec<DateTime<Utc>>,
}

/// Settles a batch in one statement, one round trip: lock the coupon row, find the users who
/// already hold it, grant the first `remaining` other distinct users in arrival order, insert
/// their claims and decrement the stock. The statement is its own transaction, and its COMMIT is
/// synchronous (every pooled session runs with `synchronous_commit = on`, see
/// [`super::DatabaseSettings`]): it returns only once the batch is flushed to disk, and so is
/// every commit it read (PostgreSQL makes a synchronous commit visible only after its flush).
///
/// The statement reads claims through its snapshot, taken before it waited for the row lock. If
/// the locked row's `version` differs from the snapshot's, the coupon changed in between (every
/// claim, release and patch bumps it) and the holders may be stale: then it inserts nothing and
/// says `consistent = false`. The stock cannot serve for this check: restock and release bring it
/// back to earlier values (A-B-A), the version never.
#[tracing::instrument(skip(db, user_ids), fields(users = user_ids.len()))]
pub async fn settle_batch(
    db: &mut PgConnection,
    coupon_name: &str,
    user_ids: &[String],
) -> Result<BatchAttempt, sqlx::Error> {
    sqlx::query_as!(
        BatchAttempt,
        r#"
        WITH locked AS (
            SELECT remaining_amount, version, starts_at,
                   sale_refusal(paused, starts_at, ends_at) AS refusal
            FROM coupons WHERE name = $1 FOR UPDATE
        ), snapshot AS (
            SELECT version FROM coupons WHERE name = $1
        ), stock AS (
            SELECT l.remaining_amount FROM locked l JOIN snapshot s USING (version)
            WHERE l.refusal IS NULL
        ), input AS (
            SELECT u.user_id, u.ord FROM unnest($2::text[]) WITH ORDINALITY AS u(user_id, ord)
        ), held AS (
            SELECT DISTINCT i.user_id FROM input i
            CROSS JOIN LATERAL (
                SELECT 1 FROM claims c
                WHERE c.coupon_name = $1 AND (c.user_id COLLATE "C") = i.user_id LIMIT 1
            ) AS holds
        ), firsts AS (
            SELECT DISTINCT ON (user_id) user_id, ord FROM input
            WHERE user_id NOT IN (SELECT user_id FROM held)
            ORDER BY user_id, ord
        ), chosen AS (
            SELECT user_id, ord FROM firsts ORDER BY ord
            LIMIT coalesce((SELECT remaining_amount FROM stock), 0)
        ), inserted AS (
            INSERT INTO claims (user_id, coupon_name)
            SELECT user_id, $1 FROM chosen ORDER BY ord
            RETURNING id, user_id, claimed_at
        ), decremented AS (
            UPDATE coupons SET remaining_amount = remaining_amount - (SELECT count(*) FROM inserted),
                               version = version + 1
            WHERE name = $1 AND EXISTS (SELECT 1 FROM inserted)
        )
        SELECT (SELECT remaining_amount FROM locked) AS remaining,
               (SELECT refusal FROM locked) AS refusal,
               (SELECT starts_at FROM locked) AS starts_at,
               EXISTS (SELECT 1 FROM locked l JOIN snapshot s USING (version)) AS "consistent!",
               ARRAY(SELECT user_id FROM held) AS "held!",
               ARRAY(SELECT user_id FROM inserted ORDER BY id) AS "granted!",
               ARRAY(SELECT claimed_at FROM inserted ORDER BY id) AS "granted_at!"
        "#,
        coupon_name,
        user_ids
    )
    .fetch_one(db)
    .await
}

/// The locked coupon of the slow path: its stock and whether the sale refuses claims now.
#[derive(Debug)]
pub struct LockedCoupon {
    pub remaining_amount: i32,
    /// `paused`, `not_started` or `ended`, judged by the database's clock.
    pub refusal: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
}

/// Takes the coupon's row lock for the rest of `tx` and returns its stock and state, `None` if
/// no such coupon. Every later statement of the transaction sees all claims committed before the
/// lock.
#[tracing::instrument(skip(tx))]
pub async fn lock_coupon(
    tx: &mut PgConnection,
    coupon_name: &str,
) -> Result<Option<LockedCoupon>, sqlx::Error> {
    sqlx::query_as!(
        LockedCoupon,
        r#"SELECT remaining_amount, starts_at,
                  sale_refusal(paused, starts_at, ends_at) AS refusal
           FROM coupons WHERE name = $1
           FOR UPDATE"#,
        coupon_name
    )
    .fetch_optional(tx)
    .await
}

/// Which of `user_ids` already hold `coupon_name`.
#[tracing::instrument(skip(tx, user_ids), fields(users = user_ids.len()))]
pub async fn holders(
    tx: &mut PgConnection,
    coupon_name: &str,
    user_ids: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT u.user_id AS "user_id!" FROM unnest($2::text[]) AS u(user_id)
           CROSS JOIN LATERAL (
               SELECT 1 FROM claims c
               WHERE c.coupon_name = $1 AND (c.user_id COLLATE "C") = u.user_id LIMIT 1
           ) AS holds"#,
        coupon_name,
        user_ids
    )
    .fetch_all(tx)
    .await
}

/// Inserts the granted claims in the given (arrival) order and takes them off the stock, in one
/// statement. Returns each inserted user with its claim time. The caller holds the row lock.
#[tracing::instrument(skip(tx, user_ids), fields(users = user_ids.len()))]
pub async fn insert_many(
    tx: &mut PgConnection,
    coupon_name: &str,
    user_ids: &[String],
) -> Result<Vec<(String, DateTime<Utc>)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        WITH granted AS (
            INSERT INTO claims (user_id, coupon_name)
            SELECT u.user_id, $1 FROM unnest($2::text[]) WITH ORDINALITY AS u(user_id, ord)
            ORDER BY u.ord
            RETURNING user_id, claimed_at
        ), stock AS (
            UPDATE coupons SET remaining_amount = remaining_amount - (SELECT count(*) FROM granted),
                               version = version + 1
            WHERE name = $1
        )
        SELECT user_id AS "user_id!", claimed_at AS "claimed_at!" FROM granted
        "#,
        coupon_name,
        user_ids
    )
    .fetch_all(tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.user_id, r.claimed_at))
        .collect())
}
