//! The Citus cluster of `scripts/citus.sh` (a coordinator and two workers on loopback, durable)
//! on ports of its own, driven from a test; `down` when dropped.

use std::path::PathBuf;

#[path = "../crash/ports.rs"]
mod ports;
#[path = "../crash/script.rs"]
mod script;

pub use ports::free_port;

/// The ports citus.sh derives from the coordinator's (`CITUS_PORT`): it and the two workers.
const CITUS_PORTS: u16 = 3;

pub struct CitusCluster {
    dir: PathBuf,
    port: u16,
}

impl CitusCluster {
    /// `scripts/citus.sh up`.
    pub fn up() -> Self {
        let dir = std::env::temp_dir().join(format!("coupons-citus-{}", std::process::id()));
        let cluster = Self {
            dir,
            port: ports::free_block(CITUS_PORTS),
        };
        cluster.run(&["up"]);
        cluster
    }

    /// Runs `scripts/citus.sh args...`; returns its output.
    pub fn run(&self, args: &[&str]) -> String {
        self.run_on("coupons", args)
    }

    /// A database `name` of its own on every node, with Citus and the workers registered (what
    /// `up` does for `coupons`); its URL on the coordinator.
    pub fn database(&self, name: &str) -> String {
        self.run_on(name, &["up"]);
        self.url(name)
    }

    /// Runs `scripts/citus.sh args...` for database `database`; returns its output.
    fn run_on(&self, database: &str, args: &[&str]) -> String {
        script::run("citus.sh", &self.env(database), args)
    }

    /// The environment that places the cluster (and names the database a command is for).
    fn env(&self, database: &str) -> [(&'static str, String); 3] {
        [
            ("CITUS_DIR", self.dir.display().to_string()),
            ("CITUS_PORT", self.port.to_string()),
            ("CITUS_DATABASE", database.to_owned()),
        ]
    }

    /// `postgres://` URL of database `db` on the coordinator.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// A file in the cluster's directory.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for CitusCluster {
    fn drop(&mut self) {
        script::run_quietly("citus.sh", &self.env("coupons"), &["down"]);
    }
}
