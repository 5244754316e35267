//! The highly available cluster of `scripts/ha.sh` (etcd, two Patroni-managed PostgreSQL nodes,
//! HAProxy) on ports of its own, driven from a test; `down` when dropped.

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use sqlx::{Connection, PgConnection};

#[path = "../crash/ports.rs"]
mod ports;
#[path = "../crash/script.rs"]
mod script;

pub use ports::free_port;

/// The ports ha.sh derives from HAProxy's (`HA_PORT`): up to `HA_PORT + 22`.
const HA_PORTS: u16 = 23;

pub struct HaCluster {
    dir: PathBuf,
    port: u16,
    replication: String,
}

impl HaCluster {
    /// `scripts/ha.sh up` with `HA_REPLICATION=replication` (strict, or a broken setting).
    pub fn up(replication: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("coupons-ha-{}", std::process::id()));
        let cluster = Self {
            dir,
            port: ports::free_block(HA_PORTS),
            replication: replication.to_owned(),
        };
        cluster.run(&["up"]);
        cluster
    }

    /// Runs `scripts/ha.sh args...`; returns its output.
    pub fn run(&self, args: &[&str]) -> String {
        script::run("ha.sh", &self.env(), args)
    }

    /// The environment that places the cluster.
    fn env(&self) -> [(&'static str, String); 3] {
        [
            ("HA_DIR", self.dir.display().to_string()),
            ("HA_PORT", self.port.to_string()),
            ("HA_REPLICATION", self.replication.clone()),
        ]
    }

    /// `postgres://` URL of database `db` through HAProxy.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// A file in the cluster's directory.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// True when a primary answers through HAProxy within 5 s (a bound on a hang: it answers in
    /// milliseconds when it is there).
    pub async fn primary_answers(&self) -> bool {
        let probe = async {
            let mut conn = PgConnection::connect(&self.url("postgres")).await.ok()?;
            let primary: bool = sqlx::query_scalar("SELECT NOT pg_is_in_recovery()")
                .fetch_one(&mut conn)
                .await
                .ok()?;
            let _ = conn.close().await;
            Some(primary)
        };
        matches!(
            tokio::time::timeout(Duration::from_secs(5), probe).await,
            Ok(Some(true))
        )
    }

    /// Waits (at most `limit`) until a primary answers; returns when it did.
    pub async fn wait_primary(&self, limit: Duration) -> Instant {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if self.primary_answers().await {
                return Instant::now();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no primary within {limit:?}:\n{}", self.logs());
    }

    /// The newest lines of each node's Patroni log.
    pub fn logs(&self) -> String {
        (1..=2)
            .map(|n| {
                let log = std::fs::read_to_string(self.dir.join(format!("node{n}/patroni.log")))
                    .unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(25).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                format!("node{n}'s Patroni log (newest last):\n{}", tail.join("\n"))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Restarts any dead node and waits until the primary has its standby again, promotable
    /// (`ha.sh heal`).
    pub fn heal(&self) {
        self.run(&["heal"]);
    }
}

impl Drop for HaCluster {
    fn drop(&mut self) {
        script::run_quietly("ha.sh", &self.env(), &["down"]);
    }
}
