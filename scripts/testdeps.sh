#!/usr/bin/env bash
# testdeps.sh installs, when missing, the independent clients the tests check
# gapmap's output with: GDAL's ogrinfo reads served vector tiles; Debian's
# Chromium runs the review map's end-to-end test (playwright-core drives it;
# Playwright's own browser download cannot work offline), with Node.js and a
# Chinese font so that its screenshots are legible; LibreOffice Calc
# recalculates the 项目库 申报表's formulas; poppler's pdftoppm and pdfinfo
# read the 出图 PDF back.
#
# Usage: scripts/testdeps.sh [node]   ("node": only Node.js and npm, which
# building the review map needs)
set -euo pipefail
pkgs=()
command -v node >/dev/null && command -v npm >/dev/null || pkgs+=(nodejs npm)
if [ "${1:-}" != node ]; then
  command -v ogrinfo >/dev/null || pkgs+=(gdal-bin)
  [ -x /usr/bin/chromium ] || pkgs+=(chromium)
  command -v soffice >/dev/null || pkgs+=(libreoffice-calc)
  command -v pdftoppm >/dev/null || pkgs+=(poppler-utils)
  [ -n "$(fc-list :lang=zh 2>/dev/null)" ] || pkgs+=(fonts-wqy-microhei)
fi
[ "${#pkgs[@]}" -eq 0 ] && exit 0
command -v apt-get >/dev/null || { echo "testdeps: missing ${pkgs[*]} and no apt-get: install them" >&2; exit 1; }
echo "testdeps: installing ${pkgs[*]}" >&2
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -qq >&2 || echo "testdeps: apt-get update failed; trying the cached lists" >&2
as_root apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >&2
