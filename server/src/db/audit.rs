//! The admin audit log: append an entry, read pages in order.

use app::contract::audit::AuditEntry;
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// Appends one entry. Run it in the transaction of the action it records, so the log holds
/// exactly the actions that happened. `before` and `after` are JSON values. Entries are keyed by
/// their coupon (on Citus they sit on its shard, beside the change they record); an entry of no
/// coupon is stored under the empty name, which no coupon has.
#[tracing::instrument(skip(db, before, after))]
pub async fn append(
    db: impl PgExecutor<'_>,
    actor: &str,
    action: &str,
    coupon_name: Option<&str>,
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
) -> Result<(), sqlx::Error> {
    let json = |v: Option<&serde_json::Value>| v.map(serde_json::Value::to_string);
    sqlx::query!(
        "INSERT INTO audit_log (actor, action, coupon_name, before, after)
         VALUES ($1, $2, coalesce($3, ''), $4::text::jsonb, $5::text::jsonb)",
        actor,
        action,
        coupon_name,
        json(before),
        json(after)
    )
    .execute(db)
    .await?;
    Ok(())
}

struct Row {
    id: i64,
    at: DateTime<Utc>,
    actor: String,
    action: String,
    coupon_name: Option<String>,
    before: Option<String>,
    after: Option<String>,
}

/// Up to `limit` entries after id `after`, oldest first (keyset on the id index): the API's
/// order, in which a client follows the log.
#[tracing::instrument(skip(db))]
pub async fn page(
    db: impl PgExecutor<'_>,
    after: i64,
    limit: i64,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT id, at, actor, action, nullif(coupon_name, '') AS coupon_name,
                  before::text AS before, after::text AS after
           FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2"#,
        after,
        limit
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(entry).collect())
}

/// Up to `limit` entries before id `before` (from the newest when `None`), newest first: the
/// audit page's order, where admins look for what just happened.
#[tracing::instrument(skip(db))]
pub async fn recent(
    db: impl PgExecutor<'_>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT id, at, actor, action, nullif(coupon_name, '') AS coupon_name,
                  before::text AS before, after::text AS after
           FROM audit_log WHERE id < $1 ORDER BY id DESC LIMIT $2"#,
        before.unwrap_or(i64::MAX),
        limit
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(entry).collect())
}

fn entry(r: Row) -> AuditEntry {
    let json = |v: Option<String>| v.and_then(|text| serde_json::from_str(&text).ok());
    AuditEntry {
        id: r.id,
        at: r.at,
        actor: r.actor,
        action: r.action,
        coupon_name: r.coupon_name,
        before: json(r.before),
        after: json(r.after),
    }
}
