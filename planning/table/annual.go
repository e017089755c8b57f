package table

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/gapmap/gapmap/planning"
)

// sheetAnnual is the 年度实施计划's one sheet.
const sheetAnnual = "年度实施计划"

// AnnualTitle is the 年度实施计划's title: "<县><年>年度脱贫攻坚项目实施计划".
func AnnualTitle(county string, year int) string {
	return fmt.Sprintf("%s%d年度脱贫攻坚项目实施计划", county, year)
}

// annualColumns are the 年度实施计划's columns: where, what and how much,
// the cost split by 资金来源 as the 申报表 splits it (funds), and 待落实.
func annualColumns(funds fundColumns) []column {
	const money = "投资及资金来源（万元）"
	cols := []column{
		{header: "序号", kind: kindInt, width: 6, value: func(seq int, _ *planning.Project) any { return seq }},
		{header: "年度", kind: kindInt, width: 7, value: func(_ int, p *planning.Project) any { return nonZero(p.Year) }},
		{header: "乡镇", group: groupPlace, width: 10, wrap: true, value: func(_ int, p *planning.Project) any { return p.TownshipName }},
		{header: "村", group: groupPlace, width: 10, wrap: true, value: func(_ int, p *planning.Project) any { return p.VillageName }},
		{header: "项目名称", width: 30, wrap: true, value: func(_ int, p *planning.Project) any { return p.Name }},
		{header: "项目编号", width: 16, value: func(_ int, p *planning.Project) any { return p.Code }},
		{header: "建设内容", width: 40, wrap: true, value: func(_ int, p *planning.Project) any { return p.Content }},
		{header: "规模", kind: kindQty, width: 10, value: func(_ int, p *planning.Project) any { return nonZeroCents(p.Quantity) }},
		{header: "单位", width: 6, value: func(_ int, p *planning.Project) any { return p.Unit }},
		{header: "投资", group: money, kind: kindMoney, width: 12, sum: sumAlways,
			value: func(_ int, p *planning.Project) any { return centsValue(cents(p.CostWan)) }},
	}
	for i, name := range funds.names {
		cols = append(cols, column{header: name, group: money, kind: kindMoney, width: 12, wrap: true, sum: sumAlways,
			value: func(_ int, p *planning.Project) any { return nonZeroCentsOf(funds.split(p)[i]) }})
	}
	if funds.other {
		cols = append(cols, column{header: "其他资金来源", group: money, kind: kindMoney, width: 12, wrap: true, sum: sumAlways,
			value: func(_ int, p *planning.Project) any { return nonZeroCentsOf(funds.split(p)[len(funds.names)]) }})
	}
	return append(cols,
		column{header: "待落实", group: money, kind: kindMoney, width: 10, sum: sumAlways,
			value: func(_ int, p *planning.Project) any { return nonZeroCentsOf(funds.unfunded(p)) }},
		column{header: "责任单位", width: 14, wrap: true, value: func(_ int, p *planning.Project) any { return p.ResponsibleUnit }},
		column{header: "项目状态", width: 10, value: func(_ int, p *planning.Project) any { return p.Status }},
	)
}

// annualLabelCols is how many columns a 小计 or 合计 label spans (序号 …
// 项目名称), so that it prints inside one cell.
const annualLabelCols = 5

// WriteAnnualXLSX writes the 年度实施计划 of ps (one year's projects) in
// the 申报表's form: meta's title, the 填报单位/填报人/审核人/填报日期 line
// with 单位：万元, a two-row header, one row per project by 乡镇 and
// 项目编号 with a 小计 per 乡镇 and a 合计 whose money cells are
// SUBTOTAL(9, …) formulas carrying their values, print-ready on
// landscape A3.
func WriteAnnualXLSX(w io.Writer, ps []planning.Project, meta Meta) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close xlsx: %w", cerr)
		}
	}()
	if err := f.SetSheetName(f.GetSheetName(0), sheetAnnual); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	if err := f.SetCalcProps(&excelize.CalcPropsOptions{FullCalcOnLoad: ptr(true)}); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	order := make([]int, len(ps))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int {
		a, b := &ps[i], &ps[j]
		return cmp.Or(strings.Compare(a.TownshipCode, b.TownshipCode), strings.Compare(a.TownshipName, b.TownshipName),
			strings.Compare(a.Code, b.Code), cmp.Compare(a.ID, b.ID))
	})
	cols := annualColumns(newFundColumns(meta.Sources, ps, order))
	if err := writeAnnualSheet(f, &styles{f: f, cache: map[styleKey]int{}}, ps, order, cols, meta); err != nil {
		return fmt.Errorf("xlsx sheet %s: %w", sheetAnnual, err)
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}

