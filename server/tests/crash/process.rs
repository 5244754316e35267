//! The real server binary as a separate process, so a test can `kill -9` it.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use super::cluster::free_port;

/// How long the server waits for a pooled connection before answering 503: about what an answer
/// takes during an outage (the tiers print their slowest answer).
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_millis(1000);

/// The server's answer to a request still running after this long: `503 timeout` (a commit that
/// waits for a synchronous standby that never confirms, see `sync_wait`).
pub const REQUEST_TIMEOUT: Duration = Duration::from_millis(6000);

/// A running server process; killed when dropped.
pub struct ServerProcess {
    child: Child,
    pub base: String,
}

impl ServerProcess {
    /// Starts `target/.../server` on a free port against `database_url` and waits for `/health`.
    pub async fn start(database_url: &str, engine: &str, log: &Path) -> Self {
        let port = free_port();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("server log");
        let child = Command::new(env!("CARGO_BIN_EXE_server"))
            .current_dir(std::env::temp_dir())
            .env("DATABASE_URL", database_url)
            .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .env("CLAIM_ENGINE", engine)
            .env("DB_POOL_SIZE", "16")
            .env(
                "DB_ACQUIRE_TIMEOUT_MS",
                ACQUIRE_TIMEOUT.as_millis().to_string(),
            )
            .env("SITE_ROOT", Self::site_root())
            .env(
                "REQUEST_TIMEOUT_MS",
                REQUEST_TIMEOUT.as_millis().to_string(),
            )
            .env("LOG_LEVEL", "warn")
            .env("RATE_LIMITS", "false") // 24 clients on one address, on purpose
            .envs(super::webhooks::SERVER_ENV.iter().copied())
            .env_remove("RUST_LOG")
            .env_remove("ADMIN_PASSWORD")
            .env_remove("ADMIN_TOKEN")
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .expect("spawn the server binary");
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        server.wait_healthy().await;
        server
    }

    /// The crash tier renders no page: a site with an empty `pkg/` lets the binary start
    /// before `cargo leptos build` has run.
    fn site_root() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("coupons-crash-site-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("pkg")).expect("crash tier site dir");
        dir
    }

    async fn wait_healthy(&self) {
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            let url = format!("{}/health", self.base);
            if let Ok(r) = http.get(&url).send().await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("server at {} did not become healthy", self.base);
    }

    /// `kill -9`: no shutdown, no flush, answers in flight are lost.
    pub fn kill9(&mut self) {
        let _ = self.child.kill(); // SIGKILL on Unix
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill9();
    }
}
