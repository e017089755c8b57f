package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gapmap/gapmap/planning"
)

// importOptions are the flags of `gapmap import`.
type importOptions struct {
	File    string // the file (a .shp, or a .zip holding one shapefile set)
	Mapping string // mapping file (JSON)
	Report  string // write the report here too, as .csv or .json
	Options planning.ImportOptions
}

func importFlags(fs *flag.FlagSet, o *importOptions) func() error {
	var mode string
	fs.StringVar(&o.Options.Layer, "layer", "", "layer to load: counties, townships, villages, roads, bridges, bus_stops, reservoirs, water_works, water_mains, substations, power_lines, transformers, pv_stations, tourism_sites, projects")
	fs.StringVar(&o.File, "file", "", "file to load")
	fs.StringVar(&o.Options.SRS, "srs", "", "input coordinate system, overriding the file's: EPSG:4547, gcj02, bd09, cgcs2000-gk3-114 …")
	fs.StringVar(&o.Mapping, "mapping", "", "mapping file (JSON): {\"columns\": {…}, \"values\": {…}, \"defaults\": {…}, \"ignore\": […]}")
	fs.StringVar(&mode, "mode", "reject", "reject (nothing written if any row is bad), skip (write the good rows) or upsert (also update existing keys)")
	fs.StringVar(&o.Options.Source, "source", "", "the dataset the file's feature ids belong to (default: the file's name without extension; OpenStreetMap: osm): ids are unique within a source, so another file's id 1 is another feature")
	fs.StringVar(&o.Options.Encoding, "encoding", "", "text encoding of a Shapefile's .dbf or a CSV, overriding detection: utf-8 or gbk")
	fs.StringVar(&o.Options.Attribution, "attribution", "", "the credit the file's data requires, e.g. \"© OpenStreetMap contributors\" for an OSM extract saved as GeoJSON; maps and exports carry it")
	fs.BoolVar(&o.Options.Strict, "strict", false, "make suspicions errors and write nothing: coordinates that look like GCJ-02 (高德/DataV), rows outside the county or of another province, rows on one identical point")
	marginKm := fs.Float64("margin-km", planning.DefaultMarginMetres/1000, "how far outside the loaded county outline a row may lie before it is reported, in km")
	fs.BoolVar(&o.Options.DryRun, "dry-run", false, "check and count what would be inserted, updated or left unchanged, then roll back; exits 1 when rows have errors")
	fs.StringVar(&o.Report, "report", "", "also write the report to FILE (.csv or .json)")
	validFrom := fs.String("valid-from", "", "数据日期 YYYY-MM-DD: the day the file's rows took effect in the county (history, score --as-of); default now")
	return func() error {
		var errs []error
		if o.File == "" || o.Options.Layer == "" {
			errs = append(errs, errors.New("--layer and --file are required"))
		}
		m, err := planning.ParseImportMode(mode)
		errs = append(errs, err)
		o.Options.Mode = m
		errs = append(errs, planning.CheckMarginKm(*marginKm))
		o.Options.MarginMetres = *marginKm * 1000
		o.Options.ValidFrom, err = planning.ParseValidFrom(*validFrom)
		errs = append(errs, err)
		return errors.Join(errs...)
	}
}

// importFile runs `gapmap import`: the report's summary and problems go to
// stdout, a progress line with rows/s to a terminal stderr. A report with
// errors in reject mode is a failure (exit status 1), and so is a dry run
// with rows in error, in any mode: a script checking a file before loading
// it learns from the exit status that the file is not clean.
func importFile(ctx context.Context, a app, o importOptions) error {
	if err := migrateFirst(ctx, a.store); err != nil {
		return err
	}
	stdout, stderr := a.stdout, a.stderr
	// An import allocates about 1.5 KB a feature and keeps only some 20 MB
	// live (the batches in flight), so the default pacing collects every
	// few tens of MB: a fifth of the process's CPU at a million features.
	// This process does nothing else; a heap goal four times the live
	// heap keeps it under 100 MB.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	opt := o.Options
	opt.Name = filepath.Base(o.File)
	if o.Mapping != "" {
		b, err := os.ReadFile(o.Mapping)
		if err != nil {
			return fmt.Errorf("mapping: %w", err)
		}
		if opt.Mapping, err = planning.ParseMapping(b); err != nil {
			return err
		}
	}
	if isTerminal(stderr) {
		start := time.Now()
		// The stage and rows an import job reports, with the rate.
		opt.Progress = planning.ImportProgress(func(p planning.JobProgress) {
			if p.Done == nil {
				fmt.Fprintf(stderr, "\r\033[K%s", p)
				return
			}
			fmt.Fprintf(stderr, "\r\033[K%s 行，%.0f 行/秒", p, float64(*p.Done)/time.Since(start).Seconds())
		})
	}
	rep, err := a.store.Import(ctx, o.File, opt)
	if opt.Progress != nil {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		return err
	}
	if o.Report != "" {
		if err := writeReport(o.Report, rep); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "%s → %s（%s，%s，坐标系 %s）\n", rep.File, rep.Layer, rep.Format, rep.Encoding, rep.SRS)
	if len(rep.Columns) > 0 {
		fmt.Fprintf(stdout, "列：%s\n", strings.Join(rep.Columns, "，"))
	}
	if rep.Source != "" {
		fmt.Fprintf(stdout, "来源数据集：%s（要素编号在同一来源内唯一；另一份数据请用 --source 另起名称）\n", rep.Source)
	}
	const shown = 50
	for i, p := range rep.Problems {
		if i == shown {
			fmt.Fprintf(stdout, "……另有 %d 个问题，用 --report 写出完整清单\n", int64(len(rep.Problems)-shown)+rep.Truncated)
			break
		}
		where := "文件"
		if p.Row > 0 {
			where = fmt.Sprintf("第 %d 行", p.Row)
		}
		fmt.Fprintf(stdout, "%s %s %s %q：%s", p.SeverityLabel(), where, p.Field, p.Value, p.Reason)
		if p.Hint != "" {
			fmt.Fprintf(stdout, "（%s）", p.Hint)
		}
		fmt.Fprintln(stdout)
	}
	fmt.Fprintf(stdout, "%s，用时 %.1f 秒\n", rep.Message, rep.Seconds)
	if !rep.Committed && !rep.DryRun {
		return fmt.Errorf("import refused: %d row(s) with errors, %d error(s) in all", rep.Rejected, rep.Errors)
	}
	if rep.DryRun && rep.Rejected > 0 {
		return fmt.Errorf("dry run: %d row(s) with errors", rep.Rejected)
	}
	return nil
}

// writeReport writes rep as CSV (UTF-8 with BOM, for Excel) or JSON, by
// the file's extension.
func writeReport(path string, rep planning.ImportReport) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if strings.EqualFold(filepath.Ext(path), ".json") {
		enc := json.NewEncoder(f)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = rep.WriteCSV(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("report %s: %w", path, err)
	}
	return nil
}
