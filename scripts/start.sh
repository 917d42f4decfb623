#!/usr/bin/env bash
# Installs what is missing, builds Shopflow and starts it on SQLite with the demo accounts.
#   LEPTOS_SITE_ADDR=0.0.0.0:8080 scripts/start.sh    to listen elsewhere
#   DATABASE_URL=postgres://... scripts/start.sh      to run on PostgreSQL
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="${SHOPFLOW_TOOLS:-$HOME/.shopflow/tools}/bin:$PATH"
cargo build --features ssr --bin shopflow
cargo leptos build --frontend-only
export LEPTOS_SITE_ROOT=target/site LEPTOS_OUTPUT_NAME=shopflow
export LEPTOS_SITE_ADDR="${LEPTOS_SITE_ADDR:-127.0.0.1:3000}"
echo "Demo accounts (password shopflow-demo): admin@, pm@, specialist@, orders@, warehouse@, logistics@,"
echo "service@, senior@, marketing@, finance@, ops@, customer@ — all @shopflow.test"
exec target/debug/shopflow --demo
