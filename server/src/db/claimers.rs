//! A coupon's claims: keyset pages, prefix search, and whole lists read page by page.

use app::contract::admin_types::{Claimer, ClaimersPage};
use chrono::{DateTime, Utc};
use futures::Stream;
use sqlx::{PgExecutor, PgPool};

/// One claim row with its id, the keyset cursor.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimRow {
    pub id: i64,
    pub user_id: String,
    pub claimed_at: DateTime<Utc>,
    pub redeemed_at: Option<DateTime<Utc>>,
}

/// Up to `limit` claims of `coupon` with id > `after`, in claim order, and the cursor of the next
/// page, with the coupon's redeemed count. With a prefix, only user ids that start with it
/// (case-sensitive).
pub async fn page(
    db: &PgPool,
    coupon: &str,
    after: i64,
    limit: u32,
    prefix: Option<&str>,
) -> Result<ClaimersPage, sqlx::Error> {
    // One row more than asked tells whether another page follows.
    let fetch = i64::from(limit) + 1;
    let mut rows = match prefix {
        None => all_after(db, coupon, after, fetch).await?,
        Some(p) => prefixed_after(db, coupon, after, fetch, p, &upper_bound(p)).await?,
    };
    let next = if rows.len() as i64 > i64::from(limit) {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.id)
    } else {
        None
    };
    let claims = rows
        .into_iter()
        .map(|r| Claimer {
            user_id: r.user_id,
            claimed_at: r.claimed_at,
            redeemed_at: r.redeemed_at,
        })
        .collect();
    Ok(ClaimersPage {
        claims,
        next,
        redeemed: redeemed_count(db, coupon).await?,
    })
}

/// How many claims of `coupon` are redeemed (the partial index claims_redeemed_idx).
#[tracing::instrument(skip(db))]
pub async fn redeemed_count(db: impl PgExecutor<'_>, coupon: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM claims WHERE coupon_name = $1 AND redeemed_at IS NOT NULL"#,
        coupon
    )
    .fetch_one(db)
    .await
}

#[tracing::instrument(skip(db))]
async fn all_after(
    db: impl PgExecutor<'_>,
    coupon: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<ClaimRow>, sqlx::Error> {
    sqlx::query_as!(
        ClaimRow,
        "SELECT id, user_id, claimed_at, redeemed_at FROM claims
         WHERE coupon_name = $1 AND id > $2 ORDER BY id LIMIT $3",
        coupon,
        after,
        limit
    )
    .fetch_all(db)
    .await
}

/// The prefix search: a range on `user_id COLLATE "C"` (not LIKE), which
/// claims_coupon_user_key serves. Public so a test can EXPLAIN exactly this text.
pub const PREFIXED_SQL: &str = r#"SELECT id, user_id, claimed_at, redeemed_at FROM claims
    WHERE coupon_name = $1 AND id > $2
      AND (user_id COLLATE "C") >= $4 AND (user_id COLLATE "C") < $5
    ORDER BY id LIMIT $3"#;

/// Not `query_as!` and not a cached prepared statement, on purpose: the best plan depends on the
/// prefix (a narrow one: the prefix index, then sort; a broad one: walk claims in id order and
/// stop after `limit`). A cached statement may switch to one generic plan for all prefixes, which
/// scans every claim for a narrow prefix; an unnamed statement is planned with the actual values.
#[tracing::instrument(skip(db))]
async fn prefixed_after(
    db: impl PgExecutor<'_>,
    coupon: &str,
    after: i64,
    limit: i64,
    low: &str,
    high: &str,
) -> Result<Vec<ClaimRow>, sqlx::Error> {
    sqlx::query_as::<_, ClaimRow>(PREFIXED_SQL)
        .bind(coupon)
        .bind(after)
        .bind(limit)
        .bind(low)
        .bind(high)
        .persistent(false)
        .fetch_all(db)
        .await
}

/// The claims of `coupon` with `after < id <= upto` in claim order, `limit` per page. Readers of
/// a whole list page up to the `upto` of [`last_claim_id`] (or of
/// `coupons::find_first_page`): one short statement per page, so a slow reader holds no
/// connection and no snapshot between pages, and the list stays the one of the moment `upto`
/// was read (a coupon's claims get ids in commit order).
pub fn pages_between<'a>(
    db: &'a PgPool,
    coupon: &'a str,
    after: i64,
    upto: i64,
    limit: i64,
) -> impl Stream<Item = Result<Vec<ClaimRow>, sqlx::Error>> + Send + 'a {
    futures::stream::try_unfold(after, move |after| async move {
        if after >= upto {
            return Ok(None);
        }
        let rows = rows_between(db, coupon, after, upto, limit).await?;
        Ok(rows.last().map(|last| last.id).map(|next| (rows, next)))
    })
}

/// Up to `limit` claims of `coupon` with `after < id <= upto`, in claim order.
#[tracing::instrument(skip(db))]
async fn rows_between(
    db: impl PgExecutor<'_>,
    coupon: &str,
    after: i64,
    upto: i64,
    limit: i64,
) -> Result<Vec<ClaimRow>, sqlx::Error> {
    sqlx::query_as!(
        ClaimRow,
        "SELECT id, user_id, claimed_at, redeemed_at FROM claims
         WHERE coupon_name = $1 AND id > $2 AND id <= $3 ORDER BY id LIMIT $4",
        coupon,
        after,
        upto,
        limit
    )
    .fetch_all(db)
    .await
}

/// The id of the newest claim of `coupon`, `None` when it has none.
#[tracing::instrument(skip(db))]
pub async fn last_claim_id(
    db: impl PgExecutor<'_>,
    coupon: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM claims WHERE coupon_name = $1 ORDER BY id DESC LIMIT 1",
        coupon
    )
    .fetch_optional(db)
    .await
}

/// The smallest string above every string that starts with `prefix`, in code point order (which
/// is UTF-8 byte order, the "C" collation): the prefix with its last character incremented.
/// User ids are at most 255 characters, so 256 U+10FFFF bound everything when none is higher.
pub fn upper_bound(prefix: &str) -> String {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut code = u32::from(last) + 1;
        if (0xD800..=0xDFFF).contains(&code) {
            code = 0xE000;
        }
        if let Some(next) = char::from_u32(code) {
            chars.push(next);
            return chars.into_iter().collect();
        }
    }
    char::MAX.to_string().repeat(256)
}

#[cfg(test)]
mod tests {
    use super::upper_bound;

    #[test]
    fn upper_bounds() {
        assert_eq!(upper_bound("u1"), "u2");
        assert_eq!(upper_bound("az"), "a{");
        assert_eq!(upper_bound("é"), "ê");
        assert_eq!(upper_bound("a\u{D7FF}"), "a\u{E000}");
        assert_eq!(upper_bound("a\u{10FFFF}"), "b");
        assert_eq!(upper_bound("\u{10FFFF}").chars().count(), 256);
        let (low, high) = ("u1", upper_bound("u1"));
        for inside in ["u1", "u10", "u1\u{10FFFF}"] {
            assert!(inside >= low && inside < high.as_str(), "{inside}");
        }
        for outside in ["u", "u2", "u0", "v"] {
            assert!(!(outside >= low && outside < high.as_str()), "{outside}");
        }
    }
}
