// Package api is gapmap's one HTTP package. It owns every route of the REST
// API, the vector tiles and the review map page, listed once in the route
// table (routes.go) with each route's methods, time budget and body limit;
// one middleware chain every route goes through (request id, access log,
// panic recovery, body limit, time budget); and one error writer that
// answers {"error": {"code", "message"}} for every route, tiles included.
// Handlers are grouped by topic (villages, scoring, projects, plans,
// imports, exports, tiles, web) and parse and validate their requests here,
// before any domain call.
//
// It depends on planning, planning/table and tiles and on the interfaces
// they declare ([planning.Store], [planning.ImportStore],
// [planning.ExportStore], [tiles.Source] behind [tiles.Service]); it must not
// import package data or pgx: cmd/gapmap wires data.Store in. The page's
// files come in as an fs.FS (package web embeds them).
package api
