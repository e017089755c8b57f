// Package web holds the review map's files: the page, its scripts and
// styles, committed in static, and MapLibre's dist files, which the
// Makefile copies from node_modules into static/vendor (gitignored). The
// directory always holds committed files, so the binary builds from a clean
// clone without npm; the page then says in Chinese that MapLibre is missing.
// cmd/gapmap/api serves them; this package only embeds them and fills the
// page's marks, and must import nothing but embed, io/fs and bytes: no HTTP,
// no other gapmap package.
package web

import (
	"bytes"
	"embed"
	"io/fs"
)

//go:embed static
var files embed.FS

// AssetsMark is what index.html says where the URL prefix of the page's
// other files belongs: the server puts its versioned /static/<build> there,
// a static copy of the page (tiles pack --page) the folder it writes them to.
const AssetsMark = "{{static}}"

// PreloadMark is where index.html's head lists the page's modules for the
// browser to fetch at once (Page). Without the list a module is asked
// for only once the one importing it has arrived: three round trips deep,
// the map's code ran 0.5–0.9 s after the page arrived.
const PreloadMark = "{{preload}}"

// MapLibreFile is the file whose presence means MapLibre was built in.
const MapLibreFile = "vendor/maplibre-gl.mjs"

// Page is index.html (page) filled for fsys, the page's files, served under
// assets: PreloadMark becomes a modulepreload link for every module at the
// root of fsys and for MapLibre if it is there, and AssetsMark becomes
// assets. The server (/static/<build>) and tiles pack --page (a folder) both
// write the page with it.
func Page(page []byte, fsys fs.FS, assets string) ([]byte, error) {
	names, err := fs.Glob(fsys, "*.js")
	if err != nil {
		return nil, err
	}
	if _, err := fs.Stat(fsys, MapLibreFile); err == nil {
		names = append([]string{MapLibreFile}, names...)
	}
	var links bytes.Buffer
	for _, n := range names {
		links.WriteString(`<link rel="modulepreload" href="` + AssetsMark + "/" + n + "\">\n")
	}
	page = bytes.ReplaceAll(page, []byte(PreloadMark), links.Bytes())
	return bytes.ReplaceAll(page, []byte(AssetsMark), []byte(assets)), nil
}

// Static returns the review map's files with index.html at the root.
func Static() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // "static" is a valid path: fs.Sub cannot fail on it
	}
	return sub
}
