//! Coupon rows: create; read one (alone, or with its first page of claimers for the public
//! `GET`); lock and change a sale.

use app::contract::{
    api_types::{Coupon, CouponSummary},
    draw::Allocation,
};
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use super::coupon_row::CouponRow;

/// Name of the primary key, whose violation means "a coupon with this name exists".
pub const NAME_KEY: &str = "coupons_pkey";

/// Name of the check that keeps a draw coupon's `ends_at` set and no later than its `draw_at`.
pub const DRAW_SETTINGS_CHECK: &str = "coupons_draw_settings";

/// Name of the check that keeps `ends_at` after `starts_at`.
pub const WINDOW_CHECK: &str = "window_in_order";

/// A coupon to create: its sale, and for a draw its settings and published commitment.
#[derive(Debug, Clone, Copy)]
pub struct NewSale<'a> {
    pub name: &'a str,
    pub amount: i32,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub allocation: Allocation,
    /// A draw: when it runs by itself, its beacon rule, and `hex(sha256(seed))`.
    pub draw_at: Option<DateTime<Utc>>,
    pub beacon_required: bool,
    pub commitment: Option<&'a str>,
    /// Seconds a claim has to be redeemed before it lapses; `None`: never.
    pub redeem_within: Option<i32>,
}

impl<'a> NewSale<'a> {
    /// A `first_come` coupon of `amount` units with no window.
    pub fn first_come(name: &'a str, amount: i32) -> Self {
        Self {
            name,
            amount,
            starts_at: None,
            ends_at: None,
            allocation: Allocation::FirstCome,
            draw_at: None,
            beacon_required: false,
            commitment: None,
            redeem_within: None,
        }
    }
}

/// Inserts a coupon with its whole stock remaining.
#[tracing::instrument(skip(db))]
pub async fn insert(
    db: impl PgExecutor<'_>,
    sale: NewSale<'_>,
) -> Result<CouponSummary, sqlx::Error> {
    let allocation = match sale.allocation {
        Allocation::FirstCome => "first_come",
        Allocation::Draw => "draw",
    };
    let row = sqlx::query_as!(
        CouponRow,
        "INSERT INTO coupons (name, amount, remaining_amount, starts_at, ends_at, allocation,
                              draw_at, beacon_required, commitment, redeem_within)
         VALUES ($1, $2, $2, $3, $4, $5, $6, $7, $8, $9)
         RETURNING name, amount, remaining_amount, paused, starts_at, ends_at, created_at,
                   allocation, commitment, draw_at, beacon_required, beacon, drawn_at,
                   redeem_within",
        sale.name,
        sale.amount,
        sale.starts_at,
        sale.ends_at,
        allocation,
        sale.draw_at,
        sale.beacon_required,
        sale.commitment,
        sale.redeem_within
    )
    .fetch_one(db)
    .await?;
    Ok(row.into())
}

/// The coupon named `name`, if any.
#[tracing::instrument(skip(db))]
pub async fn find(
    db: impl PgExecutor<'_>,
    name: &str,
) -> Result<Option<CouponSummary>, sqlx::Error> {
    let row = sqlx::query_as!(
        CouponRow,
        "SELECT name, amount, remaining_amount, paused, starts_at, ends_at, created_at,
                allocation, commitment, draw_at, beacon_required, beacon, drawn_at,
                redeem_within
         FROM coupons WHERE name = $1",
        name
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(CouponSummary::from))
}

/// The change counter of the coupon named `name` (one index probe), `None` when none.
#[tracing::instrument(skip(db))]
pub async fn version(db: impl PgExecutor<'_>, name: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar!("SELECT version FROM coupons WHERE name = $1", name)
        .fetch_optional(db)
        .await
}

/// A sale change asked for: each setting given is set (`None` keeps it); a window end is
/// changed when it is `Some`, to `Some(None)` to clear it.
#[derive(Debug, Clone, Copy)]
pub struct Change {
    pub amount: Option<i32>,
    pub paused: Option<bool>,
    pub starts_at: Option<Option<DateTime<Utc>>>,
    pub ends_at: Option<Option<DateTime<Utc>>>,
}

/// What a sale change call did ([`change`]).
#[derive(Debug)]
pub struct ChangeCall {
    /// `None` when done; `not_found`, `below_claimed` or `bad_window` when refused (nothing
    /// changed then).
    pub outcome: Option<String>,
    /// The units claimed (after the change; before it when `below_claimed`).
    pub claimed: Option<i64>,
    /// The window asked for when `bad_window`; otherwise the coupon after the change, as the
    /// fields below.
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub name: Option<String>,
    pub amount: Option<i32>,
    pub remaining_amount: Option<i32>,
    pub paused: Option<bool>,
    pub created_at: Option<DateTime<Utc>>,
    /// An event that wakes the webhook dispatchers was written.
    pub wake: bool,
}

