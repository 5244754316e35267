//! Webhook endpoints: create, list, change, rotate the secret, delete; and the events of the
//! admin's changes, written in the change's transaction (the claim functions of migration
//! `20261206000001_one_trip_statements.sql` write their own). Deliveries are in
//! [`super::deliveries`].

use app::contract::webhooks::{EventType, Webhook};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

/// The channel on which the dispatchers are woken, after the commit of a change that wrote an
/// event or changed an endpoint (never inside it: Citus cannot commit a NOTIFY in two phases).
pub const CHANNEL: &str = "coupon_webhooks";

struct Row {
    id: i64,
    url: String,
    events: Vec<String>,
    description: String,
    enabled: bool,
    disabled_reason: Option<String>,
    failing_since: Option<DateTime<Utc>>,
    previous_secret_until: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    pending: i64,
}

fn webhook(row: Row) -> Webhook {
    Webhook {
        id: row.id,
        url: row.url,
        events: row
            .events
            .iter()
            .filter_map(|e| EventType::parse(e))
            .collect(),
        description: row.description,
        enabled: row.enabled,
        disabled_reason: row.disabled_reason,
        failing_since: row.failing_since,
        previous_secret_until: row.previous_secret_until,
        created_at: row.created_at,
        pending: row.pending,
    }
}

/// The names of `events`, as stored.
pub fn event_names(events: &[EventType]) -> Vec<String> {
    events.iter().map(|e| e.as_str().to_owned()).collect()
}

/// Endpoint `id` (`None` for all), newest first, with its count of pending deliveries.
async fn select(db: impl PgExecutor<'_>, id: Option<i64>) -> Result<Vec<Webhook>, sqlx::Error> {
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT w.id, w.url, w.events, w.description, w.enabled, w.disabled_reason,
                  w.failing_since, w.previous_secret_until, w.created_at,
                  (SELECT count(*) FROM webhook_deliveries d
                   WHERE d.endpoint_id = w.id AND d.state = 'pending') AS "pending!"
           FROM webhook_endpoints w
           WHERE $1::bigint IS NULL OR w.id = $1
           ORDER BY w.id DESC"#,
        id
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(webhook).collect())
}

/// Every endpoint, newest first.
#[tracing::instrument(skip(db))]
pub async fn list(db: impl PgExecutor<'_>) -> Result<Vec<Webhook>, sqlx::Error> {
    select(db, None).await
}

/// Endpoint `id`, if any.
#[tracing::instrument(skip(db))]
pub async fn one(db: impl PgExecutor<'_>, id: i64) -> Result<Option<Webhook>, sqlx::Error> {
    Ok(select(db, Some(id)).await?.pop())
}

/// Stores a new endpoint; returns its id.
#[tracing::instrument(skip(db, secret))]
pub async fn insert(
    db: &mut PgConnection,
    url: &str,
    events: &[String],
    description: &str,
    secret: &str,
    created_by: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO webhook_endpoints (url, events, description, secret, created_by)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        url,
        events,
        description,
        secret,
        created_by
    )
    .fetch_one(db)
    .await
}

/// Changes the given fields of endpoint `id`; enabling it clears the server's reason for
/// disabling it and its run of failures. `false` when no endpoint has this id.
#[tracing::instrument(skip(db))]
pub async fn update(
    db: &mut PgConnection,
    id: i64,
    url: Option<&str>,
    events: Option<&[String]>,
    description: Option<&str>,
    enabled: Option<bool>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE webhook_endpoints SET
             url = coalesce($2, url),
             events = coalesce($3, events),
             description = coalesce($4, description),
             enabled = coalesce($5, enabled),
             disabled_reason = CASE WHEN $5 IS NULL THEN disabled_reason END,
             failing_since = CASE WHEN $5 THEN NULL ELSE failing_since END
         WHERE id = $1",
        id,
        url,
        events,
        description,
        enabled
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Makes `secret` the endpoint's signing secret; the one before signs too for `grace_secs`.
#[tracing::instrument(skip(db, secret))]
pub async fn rotate(
    db: &mut PgConnection,
    id: i64,
    secret: &str,
    grace_secs: f64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE webhook_endpoints
         SET previous_secret = secret, secret = $2,
             previous_secret_until = now() + make_interval(secs => $3)
         WHERE id = $1",
        id,
        secret,
        grace_secs
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes endpoint `id` and its delivery log; `false` when no endpoint has this id.
#[tracing::instrument(skip(db))]
pub async fn delete(db: impl PgExecutor<'_>, id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!("DELETE FROM webhook_endpoints WHERE id = $1", id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Wakes every process's dispatcher (when the transaction commits: call it after the commit of
/// the change, in a statement of its own).
pub async fn wake(db: impl PgExecutor<'_>) -> Result<(), sqlx::Error> {
    sqlx::query!("SELECT pg_notify($1, '')", CHANNEL)
        .execute(db)
        .await
        .map(drop)
}
