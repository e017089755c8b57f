package table

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"github.com/gapmap/gapmap/planning"
)

// Sheet names of the 资金台账 workbook.
const (
	sheetLedger        = "资金台账"
	sheetLedgerSummary = "资金汇总"
)

// WriteLedgerXLSX writes the 资金台账 workbook in the layout counties use:
// sheet 资金台账 with one row per project and, per source that has
// entries, its 计划/下达/到位/拨付 (万元), the project's totals, 拨付进度 %
// (拨付 ÷ 下达) and 计划与投资估算差额; a 小计 row after each township and a
// 合计 row; meta.Title defaults to "<County>扶贫项目资金台账". Sheet 资金汇总 (header in row 1, so GIS and spreadsheet
// tools read it as a table) with the totals by 项目类别, by 乡镇, by 资金来源
// and in all. rows come in township order (FundLedger's); sources give the
// column order and names.
func WriteLedgerXLSX(w io.Writer, rows []planning.LedgerRow, sources []planning.FundSource, meta Meta) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close xlsx: %w", cerr)
		}
	}()
	if err := f.SetSheetName(f.GetSheetName(0), sheetLedger); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	if _, err := f.NewSheet(sheetLedgerSummary); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	st := &styles{f: f, cache: map[styleKey]int{}}
	used := map[string]bool{}
	for _, r := range rows {
		for code := range r.BySource {
			used[code] = true
		}
	}
	var cols []planning.FundSource
	for _, s := range sources {
		if used[s.Code] {
			cols = append(cols, s)
		}
	}
	sum, err := writeLedgerSheet(f, st, rows, cols, meta)
	if err != nil {
		return fmt.Errorf("xlsx sheet %s: %w", sheetLedger, err)
	}
	if err := writeLedgerSummary(f, st, sum, cols); err != nil {
		return fmt.Errorf("xlsx sheet %s: %w", sheetLedgerSummary, err)
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}

// ledgerGroup is one line of the 资金汇总: a group's name, its projects
// and its sums in cents.
type ledgerGroup struct {
	by, name string
	projects int
	sums     planning.LedgerSums
}

// ledgerSums gathers the totals the summary sheet shows.
type ledgerSums struct {
	byCategory, byTownship []*ledgerGroup
	bySource               map[string]*ledgerGroup
	grand                  ledgerGroup
}

func group(list *[]*ledgerGroup, by, name string) *ledgerGroup {
	for _, g := range *list {
		if g.name == name {
			return g
		}
	}
	g := &ledgerGroup{by: by, name: name}
	*list = append(*list, g)
	return g
}

