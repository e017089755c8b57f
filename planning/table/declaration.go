package table

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
)

// MetaStore is what DeclarationMeta reads: the county, its profile (the
// plan period) and its 资金来源 list.
type MetaStore interface {
	planning.CountyStore
	FundSources(ctx context.Context) ([]planning.FundSource, error)
}

// DeclarationMeta fills the 申报表's heading for an export of the library:
// the county being set up, the period (year when it is > 0, else the
// plan's years from the county profile, e.g. "2016—2020年"), the county's
// 资金来源 and, from the principal ctx carries, the 填报单位 (the highest
// organisation the user holds a role in) and the 填报人 (the user's name).
// The caller adds the time, filters and data version.
func DeclarationMeta(ctx context.Context, s MetaStore, year int) (Meta, error) {
	var m Meta
	c, err := s.SetupCounty(ctx)
	if err != nil {
		return m, err
	}
	m.County = c.Name
	if year > 0 {
		m.Period = fmt.Sprintf("%d年", year)
	} else {
		p, err := planning.CountyProfile(ctx, s, nil)
		if err != nil {
			return m, err
		}
		first, n := int(p.Projects.FirstPlanYear.Value), int(p.Projects.TargetPlanYears.Value)
		if first > 0 && n > 0 {
			m.Period = fmt.Sprintf("%d—%d年", first, first+n-1)
		}
	}
	if m.Sources, err = s.FundSources(ctx); err != nil {
		return m, err
	}
	if pr, ok := access.From(ctx); ok {
		m.Unit, m.Preparer = signer(pr)
	}
	return m, nil
}

// signer is the 填报单位 and 填报人 of a principal: the organisation of its
// grant highest in access.Kinds (the first such grant), and its name. The
// CLI's operating-system user holds no grant: its 填报单位 stays blank.
func signer(pr access.Principal) (unit, name string) {
	rank := func(g access.Grant) int { return slices.Index(access.Kinds, g.Org.Kind) }
	if len(pr.Grants) > 0 {
		g := slices.MinFunc(pr.Grants, func(a, b access.Grant) int { return cmp.Compare(rank(a), rank(b)) })
		unit = g.Org.Name
	}
	return unit, pr.Name
}

// Header groups of the 申报表 (国开办发〔2018〕10号 items, domain.md §6).
const (
	groupPlace   = "建设地点"
	groupMoney   = "资金规模和筹资方式（万元）"
	groupBenefit = "受益对象"
	groupTime    = "实施期限"
)

