//! Webhook deliveries: the outbox turned into one delivery per event and endpoint, leased to one
//! sender at a time, and their outcomes (the delivery log).

use app::contract::webhooks::{DELIVERY_LOG_LIMIT, Delivery};
use chrono::{DateTime, TimeDelta, Utc};
use sqlx::{PgExecutor, PgPool};
use std::time::Duration;

/// Moves up to `limit` outbox rows into deliveries, one coupon at a time, the coupons whose rows
/// are oldest first. Returns the number of outbox rows taken.
#[tracing::instrument(skip(pool))]
pub async fn fan_out(pool: &PgPool, limit: i64) -> Result<i64, sqlx::Error> {
    let coupons = sqlx::query_scalar!(
        r#"SELECT coupon_name AS "coupon_name!" FROM webhook_outbox
           GROUP BY coupon_name ORDER BY min(created_at) LIMIT $1"#,
        limit
    )
    .fetch_all(pool)
    .await?;
    let mut taken = 0;
    for coupon in coupons {
        if taken >= limit {
            break;
        }
        taken += fan_out_coupon(pool, &coupon, limit - taken).await?;
    }
    Ok(taken)
}

/// Moves up to `limit` outbox rows of `coupon` into deliveries, in one statement (so one
/// transaction; on Citus one that commits on the coupon's worker and the coordinator together):
/// each row's items become events `evt_<row>_<n>`, one delivery per enabled endpoint subscribed
/// to its type, and the rows go. Rows another dispatcher holds are skipped (`SKIP LOCKED`); rows
/// of transactions still running are not visible yet and are taken by a later round. Every
/// statement names the coupon, so Citus routes the outbox's part to its one shard.
async fn fan_out_coupon(pool: &PgPool, coupon: &str, limit: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"
        WITH taken AS (
            DELETE FROM webhook_outbox WHERE coupon_name = $2 AND id IN (
                SELECT id FROM webhook_outbox WHERE coupon_name = $2
                ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
            )
            RETURNING id, type, coupon_name, user_ids, claimed_ats, data, created_at
        ), items AS (
            SELECT t.id, t.type, t.created_at, e.item, e.ord
            FROM taken t CROSS JOIN LATERAL jsonb_array_elements(t.data) WITH ORDINALITY AS e(item, ord)
            WHERE t.data IS NOT NULL
            UNION ALL
            SELECT t.id, t.type, t.created_at,
                   jsonb_build_object('coupon_name', t.coupon_name, 'user_id', c.user_id,
                                      'claimed_at', c.claimed_at),
                   c.ord
            FROM taken t
            CROSS JOIN LATERAL unnest(t.user_ids, t.claimed_ats) WITH ORDINALITY AS c(user_id, claimed_at, ord)
            WHERE t.user_ids IS NOT NULL
        ), events AS (
            SELECT 'evt_' || id || '_' || ord AS event_id, type, created_at, item FROM items
        ), inserted AS (
            INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, body, created_at)
            SELECT w.id, ev.event_id, ev.type,
                   jsonb_build_object('id', ev.event_id, 'type', ev.type,
                                      'created_at', ev.created_at, 'data', ev.item)::text,
                   ev.created_at
            FROM events ev JOIN webhook_endpoints w ON w.enabled AND ev.type = ANY (w.events)
            ON CONFLICT ON CONSTRAINT webhook_deliveries_event_key DO NOTHING
        )
        SELECT count(*) AS "taken!" FROM taken
        "#,
        limit,
        coupon
    )
    .fetch_one(pool)
    .await
}

/// A delivery leased for one attempt.
#[derive(Debug, Clone)]
pub struct Leased {
    pub id: i64,
    pub endpoint_id: i64,
    pub event_id: String,
    pub body: String,
    /// This attempt's number, from 1.
    pub attempt: i32,
    pub url: String,
    pub secret: String,
    /// The secret before the last rotation, while it still signs.
    pub previous_secret: Option<String>,
}

