package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/table"
)

// generateOptions are the flags of `gapmap projects generate`.
type generateOptions struct {
	ProfilePath string // unit prices, sizing, 责任单位
	RunID       int64  // the run (0: latest)
	All         bool   // every village with a gap, not only those with poor people
}

func generateFlags(fs *flag.FlagSet, o *generateOptions) func() error {
	fs.StringVar(&o.ProfilePath, "profile", "", "county profile file (JSON): unit prices, sizing, 责任单位")
	fs.Int64Var(&o.RunID, "run", 0, "scoring run to generate from (default the latest)")
	fs.BoolVar(&o.All, "all", false, "every village with a gap, not only those with 建档立卡 poor people")
	return nil
}

// generate runs `gapmap projects generate`: candidates from a run's gaps,
// merged into the library.
func generate(ctx context.Context, a app, o generateOptions) error {
	if err := migrateFirst(ctx, a.store); err != nil {
		return err
	}
	p, err := loadProfile(ctx, a.store, o.ProfilePath)
	if err != nil {
		return err
	}
	rep, err := planning.Generate(ctx, a.store, p, o.RunID, o.All)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	fmt.Fprintf(a.stdout, "评分批次 %d：%d 个村生成 %d 个候选项目，共 %.2f 万元（新增 %d，更新 %d，移除 %d，已在流程中保留 %d）\n",
		rep.RunID, rep.Villages, rep.Candidates, rep.CostWan, rep.Added, rep.Updated, rep.Removed, rep.Kept)
	if rep.Predicted > 0 {
		fmt.Fprintf(a.stdout, "其中 %d 个通村硬化路的预计缺口后按其完工写入图层后实测（与完工后的评分同一规则）\n", rep.Predicted)
	}
	// Gaps measured but not sized: say which data would size them.
	n := 0
	for _, v := range rep.Unsized {
		n += len(v.Needs)
	}
	if n > 0 {
		fmt.Fprintf(a.stdout, "%d 个村的 %d 项缺口因规模数据缺失未生成项目：\n", len(rep.Unsized), n)
		for _, v := range rep.Unsized {
			for _, need := range v.Needs {
				fmt.Fprintf(a.stdout, "  %s%s %s %s：%s（需补充：%s）\n", v.TownshipName, v.Name, v.Code,
					cmpOr(need.Indicator, need.Name), need.Reason, settleLabels(need.Settle))
			}
		}
	}
	fmt.Fprintln(a.stdout, "暂无数据的指标不生成项目；需补充的数据见 gapmap projects needs")
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func settleLabels(items []planning.DataItem) string {
	labels := make([]string, len(items))
	for i, it := range items {
		labels[i] = it.Label()
	}
	return strings.Join(labels, "、")
}

// needsOptions are the flags of `gapmap projects needs`.
type needsOptions struct {
	Filter planning.DataNeedFilter
	Out    string // .xlsx or .csv; "" prints the list
}

func needsFlags(fs *flag.FlagSet, o *needsOptions) func() error {
	fs.Int64Var(&o.Filter.RunID, "run", 0, "scoring run (default the latest)")
	fs.StringVar(&o.Filter.Township, "township", "", "township code or name")
	fs.StringVar(&o.Filter.Village, "village", "", "12-digit village code")
	fs.StringVar(&o.Filter.Dimension, "dimension", "", "通路, 饮水, 农网 or 光伏")
	fs.StringVar(&o.Out, "out", "", "write the list to FILE.xlsx or FILE.csv instead of printing it")
	return func() error {
		if o.Out != "" {
			if _, ok := table.NeedFormats[strings.TrimPrefix(filepath.Ext(o.Out), ".")]; !ok {
				return fmt.Errorf("--out %q: want a .xlsx or .csv file", o.Out)
			}
		}
		return o.Filter.Validate()
	}
}

// needs runs `gapmap projects needs`: the 补充数据 list of a run — per
// village, the missing data that would decide each undecided indicator —
// printed with a summary by the data to collect, or written to a file.
func needs(ctx context.Context, a app, o needsOptions) error {
	if err := migrateFirst(ctx, a.store); err != nil {
		return err
	}
	page, err := planning.DataNeeds(ctx, a.store, o.Filter)
	if err != nil {
		return fmt.Errorf("needs: %w", err)
	}
	if o.Out != "" {
		t := table.NeedFormats[strings.TrimPrefix(filepath.Ext(o.Out), ".")]
		if err := writeFileAtomic(o.Out, func(w io.Writer) error { return t.Write(w, page, table.Meta{GeneratedAt: time.Now()}) }); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "评分批次 %d：%d 个村 %d 项补充数据已写入 %s\n", page.RunID, page.Total, page.Needs, o.Out)
		return nil
	}
	fmt.Fprintf(a.stdout, "评分批次 %d：%d 个村共 %d 项指标暂无数据或无法测算规模\n", page.RunID, page.Total, page.Needs)
	// What to collect, most villages first.
	type item struct {
		label    string
		villages map[string]bool
	}
	var items []*item
	byLabel := map[string]*item{}
	for _, v := range page.Villages {
		for _, n := range v.Needs {
			for _, d := range n.Settle {
				it := byLabel[d.Label()]
				if it == nil {
					it = &item{label: d.Label(), villages: map[string]bool{}}
					byLabel[d.Label()] = it
					items = append(items, it)
				}
				it.villages[v.Code] = true
			}
		}
	}
	slices.SortStableFunc(items, func(x, y *item) int { return len(y.villages) - len(x.villages) })
	fmt.Fprintln(a.stdout, "需补充的数据（涉及村数）：")
	for _, it := range items {
		fmt.Fprintf(a.stdout, "  %s：%d 个村\n", it.label, len(it.villages))
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "乡镇\t村\t村代码\t指标\t状态\t原因\t需补充的数据")
	for _, v := range page.Villages {
		for _, n := range v.Needs {
			status := "暂无数据"
			if n.Status == planning.StatusFail {
				status = "不达标，规模待定"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s %s\t%s\t%s\t%s\n", v.TownshipName, v.Name, v.Code, n.Indicator, n.Name, status,
				n.Reason, settleLabels(n.Settle))
		}
	}
	return tw.Flush()
}