/// Changes a sale in one call of `change_sale` (migration `20261206000006_admin_calls.sql`):
/// under the coupon's row lock, the amount (the stock moves with it, never below the claims),
/// the pause and the window; the `coupon.updated` and `coupon.sold_out` events and the audit
/// entry of `actor` in the same transaction. Bumps the version, so batches that read the coupon
/// before this see the change.
#[tracing::instrument(skip(db))]
pub async fn change(
    db: impl PgExecutor<'_>,
    name: &str,
    actor: &str,
    action: &str,
    change: Change,
) -> Result<ChangeCall, sqlx::Error> {
    sqlx::query_as!(
        ChangeCall,
        r#"SELECT outcome, claimed, starts_at, ends_at, name, amount, remaining_amount, paused,
                  created_at, wake AS "wake!"
           FROM change_sale($1, $2, $3, $4, $5, $6, $7, $8, $9)"#,
        name,
        actor,
        action,
        change.amount,
        change.paused,
        change.starts_at.is_some(),
        change.starts_at.flatten(),
        change.ends_at.is_some(),
        change.ends_at.flatten()
    )
    .fetch_one(db)
    .await
}

/// The coupon with its claimers in claim order, read by one statement (so from one snapshot:
/// `claimed_by` always matches the stock) in one round trip.
#[tracing::instrument(skip(db))]
pub async fn find_with_claimers(
    db: impl PgExecutor<'_>,
    name: &str,
) -> Result<Option<Coupon>, sqlx::Error> {
    let Some(first) = find_first_page(db, name, i64::MAX).await? else {
        return Ok(None);
    };
    Ok(Some(first.coupon.with_claimers(first.claimed_by)))
}

/// A coupon with the first `limit` claimers, and where the rest lie (see [`find_first_page`]).
#[derive(Debug)]
pub struct CouponFirstPage {
    pub coupon: CouponSummary,
    /// The row's change counter in this snapshot.
    pub version: i64,
    /// The first claimers in claim order, at most the `limit` asked for.
    pub claimed_by: Vec<String>,
    /// Claim id of the last of `claimed_by` (the keyset cursor), `None` when empty.
    pub page_last_id: Option<i64>,
    /// Claim id of the coupon's newest claim in this statement's snapshot, `None` when none.
    pub last_claim_id: Option<i64>,
}

/// The coupon with its first `limit` claimers and the id of its newest claim, in one statement
/// (one snapshot). The claims of one coupon get their ids under its row lock and commit in that
/// order, so "claims with id <= `last_claim_id`" is exactly the set this snapshot saw: a reader
/// can fetch the rest page by page later and still match `remaining_amount`.
#[tracing::instrument(skip(db))]
pub async fn find_first_page(
    db: impl PgExecutor<'_>,
    name: &str,
    limit: i64,
) -> Result<Option<CouponFirstPage>, sqlx::Error> {
    let row = sqlx::query!(
        r#"WITH coupon AS (
               SELECT name, amount, remaining_amount, paused, starts_at, ends_at, created_at,
                      allocation, commitment, draw_at, beacon_required, beacon, drawn_at,
                      redeem_within, version
               FROM coupons WHERE name = $1
           ), page AS (
               SELECT id, user_id FROM claims WHERE coupon_name = $1 ORDER BY id LIMIT $2
           )
           SELECT c.name, c.amount, c.remaining_amount, c.paused, c.starts_at, c.ends_at,
                  c.created_at, c.allocation, c.commitment, c.draw_at, c.beacon_required,
                  c.beacon, c.drawn_at, c.redeem_within, c.version,
                  ARRAY(SELECT user_id FROM page ORDER BY id) AS "claimed_by!",
                  (SELECT max(id) FROM page) AS page_last_id,
                  (SELECT id FROM claims WHERE coupon_name = $1 ORDER BY id DESC LIMIT 1)
                      AS last_claim_id
           FROM coupon c"#,
        name,
        limit
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| CouponFirstPage {
        coupon: CouponRow {
            name: r.name,
            amount: r.amount,
            remaining_amount: r.remaining_amount,
            paused: r.paused,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            created_at: r.created_at,
            allocation: r.allocation,
            commitment: r.commitment,
            draw_at: r.draw_at,
            beacon_required: r.beacon_required,
            beacon: r.beacon,
            drawn_at: r.drawn_at,
            redeem_within: r.redeem_within,
        }
        .into(),
        version: r.version,
        claimed_by: r.claimed_by,
        page_last_id: r.page_last_id,
        last_claim_id: r.last_claim_id,
    }))
}
