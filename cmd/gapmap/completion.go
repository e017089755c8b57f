package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/table"
)

// asBuiltOptions are the flags of `gapmap projects asbuilt`.
type asBuiltOptions struct {
	Project int64
	Values  string // planning.AsBuilt as JSON
}

func asBuiltFlags(fs *flag.FlagSet, o *asBuiltOptions) func() error {
	fs.Int64Var(&o.Project, "project", 0, "the project's id")
	fs.StringVar(&o.Values, "values", "", `as-built values as JSON, e.g. {"width_m": 5, "completed_on": "2016-06-30"}`)
	return func() error {
		var errs []error
		if o.Project <= 0 {
			errs = append(errs, errors.New("--project is required"))
		}
		if o.Values == "" {
			errs = append(errs, errors.New("--values is required"))
		}
		return errors.Join(errs...)
	}
}

// asBuilt runs `gapmap projects asbuilt`: it stores what a project
// actually built, which its completion writes into the layers.
func asBuilt(ctx context.Context, a app, o asBuiltOptions) error {
	if err := migrateFirst(ctx, a.store); err != nil {
		return err
	}
	var ab planning.AsBuilt
	dec := json.NewDecoder(strings.NewReader(o.Values))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ab); err != nil {
		return planning.Errorf(planning.EInvalid, "--values 不是有效的竣工实际值 JSON：%v", err)
	}
	p, err := a.store.SetAsBuilt(ctx, o.Project, ab)
	if err != nil {
		return err
	}
	out, err := json.Marshal(p.AsBuilt)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "项目 %d %s 竣工实际值：%s\n", p.ID, p.Name, out)
	return nil
}

// realisedOptions are the flags of `gapmap projects realised`.
type realisedOptions struct {
	Out string // FILE.xlsx or FILE.csv; "" prints the table
}

func realisedFlags(fs *flag.FlagSet, o *realisedOptions) func() error {
	fs.StringVar(&o.Out, "out", "", "write the table to FILE.xlsx or FILE.csv instead of printing it")
	return func() error {
		if o.Out != "" && !strings.HasSuffix(o.Out, ".xlsx") && !strings.HasSuffix(o.Out, ".csv") {
			return fmt.Errorf("--out %q: want a .xlsx or .csv file", o.Out)
		}
		return nil
	}
}

// realised runs `gapmap projects realised`: every completed project's
// predicted 缺口后 against the gap of the first scoring run after it was
// written into the layers.
func realised(ctx context.Context, a app, o realisedOptions) error {
	if err := migrateFirst(ctx, a.store); err != nil {
		return err
	}
	rows, err := a.store.Realised(ctx)
	if err != nil {
		return err
	}
	switch {
	case strings.HasSuffix(o.Out, ".xlsx"):
		return writeFileAtomic(o.Out, func(w io.Writer) error { return table.WriteRealisedXLSX(w, rows) })
	case strings.HasSuffix(o.Out, ".csv"):
		return writeFileAtomic(o.Out, func(w io.Writer) error { return table.WriteRealisedCSV(w, rows) })
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "项目ID\t项目名称\t维度\t完工日期\t预计缺口后\t评分批次\t实际缺口\t差值\t来源指标（实际）\t无预测原因")
	gap := func(p *float64) string {
		if p == nil {
			return "—"
		}
		return strconv.FormatFloat(*p, 'f', 1, 64)
	}
	for _, r := range rows {
		run := "尚未评分"
		if r.RunID != 0 {
			run = strconv.FormatInt(r.RunID, 10)
		}
		predicted := gap(r.Predicted)
		if r.Predicted == nil {
			predicted = "无预测"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ProjectID, r.Name, r.Dimension, r.CompletedOn,
			predicted, run, gap(r.Realised), gap(r.Diff()), r.Row()[14], r.NoPrediction)
	}
	return tw.Flush()
}
