//! The public JSON API of DESIGN.md: thin handlers, errors mapped to status codes.

mod audit;
mod chunks;
mod claimers;
mod coupon_read;
mod coupons;
mod error;
mod events;
mod extract;

pub use error::ApiError;

use axum::{
    Json, Router,
    extract::State,
    routing::{delete, get, post},
};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::{
    rate_limit::{self, RateLimitSettings},
    state::AppState,
};

/// Routes under `/api`. Unknown paths and methods answer with the error JSON too.
pub fn router(limits: &RateLimitSettings) -> Router<AppState> {
    let claim = match rate_limit::claims_per_ip_layer(limits) {
        Some(per_ip) => post(coupons::claim).layer(per_ip),
        None => post(coupons::claim),
    };
    Router::new()
        .route("/coupons", post(coupons::create))
        // A coupon may be named "claim": GET on this path reads it, POST claims (and an admin
        // may still PATCH it).
        .route(
            "/coupons/claim",
            claim
                .get(coupons::get_named_claim)
                .patch(coupons::patch_named_claim),
        )
        .route("/coupons/{name}", get(coupons::get).patch(coupons::patch))
        .route("/coupons/{name}/events", get(events::coupon))
        .route("/events", get(events::all))
        // Admin routes (see auth::policy): the claimers of a coupon as JSON pages and as CSV.
        .route("/coupons/{name}/claims", get(claimers::list))
        .route("/coupons/{name}/claims.csv", get(claimers::csv))
        .route("/coupons/{name}/claims/{user_id}", delete(coupons::release))
        .route("/audit", get(audit::list))
        .fallback(|| async { ApiError::RouteNotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
}

/// `GET /health`: liveness. Answers while the process serves, whatever the database does (a
/// load balancer must not restart a server because PostgreSQL is away).
pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /health/ready`: readiness. `200` when a database round trip works within the acquire
/// timeout, else `503 unavailable`, so a load balancer sends no traffic here meanwhile.
pub async fn ready(State(pool): State<PgPool>) -> Result<Json<Value>, ApiError> {
    crate::db::ping(&pool).await.map_err(|error| {
        tracing::warn!(%error, "readiness: database round trip failed");
        ApiError::Unavailable
    })?;
    Ok(Json(json!({ "status": "ready" })))
}
