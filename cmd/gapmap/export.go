package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"github.com/gapmap/gapmap/planning"
)

// exportOptions are the flags of `gapmap export`.
type exportOptions struct {
	Out     string
	Options planning.ExportOptions
}

func exportFlags(fs *flag.FlagSet, o *exportOptions) func() error {
	var layer, query, srs, encoding string
	fs.StringVar(&layer, "layer", "", "layer, comma-separated layers, village_gaps, projects, or county (every layer; gpkg)")
	fs.StringVar(&o.Options.Format, "format", "gpkg", "gpkg, shp.zip, geojson, kml, csv or xlsx")
	fs.StringVar(&srs, "srs", "", "output coordinate system: EPSG:4490 (default), EPSG:4326, cgcs2000-gk3-114e, gcj02 … (as srs= in --filter)")
	fs.StringVar(&encoding, "encoding", "", "text encoding of a shp.zip's .dbf: utf-8 (default) or gbk (as encoding= in --filter)")
	fs.StringVar(&o.Out, "out", "", "file to write")
	fs.StringVar(&query, "filter", "", "filters as in the API query, e.g. township=<乡镇名称或9位代码>&poor=true&dimension=通路&min_score=50&srs=EPSG:4547&encoding=gbk")
	return func() error {
		var errs []error
		q, err := url.ParseQuery(query)
		if err != nil {
			errs = append(errs, fmt.Errorf("--filter: %w", err))
		}
		// --srs and --encoding, which the usage names, are the filter's
		// srs= and encoding=; given both ways, they must agree.
		for name, v := range map[string]string{"srs": srs, "encoding": encoding} {
			switch {
			case v == "":
			case q.Get(name) != "" && q.Get(name) != v:
				errs = append(errs, fmt.Errorf("--%s %q and --filter %s=%q disagree", name, v, name, q.Get(name)))
			default:
				q.Set(name, v)
			}
		}
		opt, err := planning.ParseExportQuery(layer, o.Options.Format, q)
		errs = append(errs, err)
		o.Options = opt
		if layer == "" || o.Out == "" {
			errs = append(errs, errors.New("--layer and --out are required"))
		}
		return errors.Join(errs...)
	}
}

// exportFile runs `gapmap export`: the file appears only when complete.
func exportFile(ctx context.Context, a app, o exportOptions) error {
	start := time.Now()
	err := writeFileAtomic(o.Out, func(w io.Writer) error { return a.store.Export(ctx, w, o.Options) })
	if err != nil {
		return err
	}
	st, _ := os.Stat(o.Out)
	fmt.Fprintf(a.stdout, "已导出 %v（%s）到 %s，%d 字节，用时 %.1f 秒\n", o.Options.Layers, o.Options.Format, o.Out, st.Size(), time.Since(start).Seconds())
	return nil
}
