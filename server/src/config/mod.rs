//! Configuration from the environment (or the same names as command-line flags).

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use clap::{Parser, ValueEnum};
use leptos::config::LeptosOptions;

mod webhooks;

pub use webhooks::WebhookConfig;

/// How the claim engine settles claims (see `claims`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EngineMode {
    /// One transaction per claim.
    PerRequest,
    /// Concurrent claims of one coupon settled together, one transaction per batch.
    Batched,
}

/// One way a claim may prove who claims (`CLAIM_AUTH`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClaimAuthMode {
    /// No credential: `user_id` from the body, taken on trust.
    Open,
    /// An API key with the `claim` scope; `user_id` from the body.
    Key,
    /// A shopper token; the user is its subject.
    Token,
}

/// Every setting of the server. `server --help` lists them with their variables.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "server",
    about = "Flash-sale coupon platform: JSON API, admin UI, live stock"
)]
pub struct Config {
    /// PostgreSQL connection string, e.g. postgres://user@127.0.0.1:5432/coupons.
    /// Required; the server says so in one line when it is missing.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Address to listen on; defaults to Leptos.toml's site-addr (127.0.0.1:8080).
    #[arg(long, env = "LISTEN_ADDR")]
    pub listen_addr: Option<SocketAddr>,
    /// Most database connections this process opens.
    #[arg(long, env = "DB_POOL_SIZE", default_value_t = 32)]
    pub db_pool_size: u32,
    /// How long a request waits for a database connection before it gets a 503.
    #[arg(long, env = "DB_ACQUIRE_TIMEOUT_MS", default_value_t = 3000)]
    pub db_acquire_timeout_ms: u64,
    /// Longest a statement of a request may run before PostgreSQL cancels it (ms, 0 = no limit).
    #[arg(long, env = "DB_STATEMENT_TIMEOUT_MS", default_value_t = 5000)]
    pub db_statement_timeout_ms: u64,
    /// Longest a statement of a request may wait for a lock (ms, 0 = no limit).
    #[arg(long, env = "DB_LOCK_TIMEOUT_MS", default_value_t = 2000)]
    pub db_lock_timeout_ms: u64,
    /// Log filter (tracing EnvFilter syntax); RUST_LOG wins when set.
    #[arg(long, env = "LOG_LEVEL", default_value = "info")]
    pub log_level: String,
    /// Claim engine strategy.
    #[arg(long, env = "CLAIM_ENGINE", value_enum, default_value = "batched")]
    pub claim_engine: EngineMode,
    /// Most claims settled in one transaction by the batched engine.
    #[arg(long, env = "CLAIM_BATCH_MAX", default_value_t = 512)]
    pub claim_batch_max: usize,
    /// Largest request body accepted, in bytes; larger bodies get a 413.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 64 * 1024)]
    pub max_body_bytes: usize,
    /// Longest wait for a request's headers, and for the next request on an idle keep-alive
    /// connection, in ms (slow or stalled clients are disconnected).
    #[arg(long, env = "HEADER_READ_TIMEOUT_MS", default_value_t = 10_000)]
    pub header_read_timeout_ms: u64,
    /// Longest time to produce a response's headers, in ms (SSE streams and downloads, once
    /// started, are not cut); slower requests get a 503.
    #[arg(long, env = "REQUEST_TIMEOUT_MS", default_value_t = 30_000)]
    pub request_timeout_ms: u64,
    /// Most TCP connections open at once; beyond it new clients wait in the kernel's backlog.
    /// Above LIVE_MAX_SUBSCRIBERS, so a full house of streams leaves room for claims.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 16_384)]
    pub max_connections: usize,
    /// Rate limits on claims and admin credentials (`false` turns them all off, e.g. for a
    /// benchmark from one address).
    #[arg(long, env = "RATE_LIMITS", default_value_t = true, action = clap::ArgAction::Set)]
    pub rate_limits: bool,
    /// Take the client IP from the last `X-Forwarded-For` address (only behind a trusted proxy).
    #[arg(long, env = "TRUST_FORWARDED_FOR", default_value_t = false, action = clap::ArgAction::Set)]
    pub trust_forwarded_for: bool,
    /// Claims per second per client IP, for claims without a credential (a shop's backend or a
    /// carrier NAT is one address for thousands of shoppers: keep it high).
    #[arg(long, env = "CLAIMS_PER_IP_PER_SEC", default_value_t = 1_000)]
    pub claims_per_ip_per_sec: u32,
    /// Claims a client IP may send in a burst above its rate (a 1,000-user burst fits).
    #[arg(long, env = "CLAIMS_PER_IP_BURST", default_value_t = 2_000)]
    pub claims_per_ip_burst: u32,
    /// Claims per second per API key (never limited per address).
    #[arg(long, env = "CLAIMS_PER_KEY_PER_SEC", default_value_t = 5_000)]
    pub claims_per_key_per_sec: u32,
    /// Claims an API key may send in a burst above its rate.
    #[arg(long, env = "CLAIMS_PER_KEY_BURST", default_value_t = 10_000)]
    pub claims_per_key_burst: u32,
    /// Claims per second per user id.
    #[arg(long, env = "CLAIMS_PER_USER_PER_SEC", default_value_t = 2)]
    pub claims_per_user_per_sec: u32,
    /// Claims a user id may send in a burst above its rate.
    #[arg(long, env = "CLAIMS_PER_USER_BURST", default_value_t = 10)]
    pub claims_per_user_burst: u32,
    /// Failed sign-ins or admin tokens per minute per client IP before it is locked out.
    #[arg(long, env = "AUTH_FAILURES_PER_MINUTE", default_value_t = 10)]
    pub auth_failures_per_minute: u32,
    /// Prometheus metrics at `GET /metrics` (an admin route); `false` stops counting.
    #[arg(long, env = "METRICS", default_value_t = true, action = clap::ArgAction::Set)]
    pub metrics: bool,
    /// Live dashboard: the publisher's refresh round in ms (bounds re-reads and NOTIFYs).
    #[arg(long, env = "LIVE_REFRESH_MS", default_value_t = 50)]
    pub live_refresh_ms: u64,
    /// Live dashboard: the most often one SSE subscriber gets an update, in ms.
    #[arg(long, env = "LIVE_COALESCE_MS", default_value_t = 100)]
    pub live_coalesce_ms: u64,
    /// Live dashboard: seconds between SSE keep-alive comments.
    #[arg(long, env = "LIVE_KEEPALIVE_SECS", default_value_t = 15)]
    pub live_keepalive_secs: u64,
    /// `GET /api/coupons/{name}` lists the claimers' user ids to anyone (the original contract);
    /// `false` lists them only to the admin and `read` keys (recommended in production).
    #[arg(long, env = "PUBLIC_CLAIMERS", default_value_t = true, action = clap::ArgAction::Set)]
    pub public_claimers: bool,
    /// MiB of memory for answers of `GET /api/coupons/{name}` kept while the coupon is unchanged
    /// (coupons with 100 claimers or more); 0 reads every answer from the database.
    #[arg(long, env = "PUBLIC_READ_CACHE_MB", default_value_t = 64)]
    pub public_read_cache_mb: usize,
    /// While this process takes claims, `GET /api/coupons/{name}/stock` reads wait their turn at
    /// this many per second (claims keep the cores); 0: never paced.
    #[arg(
        long,
        env = "STOCK_READS_PER_SEC_DURING_CLAIMS",
        default_value_t = 5_000
    )]
    pub stock_reads_per_sec_during_claims: u32,
    /// Live dashboard: most SSE streams open at once in this process (more get 503).
    #[arg(long, env = "LIVE_MAX_SUBSCRIBERS", default_value_t = 10_000)]
    pub live_max_subscribers: usize,
    /// The built site (the `pkg/` directory with the UI's JS, WASM and CSS). Default: `site/`
    /// next to the binary, else `../site` (cargo's `target/site` for `target/*/server`).
    #[arg(long, env = "SITE_ROOT")]
    pub site_root: Option<PathBuf>,
    /// Admin password. When unset (or empty) the admin UI and admin API are open to anyone.
    #[arg(long, env = "ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// Bearer token for admin JSON calls; defaults to ADMIN_PASSWORD.
    #[arg(long, env = "ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Signs admin session cookies (32+ bytes). Unset: a random key per process.
    #[arg(long, env = "SESSION_SECRET", hide_env_values = true)]
    pub session_secret: Option<String>,
    /// How long an admin session lasts, in minutes.
    #[arg(long, env = "SESSION_TTL_MINUTES", default_value_t = 480)]
    pub session_ttl_minutes: u64,
    /// Who may claim: `open` (user_id from the body, anyone), `key` (an API key with the
    /// `claim` scope vouches for the body's user_id), `token` (a shopper token: its subject is
    /// the user). Comma-separated; each request is judged by what it presents.
    #[arg(
        long,
        env = "CLAIM_AUTH",
        value_enum,
        value_delimiter = ',',
        default_value = "open"
    )]
    pub claim_auth: Vec<ClaimAuthMode>,
    /// Shopper tokens: an HS256 secret of at least 32 bytes.
    #[arg(long, env = "CLAIM_TOKEN_SECRET", hide_env_values = true)]
    pub claim_token_secret: Option<String>,
    /// Shopper tokens: a PEM file with one Ed25519 public key, or a JWKS file of them (by `kid`).
    #[arg(long, env = "CLAIM_TOKEN_PUBLIC_KEYS")]
    pub claim_token_public_keys: Option<PathBuf>,
    /// Shopper tokens: the `aud` every token must carry.
    #[arg(long, env = "CLAIM_TOKEN_AUDIENCE")]
    pub claim_token_audience: Option<String>,
    /// Shopper tokens: the longest lifetime (`exp` - `iat`) accepted, in seconds.
    #[arg(long, env = "CLAIM_TOKEN_MAX_LIFETIME_SECS", default_value_t = 600)]
    pub claim_token_max_lifetime_secs: u64,
    /// Shopper tokens: clock skew tolerated on `exp`, `nbf` and `iat`, in seconds (at most 30).
    #[arg(long, env = "CLAIM_TOKEN_LEEWAY_SECS", default_value_t = 30)]
    pub claim_token_leeway_secs: u64,
    /// Origins whose pages may call the claim and the public coupon read from the browser
    /// (comma-separated, e.g. `https://shop.example`); empty: none.
    #[arg(long, env = "CORS_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub cors_allowed_origins: Vec<String>,
    /// Marks the session cookie `Secure` (set it when the admin is served over HTTPS).
    #[arg(long, env = "COOKIE_SECURE", default_value_t = false, action = clap::ArgAction::Set)]
    pub cookie_secure: bool,
    #[command(flatten)]
    pub webhooks: WebhookConfig,
}

