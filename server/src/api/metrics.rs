//! `GET /metrics`: the Prometheus exposition of [`crate::telemetry::metrics`], an admin route
//! (`policy`). Gauges that only a scrape needs are read here, not kept up to date.

use axum::{
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};

use super::ApiError;
use crate::{state::AppState, telemetry::metrics};
use ::metrics::gauge;

/// `GET /metrics`: the Prometheus text exposition; `404` when metrics are off (METRICS=false).
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "operations",
    summary = "Prometheus metrics (text exposition format)",
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "Counters, gauges and histograms", content_type = "text/plain", body = String),
        (status = 404, description = "`not_found`: metrics are off (METRICS=false)", body = app::contract::api_types::ErrorBody),
        super::spec::AdminOnly
    )
)]
pub async fn render(State(state): State<AppState>) -> Response {
    let Some(handle) = &state.metrics else {
        return ApiError::RouteNotFound.into_response();
    };
    gauge!(metrics::POOL_CONNECTIONS).set(f64::from(state.pool.size()));
    gauge!(metrics::POOL_IDLE).set(state.pool.num_idle() as f64);
    gauge!(metrics::SSE_SUBSCRIBERS).set(state.live.subscribers() as f64);
    gauge!(metrics::STOCK_WATCHED).set(state.stock.sizes().0 as f64);
    // Registered even where no batch ever waited (e.g. the per-request engine): shown as 0.
    gauge!(metrics::POOL_WAITERS).increment(0.0);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
        .into_response()
}