// planOptions are the flags of `gapmap projects plan`: the plan request,
// as the API takes it, and how to print the plan.
type planOptions struct {
	Request planning.PlanRequest
	JSON    bool // print the plan as the API answers it
}

func planFlags(fs *flag.FlagSet, o *planOptions) func() error {
	var years, budget, budgets string
	r := &o.Request
	fs.StringVar(&years, "years", "2016-2020", "plan years, e.g. 2016-2020")
	fs.StringVar(&budget, "budget", "", "budget per year in 万元, the same every year")
	fs.StringVar(&budgets, "budgets", "", "budgets by year in 万元, e.g. 2016=3000,2017=2500 (overrides --budget)")
	fs.Float64Var(&r.TownshipCap, "township-cap", 0, "at most this many 万元 per township per year (0: no cap)")
	fs.BoolVar(&r.LibraryOnly, "library-only", false, "plan only projects already in the library (已入库)")
	fs.BoolVar(&r.SourceBudgetsFromAllocations, "budgets-from-allocations", false,
		"cap each funding source per year by its 资金台账 allocation (gapmap funds allocations)")
	fs.StringVar(&r.Fill, "fill", planning.FillBeneficiaries, "what the money left after the gap closure goes to: "+
		planning.FillBeneficiaries+" (projects that still meet a need, by 建档立卡 beneficiaries) or "+planning.FillNone)
	fs.Var((*idList)(&r.Include), "include", "纳入 by hand: project ids (the ID column), e.g. 12,34; each is fixed in the earliest year it fits")
	fs.Var((*idList)(&r.Exclude), "exclude", "排除 by hand: project ids, e.g. 56; each is left out as 人工排除")
	fs.BoolVar(&r.Apply, "apply", false, "write the chosen years, and why the others were left out, into the projects")
	fs.BoolVar(&o.JSON, "json", false, "print the plan as JSON, as POST /api/v1/plans answers")
	return func() error { return parseBudgets(r, years, budget, budgets) }
}

