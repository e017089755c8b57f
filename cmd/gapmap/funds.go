package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/table"
)

// fundsOptions are the flags of the `gapmap funds …` commands; each
// command reads the ones it lists in its usage.
type fundsOptions struct {
	Set    string // funds sources: a JSON file to store as the list
	Filter planning.FundFilter
	Entry  planning.FundEntry
	Alloc  planning.Allocation
	Out    string
}

func fundsFlags(cmd string) func(fs *flag.FlagSet, o *fundsOptions) func() error {
	return func(fs *flag.FlagSet, o *fundsOptions) func() error {
		filter := func() {
			fs.IntVar(&o.Filter.Year, "year", 0, "entries dated in this year only")
			fs.StringVar(&o.Filter.Source, "source", "", "a source code (gapmap funds sources)")
			fs.StringVar(&o.Filter.Township, "township", "", "township code")
			fs.StringVar(&o.Filter.Village, "village", "", "village code")
			fs.StringVar(&o.Filter.Category, "category", "", "项目类别")
		}
		switch cmd {
		case "sources":
			fs.StringVar(&o.Set, "set", "", `store this JSON file as the county's list: {"sources": [{"code", "name", "level", "kind", "department"}, …]}`)
		case "allocate":
			fs.StringVar(&o.Alloc.Source, "source", "", "source code")
			fs.IntVar(&o.Alloc.Year, "year", 0, "year")
			fs.Float64Var(&o.Alloc.AmountWan, "amount", -1, "年度下达总额 (万元)")
			fs.StringVar(&o.Alloc.DocNo, "doc-no", "", "文号")
			fs.StringVar(&o.Alloc.Note, "note", "", "note")
			return func() error {
				if o.Alloc.Source == "" || o.Alloc.Year == 0 || o.Alloc.AmountWan < 0 {
					return errors.New("--source, --year and --amount are required")
				}
				return nil
			}
		case "allocations":
			fs.IntVar(&o.Alloc.Year, "year", 0, "one year (default: every year)")
		case "entry":
			fs.Int64Var(&o.Entry.ProjectID, "project", 0, "project id")
			fs.StringVar(&o.Entry.Kind, "kind", "", "下达, 到位 or 拨付 (计划 is the project's funding: edit the project)")
			fs.StringVar(&o.Entry.Source, "source", "", "source code")
			fs.Float64Var(&o.Entry.AmountWan, "amount", 0, "万元, > 0")
			fs.StringVar(&o.Entry.Date, "date", time.Now().Format(time.DateOnly), "YYYY-MM-DD")
			fs.StringVar(&o.Entry.DocNo, "doc-no", "", "文号 (下达) or 凭证号 (拨付)")
			fs.StringVar(&o.Entry.Note, "note", "", "note")
		case "reverse":
			fs.Int64Var(&o.Entry.Reverses, "entry", 0, "id of the entry to reverse")
			fs.StringVar(&o.Entry.Note, "note", "", "reason (required)")
			return func() error {
				if o.Entry.Reverses == 0 {
					return errors.New("--entry is required")
				}
				return nil
			}
		case "rollup":
			fs.StringVar(&o.Filter.By, "by", planning.BySource, strings.Join(planning.FundGroupings, "|"))
			filter()
		case "export":
			fs.StringVar(&o.Out, "out", "", "file to write, e.g. 资金台账.xlsx")
			filter()
			return func() error {
				if o.Out == "" {
					return errors.New("--out is required")
				}
				return nil
			}
		}
		return nil
	}
}

// fundsSources runs `gapmap funds sources`: it prints the county's list,
// after storing a file as it with --set.
func fundsSources(ctx context.Context, a app, o fundsOptions) error {
	if err := migrateFirst(ctx, a.store); err != nil {
		return err
	}
	if o.Set != "" {
		raw, err := os.ReadFile(o.Set)
		if err != nil {
			return err
		}
		var body struct {
			Sources []planning.FundSource `json:"sources"`
		}
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&body); err != nil {
			return fmt.Errorf("%s: %w", o.Set, err)
		}
		if err := a.store.SetFundSources(ctx, body.Sources); err != nil {
			return fmt.Errorf("%s: %w", o.Set, err)
		}
	}
	list, err := a.store.FundSources(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "代码\t名称\t级次\t性质\t部门")
	for _, s := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Code, s.Name, s.Level, s.Kind, s.Department)
	}
	return tw.Flush()
}

func fundsAllocate(ctx context.Context, a app, o fundsOptions) error {
	if err := migrateFirst(ctx, a.store); err != nil {
		return err
	}
	al, err := a.store.SetAllocation(ctx, o.Alloc)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%d 年 %s 下达 %.2f 万元 %s\n", al.Year, al.SourceName, al.AmountWan, al.DocNo)
	return nil
}

func fundsAllocations(ctx context.Context, a app, o fundsOptions) error {
	if err := migrateFirst(ctx, a.store); err != nil {
		return err
	}
	list, err := a.store.Allocations(ctx, o.Alloc.Year)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "年度\t资金来源\t下达总额（万元）\t文号\t")
	for _, al := range list {
		fmt.Fprintf(tw, "%d\t%s\t%.2f\t%s\t\n", al.Year, al.SourceName, al.AmountWan, al.DocNo)
	}
	return tw.Flush()
}

// fundsEntry runs `gapmap funds entry` and `gapmap funds reverse`.
func fundsEntry(ctx context.Context, a app, o fundsOptions) error {
	if err := migrateFirst(ctx, a.store); err != nil {
		return err
	}
	e, err := a.store.AddFundEntry(ctx, o.Entry)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "分录 %d：项目 %d %s %s %.2f 万元 %s %s\n", e.ID, e.ProjectID, e.Kind, e.SourceName, e.AmountWan, e.Date, e.DocNo)
	return nil
}

// fundsRollup runs `gapmap funds rollup`: the totals by group and
// 拨付进度.
func fundsRollup(ctx context.Context, a app, o fundsOptions) error {
	if err := migrateFirst(ctx, a.store); err != nil {
		return err
	}
	groups, err := a.store.FundRollup(ctx, o.Filter)
	if err != nil {
		return err
	}
	return writeRollup(a.stdout, groups)
}

func writeRollup(w io.Writer, groups []planning.FundTotals) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "代码\t名称\t项目\t计划\t下达\t到位\t拨付\t拨付进度\t")
	for _, g := range groups {
		pct := "—"
		if g.PaidPct != nil {
			pct = fmt.Sprintf("%.1f%%", *g.PaidPct)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%s\t\n", g.Key, g.Name, g.Projects,
			g.PlannedWan, g.AllocatedWan, g.ArrivedWan, g.PaidWan, pct)
	}
	return tw.Flush()
}

// fundsExport runs `gapmap funds export`: the 资金台账 workbook.
func fundsExport(ctx context.Context, a app, o fundsOptions) error {
	if err := migrateFirst(ctx, a.store); err != nil {
		return err
	}
	rows, err := a.store.FundLedger(ctx, o.Filter)
	if err != nil {
		return err
	}
	sources, err := a.store.FundSources(ctx)
	if err != nil {
		return err
	}
	return writeFileAtomic(o.Out, func(w io.Writer) error {
		return table.WriteLedgerXLSX(w, rows, sources, table.Meta{Title: "扶贫项目资金台账", GeneratedAt: time.Now()})
	})
}
