#!/usr/bin/env bash
# Formatting, clippy (warnings are errors) for the server build and the browser build, and the
# docs (broken intra-doc links and other rustdoc warnings are errors, so comments naming code
# cannot drift from it silently); every relative link of README.md and docs/ resolves; no import
# cycle among the modules of server/src or app/src, at any depth.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export SQLX_OFFLINE=true
python3 scripts/check-links.py
python3 scripts/check-cycles.py
# The two checks must also fail where they should (a cycle, two broken links).
[ "$(python3 scripts/check-cycles.py scripts/lint-fixtures/cycle/src 2>&1 | grep -c 'import cycle')" = 2 ] || { echo "check-cycles.py missed a cycle (one at the top, one in a folder)"; exit 1; }
[ "$(python3 scripts/check-links.py scripts/lint-fixtures/links 2>&1 | grep -c 'no ')" = 2 ] || { echo "check-links.py missed a broken link"; exit 1; }
cargo fmt --all -- --check
cargo clippy -p server --all-targets -- -D warnings
cargo clippy -p app --features ssr --all-targets -- -D warnings
cargo clippy -p app --features hydrate --target wasm32-unknown-unknown -- -D warnings
RUSTDOCFLAGS="-D warnings -A rustdoc::private-intra-doc-links" cargo doc --no-deps -p server -p app --document-private-items
