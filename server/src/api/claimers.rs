//! Admin JSON and CSV of a coupon's claimers.

use app::contract::admin_types::{ClaimersPage, ClaimersQuery};
use axum::{
    Json,
    body::{Body, Bytes},
    extract::State,
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
    extract::{ApiPath, ApiQuery},
    spec::{AdminOnly, BadInput, Busy, CouponName, CouponNotFound},
};
use crate::db;

/// Rows per page read, and per CSV chunk sent.
const CSV_PAGE: i64 = 2_000;
/// Chunks buffered between the database reader and a slow client (backpressure beyond that).
const CSV_CHUNKS_IN_FLIGHT: usize = 4;

/// `GET /api/coupons/{name}/claims?after&limit&prefix`: a keyset page of claimers.
#[utoipa::path(
    get,
    path = "/coupons/{name}/claims",
    operation_id = "list_claims",
    tag = "admin",
    summary = "A page of a coupon's claimers, in claim order",
    security(("bearer" = []), ("session" = [])),
    params(CouponName, ClaimersQuery),
    responses(
        (status = 200, description = "The page; pass `next` as `after` for the following one", body = ClaimersPage),
        CouponNotFound, BadInput, AdminOnly, Busy
    )
)]
pub async fn list(
    State(pool): State<PgPool>,
    ApiPath(name): ApiPath<String>,
    ApiQuery(query): ApiQuery<ClaimersQuery>,
) -> Result<Json<ClaimersPage>, ApiError> {
    let (after, limit, prefix) = query.checked().map_err(ApiError::InvalidRequest)?;
    existing(&pool, &name).await?;
    let page = db::claimers::page(&pool, &name, after, limit, prefix.as_deref()).await?;
    Ok(Json(page))
}

/// `GET /api/coupons/{name}/claims.csv`: every claimer as CSV (`user_id,claimed_at,redeemed_at`), streamed
/// to the client page by page.
#[utoipa::path(
    get,
    path = "/coupons/{name}/claims.csv",
    operation_id = "claims_csv",
    tag = "admin",
    summary = "Every claimer as CSV (user_id,claimed_at,redeemed_at), streamed",
    security(("bearer" = []), ("session" = [])),
    params(CouponName),
    responses(
        (status = 200, description = "CSV with a header row", content_type = "text/csv", body = String),
        CouponNotFound, BadInput, AdminOnly, Busy
    )
)]
pub async fn csv(
    State(pool): State<PgPool>,
    ApiPath(name): ApiPath<String>,
) -> Result<Response, ApiError> {
    existing(&pool, &name).await?;
    let filename = format!("{}-claims.csv", app::contract::url::encode(&name));
    let disposition = HeaderValue::from_str(&format!(
        "attachment; filename=\"claims.csv\"; filename*=UTF-8''{filename}"
    ))
    .map_err(|e| ApiError::Internal(e.into()))?;
    let (tx, rx) = mpsc::channel(CSV_CHUNKS_IN_FLIGHT);
    tokio::spawn(write_csv(pool, name, tx));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from_stream(ReceiverStream::new(rx)),
    )
        .into_response())
}

/// Reads the claims page by page (keyset, up to the newest claim when the download started; see
/// `db::claimers::rows_between`) and sends one CSV chunk per page until done, failed, or the
/// client left. Between pages nothing is held: a slow reader pins no connection and no snapshot.
async fn write_csv(pool: PgPool, name: String, tx: mpsc::Sender<Chunk>) {
    let mut out = csv_writer();
    if out
        .write_record(["user_id", "claimed_at", "redeemed_at"])
        .is_err()
    {
        return;
    }
    let upto = match db::claimers::last_claim_id(&pool, &name).await {
        Ok(upto) => upto.unwrap_or(0),
        Err(error) => return end_broken(&tx, "CSV export", &name, error).await,
    };
    let mut pages = pin!(db::claimers::pages_between(&pool, &name, 0, upto, CSV_PAGE));
    while let Some(page) = pages.next().await {
        let rows = match page {
            Ok(rows) => rows,
            Err(error) => return end_broken(&tx, "CSV export", &name, error).await,
        };
        for row in rows {
            let time = |at: chrono::DateTime<chrono::Utc>| {
                at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
            };
            let redeemed = row.redeemed_at.map(time).unwrap_or_default();
            let record = [
                &*neutralised(&row.user_id),
                &time(row.claimed_at),
                &redeemed,
            ];
            if out.write_record(record).is_err() {
                return;
            }
        }
        if !send(&tx, &mut out).await {
            return;
        }
    }
    send(&tx, &mut out).await;
}

/// A cell that a spreadsheet would run as a formula (OWASP, CSV injection: it starts with `=`,
/// `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, so it is shown as text.
pub(super) fn neutralised(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

pub(super) fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new())
}

/// Sends what the writer holds and empties it; false when the client is gone.
pub(super) async fn send(tx: &mpsc::Sender<Chunk>, out: &mut csv::Writer<Vec<u8>>) -> bool {
    let bytes = match std::mem::replace(out, csv_writer()).into_inner() {
        Ok(bytes) => bytes,
        Err(_) => return false,
    };
    bytes.is_empty() || tx.send(Ok(Bytes::from(bytes))).await.is_ok()
}

async fn existing(pool: &PgPool, name: &str) -> Result<(), ApiError> {
    app::contract::validation::check_name(name).map_err(ApiError::InvalidRequest)?;
    db::coupons::find(pool, name)
        .await?
        .map(|_| ())
        .ok_or(ApiError::CouponNotFound)
}
