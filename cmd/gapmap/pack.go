package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/gapmap/gapmap/tiles"
)

// packOptions are the flags of `gapmap tiles pack`.
type packOptions struct {
	LayerSet         string
	MinZoom, MaxZoom int
	Out              string // MBTiles file
}

func packFlags(fs *flag.FlagSet, o *packOptions) func() error {
	fs.StringVar(&o.LayerSet, "layerset", "review", "layer set or layer to pack")
	fs.IntVar(&o.MinZoom, "minzoom", 0, "first zoom")
	fs.IntVar(&o.MaxZoom, "maxzoom", tiles.MaxZoom, "last zoom (at most 14; clients over-zoom)")
	fs.StringVar(&o.Out, "out", "", "MBTiles file to write, e.g. county.mbtiles")
	return func() error {
		if o.Out == "" {
			return errors.New("--out: name the MBTiles file to write, e.g. --out county.mbtiles")
		}
		return nil
	}
}

// packTiles runs `gapmap tiles pack`: the offline pack, which appears only
// when complete, with progress on a terminal.
func packTiles(ctx context.Context, a app, o packOptions) error {
	opt := tiles.PackOptions{Set: o.LayerSet, MinZoom: o.MinZoom, MaxZoom: o.MaxZoom, Workers: 2}
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
