//! The one state every handler and the Leptos integration share.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use metrics_exporter_prometheus::PrometheusHandle;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::{
    api::spec::ApiSpec, auth::AdminAuth, claims::ClaimEngine, live::LiveHub,
    rate_limit::RateLimits, sale::Sales,
};

/// Cheap to clone: every field is a handle.
#[derive(Clone, FromRef)]
pub struct AppState {
    /// Behind an `Arc`: axum clones the state for every request, claims included, and
    /// `LeptosOptions` is a dozen strings.
    #[from_ref(skip)]
    pub leptos_options: Arc<LeptosOptions>,
    pub pool: PgPool,
    pub engine: ClaimEngine,
    /// Cancelled when the server stops, so long-lived responses (SSE) can end.
    pub shutdown: CancellationToken,
    /// The newest stock of watched coupons, for the SSE streams.
    pub live: LiveHub,
    /// Admin secrets and the session signing key.
    pub auth: AdminAuth,
    /// Per-user and per-IP rate limits.
    pub limits: RateLimits,
    /// The admin's actions on sales (create, patch, release), audited.
    pub sales: Sales,
    /// The OpenAPI document, served at `/api/openapi.json`.
    pub api_spec: ApiSpec,
    /// The Prometheus recorder; `None` when metrics are off.
    #[from_ref(skip)]
    pub metrics: Option<PrometheusHandle>,
}

impl FromRef<AppState> for axum_extra::extract::cookie::Key {
    fn from_ref(state: &AppState) -> Self {
        state.auth.key()
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        (*state.leptos_options).clone()
    }
}
