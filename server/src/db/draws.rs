//! The statements of a draw (docs/draw.md): its secret seed, what the ranking needs, and the one
//! call that settles it.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

/// What the server needs to rank a draw coupon's entries.
#[derive(Debug)]
pub struct DrawInput {
    /// `None` for a `first_come` coupon (it has no draw).
    pub seed: Option<Vec<u8>>,
    pub beacon: Option<String>,
    pub amount: i32,
}

/// The seed, beacon and amount of coupon `coupon_name`; `None` when no coupon has the name.
/// Read without a lock: [`settle`] checks under the row lock that the beacon did not change.
pub async fn input(
    db: impl PgExecutor<'_>,
    coupon_name: &str,
) -> Result<Option<DrawInput>, sqlx::Error> {
    sqlx::query_as!(
        DrawInput,
        r#"SELECT d.seed AS "seed?", c.beacon, c.amount
           FROM coupons c LEFT JOIN draws d ON d.coupon_name = c.name AND d.coupon_name = $1
           WHERE c.name = $1"#,
        coupon_name
    )
    .fetch_optional(db)
    .await
}

/// Keeps the secret seed of a draw coupon being created, in the creation's transaction.
pub async fn keep_seed(
    db: &mut PgConnection,
    coupon_name: &str,
    seed: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO draws (coupon_name, seed) VALUES ($1, $2)",
        coupon_name,
        seed
    )
    .execute(db)
    .await
    .map(drop)
}

/// What one settle call saw and did.
#[derive(Debug)]
pub struct Settled {
    /// `drawn` (this call drew), `already_drawn`, `not_found`, `first_come`, `open`,
    /// `beacon_missing`, `beacon_changed`, `entries_changed`.
    pub outcome: String,
    pub drawn_at: Option<DateTime<Utc>>,
    /// The claims the draw made, in claim order.
    pub winners: Vec<String>,
    pub won_at: Vec<DateTime<Utc>>,
    /// An event that wakes the webhook dispatchers was written: wake them after the commit.
    pub wake: bool,
}

/// The ranking of a draw: entrants in rank order, their tickets, and the digest of the public
/// ranked tickets.
pub struct Ranking<'a> {
    pub beacon: Option<&'a str>,
    pub users: &'a [String],
    pub tickets: &'a [Vec<u8>],
    pub digest: &'a str,
}

/// Settles the draw of `coupon_name` with `ranking` in one call of the database function
/// `draw_settle` (migrations `20261206000003_draw.sql`, `20261207000003_draws_audited.sql`):
/// its own transaction, committed synchronously, whole on the coupon's worker on Citus, audited
/// as `actor`'s `action`. A crash leaves it not done or done whole; a second caller finds it
/// `already_drawn`.
#[tracing::instrument(skip(db, ranking), fields(entries = ranking.users.len()))]
pub async fn settle(
    db: &mut PgConnection,
    coupon_name: &str,
    ranking: &Ranking<'_>,
    actor: &str,
    action: &str,
) -> Result<Settled, sqlx::Error> {
    sqlx::query_as!(
        Settled,
        r#"SELECT outcome AS "outcome!", drawn_at, winners AS "winners!", won_at AS "won_at!",
                  wake AS "wake!"
           FROM draw_settle($1, $2, $3, $4, $5, $6, $7)"#,
        coupon_name,
        ranking.beacon,
        ranking.users,
        ranking.tickets,
        ranking.digest,
        actor,
        action
    )
    .fetch_one(db)
    .await
}

/// Draw coupons due to be drawn by themselves: the window closed, `draw_at` passed, the beacon
/// given if one is required, not drawn yet.
pub async fn due(db: impl PgExecutor<'_>) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT name FROM coupons
         WHERE allocation = 'draw' AND drawn_at IS NULL AND draw_at <= now()
           AND (beacon IS NOT NULL OR NOT beacon_required)
         ORDER BY draw_at"
    )
    .fetch_all(db)
    .await
}

/// What the proof of a coupon's draw states, as kept.
#[derive(Debug)]
pub struct Kept {
    pub allocation: String,
    pub ends_at: Option<DateTime<Utc>>,
    pub seed: Option<Vec<u8>>,
    pub beacon: Option<String>,
    pub drawn_at: Option<DateTime<Utc>>,
    pub entries: Option<i64>,
    pub winners: Option<i64>,
    pub tickets_digest: Option<String>,
}

/// The kept proof of `coupon_name`'s draw (seed, beacon, figures and digest; the figures are
/// `None` until drawn); `None` when no coupon has the name.
pub async fn kept(db: impl PgExecutor<'_>, coupon_name: &str) -> Result<Option<Kept>, sqlx::Error> {
    sqlx::query_as!(
        Kept,
        r#"SELECT c.allocation, c.ends_at, d.seed AS "seed?", c.beacon, c.drawn_at,
                  d.entries AS "entries?", d.winners AS "winners?",
                  d.tickets_digest AS "tickets_digest?"
           FROM coupons c LEFT JOIN draws d ON d.coupon_name = c.name AND d.coupon_name = $1
           WHERE c.name = $1"#,
        coupon_name
    )
    .fetch_optional(db)
    .await
}