func writeLedgerSheet(f *excelize.File, st *styles, rows []planning.LedgerRow, cols []planning.FundSource, meta Meta) (*ledgerSums, error) {
	const headerRowNum = 3
	if err := setupPrint(f, sheetLedger, "$1:$3"); err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(sheetLedger)
	if err != nil {
		return nil, err
	}
	headers := []string{"序号", "项目编号", "项目名称", "乡镇", "村", "项目类别", "项目状态", "投资估算（万元）"}
	widths := []float64{6, 14, 30, 12, 12, 14, 10, 12}
	for _, s := range cols {
		for _, k := range planning.LedgerKinds {
			headers = append(headers, s.Name+"·"+k+"（万元）")
			widths = append(widths, 12)
		}
	}
	for _, k := range planning.LedgerKinds {
		headers = append(headers, "合计·"+k+"（万元）")
		widths = append(widths, 12)
	}
	headers = append(headers, "拨付进度（%）", "计划与投资估算差额（万元）")
	widths = append(widths, 10, 14)
	if err := setWidths(sw, widths); err != nil {
		return nil, err
	}
	if err := freezeRows(sw, headerRowNum); err != nil {
		return nil, err
	}
	lastCol, err := excelize.ColumnNumberToName(len(headers))
	if err != nil {
		return nil, err
	}
	title := meta.Title
	if title == "" {
		title = meta.County + "扶贫项目资金台账"
	}
	titleStyle, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 16},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}})
	if err != nil {
		return nil, err
	}
	if err := sw.SetRow("A1", []any{excelize.Cell{StyleID: titleStyle, Value: title}}, excelize.RowOpts{Height: 30}); err != nil {
		return nil, err
	}
	if err := sw.MergeCell("A1", lastCol+"1"); err != nil {
		return nil, err
	}
	if err := sw.SetRow("A2", []any{meta.infoLine() + "　　金额单位：万元；拨付进度 = 拨付 ÷ 下达"}); err != nil {
		return nil, err
	}
	if err := sw.MergeCell("A2", lastCol+"2"); err != nil {
		return nil, err
	}
	hdr, err := headerRow(st, headers)
	if err != nil {
		return nil, err
	}
	if err := sw.SetRow(cellName(1, headerRowNum), hdr); err != nil {
		return nil, err
	}

	sum := &ledgerSums{bySource: map[string]*ledgerGroup{}}
	rowNum := headerRowNum
	cell := func(level rowLevel, kind cellKind, v any) (excelize.Cell, error) {
		id, err := st.id(level, kind, false)
		return excelize.Cell{StyleID: id, Value: v}, err
	}
	// figures are the money columns of a row: per source, the totals, the
	// progress and the difference to the cost.
	figures := func(level rowLevel, bySource map[string]planning.LedgerSums, costCents int64) ([]any, error) {
		var out []any
		var total planning.LedgerSums
		for _, s := range cols {
			v := bySource[s.Code]
			total = total.Plus(v)
			for _, c := range []int64{v.Planned, v.Allocated, v.Arrived, v.Paid} {
				x, err := cell(level, kindMoney, centsOrEmpty(c))
				if err != nil {
					return nil, err
				}
				out = append(out, x)
			}
		}
		for _, c := range []int64{total.Planned, total.Allocated, total.Arrived, total.Paid} {
			x, err := cell(level, kindMoney, centsValue(c))
			if err != nil {
				return nil, err
			}
			out = append(out, x)
		}
		var pct any = ""
		if p := planning.PaidPct(total); p != nil {
			pct = *p
		}
		x, err := cell(level, kindGap, pct)
		if err != nil {
			return nil, err
		}
		d, err := cell(level, kindMoney, centsValue(total.Planned-costCents))
		if err != nil {
			return nil, err
		}
		return append(out, x, d), nil
	}
	type subtotal struct {
		name     string
		projects int
		cost     int64
		bySource map[string]planning.LedgerSums
	}
	newSub := func(name string) *subtotal { return &subtotal{name: name, bySource: map[string]planning.LedgerSums{}} }
	putSub := func(level rowLevel, label string, s *subtotal) error {
		row := []any{}
		for i, v := range []any{label, "", "", "", "", "", fmt.Sprintf("%d 个项目", s.projects), centsValue(s.cost)} {
			kind := kindText
			if i == 7 {
				kind = kindMoney
			}
			c, err := cell(level, kind, v)
			if err != nil {
				return err
			}
			row = append(row, c)
		}
		fs, err := figures(level, s.bySource, s.cost)
		if err != nil {
			return err
		}
		rowNum++
		return sw.SetRow(cellName(1, rowNum), append(row, fs...))
	}
	grand, town := newSub("合计"), (*subtotal)(nil)
	for i, r := range rows {
		tname := r.TownshipName
		if tname == "" {
			tname = "未定乡镇"
		}
		if town != nil && town.name != tname {
			if err := putSub(levelTownship, "小计："+town.name, town); err != nil {
				return nil, err
			}
			town = nil
		}
		if town == nil {
			town = newSub(tname)
		}
		cost := cents(r.CostWan)
		total := r.Total()
		for _, s := range []*subtotal{town, grand} {
			s.projects++
			s.cost += cost
			for code, v := range r.BySource {
				s.bySource[code] = s.bySource[code].Plus(v)
			}
		}
		for _, g := range []*ledgerGroup{group(&sum.byCategory, "按项目类别", r.Category), group(&sum.byTownship, "按乡镇", tname)} {
			g.projects++
			g.sums = g.sums.Plus(total)
		}
		for code, v := range r.BySource {
			if sum.bySource[code] == nil {
				sum.bySource[code] = &ledgerGroup{by: "按资金来源"}
			}
			sum.bySource[code].projects++
			sum.bySource[code].sums = sum.bySource[code].sums.Plus(v)
		}
		row := []any{}
		for j, v := range []any{i + 1, r.Code, r.Name, tname, r.VillageName, r.Category, r.Status, r.CostWan} {
			kind := []cellKind{kindInt, kindCode, kindText, kindText, kindText, kindText, kindText, kindMoney}[j]
			c, err := cell(levelData, kind, v)
			if err != nil {
				return nil, err
			}
			row = append(row, c)
		}
		fs, err := figures(levelData, r.BySource, cost)
		if err != nil {
			return nil, err
		}
		rowNum++
		if err := sw.SetRow(cellName(1, rowNum), append(row, fs...)); err != nil {
			return nil, err
		}
	}
	if town != nil {
		if err := putSub(levelTownship, "小计："+town.name, town); err != nil {
			return nil, err
		}
	}
	if err := putSub(levelTotal, "合计", grand); err != nil {
		return nil, err
	}
	sum.grand = ledgerGroup{by: "合计", projects: grand.projects}
	for _, v := range grand.bySource {
		sum.grand.sums = sum.grand.sums.Plus(v)
	}
	return sum, sw.Flush()
}

