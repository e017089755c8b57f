package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/gapmap/gapmap/cmd/gapmap/web"
	"github.com/gapmap/gapmap/tiles"
)

// packOptions are the flags of `gapmap tiles pack`.
type packOptions struct {
	LayerSet         string
	MinZoom, MaxZoom int
	Format           string // tiles.PackMBTiles or tiles.PackPMTiles; empty: by Out's extension
	Out              string
	// Page also writes the review map beside a PMTiles archive (index.html
	// and static/), so that the folder is a site any static web server can
	// host: index.html?pmtiles=<archive> shows the map without gapmap.
	Page bool
}

func packFlags(fs *flag.FlagSet, o *packOptions) func() error {
	fs.StringVar(&o.LayerSet, "layerset", "review", "layer set or layer to pack")
	fs.IntVar(&o.MinZoom, "minzoom", 0, "first zoom")
	fs.IntVar(&o.MaxZoom, "maxzoom", tiles.MaxZoom, "last zoom (at most 14; clients over-zoom)")
	fs.StringVar(&o.Format, "format", "", "mbtiles or pmtiles (default: by the --out file's extension, else mbtiles)")
	fs.StringVar(&o.Out, "out", "", "file to write, e.g. county.mbtiles or county.pmtiles")
	fs.BoolVar(&o.Page, "page", false, "with pmtiles: also write the review map (index.html, static/) into the archive's folder, for static hosting")
	return func() error {
		if o.Out == "" {
			return errors.New("--out: name the file to write, e.g. --out county.mbtiles or --out county.pmtiles")
		}
		if o.Format == "" {
			o.Format = tiles.PackMBTiles
			if strings.EqualFold(filepath.Ext(o.Out), ".pmtiles") {
				o.Format = tiles.PackPMTiles
			}
		}
		if o.Format != tiles.PackMBTiles && o.Format != tiles.PackPMTiles {
			return fmt.Errorf("--format %q: 可用 %s 或 %s", o.Format, tiles.PackMBTiles, tiles.PackPMTiles)
		}
		if o.Page && o.Format != tiles.PackPMTiles {
			return errors.New("--page: 审核图只能读取 PMTiles 离线包，请同时用 --format pmtiles（或 --out 以 .pmtiles 结尾）")
		}
		return nil
	}
}

// packTiles runs `gapmap tiles pack`: the offline pack (MBTiles or
// PMTiles), which appears only when complete, with progress on a terminal.
func packTiles(ctx context.Context, a app, o packOptions) error {
	opt := tiles.PackOptions{Set: o.LayerSet, MinZoom: o.MinZoom, MaxZoom: o.MaxZoom, Format: o.Format, Workers: 2}
	if isTerminal(a.stderr) {
		opt.Progress = func(done, total int) {
			if done%50 == 0 || done == total {
				fmt.Fprintf(a.stderr, "\r打包 %d/%d 个瓦片", done, total)
			}
		}
		defer fmt.Fprintln(a.stderr)
	}
	var st tiles.PackStats
	err := writeAtomic(o.Out, func(tmpPath string) error {
		opt.Out = tmpPath
		var err error
		st, err = tiles.Pack(ctx, a.store, opt)
		return err
	})
	if err != nil {
		return fmt.Errorf("tiles pack: %w", err)
	}
	fmt.Fprintf(a.stdout, "%s: %d tiles rendered, %d stored, %.1f MB (gzip), largest tile %.1f KB, %d truncated\n",
		o.Out, st.Tiles, st.Stored, float64(st.Bytes)/1e6, float64(st.MaxRawSize)/1024, st.Truncated)
	if !o.Page {
		return nil
	}
	dir := filepath.Dir(o.Out)
	if err := writePage(dir); err != nil {
		return fmt.Errorf("tiles pack --page: %w", err)
	}
	fmt.Fprintf(a.stdout, "%s: the review map; host the folder on any web server that answers range requests and open index.html?pmtiles=%s\n",
		dir, url.QueryEscape(filepath.Base(o.Out)))
	return nil
}

// pageAssets is the folder, beside index.html, that a static copy of the
// review map keeps the page's other files in.
const pageAssets = "static"

// writePage writes the review map into dir: index.html, naming its files
// relative to itself, and the files under static/. Each file appears whole
// (writeAtomic); files of an older copy that the page no longer has stay.
func writePage(dir string) error {
	files := web.Static()
	return fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		out := filepath.Join(dir, pageAssets, filepath.FromSlash(p))
		if p == "index.html" {
			out = filepath.Join(dir, "index.html")
			if body, err = web.Page(body, files, pageAssets); err != nil {
				return err
			}
		}
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return writeAtomic(out, func(tmp string) error { return os.WriteFile(tmp, body, 0o644) })
	})
}