/// One ranked ticket of a draw.
#[derive(Debug)]
pub struct RankedTicket {
    pub rank: i64,
    pub ticket: Vec<u8>,
    pub user_id: String,
}

/// The ranked tickets of `coupon_name`'s draw, `limit` of them from rank `after + 1` on.
pub async fn ranked(
    db: impl PgExecutor<'_>,
    coupon_name: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<RankedTicket>, sqlx::Error> {
    sqlx::query_as!(
        RankedTicket,
        "SELECT rank, ticket, user_id FROM draw_tickets
         WHERE coupon_name = $1 AND rank > $2 ORDER BY rank LIMIT $3",
        coupon_name,
        after,
        limit
    )
    .fetch_all(db)
    .await
}

/// What giving a beacon did ([`give_beacon`]).
#[derive(Debug)]
pub struct BeaconCall {
    /// `None` when given (or given before with the same value); else why not: `not_found`,
    /// `not_a_draw`, `entries_open`, `drawn`, `beacon_given`.
    pub outcome: Option<String>,
    pub beacon: Option<String>,
}

/// Gives `coupon_name`'s beacon in one call of `give_beacon` (migration
/// `20261206000008_draw_coupons_take_entries.sql`): under the row lock, once the window has
/// closed and before the draw, once; audited as `actor`'s `action` in the same transaction.
#[tracing::instrument(skip(db))]
pub async fn give_beacon(
    db: impl PgExecutor<'_>,
    coupon_name: &str,
    beacon: &str,
    actor: &str,
    action: &str,
) -> Result<BeaconCall, sqlx::Error> {
    sqlx::query_as!(
        BeaconCall,
        "SELECT outcome, beacon FROM give_beacon($1, $2, $3, $4)",
        coupon_name,
        beacon,
        actor,
        action
    )
    .fetch_one(db)
    .await
}

/// The admin's draw panel of `coupon_name`: entries, winners, the waitlist still waiting, and
/// each entry-time decile's entries and winners; `None` when it is no draw coupon.
pub async fn panel(
    db: &sqlx::PgPool,
    coupon_name: &str,
) -> Result<Option<app::contract::draw::DrawPanel>, sqlx::Error> {
    let counts = sqlx::query!(
        r#"SELECT c.entry_count AS "entries!",
                  (SELECT count(*) FROM draw_tickets t WHERE t.coupon_name = $1 AND t.won)
                      AS "winners!",
                  (SELECT count(*) FROM draw_tickets t WHERE t.coupon_name = $1 AND NOT t.won
                      AND t.promoted_at IS NULL) AS "waitlist!"
           FROM coupons c WHERE c.name = $1 AND c.allocation = 'draw'"#,
        coupon_name
    )
    .fetch_optional(db)
    .await?;
    let Some(counts) = counts else {
        return Ok(None);
    };
    let deciles = sqlx::query!(
        r#"SELECT count(*) AS "entries!", count(*) FILTER (WHERE t.won) AS "winners!"
           FROM (SELECT user_id, ntile(10) OVER (ORDER BY id) AS decile
                 FROM entries WHERE coupon_name = $1) d
           LEFT JOIN draw_tickets t ON t.coupon_name = $1 AND t.user_id = d.user_id
           GROUP BY d.decile ORDER BY d.decile"#,
        coupon_name
    )
    .fetch_all(db)
    .await?;
    let (timeline, first_entry_at, last_entry_at) = timeline(db, coupon_name).await?;
    Ok(Some(app::contract::draw::DrawPanel {
        entries: counts.entries,
        winners: counts.winners,
        waitlist: counts.waitlist,
        deciles: deciles
            .into_iter()
            .map(|d| (d.entries, d.winners))
            .collect(),
        timeline,
        first_entry_at,
        last_entry_at,
    }))
}

/// The entries of `coupon_name` per tenth of the time from its first entry to its last, and
/// those two times (ten zeros and none without entries).
async fn timeline(
    db: &sqlx::PgPool,
    coupon_name: &str,
) -> Result<(Vec<i64>, Option<DateTime<Utc>>, Option<DateTime<Utc>>), sqlx::Error> {
    // The upper bound a microsecond past the last entry: it falls in the tenth part, and a
    // window whose entries all came at once is not empty.
    let rows = sqlx::query!(
        r#"SELECT width_bucket(extract(epoch FROM e.entered_at), extract(epoch FROM b.first),
                               extract(epoch FROM b.last) + 0.000001, 10) AS "part!",
                  count(*) AS "entries!", min(b.first) AS "first!", min(b.last) AS "last!"
           FROM entries e
           CROSS JOIN (SELECT min(entered_at) AS first, max(entered_at) AS last
                       FROM entries WHERE coupon_name = $1) b
           WHERE e.coupon_name = $1
           GROUP BY 1 ORDER BY 1"#,
        coupon_name
    )
    .fetch_all(db)
    .await?;
    let mut parts = vec![0; 10];
    for row in &rows {
        if let Some(part) = usize::try_from(row.part - 1)
            .ok()
            .and_then(|i| parts.get_mut(i))
        {
            *part = row.entries;
        }
    }
    let span = rows.first().map(|r| (r.first, r.last));
    Ok((parts, span.map(|s| s.0), span.map(|s| s.1)))
}
