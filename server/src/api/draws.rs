//! A draw coupon's draw (docs/draw.md): its public proof and ranked tickets, the tickets with
//! user ids for the admin, and the admin's "Draw now".

use app::contract::{api_types::ErrorBody, draw::DrawProof};
use axum::{
    Json,
    body::{Body, Bytes},
    extract::State,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use sqlx::PgPool;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::{
    ApiError,
    chunks::{Chunk, end_broken},
    claimers::{csv_writer, neutralised, send},
    extract::ApiPath,
    spec::{AdminOnly, BadInput, Busy, CouponName, CouponNotFound},
};
use crate::{
    db,
    draw::{
        published::{self, Proof},
        run::{self, Outcome},
        ticket,
    },
    live::LiveHub,
};

/// Ranked tickets per page read and chunk sent.
const PAGE: i64 = 5_000;
/// Chunks buffered between the database reader and a slow client.
const CHUNKS_IN_FLIGHT: usize = 4;

/// `GET /api/coupons/{name}/draw`: the public proof, once drawn.
#[utoipa::path(
    get,
    path = "/coupons/{name}/draw",
    operation_id = "get_draw",
    tag = "draws",
    summary = "The proof of a draw coupon's draw, once drawn",
    security(()),
    params(CouponName),
    responses(
        (status = 200, description = "The proof: check it with docs/draw.md's verifier", body = DrawProof),
        (status = 409, description = "`not_a_draw` (a first_come coupon) or `not_drawn` (not yet)", body = ErrorBody),
        CouponNotFound, BadInput, Busy
    )
)]
pub async fn proof(
    State(pool): State<PgPool>,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<DrawProof>, ApiError> {
    drawn(&pool, &name).await.map(Json)
}

/// The proof of `name`'s draw, or why there is none.
async fn drawn(pool: &PgPool, name: &str) -> Result<DrawProof, ApiError> {
    app::contract::validation::check_name(name).map_err(ApiError::InvalidRequest)?;
    match published::proof(pool, name).await? {
        Proof::Drawn(proof) => Ok(proof),
        Proof::NotFound => Err(ApiError::CouponNotFound),
        Proof::NotADraw => Err(ApiError::NotADraw),
        Proof::NotDrawn => Err(ApiError::NotDrawn),
    }
}

/// `POST /api/coupons/{name}/draw` (admin): draws now, once the window has closed.
#[utoipa::path(
    post,
    path = "/coupons/{name}/draw",
    operation_id = "run_draw",
    tag = "draws",
    summary = "Draw now (the draw also runs by itself at draw_at)",
    description = "Runs the draw once the entry window has closed, even before `draw_at`. \
        Exactly once across processes: a draw already made answers its proof again.",
    security(("bearer" = []), ("session" = [])),
    params(CouponName),
    responses(
        (status = 200, description = "Drawn (now or before): the proof", body = DrawProof),
        (status = 409, description = "`not_a_draw`, `entries_open` (the window has not closed) or `beacon_missing` (the coupon requires a beacon)", body = ErrorBody),
        CouponNotFound, BadInput, AdminOnly, Busy
    )
)]
pub async fn run(
    State(pool): State<PgPool>,
    State(live): State<LiveHub>,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<DrawProof>, ApiError> {
    app::contract::validation::check_name(&name).map_err(ApiError::InvalidRequest)?;
    match run::draw_now(&pool, &live, &name).await? {
        Outcome::Drawn { .. } | Outcome::AlreadyDrawn => drawn(&pool, &name).await.map(Json),
        Outcome::NotFound => Err(ApiError::CouponNotFound),
        Outcome::FirstCome => Err(ApiError::NotADraw),
        Outcome::Open => Err(ApiError::EntriesOpen),
        Outcome::BeaconMissing => Err(ApiError::BeaconMissing),
    }
}

/// `GET /api/coupons/{name}/draw/tickets`: the ranked tickets, public, without user ids.
#[utoipa::path(
    get,
    path = "/coupons/{name}/draw/tickets",
    operation_id = "draw_tickets",
    tag = "draws",
    summary = "The ranked tickets of a draw: `rank,ticket,outcome` lines, no user ids",
    description = "One line per entry in rank order; its SHA-256 is the proof's `tickets_digest`.",
    security(()),
    params(CouponName),
    responses(
        (status = 200, description = "The ranked tickets", content_type = "text/plain", body = String),
        (status = 409, description = "`not_a_draw` or `not_drawn`", body = ErrorBody),
        CouponNotFound, BadInput, Busy
    )
)]
pub async fn tickets(
    State(pool): State<PgPool>,
    ApiPath(name): ApiPath<String>,
) -> Result<Response, ApiError> {
    let proof = drawn(&pool, &name).await?;
    let (tx, rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
    tokio::spawn(write_tickets(pool, name, proof.winners, Form::Public, tx));
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        Body::from_stream(ReceiverStream::new(rx)),
    )
        .into_response())
}

