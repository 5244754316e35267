//! The JSON API (docs/api.md): thin handlers, errors mapped to status codes.

mod audit;
mod chunks;
mod claimant;
mod claimers;
mod coupon_read;
mod coupons;
mod draw_tickets;
mod draws;
mod entries;
mod error;
mod error_from;
mod events;
mod extract;
mod holders;
pub mod idempotency;
mod keys;
mod metrics;
pub mod spec;
pub mod spec_auth;
mod stock;
mod webhooks;

pub use error::ApiError;

use axum::{Json, Router, extract::State};
use serde_json::{Value, json};
use sqlx::PgPool;
use utoipa::{OpenApi, openapi::OpenApi as Document};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

/// Routes under `/api`, each registered once for the router and the OpenAPI document (see
/// `spec`). Unknown paths and methods answer with the error JSON too.
pub fn router() -> (Router<AppState>, Document) {
    let claim = routes!(
        coupons::claim,
        coupons::get_named_claim,
        coupons::patch_named_claim
    );
    let (router, doc) = OpenApiRouter::new()
        .routes(routes!(coupons::create))
        // A coupon may be named "claim": GET on this path reads it, POST claims (and an admin
        // may still PATCH it).
        .routes(claim)
        .routes(routes!(coupons::get, coupons::patch))
        .routes(routes!(stock::read))
        .routes(routes!(stock::events))
        .routes(routes!(events::coupon))
        .routes(routes!(events::all))
        // Admin routes (see policy): the claimers of a coupon as JSON pages and as CSV.
        .routes(routes!(claimers::list))
        .routes(routes!(claimers::csv))
        .routes(routes!(coupons::release, holders::get))
        .routes(routes!(holders::redeem))
        .routes(routes!(draws::proof, draws::run))
        .routes(routes!(draws::beacon))
        .routes(routes!(draw_tickets::tickets))
        .routes(routes!(draw_tickets::tickets_csv))
        .routes(routes!(entries::status))
        .routes(routes!(audit::list))
        .routes(routes!(keys::create, keys::list))
        .routes(routes!(keys::revoke))
        .routes(routes!(webhooks::create, webhooks::list))
        .routes(routes!(webhooks::get, webhooks::update, webhooks::delete))
        .routes(routes!(webhooks::rotate))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::retry))
        .routes(routes!(spec::document))
        .split_for_parts();
    let router = router
        .fallback(|| async { ApiError::RouteNotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed });
    (router, doc)
}

/// The routes outside `/api` that the document lists (health, readiness, metrics), and the
/// whole document with `api` nested under `/api`.
pub fn operations(api: Document) -> (Router<AppState>, Document) {
    let (router, doc) = OpenApiRouter::with_openapi(spec::ApiDoc::openapi())
        .routes(routes!(health))
        .routes(routes!(ready))
        .routes(routes!(metrics::render))
        .split_for_parts();
    let mut doc = doc.nest("/api", api);
    spec_auth::add_credentials(&mut doc);
    (router, doc)
}

#[utoipa::path(
    get,
    path = "/health",
    operation_id = "health",
    tag = "operations",
    summary = "Liveness: the process serves",
    security(()),
    responses((status = 200, description = "`{\"status\":\"ok\"}`", body = Object))
)]
/// `GET /health`: liveness. Answers while the process serves, whatever the database does (a
/// load balancer must not restart a server because PostgreSQL is away).
pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

#[utoipa::path(
    get,
    path = "/health/ready",
    operation_id = "ready",
    tag = "operations",
    summary = "Readiness: the database answers",
    security(()),
    responses((status = 200, description = "`{\"status\":\"ready\"}`", body = Object), spec::Busy)
)]
/// `GET /health/ready`: readiness. `200` when a round trip to the primary works within the
/// acquire timeout, else `503 unavailable` (no database, or only a standby: during a failover),
/// so a load balancer sends no traffic here meanwhile.
pub async fn ready(State(pool): State<PgPool>) -> Result<Json<Value>, ApiError> {
    match crate::db::ping(&pool).await {
        Ok(true) => Ok(Json(json!({ "status": "ready" }))),
        Ok(false) => {
            tracing::warn!("readiness: the database is a standby (no primary reachable)");
            Err(ApiError::Unavailable)
        }
        Err(error) => {
            tracing::warn!(%error, "readiness: database round trip failed");
            Err(ApiError::Unavailable)
        }
    }
}