/// Leases up to `limit` due deliveries of enabled endpoints for `lease_secs`: their next attempt
/// moves to the lease's end, so no other sender takes them meanwhile, and a sender that dies
/// leaves them due again when it ends. The due rows are chosen in a CTE, not an `IN (subquery)`:
/// Citus 13 plans the latter into an intermediate result that it then fails to read
/// (`invalid input syntax for type bigint: "PGCOPY"`).
#[tracing::instrument(skip(db))]
pub async fn lease(
    db: impl PgExecutor<'_>,
    limit: i64,
    lease_secs: f64,
) -> Result<Vec<Leased>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        WITH due AS (
            SELECT due.id FROM webhook_deliveries due
            JOIN webhook_endpoints e ON e.id = due.endpoint_id AND e.enabled
            WHERE due.state = 'pending' AND due.next_attempt_at <= now()
            ORDER BY due.next_attempt_at, due.id
            LIMIT $1
            FOR UPDATE OF due SKIP LOCKED
        )
        UPDATE webhook_deliveries d
        SET next_attempt_at = now() + make_interval(secs => $2),
            attempts = d.attempts + 1, last_attempt_at = now()
        FROM webhook_endpoints w, due
        WHERE w.id = d.endpoint_id AND d.id = due.id
        RETURNING d.id, d.endpoint_id, d.event_id, d.body, d.attempts AS attempt, w.url, w.secret,
                  w.previous_secret, w.previous_secret_until, d.last_attempt_at
        "#,
        limit,
        lease_secs
    )
    .fetch_all(db)
    .await?;
    // The old secret signs until its grace period ends, judged at the attempt's time (the
    // database's now(), set above). Decided here: Citus refuses a function that is not
    // IMMUTABLE in the RETURNING of an UPDATE.
    Ok(rows
        .into_iter()
        .map(|r| Leased {
            id: r.id,
            endpoint_id: r.endpoint_id,
            event_id: r.event_id,
            body: r.body,
            attempt: r.attempt,
            url: r.url,
            secret: r.secret,
            previous_secret: r
                .previous_secret
                .filter(|_| r.previous_secret_until > r.last_attempt_at),
        })
        .collect())
}

/// The outcome of one attempt, as the sender saw it.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub id: i64,
    pub endpoint_id: i64,
    /// `delivered`, `pending` (a retry is due after `retry_in`) or `failed`.
    pub state: &'static str,
    pub retry_in: Duration,
    pub status: Option<i32>,
    pub error: Option<String>,
    pub latency_ms: i32,
    /// The receiver said `410 Gone`: disable the endpoint.
    pub gone: bool,
}

/// Records outcomes in one statement, and their endpoints' health: a success ends the run of
/// failures; a failure starts one; `410 Gone`, or failures for longer than `disable_after`,
/// disable the endpoint (its pending deliveries wait). Every time is a value computed here from
/// `now`, the time of recording: Citus refuses a function that is not IMMUTABLE with column
/// references in an UPDATE, or anywhere in its CASE and COALESCE.
#[tracing::instrument(skip(db, outcomes), fields(outcomes = outcomes.len()))]
pub async fn record(
    db: impl PgExecutor<'_>,
    outcomes: &[Outcome],
    disable_after: Duration,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let after = |wait: Duration| {
        TimeDelta::from_std(wait)
            .ok()
            .and_then(|wait| now.checked_add_signed(wait))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    };
    let ids: Vec<i64> = outcomes.iter().map(|o| o.id).collect();
    let endpoints: Vec<i64> = outcomes.iter().map(|o| o.endpoint_id).collect();
    let states: Vec<String> = outcomes.iter().map(|o| o.state.to_owned()).collect();
    let next: Vec<DateTime<Utc>> = outcomes.iter().map(|o| after(o.retry_in)).collect();
    let delivered: Vec<Option<DateTime<Utc>>> = outcomes
        .iter()
        .map(|o| (o.state == "delivered").then_some(now))
        .collect();
    let statuses: Vec<Option<i32>> = outcomes.iter().map(|o| o.status).collect();
    let errors: Vec<Option<String>> = outcomes.iter().map(|o| o.error.clone()).collect();
    let latencies: Vec<i32> = outcomes.iter().map(|o| o.latency_ms).collect();
    let gone: Vec<bool> = outcomes.iter().map(|o| o.gone).collect();
    let failing_before = TimeDelta::from_std(disable_after)
        .ok()
        .and_then(|d| now.checked_sub_signed(d))
        .unwrap_or(DateTime::UNIX_EPOCH);
    sqlx::query!(
        r#"
        WITH o AS (
            SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::timestamptz[],
                                 $5::timestamptz[], $6::int[], $7::text[], $8::int[], $9::bool[])
                AS o(id, endpoint_id, state, next_attempt_at, delivered_at, status, error,
                     latency_ms, gone)
        ), deliveries AS (
            UPDATE webhook_deliveries d
            SET state = o.state, last_status = o.status, last_error = o.error,
                last_latency_ms = o.latency_ms, next_attempt_at = o.next_attempt_at,
                delivered_at = o.delivered_at
            FROM o WHERE d.id = o.id
        ), health AS (
            SELECT endpoint_id, bool_or(state = 'delivered') AS ok, bool_or(gone) AS gone
            FROM o GROUP BY endpoint_id
        )
        UPDATE webhook_endpoints w
        SET failing_since = CASE WHEN h.ok THEN NULL ELSE coalesce(w.failing_since, $10) END,
            enabled = w.enabled AND NOT h.gone
                AND (h.ok OR coalesce(w.failing_since > $11, true)),
            disabled_reason = CASE
                WHEN h.gone THEN 'the receiver answered 410 Gone'
                WHEN NOT h.ok AND w.failing_since <= $11
                    THEN 'every delivery failed since ' || utc_text(w.failing_since)
                ELSE w.disabled_reason END
        FROM health h WHERE w.id = h.endpoint_id
        "#,
        &ids,
        &endpoints,
        &states,
        &next,
        &delivered as &[Option<DateTime<Utc>>],
        &statuses as &[Option<i32>],
        &errors as &[Option<String>],
        &latencies,
        &gone,
        now,
        failing_before
    )
    .execute(db)
    .await
    .map(drop)
}