// declarationColumns is the 申报表's column list, funds the 资金来源
// columns between 合计 and 待落实. The XLSX 项目库 sheet and the CSV both
// use it.
func declarationColumns(funds fundColumns) []column {
	cols := []column{
		{header: "序号", kind: kindInt, width: 6, value: func(seq int, _ *planning.Project) any { return seq }},
		{header: "项目编号", width: 16, value: func(_ int, p *planning.Project) any { return p.Code }},
		{header: "年度", kind: kindInt, width: 7, value: func(_ int, p *planning.Project) any { return nonZero(p.Year) }},
		{header: "项目名称", width: 30, wrap: true, value: func(_ int, p *planning.Project) any { return p.Name }},
		{header: "项目类型", width: 12, wrap: true, value: func(_ int, p *planning.Project) any { return nationalType(p.Category).Type }},
		{header: "二级类型", width: 12, wrap: true, value: func(_ int, p *planning.Project) any { return nationalType(p.Category).Subtype }},
		{header: "项目子类", width: 12, wrap: true, value: func(_ int, p *planning.Project) any { return p.Subtype }},
		{header: "建设性质", width: 8, value: func(_ int, p *planning.Project) any { return p.Nature }},
		{header: "乡镇", group: groupPlace, width: 10, wrap: true, value: func(_ int, p *planning.Project) any { return p.TownshipName }},
		{header: "村", group: groupPlace, width: 10, wrap: true, value: func(_ int, p *planning.Project) any { return p.VillageName }},
		{header: "村代码", group: groupPlace, kind: kindCode, width: 14, value: func(_ int, p *planning.Project) any { return p.VillageCode }},
		{header: "建设内容及规模", width: 40, wrap: true, value: func(_ int, p *planning.Project) any { return p.Content }},
		// No quantity or unit price means none was given (a lump-sum row
		// entered by hand); a blank says that better than 0.00.
		{header: "工程量", kind: kindQty, width: 10, sum: sumSameUnit, value: func(_ int, p *planning.Project) any { return nonZeroCents(p.Quantity) }},
		{header: "单位", width: 6, unit: true, value: func(_ int, p *planning.Project) any { return p.Unit }},
		{header: "单价（万元）", kind: kindPrice, width: 10, value: func(_ int, p *planning.Project) any { return priceValue(p.UnitPriceWan) }},
		{header: "单价来源", width: 8, value: func(_ int, p *planning.Project) any { return priceSource(p.PriceSource) }},
		{header: "合计", flat: "投资估算（万元）", group: groupMoney, kind: kindMoney, width: 12, sum: sumAlways,
			value: func(_ int, p *planning.Project) any { return centsValue(cents(p.CostWan)) }},
	}
	for i, name := range funds.names {
		cols = append(cols, column{header: name, flat: name + "（万元）", group: groupMoney, kind: kindMoney, width: 12, wrap: true, sum: sumAlways,
			value: func(_ int, p *planning.Project) any { return nonZeroCentsOf(funds.split(p)[i]) }})
	}
	if funds.other {
		cols = append(cols, column{header: "其他资金来源", flat: "其他资金来源（万元）", group: groupMoney, kind: kindMoney, width: 12, wrap: true, sum: sumAlways,
			value: func(_ int, p *planning.Project) any { return nonZeroCentsOf(funds.split(p)[len(funds.names)]) }})
	}
	cols = append(cols,
		// 待落实 is the cost no source covers yet, so that the sources and
		// it add up to 合计 on every row.
		column{header: "待落实", flat: "待落实资金（万元）", group: groupMoney, kind: kindMoney, width: 10, sum: sumAlways,
			value: func(_ int, p *planning.Project) any { return nonZeroCentsOf(funds.unfunded(p)) }},
		// A project's own 受益对象. Subtotal rows leave them empty: adding
		// them up counts a village's people once per project (issue 16 saw
		// 86,479 建档立卡 people in a county of 14,895); the label says what
		// the rows cover instead, each village's people once.
		column{header: "受益户数", group: groupBenefit, kind: kindInt, width: 9, value: func(_ int, p *planning.Project) any { return p.Households }},
		column{header: "受益人数", group: groupBenefit, kind: kindInt, width: 9, value: func(_ int, p *planning.Project) any { return p.Population }},
		column{header: "其中建档立卡户数", group: groupBenefit, kind: kindInt, width: 10, value: func(_ int, p *planning.Project) any { return p.PoorHouseholds }},
		column{header: "其中建档立卡人数", group: groupBenefit, kind: kindInt, width: 10, value: func(_ int, p *planning.Project) any { return p.PoorPopulation }},
		column{header: "带贫减贫机制", width: 30, wrap: true, value: func(_ int, p *planning.Project) any { return p.Mechanism }},
		column{header: "绩效目标", width: 30, wrap: true, value: func(_ int, p *planning.Project) any { return targetsText(p.Targets) }},
		column{header: "责任单位", width: 14, wrap: true, value: func(_ int, p *planning.Project) any { return p.ResponsibleUnit }},
		column{header: "项目状态", width: 10, value: func(_ int, p *planning.Project) any { return p.Status }},
		column{header: "计划开工", group: groupTime, kind: kindDate, width: 11, value: func(_ int, p *planning.Project) any { return dateValue(p.PlannedStart) }},
		column{header: "计划完工", group: groupTime, kind: kindDate, width: 11, value: func(_ int, p *planning.Project) any { return dateValue(p.PlannedEnd) }},
	)
	return cols
}

