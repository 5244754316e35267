//! A drawn coupon's ranked tickets: public without user ids (their digest is in the proof), and
//! with user ids for the admin and `read` keys; streamed page by page.

use app::contract::api_types::ErrorBody;
use axum::{
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
    draws::drawn,
    extract::ApiPath,
    spec::{AdminOnly, BadInput, Busy, CouponName, CouponNotFound},
};
use crate::{db, draw::ticket};

/// Ranked tickets per page read and chunk sent.
const PAGE: i64 = 5_000;
/// Chunks buffered between the database reader and a slow client.
const CHUNKS_IN_FLIGHT: usize = 4;

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

/// The rows of a page in their form, until sent.
enum Page {
    Public(String),
    /// (Boxed: a CSV writer holds its buffer inline.)
    Csv(Box<csv::Writer<Vec<u8>>>),
}

impl Page {
    /// An empty page; the CSV starts with its header row (`None` if it cannot be written).
    fn start(form: Form) -> Option<Self> {
        match form {
            Form::Public => Some(Self::Public(String::new())),
            Form::Csv => {
                let mut out = csv_writer();
                out.write_record(["rank", "ticket", "outcome", "user_id"])
                    .ok()?;
                Some(Self::Csv(Box::new(out)))
            }
        }
    }

    /// Adds one ranked ticket; false when the CSV cannot be written.
    fn push(&mut self, rank: u64, ticket: &ticket::Ticket, winners: u64, user_id: &str) -> bool {
        match self {
            Self::Public(text) => {
                text.push_str(&ticket::ticket_line(rank, ticket, winners));
                true
            }
            Self::Csv(out) => {
                let record = [
                    &*rank.to_string(),
                    &hex::encode(ticket),
                    ticket::outcome(rank, winners),
                    &neutralised(user_id),
                ];
                out.write_record(record).is_ok()
            }
        }
    }

    /// Sends what the page holds and empties it; false when the client is gone.
    async fn send(&mut self, tx: &mpsc::Sender<Chunk>) -> bool {
        match self {
            Self::Public(text) => {
                let text = std::mem::take(text);
                text.is_empty() || tx.send(Ok(Bytes::from(text))).await.is_ok()
            }
            Self::Csv(out) => send(tx, out).await,
        }
    }
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
    let Some(mut out) = Page::start(form) else {
        return;
    };
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
        for row in &page {
            let rank = u64::try_from(row.rank).unwrap_or(0);
            let Ok(ticket) = ticket::Ticket::try_from(row.ticket.as_slice()) else {
                let error = sqlx::Error::Decode("a ticket is not 32 bytes".into());
                return end_broken(&tx, "sending ranked tickets", &name, error).await;
            };
            if !out.push(rank, &ticket, winners, &row.user_id) {
                return;
            }
        }
        if !out.send(&tx).await {
            return;
        }
    }
    // An empty draw's CSV is its header alone.
    out.send(&tx).await;
}
