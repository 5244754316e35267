//! Reads of the live dashboard (stock, claim times, newest claimers, a draw's entries) and its
//! cross-process NOTIFY.

use app::contract::{
    draw::{Allocation, DrawProgress, DrawState},
    live_types::{Claimer, LiveCoupon},
};
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// The LISTEN/NOTIFY channel on which each process's publisher announces changed coupons.
pub const CHANNEL: &str = "coupon_live";

/// How many newest claimers a live state carries.
pub const NEWEST_CLAIMERS: i64 = 10;

struct Row {
    name: String,
    amount: i32,
    remaining_amount: i32,
    version: i64,
    paused: bool,
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    first_claim_at: Option<DateTime<Utc>>,
    allocation: String,
    entry_count: i64,
    draw_at: Option<DateTime<Utc>>,
    drawn_at: Option<DateTime<Utc>>,
    users: Option<Vec<String>>,
    times: Option<Vec<DateTime<Utc>>>,
}

/// The live state of the named coupons (all coupons, newest first, when `names` is `None`),
/// at most `limit` of them. One statement, so each state is one consistent snapshot.
///
/// Both lateral reads walk `claims_coupon_order_idx` from one end: the cost does not grow with
/// the number of claims, which matters because this runs every refresh interval during a sale.
#[tracing::instrument(skip(db, names), fields(names = names.map(<[String]>::len)))]
pub async fn states(
    db: impl PgExecutor<'_>,
    names: Option<&[String]>,
    limit: i64,
) -> Result<Vec<LiveCoupon>, sqlx::Error> {
    let rows = sqlx::query_as!(
        Row,
        r#"
        SELECT c.name, c.amount, c.remaining_amount, c.version, c.paused, c.starts_at, c.ends_at,
               now() AS "now!", c.allocation, c.entry_count, c.draw_at, c.drawn_at,
               f.claimed_at AS "first_claim_at?",
               r.users AS "users?", r.times AS "times?"
        FROM coupons c
        LEFT JOIN LATERAL (
            SELECT claimed_at FROM claims WHERE coupon_name = c.name ORDER BY id LIMIT 1
        ) f ON true
        LEFT JOIN LATERAL (
            SELECT array_agg(n.user_id ORDER BY n.id DESC) AS users,
                   array_agg(n.claimed_at ORDER BY n.id DESC) AS times
            FROM (
                SELECT id, user_id, claimed_at FROM claims
                WHERE coupon_name = c.name ORDER BY id DESC LIMIT $2
            ) n
        ) r ON true
        WHERE $1::text[] IS NULL OR c.name = ANY($1)
        ORDER BY c.created_at DESC, c.name
        LIMIT $3
        "#,
        names as Option<&[String]>,
        NEWEST_CLAIMERS,
        limit
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(into_state).collect())
}

fn into_state(row: Row) -> LiveCoupon {
    // A draw coupon always has draw_at (a CHECK of the schema).
    let draw = match (Allocation::from_db(&row.allocation), row.draw_at) {
        (Allocation::Draw, Some(draw_at)) => Some(DrawProgress {
            entries: row.entry_count,
            state: DrawState::at(row.now, row.ends_at, row.drawn_at),
            draw_at,
            drawn_at: row.drawn_at,
        }),
        _ => None,
    };
    let newest_claimers: Vec<Claimer> = row
        .users
        .unwrap_or_default()
        .into_iter()
        .zip(row.times.unwrap_or_default())
        .map(|(user_id, claimed_at)| Claimer {
            user_id,
            claimed_at,
        })
        .collect();
    LiveCoupon {
        // The schema keeps remaining_amount == amount - count(claims) in every transaction.
        claimed: i64::from(row.amount) - i64::from(row.remaining_amount),
        last_claim_at: newest_claimers.first().map(|c| c.claimed_at),
        first_claim_at: row.first_claim_at,
        name: row.name,
        amount: row.amount,
        remaining_amount: row.remaining_amount,
        version: row.version,
        paused: row.paused,
        starts_at: row.starts_at,
        ends_at: row.ends_at,
        now: row.now,
        newest_claimers,
        draw,
    }
}

/// Sends one notification per payload on [`CHANNEL`], all in one statement (one commit).
#[tracing::instrument(skip(db, payloads), fields(count = payloads.len()))]
pub async fn notify(db: impl PgExecutor<'_>, payloads: &[String]) -> Result<(), sqlx::Error> {
    // pg_notify returns void, which has no Rust type: count the calls instead. PostgreSQL keeps
    // volatile expressions of a subquery even when the outer query does not read them.
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "sent!" FROM (SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p) n"#,
        CHANNEL,
        payloads
    )
    .fetch_one(db)
    .await?;
    Ok(())
}
