package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gapmap/gapmap/tiles"
)

// packOptions are the flags of `gapmap tiles pack`.
type packOptions struct {
	LayerSet         string
	MinZoom, MaxZoom int
	Format           string // tiles.PackMBTiles or tiles.PackPMTiles; empty: by Out's extension
	Out              string
}

func packFlags(fs *flag.FlagSet, o *packOptions) func() error {
	fs.StringVar(&o.LayerSet, "layerset", "review", "layer set or layer to pack")
	fs.IntVar(&o.MinZoom, "minzoom", 0, "first zoom")
	fs.IntVar(&o.MaxZoom, "maxzoom", tiles.MaxZoom, "last zoom (at most 14; clients over-zoom)")
	fs.StringVar(&o.Format, "format", "", "mbtiles or pmtiles (default: by the --out file's extension, else mbtiles)")
	fs.StringVar(&o.Out, "out", "", "file to write, e.g. county.mbtiles or county.pmtiles")
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
	return nil
}
