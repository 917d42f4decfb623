#!/usr/bin/env bash
# Installs what Shopflow needs to build and test, skipping whatever is already there,
# so that only a fresh machine pays for it. Versions are pinned: newer cargo-leptos needs a
# newer rustc than these machines have, and the wasm-bindgen CLI must equal the crate in
# Cargo.lock. Tools go to one fixed place outside the checkout, so fresh clones share them.
#   scripts/setup.sh            build tools (wasm target, cargo-leptos, wasm-bindgen)
#   scripts/setup.sh --browser  also Debian's Chromium and the end-to-end npm packages
#   scripts/setup.sh --release  also wasm-opt (binaryen 116) for release WASM builds
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS="${SHOPFLOW_TOOLS:-$HOME/.shopflow/tools}"
mkdir -p "$TOOLS/bin"
export PATH="$TOOLS/bin:$PATH"

want_browser=0; want_release=0
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=1 ;;
    --release) want_release=1 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

has_version() { # tool, expected version string
  command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -q -- "$2"
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "==> adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
if ! has_version cargo-leptos 0.3.2; then
  echo "==> installing cargo-leptos 0.3.2 (a few minutes, once)"
  cargo install --root "$TOOLS" cargo-leptos --version 0.3.2 --locked --features no_downloads
fi
if ! has_version wasm-bindgen 0.2.130; then
  echo "==> installing wasm-bindgen-cli 0.2.130 (a few minutes, once)"
  # Not --locked: its lock file names a crate version the registry no longer has.
  cargo install --root "$TOOLS" wasm-bindgen-cli --version 0.2.130
fi
if [ "$want_release" = 1 ] && ! has_version wasm-opt 116; then
  echo "==> installing wasm-opt (binaryen 116; Debian's 108 breaks hydration)"
  cargo install --root "$TOOLS" wasm-opt --version 0.116.1 --locked
fi
# The PostgreSQL tests need the machine's server; start it if it is installed but stopped.
if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432 && command -v pg_ctlcluster >/dev/null; then
  echo "==> starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
fi
if [ "$want_browser" = 1 ]; then
  if [ ! -x /usr/bin/chromium ]; then
    echo "==> installing Debian's Chromium"
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
  fi
  if [ ! -d end2end/node_modules/playwright-core ]; then
    echo "==> installing the end-to-end test packages"
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
