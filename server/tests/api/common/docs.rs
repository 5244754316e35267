//! Code printed in the docs, run by the tests that keep it true.

/// The first Python block of `docs/<page>`.
pub fn python_block(page: &str) -> String {
    let path = format!("{}/../docs/{page}", env!("CARGO_MANIFEST_DIR"));
    let docs = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    docs.split("```python\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap_or_else(|| panic!("a python block in {path}"))
        .to_owned()
}

/// Runs `code` with python3 and `args`; its standard output, trimmed.
pub fn run_python(code: &str, args: &[&str]) -> String {
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(code)
        .args(args)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}