// centsOrEmpty leaves a zero figure of a source blank, as paper ledgers do.
func centsOrEmpty(c int64) any {
	if c == 0 {
		return ""
	}
	return centsValue(c)
}

var ledgerSummaryHeaders = []string{"汇总方式", "名称", "项目个数", "计划（万元）", "下达（万元）", "到位（万元）", "拨付（万元）", "拨付进度（%）"}

func writeLedgerSummary(f *excelize.File, st *styles, sum *ledgerSums, cols []planning.FundSource) error {
	if err := setupPrint(f, sheetLedgerSummary, "$1:$1"); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheetLedgerSummary)
	if err != nil {
		return err
	}
	if err := setWidths(sw, []float64{12, 24, 10, 14, 14, 14, 14, 12}); err != nil {
		return err
	}
	if err := freezeRows(sw, 1); err != nil {
		return err
	}
	hdr, err := headerRow(st, ledgerSummaryHeaders)
	if err != nil {
		return err
	}
	if err := sw.SetRow("A1", hdr); err != nil {
		return err
	}
	rowNum := 1
	put := func(level rowLevel, g *ledgerGroup) error {
		var pct any = ""
		if p := planning.PaidPct(g.sums); p != nil {
			pct = *p
		}
		kinds := []cellKind{kindText, kindText, kindInt, kindMoney, kindMoney, kindMoney, kindMoney, kindGap}
		vals := []any{g.by, g.name, g.projects, centsValue(g.sums.Planned), centsValue(g.sums.Allocated),
			centsValue(g.sums.Arrived), centsValue(g.sums.Paid), pct}
		row := make([]any, len(vals))
		for i, v := range vals {
			id, err := st.id(level, kinds[i], false)
			if err != nil {
				return err
			}
			row[i] = excelize.Cell{StyleID: id, Value: v}
		}
		rowNum++
		return sw.SetRow(cellName(1, rowNum), row)
	}
	for _, c := range planning.Categories {
		for _, g := range sum.byCategory {
			if g.name == c {
				if err := put(levelData, g); err != nil {
					return err
				}
			}
		}
	}
	for _, g := range sum.byTownship {
		if err := put(levelData, g); err != nil {
			return err
		}
	}
	for _, s := range cols {
		g := sum.bySource[s.Code]
		g.name = s.Name
		if err := put(levelData, g); err != nil {
			return err
		}
	}
	if err := put(levelTotal, &sum.grand); err != nil {
		return err
	}
	return sw.Flush()
}