// idList is a flag of comma-separated project ids; repeating the flag
// adds to the list.
type idList []int64

func (l *idList) String() string {
	if l == nil {
		return ""
	}
	parts := make([]string, len(*l))
	for i, id := range *l {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

func (l *idList) Set(v string) error {
	for _, f := range strings.Split(v, ",") {
		id, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
		if err != nil || id <= 0 {
			return fmt.Errorf("“%s”不是项目 ID：应为正整数，多个用逗号分隔，如 12,34", f)
		}
		*l = append(*l, id)
	}
	return nil
}

// parseBudgets reads --years A-B and the budgets into r.
func parseBudgets(r *planning.PlanRequest, years, budget, budgets string) error {
	from, to, ok := strings.Cut(years, "-")
	a, errA := strconv.Atoi(from)
	b, errB := strconv.Atoi(to)
	if !ok || errA != nil || errB != nil || a > b || a < 2000 || b > 2100 {
		return fmt.Errorf("--years %q: want a range such as 2016-2020", years)
	}
	r.Budgets = map[string]float64{}
	for y := a; y <= b; y++ {
		r.Years = append(r.Years, y)
		if budget != "" {
			v, err := strconv.ParseFloat(budget, 64)
			if err != nil || v < 0 {
				return fmt.Errorf("--budget %q: want 万元, e.g. 3000", budget)
			}
			r.Budgets[strconv.Itoa(y)] = v
		}
	}
	if budgets != "" {
		r.Budgets = map[string]float64{}
		for _, kv := range strings.Split(budgets, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
			f, err := strconv.ParseFloat(v, 64)
			if !ok || err != nil || f < 0 {
				return fmt.Errorf("--budgets: %q is not year=万元", kv)
			}
			r.Budgets[k] = f
		}
	}
	if len(r.Budgets) == 0 {
		return errors.New("give --budget or --budgets")
	}
	return nil
}

// plan runs `gapmap projects plan`: the library fitted into the budgets,
// as POST /api/v1/plans fits it (planning.MakePlan with the county's
// profile).
func plan(ctx context.Context, a app, o planOptions) error {
	if err := migrateFirst(ctx, a.store); err != nil {
		return err
	}
	prof, err := loadProfile(ctx, a.store, "")
	if err != nil {
		return err
	}
	p, err := planning.MakePlan(ctx, a.store, prof, o.Request)
	if err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	if o.JSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(p)
	}
	state := fmt.Sprintf("最优（用时 %s）", p.Elapsed)
	if !p.Optimal {
		state = fmt.Sprintf("与最优之差不超过 %.2f%%（用时 %s）", p.Gap*100, p.Elapsed)
	}
	fmt.Fprintf(a.stdout, "%d 个候选项目中选定 %d 个，共 %.2f 万元，%s\n", p.Candidates, p.Chosen, p.CostWan, state)
	if p.Fill == planning.FillBeneficiaries {
		fmt.Fprintf(a.stdout, "其中 %d 个（%.2f 万元）不缩小计分缺口：用缩小缺口后剩余的资金按建档立卡受益人口安排，或为前置项目\n", p.FillChosen, p.FillCostWan)
	}
	for _, y := range p.Years {
		fmt.Fprintln(a.stdout, y)
	}
	fmt.Fprintf(a.stdout, "未用资金 %.2f 万元\n", p.UnspentWan)
	printChosen(a.stdout, p.Rows)
	if len(p.LeftOut) > 0 {
		printLeftOut(a.stdout, p.LeftOut)
	}
	if p.Applied {
		fmt.Fprintln(a.stdout, "已写入项目年度及未入选原因")
	}
	return nil
}

// printChosen lists the chosen projects by year with their ids (what
// --include and --exclude take) and how each came in.
func printChosen(w io.Writer, rows []planning.PlanRow) {
	rows = slices.Clone(rows)
	slices.SortStableFunc(rows, func(a, b planning.PlanRow) int { return cmp.Compare(a.Year, b.Year) })
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\t项目编号\t项目名称\t年度\t投资（万元）\t入选方式")
	for _, r := range rows {
		how := "规划选定"
		switch {
		case r.Fixed:
			how = "已纳入年度计划"
		case r.Included:
			how = "人工纳入"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%.2f\t%s\n", r.ID, r.Code, r.Name, r.Year, r.CostWan, how)
	}
	tw.Flush()
}

// printLeftOut prints how many projects each kind of reason leaves out,
// then every one of them with its reason.
func printLeftOut(w io.Writer, out []planning.PlanOut) {
	type sum struct {
		n    int
		cost float64
	}
	by := map[string]*sum{}
	var kinds []string
	for _, o := range out {
		kind := planning.OutNames[o.ReasonCode]
		if by[kind] == nil {
			by[kind] = &sum{}
			kinds = append(kinds, kind)
		}
		by[kind].n++
		by[kind].cost += o.CostWan
	}
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%s %d 个（%.2f 万元）", k, by[k].n, by[k].cost)
	}
	fmt.Fprintf(w, "未入选 %d 个项目：%s\n", len(out), strings.Join(parts, "，"))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\t项目编号\t项目名称\t投资（万元）\t未入选原因")
	for _, o := range out {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%.2f\t%s\n", o.ID, o.Code, o.Name, o.CostWan, o.Reason)
	}
	tw.Flush()
}

// projectsExportOptions are the flags of `gapmap projects export`.
type projectsExportOptions struct {
	Format string // xlsx or csv
	Out    string // the file
	Filter planning.ProjectFilter
}

func projectsExportFlags(fs *flag.FlagSet, o *projectsExportOptions) func() error {
	fs.StringVar(&o.Format, "format", "xlsx", "xlsx or csv")
	fs.StringVar(&o.Out, "out", "", "file to write, e.g. 项目库.xlsx")
	fs.StringVar(&o.Filter.Township, "township", "", "township code or name")
	fs.StringVar(&o.Filter.Category, "category", "", "项目类别, e.g. 基础设施-道路")
	fs.StringVar(&o.Filter.Status, "status", "", "项目状态, e.g. 已入库")
	fs.IntVar(&o.Filter.Year, "year", 0, "年度")
	return func() error {
		var errs []error
		if o.Format != "xlsx" && o.Format != "csv" {
			errs = append(errs, fmt.Errorf("--format %q: want xlsx or csv", o.Format))
		}
		if o.Out == "" {
			errs = append(errs, errors.New("--out is required"))
		}
		return errors.Join(errs...)
	}
}

// projectsExport runs `gapmap projects export`: the standard 项目库 table
// of the projects the filter keeps.
func projectsExport(ctx context.Context, a app, o projectsExportOptions) error {
	if err := migrateFirst(ctx, a.store); err != nil {
		return err
	}
	page, err := a.store.Projects(ctx, o.Filter)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	meta, err := table.DeclarationMeta(ctx, a.store, o.Filter.Year)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	meta.GeneratedAt = time.Now()
	if o.Format == "xlsx" { // with the 补充数据 of the same place, once there is a scoring run
		needs, err := planning.DataNeeds(ctx, a.store, planning.DataNeedFilter{Township: o.Filter.Township})
		switch {
		case err == nil:
			meta.Needs = &needs
		case planning.ErrorCode(err) != planning.ENotFound:
			return fmt.Errorf("export: %w", err)
		}
	}
	return writeFileAtomic(o.Out, func(w io.Writer) error {
		return table.Formats[o.Format].Write(w, page.Unranked(), meta)
	})
}
