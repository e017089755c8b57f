// Package web holds the review map's files: the page, its scripts and
// styles, committed in static, and MapLibre's dist files, which the
// Makefile copies from node_modules into static/vendor (gitignored). The
// directory always holds committed files, so the binary builds from a clean
// clone without npm; the page then says in Chinese that MapLibre is missing.
// cmd/gapmap/api serves them; this package only embeds them, and must
// import nothing but embed and io/fs: no HTTP, no other gapmap package.
package web

import (
	"embed"
	"io/fs"
)

//go:embed static
var files embed.FS

// AssetsMark is what index.html says where the URL prefix of the page's
// other files belongs: the server puts its versioned /static/<build> there,
// a static copy of the page (tiles pack --page) the folder it writes them to.
const AssetsMark = "{{static}}"

// MapLibrePreload is index.html's line that has the browser fetch MapLibre
// while the page's own modules load, before app.js asks for it. A build
// without MapLibre serves the page without it (cmd/gapmap/api).
const MapLibrePreload = `<link rel="modulepreload" href="` + AssetsMark + `/vendor/maplibre-gl.mjs">` + "\n"

// Static returns the review map's files with index.html at the root.
func Static() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // "static" is a valid path: fs.Sub cannot fail on it
	}
	return sub
}
