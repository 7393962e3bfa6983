#!/usr/bin/env bash
# The README's quick start: `bash scripts/quickstart.sh demo` or `bash scripts/quickstart.sh test`.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  demo)
    bash scripts/setup.sh
    exec node dist/src/cli/main.js demo "${@:2}"
    ;;
  test)
    CYCLEGAN_EXTRA_APT="chromium" bash scripts/setup.sh
    exec npm test --silent
    ;;
  *)
    echo "usage: bash scripts/quickstart.sh demo|test" >&2
    exit 2
    ;;
esac