// basisColumns are the 评分依据 sheet's: why the generator proposed a
// project and how a plan ranks it, keyed by 项目编号. The CSV appends them
// (without the first two) to the 申报表 columns.
var basisColumns = []column{
	{header: "项目编号", width: 16, value: func(_ int, p *planning.Project) any { return p.Code }},
	{header: "项目名称", width: 30, wrap: true, value: func(_ int, p *planning.Project) any { return p.Name }},
	{header: "项目类别", width: 14, value: func(_ int, p *planning.Project) any { return p.Category }},
	{header: "补短板维度", width: 8, value: func(_ int, p *planning.Project) any { return p.GapDimension }},
	{header: "对应指标", width: 14, wrap: true, value: func(_ int, p *planning.Project) any { return strings.Join(p.SourceIndicators, "、") }},
	{header: "评分批次", kind: kindInt, width: 8, value: func(_ int, p *planning.Project) any { return nonZero(int(p.RunID)) }},
	// An empty gap is unknown, not 0: the column beside it says why.
	{header: "补短板前缺口", kind: kindGap, width: 9, value: func(_ int, p *planning.Project) any { return gapValue(p.GapBefore) }},
	{header: "补短板前缺口为空原因", width: 24, wrap: true, value: func(_ int, p *planning.Project) any { return p.GapBeforeUnknown() }},
	{header: "预计补短板后缺口", kind: kindGap, width: 9, value: func(_ int, p *planning.Project) any { return gapValue(p.GapAfter) }},
	{header: "预计补短板后缺口为空原因", width: 30, wrap: true, value: func(_ int, p *planning.Project) any { return p.GapAfterUnknown() }},
	// What a plan ranks projects by (planning.Project.PoorPeopleClosed).
	{header: "缺口下降×建档立卡人数", kind: kindGap, width: 12, value: func(_ int, p *planning.Project) any { return closedValue(p) }},
	{header: "未入选原因", width: 30, wrap: true, value: func(_ int, p *planning.Project) any { return planReason(p) }},
}

// exitColumn is the 出库理由, on the 已出库 sheet and in the CSV.
var exitColumn = column{header: "出库理由", width: 30, wrap: true, value: func(_ int, p *planning.Project) any { return p.ExitReason }}

// nationalType is the 申报表's 项目类型 of a category; one the library does
// not know keeps its name, marked, rather than vanish from the form.
func nationalType(category string) planning.NationalType {
	if n, ok := planning.NationalTypeOf(category); ok {
		return n
	}
	return planning.NationalType{Type: "未归类（" + categoryLabel(category) + "）"}
}

func closedValue(p *planning.Project) any {
	if p.GapBefore == nil || p.GapAfter == nil {
		return nil // unknown, not zero
	}
	return float64(roundScaled(p.PoorPeopleClosed(), 1)) / 10
}

// targetsText is the 绩效目标 in one cell: "三级指标 指标值" joined by "；";
// the 绩效目标 sheet has them by level.
func targetsText(ts []planning.Target) string {
	parts := make([]string, 0, len(ts))
	for _, t := range ts {
		parts = append(parts, strings.TrimSpace(t.Level3+" "+t.Value))
	}
	return strings.Join(parts, "；")
}

// fundColumns are the 资金来源 columns of an export: the sources the
// projects use, in the county's order, and whether some project names a
// source not in the list (其他资金来源).
type fundColumns struct {
	names []string
	index map[string]int // trimmed name → position in names
	other bool
}

// newFundColumns picks the 资金来源 columns for ps: those of sources that
// some project uses, in their order; with no sources, the names projects
// use in the order met.
func newFundColumns(sources []planning.FundSource, ps []planning.Project, order []int) fundColumns {
	used := map[string]bool{}
	var met []string
	for _, i := range order {
		for _, f := range ps[i].Funding {
			name := strings.TrimSpace(f.Source)
			if cents(f.AmountWan) == 0 || used[name] {
				continue
			}
			used[name] = true
			met = append(met, name)
		}
	}
	fc := fundColumns{index: map[string]int{}}
	if sources == nil {
		fc.names = met
	} else {
		for _, s := range sources {
			if name := strings.TrimSpace(s.Name); used[name] {
				fc.names = append(fc.names, name)
			}
		}
	}
	for i, n := range fc.names {
		fc.index[n] = i
	}
	fc.other = len(fc.names) < len(met)
	return fc
}

// split is p's 资金来源 in cents per column, other sources last.
func (fc fundColumns) split(p *planning.Project) []int64 {
	out := make([]int64, len(fc.names)+1)
	for _, f := range p.Funding {
		i, ok := fc.index[strings.TrimSpace(f.Source)]
		if !ok {
			i = len(fc.names)
		}
		out[i] += cents(f.AmountWan)
	}
	return out
}

// unfunded is p's cost no source covers, in cents (negative when the
// sources exceed the cost: shown, not hidden).
func (fc fundColumns) unfunded(p *planning.Project) int64 {
	c := cents(p.CostWan)
	for _, f := range p.Funding {
		c -= cents(f.AmountWan)
	}
	return c
}

