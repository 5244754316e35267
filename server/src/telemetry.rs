//! Logging: `tracing` to stdout, filtered by RUST_LOG or LOG_LEVEL.

use tracing_subscriber::{EnvFilter, fmt};

/// Installs the global subscriber once; later calls (tests) are no-ops.
pub fn init(default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let _ = fmt().with_env_filter(filter).with_target(false).try_init();
}
