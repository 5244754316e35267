//! Idempotency keys of claims: take a key, store its answer, read it back, purge old ones.

use sqlx::PgExecutor;

/// What the key's row said when a request tried to take it.
#[derive(Debug)]
pub enum Taken {
    /// This request owns the key now and must run, then [`complete`] or [`free`] it.
    Owned,
    /// Another request holds the key (in progress, or its answer is stored).
    Held(KeyRow),
}

/// A key's row as another request left it.
#[derive(Debug)]
pub struct KeyRow {
    pub request_hash: Vec<u8>,
    /// The stored answer; `None` while its owner is still running.
    pub status: Option<i16>,
    pub body: Option<String>,
}

/// Takes `key` for a request whose canonical body hashes to `hash`, in one statement (its times
/// come from the new row's defaults: Citus takes no function in an upsert's SET). A key is
/// free when absent, older than `ttl_secs` (expired: a fresh request), or in progress for longer
/// than `stale_secs` (its owner died before answering).
#[tracing::instrument(skip(db, hash))]
pub async fn take(
    db: impl PgExecutor<'_>,
    key: &str,
    hash: &[u8],
    ttl_secs: f64,
    stale_secs: f64,
) -> Result<Taken, sqlx::Error> {
    // The cut-offs as values (this process's clock): Citus takes no function that is not
    // IMMUTABLE in an upsert's WHERE either.
    let now = chrono::Utc::now();
    let secs = |s: f64| {
        chrono::TimeDelta::from_std(std::time::Duration::from_secs_f64(s)).unwrap_or_default()
    };
    let row = sqlx::query!(
        r#"
        WITH taken AS (
            INSERT INTO idempotency_keys AS k (key, request_hash) VALUES ($1, $2)
            ON CONFLICT (key) DO UPDATE
                SET request_hash = excluded.request_hash, created_at = excluded.created_at,
                    locked_at = excluded.locked_at, status = NULL, body = NULL
                WHERE k.created_at < $3 OR (k.status IS NULL AND k.locked_at < $4)
            RETURNING true AS owned
        )
        SELECT (SELECT owned FROM taken) AS owned,
               k.request_hash AS "request_hash?", k.status, k.body
        FROM (SELECT 1) one
        LEFT JOIN idempotency_keys k ON k.key = $1 AND NOT EXISTS (SELECT 1 FROM taken)
        "#,
        key,
        hash,
        now - secs(ttl_secs),
        now - secs(stale_secs)
    )
    .fetch_one(db)
    .await?;
    if row.owned == Some(true) {
        return Ok(Taken::Owned);
    }
    Ok(Taken::Held(KeyRow {
        // A row that vanished in between (purged) reads as a mismatch-free in-progress key;
        // the caller answers "in use" and the client's retry takes the key.
        request_hash: row.request_hash.unwrap_or_else(|| hash.to_vec()),
        status: row.status,
        body: row.body,
    }))
}

/// Stores the answer of the request that owns `key`.
#[tracing::instrument(skip(db, body))]
pub async fn complete(
    db: impl PgExecutor<'_>,
    key: &str,
    status: i16,
    body: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE idempotency_keys SET status = $2, body = $3 WHERE key = $1 AND status IS NULL",
        key,
        status,
        body
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Frees `key` without an answer (the request ended in a passing failure, a retry must run).
#[tracing::instrument(skip(db))]
pub async fn free(db: impl PgExecutor<'_>, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM idempotency_keys WHERE key = $1 AND status IS NULL",
        key
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Deletes up to `limit` keys older than `ttl_secs`, oldest first; returns how many.
#[tracing::instrument(skip(db))]
pub async fn purge(db: impl PgExecutor<'_>, ttl_secs: f64, limit: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!(
        "DELETE FROM idempotency_keys WHERE key IN (
             SELECT key FROM idempotency_keys
             WHERE created_at < now() - make_interval(secs => $1)
             ORDER BY created_at LIMIT $2)",
        ttl_secs,
        limit
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
