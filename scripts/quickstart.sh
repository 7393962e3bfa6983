#!/usr/bin/env bash
# The README's quick start: `bash scripts/quickstart.sh demo` or `bash scripts/quickstart.sh test`.
set -euo pipefail
cd "$(dirname "$0")/.."
# What the test suite needs beyond the demo: Chromium for the page tests, Debian's PyTorch for the FID
# fixture (and the .pth export check). .ci/run uses the same list through `setup-test`.
TEST_APT="chromium python3-torch python3-torchvision python3-scipy"
case "${1:-}" in
  demo)
    bash scripts/setup.sh
    exec node dist/src/cli/main.js demo "${@:2}"
    ;;
  test)
    CYCLEGAN_EXTRA_APT="$TEST_APT" bash scripts/setup.sh
    exec npm test --silent
    ;;
  setup-test)
    CYCLEGAN_EXTRA_APT="$TEST_APT" exec bash scripts/setup.sh
    ;;
  *)
    echo "usage: bash scripts/quickstart.sh demo|test" >&2
    exit 2
    ;;
esac
