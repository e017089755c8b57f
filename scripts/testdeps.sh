#!/usr/bin/env bash
# testdeps.sh installs the independent clients the tests check gapmap's
# output with (GDAL's ogrinfo reads served vector tiles), when missing.
set -euo pipefail
command -v ogrinfo >/dev/null && exit 0
command -v apt-get >/dev/null || { echo "testdeps: ogrinfo missing and no apt-get: install gdal-bin" >&2; exit 1; }
echo "testdeps: installing gdal-bin" >&2
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -qq >&2 || echo "testdeps: apt-get update failed; trying the cached lists" >&2
as_root apt-get install -y -qq --no-install-recommends gdal-bin >&2
