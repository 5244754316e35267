//! Builds the whole application on any listener, so tests can run it on port 0.

use std::{future::Future, path::Path, sync::Arc, time::Duration};

use anyhow::Context;

use app::{
    server_fns::backend::SharedBackend, server_fns::draw_backend::SharedDraws,
    server_fns::webhook_backend::SharedWebhooks,
};
use axum::{Router, http::StatusCode, response::IntoResponse, routing::get};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use metrics_exporter_prometheus::PrometheusHandle;
use sqlx::{PgPool, postgres::PgConnectOptions};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{
    api,
    auth::{self, AdminAuth},
    claims::ClaimEngine,
    config::{self, ClaimAuthMode, Config, leptos_options},
    credentials::{api_keys::ApiKeys, claim_auth::ClaimAuth},
    db,
    http::cors::Cors,
    http::rate_limit::{RateLimitSettings, RateLimits},
    http::serve::{ConnectionLimits, serve},
    http::site_files,
    live::{self, LiveSettings, stock::StockReads},
    sale::Sales,
    sale::coupon_cache::CouponReads,
    state::{ApiSpec, AppState, Shared},
    ui::DbBackend,
    webhooks::{self, Webhooks},
};

/// A server bound to its listener, ready to run.
pub struct Application {
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
    limits: ConnectionLimits,
}

impl Application {
    /// Connects to the database, migrates it and binds the listen address.
    /// Every error says in one line what to set.
    pub async fn build(mut config: Config) -> anyhow::Result<Self> {
        if config
            .database_url
            .as_deref()
            .unwrap_or_default()
            .is_empty()
        {
            anyhow::bail!(
                "DATABASE_URL is not set: set it to a PostgreSQL URL such as postgres://user@127.0.0.1:5432/coupons (`make run` starts a local PostgreSQL for you)"
            );
        }
        config.site_root = Some(config::site_root(config.site_root.as_deref())?);
        crate::http::serve::raise_open_files(config.max_connections);
        let addr = match config.listen_addr {
            Some(addr) => addr,
            None => leptos_options(Path::new("."))?.site_addr,
        };
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr} (set LISTEN_ADDR)"))?;
        let url = config.database_url.as_deref().unwrap_or_default();
        let connect = url
            .parse()
            .context("DATABASE_URL is not a PostgreSQL URL (postgres://user@host:port/database)")?;
        let pool = database_settings(&config, connect)
            .request_pool()
            .await
            .context("cannot connect to the database (check DATABASE_URL)")?;
        db::migrate(&pool)
            .await
            .context("cannot migrate the database (check DATABASE_URL's role and schema)")?;
        Self::on_listener(config, pool, listener).await
    }

    /// Builds the app on a ready pool (already migrated) and listener.
    pub async fn on_listener(
        config: Config,
        pool: PgPool,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        let site_root = match &config.site_root {
            Some(dir) => dir.clone(),
            None => config::site_root(None)?,
        };
        let options = leptos_options(&site_root)?;
        let shutdown = CancellationToken::new();
        let live = live::start(&pool, live_settings(&config), &shutdown);
        let auth = AdminAuth::from_config(&config)?;
        let limits = RateLimits::new(rate_limit_settings(&config));
        let claim_auth = ClaimAuth::from_config(&config)?;
        let cors = Cors::new(&config.cors_allowed_origins)?;
        let keys = ApiKeys::load(pool.clone())
            .await
            .context("cannot read the API keys")?;
        let claims = crate::telemetry::activity::ClaimActivity::default();
        let settings = webhooks::Settings::from_config(&config.webhooks);
        let webhooks = Webhooks::new(pool.clone(), settings, claims.clone())?;
        webhooks::dispatch::start(&webhooks, &shutdown);
        let (api_routes, api_doc) = api::router();
        let (operation_routes, doc) = api::operations(api_doc);
        if config.live_max_subscribers >= config.max_connections {
            tracing::warn!(
                "LIVE_MAX_SUBSCRIBERS ({}) is not below MAX_CONNECTIONS ({}): a full house of streams leaves no connection for claims",
                config.live_max_subscribers,
                config.max_connections
            );
        }
        if !auth.required() {
            tracing::warn!(
                "ADMIN_PASSWORD is not set: the admin UI and admin API are open to anyone who can reach this server"
            );
        }
        if claim_auth.takes(ClaimAuthMode::Open) {
            tracing::warn!(
                "CLAIM_AUTH has open: claims are unauthenticated, anyone may claim in any user's name (set CLAIM_AUTH=key or token)"
            );
        }
        let stock = StockReads::start(
            live.clone(),
            pool.clone(),
            claims.clone(),
            config.stock_reads_per_sec_during_claims,
            &shutdown,
        );
        let state = AppState::new(Shared {
            leptos_options: options,
            engine: ClaimEngine::new(
                pool.clone(),
                config.claim_engine,
                config.claim_batch_max,
                shutdown.clone(),
            )
            .with_live(live.clone())
            .with_activity(claims),
            sales: Sales {
                pool: pool.clone(),
                live: live.clone(),
            },
            pool,
            shutdown: shutdown.clone(),
            stock,
            coupon_reads: CouponReads::new(config.public_claimers, config.public_read_cache_mb),
            live,
            auth,
            keys,
            claim_auth,
            cors,
            limits,
            webhooks,
            api_spec: ApiSpec::new(&doc)?,
            metrics: config
                .metrics
                .then(crate::telemetry::metrics::recorder)
                .flatten(),
        });
        if let Some(handle) = state.metrics.clone() {
            tokio::spawn(metrics_upkeep(handle, shutdown.clone()));
        }
        tokio::spawn(forget_idle_clients(state.limits.clone(), shutdown.clone()));
        tokio::spawn(crate::credentials::api_keys::watch::run(
            state.keys.clone(),
            shutdown.clone(),
        ));
        tokio::spawn(crate::draw::schedule::run(
            state.pool.clone(),
            state.live.clone(),
            shutdown.clone(),
        ));
        tokio::spawn(crate::sale::sweeper::run(
            state.pool.clone(),
            state.live.clone(),
            shutdown.clone(),
        ));
        tokio::spawn(api::idempotency::purge_expired(
            state.pool.clone(),
            shutdown.clone(),
        ));
        let router = router(
            state,
            &config,
            Router::new()
                .nest("/api", api_routes)
                .merge(operation_routes),
        );
        Ok(Self {
            listener,
            router,
            shutdown,
            limits: ConnectionLimits {
                header_read_timeout: Duration::from_millis(config.header_read_timeout_ms),
                max_connections: config.max_connections,
            },
        })
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The whole router; tests enumerate its routes to check the auth rule of each.
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// Serves until `stop` resolves, then finishes in-flight requests and returns.
    pub async fn run_until_stopped(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        tracing::info!(addr = %self.listener.local_addr()?, "listening");
        let token = self.shutdown.clone();
        let stop = async move {
            stop.await;
            // Ends long-lived responses so the graceful shutdown cannot hang on them.
            token.cancel();
        };
        serve(self.listener, self.router, self.limits, stop).await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// The database settings of `config`, for the server at `connect`.
pub fn database_settings(config: &Config, connect: PgConnectOptions) -> db::DatabaseSettings {
    db::DatabaseSettings {
        connect,
        pool_size: config.db_pool_size,
        acquire_timeout: config.db_acquire_timeout(),
        statement_timeout_ms: config.db_statement_timeout_ms,
        lock_timeout_ms: config.db_lock_timeout_ms,
    }
}

fn live_settings(config: &Config) -> LiveSettings {
    LiveSettings {
        refresh: Duration::from_millis(config.live_refresh_ms),
        coalesce: Duration::from_millis(config.live_coalesce_ms),
        keep_alive: Duration::from_secs(config.live_keepalive_secs),
        max_subscribers: config.live_max_subscribers,
    }
}

fn rate_limit_settings(config: &Config) -> RateLimitSettings {
    RateLimitSettings {
        enabled: config.rate_limits,
        trust_forwarded_for: config.trust_forwarded_for,
        claims_per_ip: (config.claims_per_ip_per_sec, config.claims_per_ip_burst),
        claims_per_key: (config.claims_per_key_per_sec, config.claims_per_key_burst),
        claims_per_user: (config.claims_per_user_per_sec, config.claims_per_user_burst),
        auth_failures_per_minute: config.auth_failures_per_minute,
    }
}

/// Folds recorded histogram samples into their buckets, so memory stays flat between scrapes.
async fn metrics_upkeep(handle: PrometheusHandle, stop: CancellationToken) {
    let mut every = tokio::time::interval(Duration::from_secs(5));
    loop {
        tokio::select! {
            _ = every.tick() => handle.run_upkeep(),
            () = stop.cancelled() => return,
        }
    }
}

/// Keeps the rate limiters' memory to recent clients.
async fn forget_idle_clients(limits: RateLimits, stop: CancellationToken) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = every.tick() => limits.forget_idle(),
            () = stop.cancelled() => return,
        }
    }
}

