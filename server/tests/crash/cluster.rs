//! A durable throwaway PostgreSQL cluster that a test may crash: fsync and synchronous_commit
//! on, and a 10 s `wal_writer_delay`, so an asynchronous commit stays unflushed long enough for
//! any durability bug to show in every crash.

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::atomic::{AtomicU32, Ordering},
};

#[path = "ports.rs"]
mod ports;

pub use ports::free_port;

/// The settings that make the cluster durable and the crash window wide.
const SETTINGS: &[&str] = &[
    "fsync=on",
    "synchronous_commit=on",
    "full_page_writes=on",
    "wal_writer_delay=10000ms",
];

/// A running cluster in its own directory; stopped and deleted when dropped.
pub struct Cluster {
    dir: PathBuf,
    port: u16,
}

fn pg_sh() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/pg.sh")
}

fn pg(args: &[&str]) -> String {
    let out = Command::new("bash")
        .arg(pg_sh())
        .args(args)
        .output()
        .expect("run scripts/pg.sh");
    assert!(
        out.status.success(),
        "pg.sh {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

impl Cluster {
    /// Initialises and starts a new durable cluster.
    pub fn start() -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "coupons-crash-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("cluster dir");
        // The postgres user (as root) must reach the directory.
        let _ = Command::new("chmod").arg("755").arg(&dir).status();
        let cluster = Self {
            dir,
            port: free_port(),
        };
        cluster.up();
        cluster
    }

    fn up(&self) {
        let port = self.port.to_string();
        let dir = self.dir.to_string_lossy();
        let mut args = vec!["start", &*dir, &port];
        args.extend_from_slice(SETTINGS);
        pg(&args);
    }

    /// `postgres://` URL of database `db`.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// A power cut: `pg_ctl stop -m immediate` (no checkpoint, no WAL flush).
    pub fn crash(&self) {
        pg(&["crash", &self.dir.to_string_lossy()]);
    }

    /// A clean, fast shutdown (`pg_ctl stop -m fast`).
    pub fn stop_fast(&self) {
        pg(&["stop", &self.dir.to_string_lossy()]);
    }

    /// Starts it again (crash recovery if it crashed), same port and settings.
    pub fn restart(&self) {
        self.up();
    }

    /// A file in the cluster's directory (e.g. a server log).
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(pg_sh())
            .arg("stop")
            .arg(&self.dir)
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