// withdrawnColumns are the 已出库 sheet's.
var withdrawnColumns = []column{
	basisColumns[0], basisColumns[1],
	{header: "项目类型", width: 12, value: func(_ int, p *planning.Project) any { return nationalType(p.Category).Label() }},
	{header: "乡镇", width: 10, value: func(_ int, p *planning.Project) any { return p.TownshipName }},
	{header: "村", width: 10, value: func(_ int, p *planning.Project) any { return p.VillageName }},
	{header: "村代码", kind: kindCode, width: 14, value: func(_ int, p *planning.Project) any { return p.VillageCode }},
	{header: "投资估算（万元）", kind: kindMoney, width: 12, value: func(_ int, p *planning.Project) any { return centsValue(cents(p.CostWan)) }},
	exitColumn,
}

// Rows of the 项目库 sheet above the projects.
const (
	rowTitle     = 1
	rowSign      = 2 // 填报单位 … and 单位：万元
	rowInfo      = 3
	rowGroupHead = 4 // header groups
	rowHead      = 5 // column headers
)

// rowGroup is one open group of rows on the 项目库 sheet: the grand total,
// a 项目类型, a category or a 乡镇 within it.
type rowGroup struct {
	level rowLevel
	key   string
	label string
	first int // its first project's row
	t     totals
	sums  []int64 // per column: the hundredths of the values shown
	unit  string  // the rows' 单位 while they share one
	mixed bool    // the rows have more than one 单位
}

func (g *rowGroup) add(p *planning.Project, cols []column, vals []any) {
	if g.t.count == 0 {
		g.unit = p.Unit
	} else if p.Unit != g.unit {
		g.mixed = true
	}
	g.t.add(p)
	for j, c := range cols {
		if x, ok := vals[j].(float64); ok && c.sum != sumNone {
			g.sums[j] += roundScaled(x, 2)
		}
	}
}