/// The UI's routes, generated once per process. Generating them renders the app with a
/// process-wide flag set that parks every resource polled meanwhile for ever
/// (leptos-rs/leptos#4773): a second app built in a process that already serves pages (tests run
/// many) would hang renders in flight.
static ROUTES: std::sync::LazyLock<Vec<leptos_axum::AxumRouteListing>> =
    std::sync::LazyLock::new(|| generate_route_list(app::App));

/// The whole app: `json` (the API and the operations routes of the OpenAPI document), the UI's
/// pages, server functions and files, behind the admin guard and the request layers.
fn router(state: AppState, config: &Config, json: Router<AppState>) -> Router {
    let routes = ROUTES.clone();
    let backend: SharedBackend = Arc::new(DbBackend {
        pool: state.pool.clone(),
        sales: state.sales.clone(),
        api_spec: state.api_spec.clone(),
        keys: state.keys.clone(),
    });
    let hooks: SharedWebhooks = Arc::new(state.webhooks.clone());
    let draws: SharedDraws = Arc::new(crate::ui::draws::Draws {
        pool: state.pool.clone(),
        live: state.live.clone(),
    });
    let context = move || {
        provide_context(backend.clone());
        provide_context(hooks.clone());
        provide_context(draws.clone());
    };
    let options = state.leptos_options.clone();
    // The UI's JS, WASM and CSS (see site_files), never the app's renderer (the fallback below).
    let pkg = std::path::Path::new(&*options.site_root).join(&*options.site_pkg_dir);
    let app = Router::new()
        .nest_service("/pkg", site_files::service(&pkg, options.hash_files))
        // The pages carry an inline icon; browsers that ask anyway get a plain 404.
        .route("/favicon.ico", get(|| async { StatusCode::NOT_FOUND }))
        .merge(json)
        .merge(auth::router())
        .leptos_routes_with_context(&state, routes, context.clone(), move || {
            app::shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, app::shell));
    let guard = axum::middleware::from_fn_with_state(state.clone(), auth::require_admin);
    let timed_out = || api::ApiError::Timeout.into_response();
    let cors = state.cors.clone();
    crate::http::around(app, guard, timed_out, cors, config).with_state(state)
}