/// `GET /api/coupons/{name}/draw/tickets.csv` (admin, `read`): the ranked tickets with user ids.
#[utoipa::path(
    get,
    path = "/coupons/{name}/draw/tickets.csv",
    operation_id = "draw_tickets_csv",
    tag = "admin",
    summary = "The ranked tickets with user ids, as CSV (rank,ticket,outcome,user_id)",
    security(("bearer" = []), ("session" = [])),
    params(CouponName),
    responses(
        (status = 200, description = "CSV with a header row", content_type = "text/csv", body = String),
        (status = 409, description = "`not_a_draw` or `not_drawn`", body = ErrorBody),
        CouponNotFound, BadInput, AdminOnly, Busy
    )
)]
pub async fn tickets_csv(
    State(pool): State<PgPool>,
    ApiPath(name): ApiPath<String>,
) -> Result<Response, ApiError> {
    let proof = drawn(&pool, &name).await?;
    let (tx, rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
    tokio::spawn(write_tickets(pool, name, proof.winners, Form::Csv, tx));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"tickets.csv\""),
            ),
        ],
        Body::from_stream(ReceiverStream::new(rx)),
    )
        .into_response())
}

/// How the ranked tickets are written.
#[derive(Clone, Copy)]
enum Form {
    /// The public text whose digest the proof states.
    Public,
    /// CSV with a header row and each entry's user id.
    Csv,
}

/// Reads the ranked tickets page by page and sends a chunk per page, until done, failed, or the
/// client left.
async fn write_tickets(
    pool: PgPool,
    name: String,
    winners: u64,
    form: Form,
    tx: mpsc::Sender<Chunk>,
) {
    let mut out = csv_writer();
    if matches!(form, Form::Csv)
        && out
            .write_record(["rank", "ticket", "outcome", "user_id"])
            .is_err()
    {
        return;
    }
    let mut after = 0;
    loop {
        let page = match db::draws::ranked(&pool, &name, after, PAGE).await {
            Ok(page) => page,
            Err(error) => return end_broken(&tx, "sending ranked tickets", &name, error).await,
        };
        let Some(last) = page.last() else {
            break;
        };
        after = last.rank;
        let mut text = String::new();
        for row in &page {
            let rank = u64::try_from(row.rank).unwrap_or(0);
            let Ok(ticket) = ticket::Ticket::try_from(row.ticket.as_slice()) else {
                let error = sqlx::Error::Decode("a ticket is not 32 bytes".into());
                return end_broken(&tx, "sending ranked tickets", &name, error).await;
            };
            match form {
                Form::Public => text.push_str(&ticket::ticket_line(rank, &ticket, winners)),
                Form::Csv => {
                    let record = [
                        &*rank.to_string(),
                        &hex::encode(ticket),
                        ticket::outcome(rank, winners),
                        &neutralised(&row.user_id),
                    ];
                    if out.write_record(record).is_err() {
                        return;
                    }
                }
            }
        }
        let sent = match form {
            Form::Public => tx.send(Ok(Bytes::from(text))).await.is_ok(),
            Form::Csv => send(&tx, &mut out).await,
        };
        if !sent {
            return;
        }
    }
    if matches!(form, Form::Csv) {
        send(&tx, &mut out).await;
    }
}