impl Config {
    /// The wait for a pooled connection as a `Duration`.
    pub fn db_acquire_timeout(&self) -> Duration {
        Duration::from_millis(self.db_acquire_timeout_ms)
    }

    /// A configuration for tests and tools: defaults plus the given database.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        let mut config = Config::parse_from(["server"]);
        config.database_url = Some(database_url.into());
        config.site_root = Some(PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../target/site"
        )));
        config
    }
}

/// Name of the admin session cookie: fixed, not configurable (the OpenAPI document names it).
pub const SESSION_COOKIE: &str = "coupons_admin";

/// Leptos.toml, compiled in: the binary needs no file but its site to start.
const LEPTOS_TOML: &str = include_str!("../../../Leptos.toml");

/// The Leptos runtime options: Leptos.toml's (with `LEPTOS_*` environment overrides), serving
/// the site from `site_root`.
pub fn leptos_options(site_root: &Path) -> anyhow::Result<LeptosOptions> {
    // leptos_config looks for this header; Leptos.toml holds just the keys, so add it here.
    let toml = format!("[package.metadata.leptos]\n{LEPTOS_TOML}");
    let mut options = leptos_config::get_config_from_str(&toml)
        .map_err(|e| anyhow::anyhow!("invalid Leptos.toml: {e}"))?;
    options.site_root = site_root.to_string_lossy().into();
    // A release build with hashed bundle names writes its hash file beside the binary (leptos
    // reads it from there); unless LEPTOS_HASH_FILES says otherwise, its presence decides.
    if std::env::var_os("LEPTOS_HASH_FILES").is_none() {
        options.hash_files = std::env::current_exe()
            .ok()
            .and_then(|exe| Some(exe.parent()?.join(&*options.hash_file)))
            .is_some_and(|file| file.is_file());
    }
    Ok(options)
}

