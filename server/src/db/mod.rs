//! The database: the pool, migrations, and every SQL statement of the server (nowhere else).

pub mod api_keys;
pub mod audit;
pub mod batches;
pub mod claimers;
pub mod claims;
pub mod coupon_list;
pub mod coupon_row;
pub mod coupons;
pub mod deliveries;
pub mod draws;
pub mod entries;
pub mod idempotency;
pub mod live;
pub mod sweeps;
pub mod sync_wait;
pub mod webhooks;

use std::time::Duration;

use sqlx::{
    PgConnection, PgPool, Postgres,
    pool::PoolConnection,
    postgres::{PgConnectOptions, PgListener, PgPoolOptions},
};

/// Where PostgreSQL is and how the request pool behaves: a plain struct (startup builds it from
/// the configuration; tests from their database's options). Every pool is built from it, here.
#[derive(Clone, Debug)]
pub struct DatabaseSettings {
    pub connect: PgConnectOptions,
    /// Connections of the request pool (`DB_POOL_SIZE`).
    pub pool_size: u32,
    /// How long a request waits for a pooled connection before its `503`.
    pub acquire_timeout: Duration,
    /// `statement_timeout` and `lock_timeout` of every pooled session, in ms; 0 disables one.
    pub statement_timeout_ms: u64,
    pub lock_timeout_ms: u64,
}

impl DatabaseSettings {
    /// Opens the bounded request pool, with the session settings every request relies on:
    /// - `synchronous_commit = on`: a commit returns only once flushed, whatever the database's
    ///   default, so a claim's `200` is durable when its statement returns, in both engines. It
    ///   also makes every commit visible only once flushed, so a refusal (sold out, already
    ///   claimed) never rests on a commit that a crash could take back;
    /// - `statement_timeout` and `lock_timeout`: no stuck lock or statement holds a request (and
    ///   its connection) for ever.
    pub async fn request_pool(&self) -> Result<PgPool, sqlx::Error> {
        let options = self.connect.clone().options([
            ("synchronous_commit", "on".to_owned()),
            ("statement_timeout", self.statement_timeout_ms.to_string()),
            ("lock_timeout", self.lock_timeout_ms.to_string()),
        ]);
        PgPoolOptions::new()
            .max_connections(self.pool_size)
            .acquire_timeout(self.acquire_timeout)
            .after_connect(|conn, _| Box::pin(refuse_read_only(conn)))
            .connect_with(options)
            .await
    }
}

/// The server of a new connection takes no writes: a standby, or a primary being demoted, behind
/// a load balancer that has not yet seen a failover. Answered `503` like any passing refusal.
#[derive(Debug, thiserror::Error)]
#[error("the database server is read-only (a standby, not the primary)")]
pub struct ReadOnlyServer;

/// Refuses every connection whose server is read-only, so that neither the request pool nor a
/// listener ever keeps one: with PostgreSQL behind HAProxy and Patroni, the primary moves.
async fn refuse_read_only(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    let read_only: String = sqlx::query_scalar("SHOW transaction_read_only")
        .fetch_one(&mut *conn)
        .await?;
    if read_only == "on" {
        return Err(sqlx::Error::Configuration(Box::new(ReadOnlyServer)));
    }
    Ok(())
}

/// A connection of its own, outside the request pool, listening on `channel`: LISTEN keeps its
/// connection for ever, so it must not take one of the connections that requests share. Same
/// server and session settings as `pool`, and never on a read-only server (whose LISTEN would
/// hear nothing).
pub async fn listen(pool: &PgPool, channel: &str) -> Result<PgListener, sqlx::Error> {
    let own = PgPoolOptions::new()
        .max_connections(1)
        .after_connect(|conn, _| Box::pin(refuse_read_only(conn)))
        .connect_with(pool.connect_options().as_ref().clone())
        .await?;
    let mut listener = PgListener::connect_with(&own).await?;
    listener.listen(channel).await?;
    Ok(listener)
}

/// Brings the schema up to date; run at startup. Runs on a connection of its own without the
/// request pool's statement and lock timeouts (a migration may rightly take long), and closes it.
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    let mut conn = unbounded(pool).await?;
    sqlx::migrate!("../migrations").run(&mut *conn).await
}