// writeProjectsSheet writes the 申报表 of the projects at kept (table
// order) and returns the totals the 汇总 sheet needs: by category in
// table order, by township in code order, and the grand total.
func writeProjectsSheet(f *excelize.File, st *styles, ps []planning.Project, kept []int, withdrawn int, cols []column, meta Meta) (byCat, byTown []namedTotals, grand totals, err error) {
	if err = setupPrint(f, sheetProjects, "$1:$5"); err != nil {
		return
	}
	sw, err := f.NewStreamWriter(sheetProjects)
	if err != nil {
		return
	}
	ncol := len(cols)
	widths := make([]float64, ncol)
	for i, c := range cols {
		widths[i] = c.width
	}
	if err = setWidths(sw, widths); err != nil {
		return
	}
	if err = freezeRows(sw, rowHead); err != nil {
		return
	}

	leftStyle, err := writeHeading(f, sw, ncol, meta)
	if err != nil {
		return
	}
	if err = writeTwoRowHeader(sw, st, cols); err != nil {
		return
	}

	// Data styles per column, looked up once rather than per cell.
	dataStyle := make([]int, ncol)
	for i, c := range cols {
		if dataStyle[i], err = st.id(levelData, c.kind, c.wrap); err != nil {
			return
		}
	}
	unitCol := slices.IndexFunc(cols, func(c column) bool { return c.unit })
	qtyCol := slices.IndexFunc(cols, func(c column) bool { return c.sum == sumSameUnit })
	unitSums := map[string]int64{} // hundredths of 工程量 shown, by 单位
	rowNum := rowHead
	row := make([]any, ncol)
	subtotal := func(g *rowGroup) error {
		rowNum++
		clear(row)
		for i, c := range cols {
			kind := c.kind
			var v any
			switch {
			case i == colSeq:
				kind, v = kindText, g.label+g.t.coverage()
			case g.t.count == 0:
				if c.sum == sumAlways {
					v = 0.0
				}
			case c.sum == sumAlways || c.sum == sumSameUnit && g.unit != "" && !g.mixed:
				v = excelize.Cell{Formula: fmt.Sprintf("SUBTOTAL(9,%s%d:%s%d)", colLetter(i), g.first, colLetter(i), rowNum-1),
					Value: centsValue(g.sums[i])}
			case i == unitCol && g.unit != "" && !g.mixed:
				v = g.unit
			}
			id, err := st.id(g.level, kind, false)
			if err != nil {
				return err
			}
			row[i] = styled(id, v)
		}
		if err := sw.SetRow(cellName(1, rowNum), row); err != nil {
			return err
		}
		// The label spans 序号..项目名称 so it prints inside one cell.
		return sw.MergeCell(cellName(colSeq+1, rowNum), cellName(colName+1, rowNum))
	}
	// open[0] is the grand total; open[1..3] the 项目类型, category and
	// 乡镇 of the rows being written.
	newGroup := func(level rowLevel, key, label string) *rowGroup {
		return &rowGroup{level: level, key: key, label: label, first: rowNum + 1, sums: make([]int64, ncol)}
	}
	open := []*rowGroup{newGroup(levelTotal, "", "合计")}
	// closeFrom writes the subtotals of open[from:], innermost first. A
	// group that spans the same rows as the one around it, closing too,
	// has no subtotal of its own: it would repeat that one's.
	closeFrom := func(from int) error {
		for j := len(open) - 1; j >= from; j-- {
			g := open[j]
			if g.level == levelCategory {
				byCat = append(byCat, namedTotals{strings.TrimPrefix(g.label, "小计："), g.t})
			}
			if j == 0 || j-1 < from || open[j-1].first != g.first {
				if err := subtotal(g); err != nil {
					return err
				}
			}
		}
		open = open[:from]
		return nil
	}
	townTotals := map[townshipKey]*totals{}
	vals := make([]any, ncol)
	for seq, i := range kept {
		p := &ps[i]
		n := nationalType(p.Category)
		tk := townshipKey{p.TownshipCode, p.TownshipName}
		keys := []string{n.Type, p.Category, tk.code + "\x00" + tk.name}
		from := 1
		for from < len(open) && open[from].key == keys[from-1] {
			from++
		}
		if from < len(open) {
			if err = closeFrom(from); err != nil {
				return
			}
		}
		for len(open) <= len(keys) {
			switch len(open) {
			case 1:
				open = append(open, newGroup(levelType, n.Type, "小计："+n.Type))
			case 2:
				open = append(open, newGroup(levelCategory, p.Category, "小计："+n.Label()))
			case 3:
				open = append(open, newGroup(levelTownship, keys[2], "小计："+n.Label()+" / "+tk.label()))
			}
		}
		rowNum++
		for j, c := range cols {
			vals[j] = c.value(seq+1, p)
			row[j] = excelize.Cell{StyleID: dataStyle[j], Value: vals[j]}
		}
		if err = sw.SetRow(cellName(1, rowNum), row); err != nil {
			return
		}
		for _, g := range open {
			g.add(p, cols, vals)
		}
		if q, ok := vals[qtyCol].(float64); ok && p.Unit != "" {
			unitSums[p.Unit] += roundScaled(q, 2)
		}
		tt := townTotals[tk]
		if tt == nil {
			tt = &totals{}
			townTotals[tk] = tt
		}
		tt.add(p)
	}
	grand = open[0].t
	firstRow := open[0].first
	if err = closeFrom(0); err != nil {
		return
	}
	if err = unitTotals(sw, st, cols, unitSums, firstRow, &rowNum); err != nil {
		return
	}
	notes := "注：1. 小计、合计为 SUBTOTAL 公式，筛选后只合计显示的行；受益户数、人数不跨项目相加（同一村的人会被多个项目重复计入），各小计说明覆盖的村和建档立卡人口（每人计一次），详见“汇总”表。" +
		"2. 项目类型按国务院扶贫办《关于完善县级脱贫攻坚项目库建设的指导意见》（2018）。3. 评分与排序依据见“评分依据”表。"
	if withdrawn > 0 {
		notes += fmt.Sprintf("4. 另有 %d 个已出库项目列在“已出库”表，不计入本表。", withdrawn)
	}
	rowNum += 2
	if err = sw.SetRow(cellName(1, rowNum), []any{excelize.Cell{StyleID: leftStyle, Value: notes}}, excelize.RowOpts{Height: 36}); err != nil {
		return
	}
	if err = sw.MergeCell(cellName(1, rowNum), cellName(ncol, rowNum)); err != nil {
		return
	}
	if err = sw.Flush(); err != nil {
		return
	}
	keys := make([]townshipKey, 0, len(townTotals))
	for k := range townTotals {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b townshipKey) int {
		return cmp.Or(strings.Compare(a.code, b.code), strings.Compare(a.name, b.name))
	})
	for _, k := range keys {
		byTown = append(byTown, namedTotals{k.label(), *townTotals[k]})
	}
	return byCat, byTown, grand, nil
}

