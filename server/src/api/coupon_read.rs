//! `GET /api/coupons/{name}` in bounded memory, whatever the number of claimers.
//!
//! A coupon with up to [`PAGE`] claimers is read and answered from one statement. A bigger one is
//! streamed: the first statement also names the newest claim of its snapshot, the rest of
//! `claimed_by` follows page by page (keyset on the claim id, up to that newest claim, one short
//! statement per page, no connection held between pages), so the list still matches the stock of
//! the snapshot, and one request holds at most a few pages in memory however slow its reader.
//! The JSON is the contract's shape either way. A big coupon that has not changed since it was
//! last read is answered from memory (`coupon_cache`); `PUBLIC_CLAIMERS=false` leaves the list out
//! for callers without admin rights.

use axum::{
    Json,
    body::{Body, Bytes},
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use futures::StreamExt;
use sqlx::PgPool;
use std::pin::pin;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::{
    ApiError,
    chunks::{Chunk, end_broken},
};
use crate::{
    db::{self, coupons::CouponFirstPage},
    sale::coupon_cache::CouponReads,
};

/// Claimers per statement, and the most answered without streaming.
const PAGE: i64 = 5_000;
/// Pages encoded ahead of a slow reader.
const CHUNKS_IN_FLIGHT: usize = 2;

/// The coupon named `name` with its claimers in claim order, or without the list when
/// `with_claimers` is false.
pub async fn read(
    pool: &PgPool,
    reads: &CouponReads,
    name: &str,
    with_claimers: bool,
) -> Result<Response, ApiError> {
    app::contract::validation::check_name(name).map_err(ApiError::InvalidRequest)?;
    if !with_claimers {
        let coupon = db::coupons::find(pool, name)
            .await?
            .ok_or(ApiError::CouponNotFound)?;
        return Ok(Json(coupon.without_claimers()).into_response());
    }
    if reads.holds(name) {
        let version = db::coupons::version(pool, name).await?;
        let Some(version) = version else {
            reads.forget(name);
            return Err(ApiError::CouponNotFound);
        };
        if let Some(body) = reads.get(name, version) {
            return Ok(json_bytes(body));
        }
    }
    let first = db::coupons::find_first_page(pool, name, PAGE)
        .await?
        .ok_or(ApiError::CouponNotFound)?;
    let Some(upto) = first
        .last_claim_id
        .filter(|last| Some(*last) != first.page_last_id)
    else {
        let claimers = first.claimed_by.len();
        let coupon = first.coupon.with_claimers(first.claimed_by);
        let body = Bytes::from(serde_json::to_vec(&coupon).unwrap_or_default());
        reads.put(name, first.version, claimers, &body);
        return Ok(json_bytes(body));
    };
    let (tx, rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
    tokio::spawn(stream_rest(pool.clone(), first, upto, tx));
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        Body::from_stream(ReceiverStream::new(rx)),
    )
        .into_response())
}

/// A JSON answer of bytes made before.
fn json_bytes(body: Bytes) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// User ids as comma-separated JSON strings, in one buffer.
fn ids<'a>(users: impl IntoIterator<Item = &'a String>) -> String {
    let mut out = String::new();
    for user in users {
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(&json(user));
    }
    out
}

/// Sends the coupon's JSON: head and first page, the other pages up to claim `upto`, the tail.
/// Stops when the client leaves; a database error ends the body abnormally (a broken download,
/// never a silently shortened list).
async fn stream_rest(pool: PgPool, first: CouponFirstPage, upto: i64, tx: mpsc::Sender<Chunk>) {
    // The contract's shape, field for field: everything before claimed_by, then the list.
    let fields = json(&first.coupon.clone().with_claimers(Vec::new()));
    let Some((head, tail)) = fields.split_once(r#""claimed_by":[]"#) else {
        return;
    };
    let head = format!(r#"{head}"claimed_by":[{}"#, ids(&first.claimed_by));
    if tx.send(Ok(Bytes::from(head))).await.is_err() {
        return;
    }
    let after = first.page_last_id.unwrap_or(0);
    let mut pages = pin!(db::claimers::pages_between(
        &pool,
        &first.coupon.name,
        after,
        upto,
        PAGE
    ));
    while let Some(page) = pages.next().await {
        let rows = match page {
            Ok(rows) => rows,
            Err(error) => {
                return end_broken(
                    &tx,
                    "streaming a coupon's claimers",
                    &first.coupon.name,
                    error,
                )
                .await;
            }
        };
        if tx
            .send(Ok(Bytes::from(format!(
                ",{}",
                ids(rows.iter().map(|r| &r.user_id))
            ))))
            .await
            .is_err()
        {
            return;
        }
    }
    let tail = format!("]{tail}");
    let _ = tx.send(Ok(Bytes::from(tail))).await;
}
