//! SSE handlers: `GET /api/coupons/{name}/events` (one coupon) and `GET /api/events` (all).
//!
//! Each connection reads the current state from the database first, so a new or reconnecting
//! subscriber (with or without `Last-Event-ID`) gets the exact current state at once.

use axum::{extract::State, response::Response};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use super::{ApiError, extract::ApiPath};
use crate::{
    db,
    live::{LiveHub, sse},
};

/// Most coupons the all-coupons stream carries (as many as the admin list shows).
const BOARD_LIMIT: i64 = 500;

/// `GET /api/coupons/{name}/events`: 404 when no coupon has the name.
pub async fn coupon(
    State(pool): State<PgPool>,
    State(hub): State<LiveHub>,
    State(shutdown): State<CancellationToken>,
    ApiPath(name): ApiPath<String>,
) -> Result<Response, ApiError> {
    app::validation::check_name(&name).map_err(ApiError::InvalidRequest)?;
    let place = hub.admit().ok_or(ApiError::TooManySubscribers)?;
    let fresh = db::live::states(&pool, Some(&[name]), 1)
        .await?
        .pop()
        .ok_or(ApiError::CouponNotFound)?;
    let settings = hub.settings();
    let stream = sse::follow(hub.subscribe(fresh), settings.coalesce, shutdown);
    Ok(sse::respond(stream, settings.keep_alive, place))
}

/// `GET /api/events`: every coupon (the newest 500).
pub async fn all(
    State(pool): State<PgPool>,
    State(hub): State<LiveHub>,
    State(shutdown): State<CancellationToken>,
) -> Result<Response, ApiError> {
    let place = hub.admit().ok_or(ApiError::TooManySubscribers)?;
    let fresh = db::live::states(&pool, None, BOARD_LIMIT).await?;
    let settings = hub.settings();
    let stream = sse::follow(hub.subscribe_board(fresh), settings.coalesce, shutdown);
    Ok(sse::respond(stream, settings.keep_alive, place))
}
