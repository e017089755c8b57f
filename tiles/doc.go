// Package tiles is the vector-tile engine: the layer sets and their zooms
// and fields (built from the layer catalogue, data/catalog), the one zoom
// filter ([LayersAt]), the [Source] interface it renders from (package data
// implements it on PostGIS), a byte-bounded [Cache] that gzips each tile
// once, a [Service] that renders a set's tile through the cache and a
// bounded number of concurrent renders and knows the data's versions,
// bounds and attribution (on a version move it drops only the cached tiles
// the writes' boxes touch, [Source.Changes], and re-renders the dropped
// low-zoom ones in the background; with a [Store] it keeps its tiles
// across restarts), TileJSON and MapLibre style documents as values,
// offline MBTiles packs ([Pack]) and fixed tile lists ([TileList]).
//
// It serves nothing itself: the HTTP routes, request parsing, headers and
// error responses live in cmd/gapmap/api. It must not import net/http,
// gorilla/mux, pgx or package data; data/catalog, which is pure Go, is the
// one gapmap package it reads.
package tiles
