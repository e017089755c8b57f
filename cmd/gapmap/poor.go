package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"text/tabwriter"

	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/table"
)

// poorImportOptions are the flags of `gapmap poor import`.
type poorImportOptions struct {
	File   string
	Year   int // 0: the table's 年度 column
	DryRun bool
}

func poorImportFlags(fs *flag.FlagSet, o *poorImportOptions) func() error {
	fs.StringVar(&o.File, "file", "", "the county's yearly 建档立卡 table, CSV or XLSX, with a 村代码 column")
	fs.IntVar(&o.Year, "year", 0, "the year of every row (2014–2030); 0: the table's 年度 column")
	fs.BoolVar(&o.DryRun, "dry-run", false, "check every row and report, write nothing (exit 1 when rows have errors)")
	return func() error {
		if o.File == "" {
			return errors.New("--file: the table is required")
		}
		if o.Year != 0 && (o.Year < 2014 || o.Year > 2030) {
			return fmt.Errorf("--year: want a year in 2014–2030, got %d", o.Year)
		}
		return nil
	}
}

// poorImport runs `gapmap poor import`: the yearly table in one
// transaction, every row's outcome and every problem printed.
func poorImport(ctx context.Context, a app, o poorImportOptions) error {
	if err := migrateFirst(ctx, a.store); err != nil {
		return err
	}
	rep, err := a.store.ImportPoverty(ctx, o.File, planning.PovertyImportOptions{Name: filepath.Base(o.File), Year: o.Year, DryRun: o.DryRun})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s（%s），年度 %v\n列：%s\n", rep.File, rep.Format, rep.Years, strings.Join(rep.Columns, "，"))
	for _, p := range rep.Problems {
		where := "文件"
		if p.Row > 0 {
			where = fmt.Sprintf("第 %d 行", p.Row)
		}
		fmt.Fprintf(a.stdout, "%s %s %s %q：%s", p.SeverityLabel(), where, p.Field, p.Value, p.Reason)
		if p.Hint != "" {
			fmt.Fprintf(a.stdout, "（%s）", p.Hint)
		}
		fmt.Fprintln(a.stdout)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "行\t村代码\t村\t年度\t结果")
	for _, r := range rep.Rows {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\n", r.Row, r.Village, r.Name, r.Year, r.Outcome)
	}
	tw.Flush()
	state := "已写入"
	switch {
	case rep.DryRun:
		state = "试运行，未写入"
	case !rep.Committed:
		state = "有错误，全部未写入"
	}
	fmt.Fprintf(a.stdout, "读取 %d 行：新增 %d，更新 %d，未变 %d，错误 %d；设置退出年度 %d 个村（%s）\n",
		rep.Read, rep.Inserted, rep.Updated, rep.Unchanged, rep.Rejected, rep.ExitYears, state)
	if rep.Rejected > 0 {
		return fmt.Errorf("poor import: %d row(s) with errors", rep.Rejected)
	}
	return nil
}

// poorShowOptions are the flags of `gapmap poor show`.
type poorShowOptions struct{ Village string }

var twelveDigits = regexp.MustCompile(`^[0-9]{12}$`)

func poorShowFlags(fs *flag.FlagSet, o *poorShowOptions) func() error {
	fs.StringVar(&o.Village, "village", "", "the village's 12-digit code")
	return func() error {
		if !twelveDigits.MatchString(o.Village) {
			return fmt.Errorf("--village: want a 12-digit village code, got %q", o.Village)
		}
		return nil
	}
}

// poorShow runs `gapmap poor show`: a village's register by year.
func poorShow(ctx context.Context, a app, o poorShowOptions) error {
	vp, err := a.store.VillagePoverty(ctx, o.Village)
	if err != nil {
		return err
	}
	exit := "未退出或未知"
	if vp.ExitYear != nil {
		exit = fmt.Sprintf("%d 年退出", *vp.ExitYear)
	}
	fmt.Fprintf(a.stdout, "%s %s（%s），贫困村退出：%s\n", vp.Code, vp.Name, vp.TownshipName, exit)
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "年度\t"+strings.Join(planning.PovertyFieldTitles, "\t")+"\t其他增减户数\t其他增减人数\t")
	for _, y := range vp.Years {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t\n", y.Year, cells(y.Values()), cell(y.OtherHouseholds), cell(y.OtherPopulation))
	}
	tw.Flush()
	if len(vp.Years) == 0 {
		fmt.Fprintln(a.stdout, "（没有分年度的建档立卡数据：评分使用村的建档立卡户数、人数）")
	}
	return nil
}

// cell prints a figure, "—" when unknown (never 0).
func cell(v *int) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprint(*v)
}

func cells(vs []*int) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = cell(v)
	}
	return strings.Join(out, "\t")
}

// poorRollupOptions are the flags of `gapmap poor rollup`.
type poorRollupOptions struct {
	Township string
	From, To int
	Out      string // .xlsx or .csv; "": print
}

func poorRollupFlags(fs *flag.FlagSet, o *poorRollupOptions) func() error {
	fs.StringVar(&o.Township, "township", "", "one township's code (default: every township and the county's total)")
	fs.IntVar(&o.From, "from", 0, "first year (0: the first with data)")
	fs.IntVar(&o.To, "to", 0, "last year (0: the last with data)")
	fs.StringVar(&o.Out, "out", "", "write the roll-up to FILE.xlsx or FILE.csv instead of printing it")
	return func() error {
		if o.Out != "" {
			if _, ok := table.PovertyFormats[strings.TrimPrefix(filepath.Ext(o.Out), ".")]; !ok {
				return fmt.Errorf("--out: want a .xlsx or .csv file, got %q", o.Out)
			}
		}
		return nil
	}
}

// poorRollup runs `gapmap poor rollup`: the register summed by year.
func poorRollup(ctx context.Context, a app, o poorRollupOptions) error {
	rows, err := a.store.PovertyRollup(ctx, planning.PovertyFilter{Township: o.Township, From: o.From, To: o.To})
	if err != nil {
		return err
	}
	if o.Out != "" {
		t := table.PovertyFormats[strings.TrimPrefix(filepath.Ext(o.Out), ".")]
		if err := writeFileAtomic(o.Out, func(w io.Writer) error { return t.Write(w, rows) }); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "建档立卡分年度汇总 %d 行已写入 %s\n", len(rows), o.Out)
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, strings.Join(table.PovertyHeaders, "\t")+"\t")
	for _, r := range rows {
		town := r.TownshipName
		if r.TownshipCode == "" {
			town = "合计"
		}
		most := 0
		for _, n := range r.Unknown {
			most = max(most, n)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%d\t%d\t\n", r.Year, r.TownshipCode, town, r.Villages, cells(r.Values()), most, r.VillagesExited)
	}
	tw.Flush()
	if len(rows) == 0 {
		fmt.Fprintln(a.stdout, "（没有分年度的建档立卡数据：用 gapmap poor import 导入）")
	}
	return nil
}
