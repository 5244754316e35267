//! API keys: create, list, revoke, and what each server process caches (see
//! `credentials::api_keys`). Creation and revocation are announced on [`CHANNEL`] after their
//! commit ([`announce`]; never inside it: Citus cannot commit a NOTIFY in two phases), so every
//! process hears only of committed changes; one whose announcement was lost (a crash between
//! the two) reaches the others by their periodic reload.

use app::contract::api_keys::{ApiKey, Scope};
use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, Postgres, Transaction};

/// The channel on which key changes are announced (payload: the key's id).
pub const CHANNEL: &str = "coupons_api_keys";

struct Row {
    id: i64,
    name: String,
    scopes: Vec<String>,
    prefix: String,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

fn scopes(names: &[String]) -> Vec<Scope> {
    names.iter().filter_map(|n| Scope::parse(n)).collect()
}

fn key(row: Row) -> ApiKey {
    ApiKey {
        id: row.id,
        name: row.name,
        scopes: scopes(&row.scopes),
        prefix: row.prefix,
        created_at: row.created_at,
        last_used_at: row.last_used_at,
        revoked_at: row.revoked_at,
    }
}

/// Stores a new key (its hash only).
#[tracing::instrument(skip(tx, secret_hash))]
pub async fn insert(
    tx: &mut Transaction<'_, Postgres>,
    name: &str,
    scope_names: &[String],
    prefix: &str,
    secret_hash: &[u8],
    created_by: &str,
) -> Result<ApiKey, sqlx::Error> {
    let row = sqlx::query_as!(
        Row,
        "INSERT INTO api_keys (name, scopes, prefix, secret_hash, created_by)
         VALUES ($1, $2, $3, $4, $5)
         RETURNING id, name, scopes, prefix, created_at, last_used_at, revoked_at",
        name,
        scope_names,
        prefix,
        secret_hash,
        created_by
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok(key(row))
}

/// Revokes key `id` (a revoked key stays revoked at its first time); `None` when no key has
/// this id.
#[tracing::instrument(skip(tx))]
pub async fn revoke(
    tx: &mut Transaction<'_, Postgres>,
    id: i64,
) -> Result<Option<ApiKey>, sqlx::Error> {
    // Two statements rather than coalesce(revoked_at, now()): Citus refuses a function that is
    // not IMMUTABLE inside a COALESCE of an UPDATE.
    sqlx::query!(
        "UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL",
        id
    )
    .execute(&mut **tx)
    .await?;
    let row = sqlx::query_as!(
        Row,
        "SELECT id, name, scopes, prefix, created_at, last_used_at, revoked_at
         FROM api_keys WHERE id = $1",
        id
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(key))
}

/// Announces a change of key `id` to every process: call it after the change's commit.
pub async fn announce(db: impl PgExecutor<'_>, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!("SELECT pg_notify($1, $2::bigint::text)", CHANNEL, id)
        .execute(db)
        .await
        .map(drop)
}

/// Every key, newest first, revoked ones included.
#[tracing::instrument(skip(db))]
pub async fn list(db: impl PgExecutor<'_>) -> Result<Vec<ApiKey>, sqlx::Error> {
    let rows = sqlx::query_as!(
        Row,
        "SELECT id, name, scopes, prefix, created_at, last_used_at, revoked_at
         FROM api_keys ORDER BY id DESC"
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(key).collect())
}

/// Key `id`, locked for the rest of the transaction, if it exists.
#[tracing::instrument(skip(db))]
pub async fn list_one(db: impl PgExecutor<'_>, id: i64) -> Result<Option<ApiKey>, sqlx::Error> {
    let row = sqlx::query_as!(
        Row,
        "SELECT id, name, scopes, prefix, created_at, last_used_at, revoked_at
         FROM api_keys WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(key))
}

/// A key that works: its id, scopes and secret hash.
pub struct ActiveKey {
    pub id: i64,
    pub scopes: Vec<Scope>,
    pub secret_hash: Vec<u8>,
}

/// Every key that works (the cache's whole content).
#[tracing::instrument(skip(db))]
pub async fn active(db: impl PgExecutor<'_>) -> Result<Vec<ActiveKey>, sqlx::Error> {
    let rows =
        sqlx::query!("SELECT id, scopes, secret_hash FROM api_keys WHERE revoked_at IS NULL")
            .fetch_all(db)
            .await?;
    Ok(rows
        .into_iter()
        .map(|r| ActiveKey {
            id: r.id,
            scopes: scopes(&r.scopes),
            secret_hash: r.secret_hash,
        })
        .collect())
}

/// The working key with this secret hash, if any (one unique-index probe).
#[tracing::instrument(skip(db, secret_hash))]
pub async fn find_active(
    db: impl PgExecutor<'_>,
    secret_hash: &[u8],
) -> Result<Option<ActiveKey>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT id, scopes, secret_hash FROM api_keys
         WHERE secret_hash = $1 AND revoked_at IS NULL",
        secret_hash
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| ActiveKey {
        id: r.id,
        scopes: scopes(&r.scopes),
        secret_hash: r.secret_hash,
    }))
}

/// Records when keys were last used: `ids[i]` at `at[i]` (never moves a time backwards).
#[tracing::instrument(skip(db))]
pub async fn touch(
    db: impl PgExecutor<'_>,
    ids: &[i64],
    at: &[DateTime<Utc>],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE api_keys k SET last_used_at = u.at
         FROM unnest($1::bigint[], $2::timestamptz[]) AS u(id, at)
         WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.at)",
        ids,
        at
    )
    .execute(db)
    .await
    .map(drop)
}
