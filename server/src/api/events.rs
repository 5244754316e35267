//! SSE handlers: `GET /api/coupons/{name}/events` (one coupon) and `GET /api/events` (all).
//!
//! Each connection reads the current state from the database first, so a new or reconnecting
//! subscriber (with or without `Last-Event-ID`) gets the exact current state at once.

use axum::{extract::State, response::Response};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use super::{
    ApiError,
    extract::ApiPath,
    spec::{AdminOnly, BadInput, CouponName, CouponNotFound, ServerSentEvent, StreamFull},
};
use crate::{
    db,
    live::{self, LiveHub, sse},
};

/// `GET /api/coupons/{name}/events`: 404 when no coupon has the name.
#[utoipa::path(
    get,
    path = "/coupons/{name}/events",
    operation_id = "coupon_events",
    tag = "live",
    summary = "Live stock of one coupon (server-sent events)",
    security(("bearer" = []), ("session" = [])),
    params(CouponName),
    responses(
        (status = 200, description = "Event `snapshot` (the coupon's state now), then `stock` (its state: name, amount, remaining_amount, claimed, version, paused, starts_at, ends_at, now), `claims` (new claimers) and `sold_out`; ids are versions, `Last-Event-ID` resumes", content_type = "text/event-stream", body = ServerSentEvent),
        CouponNotFound, BadInput, AdminOnly, StreamFull
    )
)]
pub async fn coupon(
    State(pool): State<PgPool>,
    State(hub): State<LiveHub>,
    State(shutdown): State<CancellationToken>,
    ApiPath(name): ApiPath<String>,
) -> Result<Response, ApiError> {
    app::contract::validation::check_name(&name).map_err(ApiError::InvalidRequest)?;
    let place = hub.admit().ok_or(ApiError::TooManySubscribers)?;
    let fresh = db::live::states(&pool, Some(&[name]), 1)
        .await?
        .pop()
        .ok_or(ApiError::CouponNotFound)?;
    let settings = hub.settings();
    let stream = sse::follow(hub.subscribe(fresh), settings.coalesce, shutdown);
    Ok(sse::respond(stream, settings.keep_alive, place))
}

/// `GET /api/events`: every coupon (the newest [`live::BOARD_LIMIT`]).
#[utoipa::path(
    get,
    path = "/events",
    operation_id = "all_events",
    tag = "live",
    summary = "Live stock of every coupon, the newest 500 (server-sent events)",
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "Event `snapshot` with every coupon's state, then `stock`, `claims` and `sold_out` as they change", content_type = "text/event-stream", body = ServerSentEvent),
        AdminOnly, StreamFull
    )
)]
pub async fn all(
    State(pool): State<PgPool>,
    State(hub): State<LiveHub>,
    State(shutdown): State<CancellationToken>,
) -> Result<Response, ApiError> {
    let place = hub.admit().ok_or(ApiError::TooManySubscribers)?;
    let fresh = db::live::states(&pool, None, live::BOARD_LIMIT).await?;
    let settings = hub.settings();
    let stream = sse::follow(hub.subscribe_board(fresh), settings.coalesce, shutdown);
    Ok(sse::respond(stream, settings.keep_alive, place))
}