/// Where the site is: `SITE_ROOT` when set, else `site/` next to the binary (an installed
/// copy, the container image) or `../site` (cargo's layout, `target/site` beside
/// `target/release/server`). A site is a directory with the bundle directory (`pkg/`) in it.
pub fn site_root(configured: Option<&Path>) -> anyhow::Result<PathBuf> {
    let pkg = leptos_options(Path::new("."))?.site_pkg_dir.to_string();
    let has_site = |dir: &Path| dir.join(&pkg).is_dir();
    if let Some(dir) = configured {
        return if has_site(dir) {
            Ok(dir.to_path_buf())
        } else {
            Err(anyhow::anyhow!(
                "SITE_ROOT={} has no {pkg}/ directory: point it at the site that `cargo leptos build` writes (target/site)",
                dir.display()
            ))
        };
    }
    let exe = std::env::current_exe()?;
    let beside = exe.parent().unwrap_or(Path::new("."));
    let candidates = [beside.join("site"), beside.join("../site")];
    candidates
        .iter()
        .find(|dir| has_site(dir))
        .map(|dir| dir.canonicalize().unwrap_or_else(|_| dir.clone()))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no site files next to the binary (looked in {} and {}): set SITE_ROOT to the site that `cargo leptos build` writes (target/site)",
                candidates[0].display(),
                candidates[1].display()
            )
        })
}
