//! The binary started from elsewhere than the repository: every startup error is one line that
//! says what to set (never a backtrace, even with RUST_BACKTRACE=1), and `--help` lists every
//! option. Serving from another directory with only environment variables is checked by
//! `scripts/contract.sh` on the built site (make test).

use std::{net::TcpListener, path::PathBuf, process::Command};

/// Runs the server binary from the temp directory with only `env` (plus PATH), expecting it
/// to stop; returns its exit code and stderr.
fn run(env: &[(&str, &str)]) -> (i32, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    command
        .current_dir(std::env::temp_dir())
        .env_clear()
        .env("RUST_BACKTRACE", "1")
        .env("LOG_LEVEL", "error");
    for (name, value) in env {
        command.env(name, value);
    }
    let out = command.output().expect("run the server binary");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap_or(-1), stderr)
}

/// A site directory with an empty `pkg/`, enough for the binary to start.
fn site() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("coupons-startup-site-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("pkg")).unwrap();
    dir
}

fn assert_one_line(stderr: &str, expected: &[&str]) {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected, got:\n{stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    for part in expected {
        assert!(lines[0].contains(part), "{part:?} missing from {stderr}");
    }
    assert!(!stderr.contains("backtrace"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn missing_database_url_says_what_to_set() {
    let (code, stderr) = run(&[]);
    assert_eq!(code, 1);
    assert_one_line(&stderr, &["DATABASE_URL is not set", "postgres://"]);
}

#[test]
fn missing_site_says_what_to_set() {
    let url = "postgres://nobody@127.0.0.1:1/none";
    let (code, stderr) = run(&[("DATABASE_URL", url), ("SITE_ROOT", "/nonexistent/site")]);
    assert_eq!(code, 1);
    assert_one_line(
        &stderr,
        &["SITE_ROOT=/nonexistent/site", "pkg/", "target/site"],
    );
}

#[test]
fn unreachable_database_says_what_to_check() {
    let site = site();
    let (code, stderr) = run(&[
        ("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none"),
        ("SITE_ROOT", site.to_str().unwrap()),
        ("LISTEN_ADDR", "127.0.0.1:0"),
        ("DB_ACQUIRE_TIMEOUT_MS", "300"),
    ]);
    assert_eq!(code, 1);
    assert_one_line(&stderr, &["cannot connect to the database", "DATABASE_URL"]);
}

#[test]
fn busy_listen_address_says_what_to_set() {
    let site = site();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (code, stderr) = run(&[
        ("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none"),
        ("SITE_ROOT", site.to_str().unwrap()),
        ("LISTEN_ADDR", &addr),
    ]);
    assert_eq!(code, 1);
    assert_one_line(
        &stderr,
        &[&format!("cannot listen on {addr}"), "LISTEN_ADDR"],
    );
}

#[test]
fn bad_option_value_is_one_line() {
    let (code, stderr) = run(&[("DB_POOL_SIZE", "many")]);
    assert_eq!(code, 2);
    assert_one_line(&stderr, &["many", "--db-pool-size", "--help"]);
}

#[test]
fn help_lists_every_option_with_its_default() {
    let out = Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for option in [
        "--database-url",
        "--site-root",
        "--listen-addr",
        "--metrics",
    ] {
        assert!(
            help.contains(option),
            "{option} missing from --help:\n{help}"
        );
    }
    for default in ["[default: 32]", "[default: batched]", "[default: 512]"] {
        assert!(help.contains(default), "{default} missing from --help");
    }
}
