//! The database: the pool, migrations, and every SQL statement of the server (nowhere else).

pub mod audit;
pub mod batches;
pub mod claimers;
pub mod claims;
pub mod coupon_list;
pub mod coupons;
pub mod idempotency;
pub mod live;

use sqlx::{
    PgPool,
    postgres::{PgConnectOptions, PgPoolOptions},
};

use crate::config::Config;

/// Opens the bounded request pool on `config.database_url`.
pub async fn connect(config: &Config) -> Result<PgPool, sqlx::Error> {
    let url = config.database_url.as_deref().unwrap_or_default();
    connect_with(config, url.parse()?).await
}

/// Opens the bounded request pool with `options`, plus the session settings every request
/// relies on:
/// - `synchronous_commit = on`: a commit returns only once flushed, whatever the database's
///   default, so a per-request claim's `200` is durable (the batched engine turns it off per
///   batch transaction and waits for a barrier instead);
/// - `statement_timeout` and `lock_timeout`: no stuck lock or statement holds a request (and its
///   connection) for ever; 0 disables one.
pub async fn connect_with(
    config: &Config,
    options: PgConnectOptions,
) -> Result<PgPool, sqlx::Error> {
    let options = options.options([
        ("synchronous_commit", "on".to_owned()),
        (
            "statement_timeout",
            config.db_statement_timeout_ms.to_string(),
        ),
        ("lock_timeout", config.db_lock_timeout_ms.to_string()),
    ]);
    PgPoolOptions::new()
        .max_connections(config.db_pool_size)
        .acquire_timeout(config.db_acquire_timeout())
        .connect_with(options)
        .await
}

/// Brings the schema up to date; run at startup. Runs on a connection of its own without the
/// request pool's statement and lock timeouts (a migration may rightly take long), and closes it.
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    let mut conn = pool.acquire().await?;
    conn.close_on_drop();
    sqlx::query("SET statement_timeout = 0")
        .execute(&mut *conn)
        .await?;
    sqlx::query("SET lock_timeout = 0")
        .execute(&mut *conn)
        .await?;
    sqlx::migrate!("../migrations").run(&mut *conn).await
}

/// One round trip to the database (readiness).
pub async fn ping(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1").execute(pool).await.map(drop)
}

/// True when the error is a violation of the named constraint (e.g. a duplicate key).
pub fn violates(error: &sqlx::Error, constraint: &str) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.constraint() == Some(constraint))
}

/// True when the error means "no connection could be had in time": the caller should answer 503.
pub fn is_overloaded(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::PoolTimedOut)
}

/// True when a statement that failed this way may still have committed: the connection broke
/// (or its answer could not be read) after the statement was sent. Every other failure is one
/// PostgreSQL reported, or one before sending, and its transaction did not commit.
pub fn may_have_committed(error: &sqlx::Error) -> bool {
    use sqlx::Error as E;
    !matches!(
        error,
        E::Database(_)
            | E::PoolTimedOut
            | E::PoolClosed
            | E::Configuration(_)
            | E::InvalidArgument(_)
            | E::Tls(_)
            | E::Encode(_)
            | E::BeginFailed
    )
}

/// True when PostgreSQL refused for a reason that passes (a timeout, a lock not granted,
/// overload, a shutdown or restart under way): the caller should answer 503 and the client retry.
pub fn is_transient(error: &sqlx::Error) -> bool {
    let sqlx::Error::Database(db) = error else {
        return is_overloaded(error);
    };
    let code = db.code().unwrap_or_default();
    code.starts_with("08") // connection exception
        || code.starts_with("53") // insufficient resources
        || matches!(
            &*code,
            "40001" | "40P01" // serialization failure, deadlock
            | "55P03" // lock_timeout
            | "57014" // statement_timeout
            | "57P01" | "57P02" | "57P03" // shutdown, crash, not yet accepting connections
        )
}
