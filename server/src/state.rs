//! The one state every handler and the Leptos integration share.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use metrics_exporter_prometheus::PrometheusHandle;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::{
    claims::ClaimEngine,
    credentials::{AdminAuth, api_keys::ApiKeys, claim_auth::ClaimAuth},
    http::cors::Cors,
    http::rate_limit::RateLimits,
    live::{LiveHub, stock::StockReads},
    sale::Sales,
    sale::coupon_cache::CouponReads,
    webhooks::Webhooks,
};

/// What every handler and the Leptos integration share, behind one `Arc`: axum clones the state
/// for every request (and again for each `State` extractor and `from_fn_with_state` layer), so a
/// clone is one reference count, not one per field.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The fields of [`AppState`]; every field is a handle.
pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub pool: PgPool,
    pub engine: ClaimEngine,
    /// Cancelled when the server stops, so long-lived responses (SSE) can end.
    pub shutdown: CancellationToken,
    /// The newest stock of watched coupons, for the SSE streams.
    pub live: LiveHub,
    /// The public stock reads, served from the hub.
    pub stock: StockReads,
    /// `PUBLIC_CLAIMERS` and the kept answers of the public coupon read.
    pub coupon_reads: CouponReads,
    /// Admin secrets and the session signing key.
    pub auth: AdminAuth,
    /// API keys (cached; see `credentials::api_keys`).
    pub keys: ApiKeys,
    /// Who may claim (`CLAIM_AUTH`) and the shopper token keys.
    pub claim_auth: ClaimAuth,
    /// The origins whose pages may claim from a browser.
    pub cors: Cors,
    /// Rate limits per address, user, key and failed credential.
    pub limits: RateLimits,
    /// The admin's actions on sales (create, patch, release), audited.
    pub sales: Sales,
    /// Webhook endpoints and this process's dispatcher.
    pub webhooks: Webhooks,
    /// The OpenAPI document, served at `/api/openapi.json`.
    pub api_spec: ApiSpec,
    /// The Prometheus recorder; `None` when metrics are off.
    pub metrics: Option<PrometheusHandle>,
}

/// The OpenAPI document as served: JSON, built once at startup (`api::spec` describes it).
#[derive(Clone)]
pub struct ApiSpec(pub Arc<str>);

impl ApiSpec {
    pub fn new(doc: &utoipa::openapi::OpenApi) -> anyhow::Result<Self> {
        Ok(Self(doc.to_pretty_json()?.into()))
    }
}

/// `State<T>` extractors for the parts handlers take.
macro_rules! parts {
    ($($field:ident: $part:ty),* $(,)?) => {$(
        impl FromRef<AppState> for $part {
            fn from_ref(state: &AppState) -> Self {
                state.$field.clone()
            }
        }
    )*};
}

parts!(
    pool: PgPool,
    engine: ClaimEngine,
    shutdown: CancellationToken,
    live: LiveHub,
    stock: StockReads,
    coupon_reads: CouponReads,
    auth: AdminAuth,
    keys: ApiKeys,
    claim_auth: ClaimAuth,
    cors: Cors,
    limits: RateLimits,
    sales: Sales,
    webhooks: Webhooks,
    api_spec: ApiSpec,
    leptos_options: LeptosOptions,
);

impl FromRef<AppState> for axum_extra::extract::cookie::Key {
    fn from_ref(state: &AppState) -> Self {
        state.auth.key()
    }
}