/// A connection of the pool without its statement and lock timeouts, for work that may rightly
/// take long (a migration, a draw of a million entries); closed when dropped, so no pooled
/// session ever runs without them.
pub async fn unbounded(pool: &PgPool) -> Result<PoolConnection<Postgres>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    conn.close_on_drop();
    sqlx::query("SET statement_timeout = 0")
        .execute(&mut *conn)
        .await?;
    sqlx::query("SET lock_timeout = 0")
        .execute(&mut *conn)
        .await?;
    Ok(conn)
}

/// One round trip to the database (readiness): true when it is the primary (takes writes).
pub async fn ping(pool: &PgPool) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT NOT pg_is_in_recovery()")
        .fetch_one(pool)
        .await
}

/// True when the error is a violation of the named constraint (SQLSTATE class 23: a duplicate
/// key, a failed CHECK, ...).
pub fn violates(error: &sqlx::Error, constraint: &str) -> bool {
    let sqlx::Error::Database(db) = error else {
        return false;
    };
    if !db.code().is_some_and(|code| code.starts_with("23")) {
        return false;
    }
    match db.constraint() {
        Some(name) => names_constraint(name, constraint),
        // A Citus coordinator passes a worker's error on without its constraint field: the
        // name is then the one quoted in the message (quoted in every language).
        None => db
            .message()
            .split('"')
            .skip(1)
            .step_by(2)
            .any(|quoted| names_constraint(quoted, constraint)),
    }
}

/// True when `name`, as PostgreSQL reported it, is `constraint`: exactly, or with the shard
/// suffix Citus gives a constraint on a worker (`coupons_pkey_102019`).
fn names_constraint(name: &str, constraint: &str) -> bool {
    match name.strip_prefix(constraint) {
        Some("") => true,
        Some(rest) => rest
            .strip_prefix('_')
            .is_some_and(|shard| !shard.is_empty() && shard.bytes().all(|b| b.is_ascii_digit())),
        None => false,
    }
}

/// True when a statement that failed this way may still have committed: the connection broke
/// (or its answer could not be read) after the statement was sent, or the database reported a
/// connection failure of its own (SQLSTATE class 08: on Citus, the coordinator lost the worker
/// that was running the call, which may have committed it; plain PostgreSQL sends no such error
/// for a statement of ours). Every other failure is one PostgreSQL reported, or one before
/// sending, and its transaction did not commit.
pub fn may_have_committed(error: &sqlx::Error) -> bool {
    use sqlx::Error as E;
    if let E::Database(db) = error {
        return db.code().is_some_and(|code| code.starts_with("08"));
    }
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

/// True when the database is busy: no pooled connection within the acquire timeout, or
/// PostgreSQL refused for a reason that passes (a timeout, a lock not granted, overload, a
/// shutdown or restart under way, a read-only server during a failover). The one rule for
/// "answer 503, the client retries", used by the API and the claim engine alike.
pub fn is_transient(error: &sqlx::Error) -> bool {
    let sqlx::Error::Database(db) = error else {
        return match error {
            sqlx::Error::PoolTimedOut => true,
            sqlx::Error::Configuration(e) => e.is::<ReadOnlyServer>(),
            _ => false,
        };
    };
    let code = db.code().unwrap_or_default();
    code.starts_with("08") // connection exception
        || code.starts_with("53") // insufficient resources
        || matches!(
            &*code,
            "40001" | "40P01" // serialization failure, deadlock
            | "25006" // read-only transaction: the server was demoted to a standby
            | "55P03" // lock_timeout
            | "57014" // statement_timeout
            | "57P01" | "57P02" | "57P03" // shutdown, crash, not yet accepting connections
        )
}

#[cfg(test)]
mod tests {
    use super::names_constraint;

    #[test]
    fn a_constraint_is_known_by_its_name_before_any_shard_suffix() {
        assert!(names_constraint("coupons_pkey", "coupons_pkey"));
        assert!(names_constraint("coupons_pkey_102019", "coupons_pkey"));
        assert!(names_constraint(
            "claims_coupon_user_key_102071",
            "claims_coupon_user_key"
        ));
        assert!(!names_constraint("coupons_pkey_", "coupons_pkey"));
        assert!(!names_constraint("coupons_pkey_x1", "coupons_pkey"));
        assert!(!names_constraint("coupons_pkeys", "coupons_pkey"));
        assert!(!names_constraint("claims_pkey", "coupons_pkey"));
    }
}