// writeTwoRowHeader writes the 申报表's header: a column of its own spans
// both rows, columns of one group share the upper row's cell.
func writeTwoRowHeader(sw *excelize.StreamWriter, st *styles, cols []column) error {
	id, err := st.id(levelHeader, kindText, true)
	if err != nil {
		return err
	}
	upper, lower := make([]any, len(cols)), make([]any, len(cols))
	var merges [][2]string
	for i := 0; i < len(cols); {
		c := cols[i]
		if c.group == "" {
			upper[i], lower[i] = excelize.Cell{StyleID: id, Value: c.header}, excelize.Cell{StyleID: id}
			merges = append(merges, [2]string{cellName(i+1, rowGroupHead), cellName(i+1, rowHead)})
			i++
			continue
		}
		j := i
		for j < len(cols) && cols[j].group == c.group {
			upper[j], lower[j] = excelize.Cell{StyleID: id}, excelize.Cell{StyleID: id, Value: cols[j].header}
			j++
		}
		upper[i] = excelize.Cell{StyleID: id, Value: c.group}
		if j-i > 1 {
			merges = append(merges, [2]string{cellName(i+1, rowGroupHead), cellName(j, rowGroupHead)})
		}
		i = j
	}
	if err := sw.SetRow(cellName(1, rowGroupHead), upper, excelize.RowOpts{Height: 22}); err != nil {
		return err
	}
	if err := sw.SetRow(cellName(1, rowHead), lower, excelize.RowOpts{Height: 36}); err != nil {
		return err
	}
	for _, m := range merges {
		if err := sw.MergeCell(m[0], m[1]); err != nil {
			return err
		}
	}
	return nil
}

// unitTotals writes, below the 合计, one row per 单位 with the 工程量 of
// the projects in that 单位 (km of road, 座 of stations, 户 …): the 合计
// cannot add km to 座. Each is a formula over the visible project rows
// (SUBTOTAL of each cell, so that a filter counts; 项目编号 set, so that no
// 小计 counts), carrying its value as computed here.
func unitTotals(sw *excelize.StreamWriter, st *styles, cols []column, sums map[string]int64, first int, rowNum *int) error {
	qtyCol := slices.IndexFunc(cols, func(c column) bool { return c.sum == sumSameUnit })
	unitCol := slices.IndexFunc(cols, func(c column) bool { return c.unit })
	units := make([]string, 0, len(sums))
	for u := range sums {
		units = append(units, u)
	}
	slices.Sort(units)
	last := *rowNum - 1 // the row above the 合计
	q, u, code := colLetter(qtyCol), colLetter(unitCol), colLetter(colCode)
	row := make([]any, len(cols))
	for _, unit := range units {
		*rowNum++
		for i, c := range cols {
			kind := c.kind
			var v any
			switch i {
			case colSeq:
				kind, v = kindText, "合计工程量（"+unit+"）"
			case qtyCol:
				v = excelize.Cell{Formula: fmt.Sprintf(`SUMPRODUCT(SUBTOTAL(9,OFFSET(%[1]s%[2]d,ROW(%[1]s%[2]d:%[1]s%[3]d)-ROW(%[1]s%[2]d),0)),--(%[4]s%[2]d:%[4]s%[3]d="%[5]s"),--(%[6]s%[2]d:%[6]s%[3]d<>""))`,
					q, first, max(last, first), u, strings.ReplaceAll(unit, `"`, `""`), code), Value: centsValue(sums[unit])}
			case unitCol:
				v = unit
			}
			id, err := st.id(levelTotal, kind, false)
			if err != nil {
				return err
			}
			row[i] = styled(id, v)
		}
		if err := sw.SetRow(cellName(1, *rowNum), row); err != nil {
			return err
		}
		if err := sw.MergeCell(cellName(colSeq+1, *rowNum), cellName(colName+1, *rowNum)); err != nil {
			return err
		}
	}
	return nil
}

// colLetter is the letter of the column at index i (0: A).
func colLetter(i int) string {
	n, _ := excelize.ColumnNumberToName(i + 1) // i ≥ 0 here
	return n
}

// styled is v, a value or a formula cell, in the style id.
func styled(id int, v any) excelize.Cell {
	if cell, ok := v.(excelize.Cell); ok {
		cell.StyleID = id
		return cell
	}
	return excelize.Cell{StyleID: id, Value: v}
}
