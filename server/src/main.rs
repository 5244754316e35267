//! The coupon platform's server. Everything but reading the configuration lives in the library.

use std::process::ExitCode;

use clap::Parser;
use server::{config::Config, startup::Application, telemetry};

/// mimalloc instead of glibc's malloc: a request allocates and frees dozens of small buffers
/// across threads, where glibc's arenas spent a fifth of the server's CPU in the claim benchmark
/// (`make bench-profile`: `_int_malloc`, `_int_free`, `malloc_consolidate`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::try_parse() {
        Ok(config) => config,
        Err(error) if !error.use_stderr() => error.exit(), // --help, --version
        Err(error) => {
            let text = error.to_string();
            let line = text.lines().next().unwrap_or("error: invalid arguments");
            eprintln!("{line} (see server --help)");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&config.log_level);
    let served = match Application::build(config).await {
        Ok(app) => {
            app.run_until_stopped(server::http::shutdown::signal())
                .await
        }
        Err(error) => Err(error),
    };
    match served {
        Ok(()) => ExitCode::SUCCESS,
        // One line that says what to set: the cause chain, never a backtrace.
        Err(error) => {
            eprintln!("error: {}", one_line(&error));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, each cause once (some errors repeat their source in
/// their own message).
fn one_line(error: &anyhow::Error) -> String {
    let mut line = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !line.contains(&cause) {
            line = format!("{line}: {cause}");
        }
    }
    line
}
