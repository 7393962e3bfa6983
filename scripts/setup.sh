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
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "setup: cannot install$missing (not root, no sudo); the native backend may fall back to wasm"
  fi
fi

# Lavapipe 25 (software Vulkan) from bookworm-backports, so the webgpu backend's tests run without a GPU: Dawn
# refuses bookworm's Mesa 22.3 lavapipe. Only these packages come from backports (apt pins backports below
# the release, so nothing else is upgraded); the suite is added beside the existing Debian entry, same mirror.
LAVAPIPE_BACKPORTS="mesa-vulkan-drivers libdrm2 libdrm-amdgpu1 libdrm-common"   # the Vulkan loader stays bookworm's
lavapipe_ok() {
  local v
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
  [ -n "$v" ] && dpkg --compare-versions "$v" ge 25 && dpkg -s libvulkan1 >/dev/null 2>&1
}
if [ "${CYCLEGAN_SKIP_LAVAPIPE:-0}" != 1 ] && [ "$(uname -m)" = x86_64 ] && [ -f /etc/debian_version ] && \
   grep -q bookworm /etc/os-release 2>/dev/null && ! lavapipe_ok; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO=$(command -v sudo || true); fi
  if [ "$(id -u)" = 0 ] || [ -n "$SUDO" ]; then
    if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
      # The mirror of the existing bookworm entry (deb822 .sources or one-line sources.list).
      mirror=$(awk '/^URIs:/{u=$2} /^Suites:/{ if ($0 ~ /bookworm([ \t]|$)/ && u !~ /security/) { print u; exit } }' \
                 /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
      if [ -z "$mirror" ]; then
        mirror=$(awk '$1=="deb" && $0 ~ / bookworm / && $0 !~ /security/ { for (i=2;i<=NF;i++) if ($i ~ /^(https?|file|mirror):/) { print $i; exit } }' \
                   /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
      fi
      mirror=${mirror:-http://deb.debian.org/debian}
      echo "setup: adding bookworm-backports from $mirror"
      printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$mirror" | $SUDO tee /etc/apt/sources.list.d/cyclegan-backports.sources >/dev/null
    fi
    echo "setup: installing lavapipe 25 from bookworm-backports (software Vulkan for the webgpu tests)"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 update -qq
    targets="libvulkan1"
    for p in $LAVAPIPE_BACKPORTS; do targets="$targets $p/bookworm-backports"; done
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends \
      $targets >/dev/null
  else
    echo "setup: cannot install lavapipe 25 (not root, no sudo); the webgpu tests will skip outside CI"
  fi
fi

echo "setup: npm ci (its install step builds the native oneDNN addon, or says why not)"
npm ci --no-audit --no-fund
echo "setup: build"
npm run build --silent
if [ -f scripts/build-web.mjs ]; then npm run build:web --silent; fi