/// The newest deliveries of endpoint `id`, at most [`DELIVERY_LOG_LIMIT`].
#[tracing::instrument(skip(db))]
pub async fn log(db: impl PgExecutor<'_>, endpoint_id: i64) -> Result<Vec<Delivery>, sqlx::Error> {
    sqlx::query_as!(
        Delivery,
        r#"SELECT id, event_id, event_type, created_at, state, attempts,
                  CASE WHEN state = 'pending' THEN next_attempt_at END AS next_attempt_at,
                  last_attempt_at, last_status, last_error, last_latency_ms, delivered_at
           FROM webhook_deliveries WHERE endpoint_id = $1
           ORDER BY id DESC LIMIT $2"#,
        endpoint_id,
        DELIVERY_LOG_LIMIT
    )
    .fetch_all(db)
    .await
}

/// Makes delivery `id` of endpoint `endpoint_id` due now, whatever its state ("send again").
/// `None` when the endpoint has no such delivery.
#[tracing::instrument(skip(db))]
pub async fn resend(
    db: impl PgExecutor<'_>,
    endpoint_id: i64,
    id: i64,
) -> Result<Option<Delivery>, sqlx::Error> {
    sqlx::query_as!(
        Delivery,
        r#"UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = now()
           WHERE endpoint_id = $1 AND id = $2
           RETURNING id, event_id, event_type, created_at, state, attempts,
                     next_attempt_at AS "next_attempt_at?", last_attempt_at, last_status,
                     last_error, last_latency_ms, delivered_at"#,
        endpoint_id,
        id
    )
    .fetch_optional(db)
    .await
}

/// Age in seconds of the oldest event not yet delivered (outbox or pending delivery of an
/// enabled endpoint); 0 when none.
pub async fn oldest_pending_age(db: impl PgExecutor<'_>) -> Result<f64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT coalesce(extract(epoch FROM now() - least(
               (SELECT min(created_at) FROM webhook_outbox),
               (SELECT min(d.created_at) FROM webhook_deliveries d
                JOIN webhook_endpoints w ON w.id = d.endpoint_id AND w.enabled
                WHERE d.state = 'pending')))::float8, 0) AS "age!""#
    )
    .fetch_one(db)
    .await
}

/// Deletes finished deliveries older than `keep_secs`; returns how many.
pub async fn purge(db: impl PgExecutor<'_>, keep_secs: f64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!(
        "DELETE FROM webhook_deliveries
         WHERE state <> 'pending' AND created_at < now() - make_interval(secs => $1)",
        keep_secs
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
