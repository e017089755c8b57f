// Command gapmap is the one binary of the gapmap service: it migrates the
// database, loads the demo county, serves the API, the tiles and the review
// map, scores villages, plans the 项目库, imports and exports layers, packs
// tiles for offline use and load-tests the tile server. Run `gapmap help`
// for the subcommands and `gapmap <command> -h` for the flags of one.
//
// It only wires the packages together. main.go holds the table of
// subcommands and dispatches to them; config.go the settings they share
// (DATABASE_URL, the log level and the HTTP server's settings, read from
// the environment and overridden by flags); every subcommand has its own
// file with its flags and its code (serve.go, demo.go, score.go, pack.go,
// bench.go, projects.go, import.go, export.go, migrate.go). The HTTP side
// is package api, the page's files package web.
//
// It is the only package that imports both package data and the packages
// that declare the interfaces data implements (planning, tiles, api); it
// holds no domain logic, SQL or HTTP handlers of its own.
package main
