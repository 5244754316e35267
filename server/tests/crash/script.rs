//! Runs one of the project's scripts (`scripts/<name>`) from a test tier, with the environment
//! that places its cluster.

use std::{path::Path, process::Command};

/// Runs `scripts/<name> args...` with `env`; returns its standard output. Panics, with both
/// outputs, when it fails.
pub fn run(name: &str, env: &[(&str, String)], args: &[&str]) -> String {
    let out = command(name, env, args).output().expect("run a script");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{name} {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Runs it and ignores how it ended (a cleanup when the tier is done).
pub fn run_quietly(name: &str, env: &[(&str, String)], args: &[&str]) {
    let _ = command(name, env, args).output();
}

fn command(name: &str, env: &[(&str, String)], args: &[&str]) -> Command {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scripts")
        .join(name);
    let mut command = Command::new("bash");
    command.arg(script).args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    command
}