func writeAnnualSheet(f *excelize.File, st *styles, ps []planning.Project, order []int, cols []column, meta Meta) error {
	if err := setupPrint(f, sheetAnnual, "$1:$5"); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheetAnnual)
	if err != nil {
		return err
	}
	ncol := len(cols)
	widths := make([]float64, ncol)
	for i, c := range cols {
		widths[i] = c.width
	}
	if err := setWidths(sw, widths); err != nil {
		return err
	}
	if err := freezeRows(sw, rowHead); err != nil {
		return err
	}
	leftStyle, err := writeHeading(f, sw, ncol, meta)
	if err != nil {
		return err
	}
	if err := writeTwoRowHeader(sw, st, cols); err != nil {
		return err
	}
	dataStyle := make([]int, ncol)
	for i, c := range cols {
		if dataStyle[i], err = st.id(levelData, c.kind, c.wrap); err != nil {
			return err
		}
	}
	rowNum := rowHead
	row := make([]any, ncol)
	// total writes a 小计 or 合计 row over the rows first..rowNum: each money
	// column a SUBTOTAL(9, …), which skips the 小计 above it, with its value.
	total := func(level rowLevel, label string, first int, sums []int64) error {
		rowNum++
		for i, c := range cols {
			kind := c.kind
			var v any
			switch {
			case i == 0:
				kind, v = kindText, label
			case c.sum == sumAlways && first < rowNum:
				v = excelize.Cell{Formula: fmt.Sprintf("SUBTOTAL(9,%[1]s%[2]d:%[1]s%[3]d)", colLetter(i), first, rowNum-1), Value: centsValue(sums[i])}
			case c.sum == sumAlways:
				v = 0.0
			}
			id, err := st.id(level, kind, false)
			if err != nil {
				return err
			}
			row[i] = styled(id, v)
		}
		if err := sw.SetRow(cellName(1, rowNum), row); err != nil {
			return err
		}
		return sw.MergeCell(cellName(1, rowNum), cellName(annualLabelCols, rowNum))
	}
	grand, town := make([]int64, ncol), make([]int64, ncol)
	first, townFirst, townCount := rowNum+1, rowNum+1, 0
	var tk townshipKey
	closeTown := func() error {
		if townCount == 0 {
			return nil
		}
		err := total(levelTownship, fmt.Sprintf("小计：%s（%d 个项目）", tk.label(), townCount), townFirst, town)
		clear(town)
		townFirst, townCount = rowNum+1, 0
		return err
	}
	for seq, i := range order {
		p := &ps[i]
		if k := (townshipKey{p.TownshipCode, p.TownshipName}); k != tk || townCount == 0 {
			if err := closeTown(); err != nil {
				return err
			}
			tk = k
		}
		rowNum++
		for j, c := range cols {
			v := c.value(seq+1, p)
			row[j] = excelize.Cell{StyleID: dataStyle[j], Value: v}
			if x, ok := v.(float64); ok && c.sum == sumAlways {
				town[j] += roundScaled(x, 2)
				grand[j] += roundScaled(x, 2)
			}
		}
		if err := sw.SetRow(cellName(1, rowNum), row); err != nil {
			return err
		}
		townCount++
	}
	if err := closeTown(); err != nil {
		return err
	}
	if err := total(levelTotal, fmt.Sprintf("合计（%d 个项目）", len(order)), first, grand); err != nil {
		return err
	}
	rowNum += 2
	notes := "注：小计、合计为 SUBTOTAL 公式，筛选后只合计显示的行；资金来源按各项目的资金来源登记，待落实为投资中尚无来源的部分。"
	if err := sw.SetRow(cellName(1, rowNum), []any{excelize.Cell{StyleID: leftStyle, Value: notes}}, excelize.RowOpts{Height: 30}); err != nil {
		return err
	}
	if err := sw.MergeCell(cellName(1, rowNum), cellName(ncol, rowNum)); err != nil {
		return err
	}
	return sw.Flush()
}

// writeHeading writes the rows above a 申报表-style header: the title, the
// 填报单位/填报人/审核人/填报日期 line with 单位：万元 over the last three
// columns, and the information line, each merged across the ncol columns.
// It returns the left-aligned style, for the notes below the table.
func writeHeading(f *excelize.File, sw *excelize.StreamWriter, ncol int, meta Meta) (leftStyle int, err error) {
	titleStyle, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 16},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}})
	if err != nil {
		return 0, err
	}
	if leftStyle, err = f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "center"}}); err != nil {
		return 0, err
	}
	rightStyle, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{Horizontal: "right", Vertical: "center"}})
	if err != nil {
		return 0, err
	}
	sign := make([]any, ncol)
	sign[0] = excelize.Cell{StyleID: leftStyle, Value: meta.signLine()}
	sign[ncol-3] = excelize.Cell{StyleID: rightStyle, Value: "单位：万元"}
	for _, r := range []struct {
		row    int
		cells  []any
		height float64
		spans  [][2]int
	}{
		{rowTitle, []any{excelize.Cell{StyleID: titleStyle, Value: meta.title()}}, 30, [][2]int{{1, ncol}}},
		{rowSign, sign, 22, [][2]int{{1, ncol - 3}, {ncol - 2, ncol}}},
		{rowInfo, []any{excelize.Cell{StyleID: leftStyle, Value: meta.infoLine()}}, 20, [][2]int{{1, ncol}}},
	} {
		if err := sw.SetRow(cellName(1, r.row), r.cells, excelize.RowOpts{Height: r.height}); err != nil {
			return 0, err
		}
		for _, sp := range r.spans {
			if err := sw.MergeCell(cellName(sp[0], r.row), cellName(sp[1], r.row)); err != nil {
				return 0, err
			}
		}
	}
	return leftStyle, nil
}
