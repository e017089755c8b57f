#!/usr/bin/env bash
# run.sh runs the review map's tests: the page's unit tests and the end-to-end
# test in headless Chromium against `gapmap demo` on a fresh database
# (gapmap_e2e). `make e2e` and `make test` call it after `make web`.
#
# With a tool missing it skips, except under CI, where it fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../../.." && pwd)
web="$root/cmd/gapmap/web"
cd "$root"

missing=()
command -v node >/dev/null || missing+=("node")
[ -x /usr/bin/chromium ] || missing+=("/usr/bin/chromium")
[ -f "$web/static/vendor/maplibre-gl.mjs" ] || missing+=("MapLibre in static/vendor (make web)")
[ -d "$web/node_modules/playwright-core" ] || missing+=("playwright-core (make web)")
if [ "${#missing[@]}" -gt 0 ]; then
  if [ -n "${CI:-}" ]; then
    echo "e2e: cannot run, missing: ${missing[*]}" >&2
    exit 1
  fi
  echo "e2e: skipped, missing: ${missing[*]}" >&2
  exit 0
fi

# A fresh database every run, so the test sees the demo exactly as a
# newcomer's `make demo` loads it. With DATABASE_URL set, that server is
# used as it is (scripts/dbsetup.sh). GAPMAP_E2E_DB names the database
# (default gapmap_e2e), so that two checkouts on one machine can run the
# test at once.
db="${GAPMAP_E2E_DB:-gapmap_e2e}"
if [ -z "${DATABASE_URL:-}" ] && command -v dropdb >/dev/null && [ "$(id -u)" = 0 ]; then
  (cd / && runuser -u postgres -- dropdb --if-exists --force -h 127.0.0.1 "$db" 2>/dev/null) ||
    (cd / && runuser -u postgres -- dropdb --if-exists --force "$db" 2>/dev/null) || true
fi
url=$(scripts/dbsetup.sh "$db")
go build -o "bin/gapmap-$db" ./cmd/gapmap

cd "$web"
# Each test file adds its screenshots; a run starts with none.
rm -rf "$web/e2e/artifacts"
start=$(date +%s)
GAPMAP_BIN="$root/bin/gapmap-$db" GAPMAP_E2E_DATABASE_URL="$url" \
  node --test --test-concurrency=1 --test-reporter=spec test/ e2e/
echo "e2e: done in $(($(date +%s) - start)) s; screenshots in cmd/gapmap/web/e2e/artifacts/" >&2
