#!/usr/bin/env bash
# Sets up a fresh machine: system packages (oneDNN for the native backend, a compiler, Chromium for the
# browser tests), npm dependencies (which also builds the native addon), and the TypeScript build.
# Usage: bash scripts/setup.sh            (idempotent; apt steps are skipped when not root and no sudo)
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES="libdnnl-dev g++ make python3 ${CYCLEGAN_EXTRA_APT:-}"
missing=""
for p in $APT_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO=$(command -v sudo || true); fi
  if [ "$(id -u)" = 0 ] || [ -n "$SUDO" ]; then
    echo "setup: installing system packages:$missing"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "setup: cannot install$missing (not root, no sudo); the native backend may fall back to wasm"
  fi
fi

echo "setup: npm ci (its install step builds the native oneDNN addon, or says why not)"
npm ci --no-audit --no-fund
echo "setup: build"
npm run build --silent
if [ -f scripts/build-web.mjs ]; then npm run build:web --silent; fi
