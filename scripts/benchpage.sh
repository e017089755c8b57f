#!/usr/bin/env bash
# benchpage.sh runs the review map's speed benchmark (cmd/gapmap/web/bench/
# pagespeed.mjs; `make bench-page`): this tree's gapmap and, with BASE set to
# a git ref, that ref's build too, the runs alternating between the two so
# that both meet the same machine load. RUNS (default 5) runs each; the demo
# goes into the database GAPMAP_E2E_DB (default gapmap_bench). PROFILE=1
# adds a CPU profile; SOFTWARE_COMPOSITING=1 a second browser that
# composites on the CPU (pagespeed.mjs says why).
#
# BASE's tree is taken with git archive and built with this tree's MapLibre
# files (static/vendor), which `make web` made from the lockfile.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v node >/dev/null || { echo "bench-page: node is missing (apt-get install nodejs)" >&2; exit 1; }
[ -x /usr/bin/chromium ] || { echo "bench-page: /usr/bin/chromium is missing (apt-get install chromium)" >&2; exit 1; }
db="${GAPMAP_E2E_DB:-gapmap_bench}"
url=$(scripts/dbsetup.sh "$db")
mkdir -p bin
go build -o "bin/gapmap-bench" ./cmd/gapmap
builds=("this=$root/bin/gapmap-bench")
if [ -n "${BASE:-}" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  git archive "$BASE" | tar -x -C "$tmp"
  cp -r cmd/gapmap/web/static/vendor "$tmp/cmd/gapmap/web/static/"
  (cd "$tmp" && go build -o "$root/bin/gapmap-bench-base" ./cmd/gapmap)
  builds=("base=$root/bin/gapmap-bench-base" "${builds[@]}")
fi
cd cmd/gapmap/web
GAPMAP_E2E_DATABASE_URL="$url" node bench/pagespeed.mjs --runs "${RUNS:-5}" ${PROFILE:+--profile} ${SOFTWARE_COMPOSITING:+--software-compositing} "${builds[@]}"
