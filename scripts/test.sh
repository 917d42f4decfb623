#!/usr/bin/env bash
# The whole test suite: unit tests, integration tests on SQLite and on PostgreSQL, and the
# end-to-end tests in Debian's Chromium. `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser
export PATH="${SHOPFLOW_TOOLS:-$HOME/.shopflow/tools}/bin:$PATH"

echo "==> unit and integration tests (SQLite and PostgreSQL)"
cargo test --features ssr --no-run
# They take well under a minute once built; a hang fails here instead of eating CI's hour.
timeout 15m cargo test --features ssr

# The server binary shares every compiled dependency with the tests above (same profile, same
# features); cargo-leptos then builds only the WASM client, the stylesheet and the assets.
echo "==> building the app for the browser tests"
cargo build --features ssr --bin shopflow
cargo leptos build --frontend-only

echo "==> end-to-end tests in Chromium"
cd end2end
npx playwright test
