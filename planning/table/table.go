package table

import (
	"bufio"
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gapmap/gapmap/data/export"
	"github.com/gapmap/gapmap/planning"
)

// Format is one file format of the table.
type Format struct {
	ContentType string // media type of the file
	Write       func(w io.Writer, ps []planning.Project, meta Meta) error
}

// Formats are the table's formats by file extension: what the API's
// /api/v1/projects/export.{format} and `gapmap projects export --format`
// accept.
var Formats = map[string]Format{
	"xlsx": {ContentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Write: WriteXLSX},
	"csv":  {ContentType: "text/csv; charset=utf-8", Write: WriteCSV},
}

// Meta describes an export of the library.

// Meta describes an export of the library.
type Meta struct {
	County string // e.g. "临湘市"
	// Period is the years the 申报表 covers, e.g. "2016—2020年" (a plan
	// period) or "2024年"; it follows the county in the title.
	Period      string
	Title       string    // default "<County><Period>脱贫攻坚项目库申报表"
	GeneratedAt time.Time // shown as 生成时间 and 填报日期; zero leaves them out
	Filters     string    // human-readable description of the filters applied, Chinese, may be ""
	DataVersion string    // may be ""
	// Unit and Preparer are the 填报单位 and 填报人: the organisation and
	// name of who exports. Empty leaves the line blank to fill by hand.
	Unit, Preparer string
	// Sources are the county's 资金来源 in the order the 申报表 lists their
	// columns (only those the exported projects use get one). Nil: the
	// names the projects use, in the order met.
	Sources []planning.FundSource
	// Needs, when set, adds the 补充数据 sheet to the XLSX workbook: the
	// data that would decide the undecided indicators (and size the gaps
	// that could not be sized) of the villages the export covers.
	Needs *planning.DataNeedPage
}

func (m Meta) title() string {
	if m.Title != "" {
		return m.Title
	}
	return m.County + m.Period + "脱贫攻坚项目库申报表"
}

// signLine is the 申报表's 填报单位 / 填报人 / 审核人 / 填报日期 line: who
// exports fills the first two, 审核人 signs the printed form.
func (m Meta) signLine() string {
	date := "　　年　　月　　日"
	if !m.GeneratedAt.IsZero() {
		date = m.GeneratedAt.Format("2006年1月2日")
	}
	blank := func(s string) string {
		if s == "" {
			return "　　　　　　"
		}
		return s
	}
	return "填报单位（盖章）：" + blank(m.Unit) + "　　　　填报人：" + blank(m.Preparer) +
		"　　　　审核人：　　　　　　　　填报日期：" + date
}

// infoLine is the third row of the 项目库 sheet: when and from what.
func (m Meta) infoLine() string {
	var parts []string
	if !m.GeneratedAt.IsZero() {
		parts = append(parts, "生成时间："+m.GeneratedAt.Format("2006-01-02 15:04"))
	}
	filters := m.Filters
	if filters == "" {
		filters = "无（全部项目）"
	}
	parts = append(parts, "筛选条件："+filters)
	if m.DataVersion != "" {
		parts = append(parts, "数据版本："+m.DataVersion)
	}
	return strings.Join(parts, "　　")
}

// Sheet names of the XLSX export; GDAL reports them as layer names.
const (
	sheetProjects  = "项目库"
	sheetTargets   = "绩效目标"
	sheetSummary   = "汇总"
	sheetBasis     = "评分依据"
	sheetWithdrawn = "已出库"
)

// cellKind says how a column's values are typed and formatted, in both
// the XLSX (number format) and the CSV (decimal places) writers.
type cellKind int

const (
	kindText  cellKind = iota
	kindCode           // digits that must stay text (村代码)
	kindInt            // counts, year, 序号
	kindMoney          // 万元, two decimals
	kindQty            // 工程量, two decimals
	kindPrice          // 单价 in 万元, two to four decimals (600 元/人 is 0.06, 1,500 元/户 0.15)
	kindGap            // gap points, one decimal
	kindDate           // yyyy-mm-dd
)

// column is one column of the 项目库 table. value returns nil for an
// empty cell, or a string, an int, a float64 already rounded to the
// column's decimals, or a time.Time (a date at UTC midnight). total is set

// sumKind says what 小计 and 合计 rows show in a column.
type sumKind int

const (
	sumNone     sumKind = iota
	sumAlways           // SUBTOTAL(9, …) of the rows above: money
	sumSameUnit         // SUBTOTAL(9, …) where the rows share one 单位 (km, 座, 户), else empty: 工程量
)

// column is one column of the 项目库 tables. value returns nil for an
// empty cell, or a string, an int, a float64 already rounded to the
// column's decimals, or a time.Time (a date at UTC midnight).
type column struct {
	header string // the cell in the sheet's (lower) header row
	group  string // the upper header row, over the columns that share it; "" spans both rows
	flat   string // the CSV's header when it is not header, e.g. "中央财政专项扶贫资金（万元）"
	kind   cellKind
	width  float64 // Excel character widths
	wrap   bool
	sum    sumKind
	unit   bool // the 单位 of sumSameUnit's rows
	value  func(seq int, p *planning.Project) any
}

func (c column) name() string {
	if c.flat != "" {
		return c.flat
	}
	return c.header
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
	{header: "补短板前缺口", kind: kindGap, width: 9, value: func(_ int, p *planning.Project) any { return gapValue(p.GapBefore) }},
	{header: "预计补短板后缺口", kind: kindGap, width: 9, value: func(_ int, p *planning.Project) any { return gapValue(p.GapAfter) }},
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

// planReason is why the last applied plan left p out, shown only while p
// has no year: once a year is set (by a later plan or by hand) the reason
// no longer holds.
func planReason(p *planning.Project) string {
	if p.Year != 0 {
		return ""
	}
	return p.PlanReason
}

// Positions in the 申报表 columns that other code refers to.
const (
	colSeq  = 0 // subtotal labels go here
	colCode = 1 // 项目编号
	colName = 3 // the label spans 序号..项目名称
)

func nonZero(n int) any {
	if n == 0 {
		return nil
	}
	return n
}

func nonZeroCents(x float64) any { return nonZeroCentsOf(cents(x)) }

func nonZeroCentsOf(c int64) any {
	if c == 0 {
		return nil
	}
	return centsValue(c)
}

// priceValue is a 单价 as the generator rounds it (planning.RoundPrice):
// 工程量 × 单价 = 投资估算 holds for the values shown.
func priceValue(x float64) any {
	v := planning.Scaled(x, planning.PriceDecimals)
	if v == 0 {
		return nil
	}
	return float64(v) / 10000
}

func priceSource(s string) string {
	switch s {
	case planning.SourceEstimated:
		return "估算"
	case planning.SourceSourced, planning.SourceDerived:
		return "有依据"
	case planning.SourceCounty:
		return "县级"
	}
	return ""
}

// dateValue keeps the calendar date the time carries in its own zone, so
// a date stored as local midnight does not become the day before in UTC.
func dateValue(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func gapValue(g *float64) any {
	if g == nil {
		return nil
	}
	return float64(roundScaled(*g, 1)) / 10
}

// cents rounds an amount in 万元 to hundredths (half away from zero).
// Totals add these integers, so a total always equals the sum of the
// amounts the table shows, with no float drift over 50,000 rows.
func cents(x float64) int64 { return roundScaled(x, 2) }

func centsValue(c int64) float64 { return float64(c) / 100 }

func formatCents(c int64) string { return strconv.FormatFloat(centsValue(c), 'f', 2, 64) }

// roundScaled returns x×10^places rounded half away from zero, on the
// shortest decimal that represents x: planning.Scaled, the one rounding the
// generator uses too.
func roundScaled(x float64, places int) int64 { return planning.Scaled(x, places) }

// totals accumulates what subtotal and 汇总 rows show: the cost, the
// villages covered with their 建档立卡 people each counted once, and the
// projects' own 建档立卡 beneficiaries added up (人次: a person two projects
// serve counts twice).
type totals struct {
	count           int
	costCents       int64
	covered         planning.Covered
	seen            map[string]bool
	poorPersonTimes int
}

func (t *totals) add(p *planning.Project) {
	t.count++
	t.costCents += cents(p.CostWan)
	t.poorPersonTimes += p.PoorPopulation
	if t.seen == nil {
		t.seen = map[string]bool{}
	}
	t.covered.Add(p, t.seen)
}

// coverage says in a label what the rows cover, each village's people once.
func (t *totals) coverage() string {
	c := t.covered
	s := fmt.Sprintf("（%d 个项目，覆盖 %d 个村，建档立卡 %d 人", t.count, c.Villages, c.PoorPopulation)
	if c.Unknown > 0 {
		s += fmt.Sprintf("，另 %d 个村建档立卡人口暂无数据", c.Unknown)
	}
	if c.Unplaced > 0 {
		s += fmt.Sprintf("，%d 个项目未落到村", c.Unplaced)
	}
	return s + "）"
}

// rowOrder returns the indices of ps in table order: national 项目类型 in
// planning.NationalTypes order, category in planning.Categories order
// (unknown ones after, by name), township code, 项目编号, ID. Sorting
// indices leaves the caller's slice alone.
func rowOrder(ps []planning.Project) []int {
	catIndex := make(map[string]int, len(planning.Categories))
	for i, c := range planning.Categories {
		catIndex[c] = i
	}
	rank := func(c string) (int, int) {
		n, ok := planning.NationalTypeOf(c)
		if !ok {
			return len(planning.NationalTypes), len(planning.Categories)
		}
		return slices.Index(planning.NationalTypes, n.Type), catIndex[c]
	}
	idx := make([]int, len(ps))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(i, j int) int {
		a, b := &ps[i], &ps[j]
		at, ac := rank(a.Category)
		bt, bc := rank(b.Category)
		return cmp.Or(
			cmp.Compare(at, bt),
			cmp.Compare(ac, bc),
			strings.Compare(a.Category, b.Category),
			strings.Compare(a.TownshipCode, b.TownshipCode),
			strings.Compare(a.TownshipName, b.TownshipName),
			strings.Compare(a.Code, b.Code),
			cmp.Compare(a.ID, b.ID),
		)
	})
	return idx
}

// splitWithdrawn separates the order's 已出库 projects: they are listed
// apart and never totalled.
func splitWithdrawn(ps []planning.Project, order []int) (kept, withdrawn []int) {
	for _, i := range order {
		if ps[i].Status == planning.StateWithdrawn {
			withdrawn = append(withdrawn, i)
		} else {
			kept = append(kept, i)
		}
	}
	return kept, withdrawn
}

type townshipKey struct{ code, name string }

func (k townshipKey) label() string {
	switch {
	case k.name != "":
		return k.name
	case k.code != "":
		return k.code
	}
	return "未填乡镇"
}

func categoryLabel(c string) string {
	if c == "" {
		return "未填类别"
	}
	return c
}

// WriteCSV writes the 申报表's columns, then the 评分依据's and the 出库理由,
// as CSV, UTF-8 with BOM (Excel opens Chinese correctly), one row per
// project, 已出库 ones included (their 项目状态 says so), no subtotal
// rows. Rows are in the XLSX order. 村代码 is written as its digits; Excel
// shows a 12-digit number in CSV as 4.30682E+11, which is why the XLSX
// export is the one for Excel users.
func WriteCSV(w io.Writer, ps []planning.Project, meta Meta) error {
	order := rowOrder(ps)
	cols := append(declarationColumns(newFundColumns(meta.Sources, ps, order)), basisColumns[2:]...)
	cols = append(cols, exitColumn)
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = c.name()
	}
	return writeCSV(w, header, func(yield func([]string) bool) {
		rec := make([]string, len(cols))
		for seq, i := range order {
			for j, c := range cols {
				rec[j] = csvField(c.kind, c.value(seq+1, &ps[i]))
			}
			if !yield(rec) {
				return
			}
		}
	})
}

// writeCSV writes a header and rows the way Excel reads Chinese: UTF-8
// with a BOM, CRLF line ends. Every CSV table of the package goes here.
func writeCSV(w io.Writer, header []string, rows iter.Seq[[]string]) error {
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString("\uFEFF"); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true // what Excel writes and expects
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	for rec := range rows {
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// textRows renders rows of plain values (text, counts, nil for an empty
// cell) for writeCSV.
func textRows(rows [][]any) iter.Seq[[]string] {
	return func(yield func([]string) bool) {
		for _, vals := range rows {
			rec := make([]string, len(vals))
			for i, v := range vals {
				rec[i] = csvField(kindText, v)
			}
			if !yield(rec) {
				return
			}
		}
	}
}

func csvField(k cellKind, v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case int:
		return strconv.Itoa(v)
	case float64:
		switch k {
		case kindGap:
			return strconv.FormatFloat(v, 'f', 1, 64)
		case kindPrice:
			return formatPrice(v)
		}
		return strconv.FormatFloat(v, 'f', 2, 64)
	case time.Time:
		return v.Format(time.DateOnly)
	case string:
		if k == kindText {
			return export.CSVSafe(v)
		}
		return v
	}
	return fmt.Sprint(v)
}

// formatPrice writes a 单价 with two decimals, or up to four when it has
// them, as the XLSX format 0.00## shows it.
func formatPrice(v float64) string {
	s := strconv.FormatFloat(v, 'f', planning.PriceDecimals, 64)
	for strings.HasSuffix(s, "0") && len(s)-strings.IndexByte(s, '.') > 3 {
		s = s[:len(s)-1]
	}
	return s
}

// rowLevel picks the look of a row in the XLSX sheets.
type rowLevel int

const (
	levelData rowLevel = iota
	levelHeader
	levelTownship // 小计 by 乡镇 within a category
	levelCategory // 小计 by 项目类别 (the national 项目类型·二级类型)
	levelType     // 小计 by national 项目类型 over several categories
	levelTotal    // 合计
)

type styleKey struct {
	level rowLevel
	kind  cellKind
	wrap  bool
}

// styles creates each cell style once; excelize would otherwise add
// a duplicate style entry per call.
type styles struct {
	f     *excelize.File
	cache map[styleKey]int
}

var levelFill = map[rowLevel]string{
	levelHeader:   "D9E1F2",
	levelTownship: "FFF2CC",
	levelCategory: "FCE4D6",
	levelType:     "F8CBAD",
	levelTotal:    "F4B084",
}

func (s *styles) id(level rowLevel, kind cellKind, wrap bool) (int, error) {
	key := styleKey{level, kind, wrap}
	if id, ok := s.cache[key]; ok {
		return id, nil
	}
	st := &excelize.Style{
		Border: []excelize.Border{
			{Type: "left", Color: "808080", Style: 1}, {Type: "right", Color: "808080", Style: 1},
			{Type: "top", Color: "808080", Style: 1}, {Type: "bottom", Color: "808080", Style: 1},
		},
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: wrap},
	}
	if level != levelData {
		st.Font = &excelize.Font{Bold: true}
		st.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{levelFill[level]}}
	}
	switch kind {
	case kindText:
	case kindCode:
		st.NumFmt = 49 // "@": typing over the cell keeps it text
	case kindInt:
		st.NumFmt = 1 // "0"
	case kindMoney, kindQty:
		st.NumFmt = 2 // "0.00"
	case kindPrice:
		st.CustomNumFmt = ptr("0.00##")
	case kindGap:
		st.CustomNumFmt = ptr("0.0")
	case kindDate:
		st.CustomNumFmt = ptr("yyyy-mm-dd")
		st.Alignment.Horizontal = "center"
	}
	if level == levelHeader {
		st.Alignment.Horizontal = "center"
		st.Alignment.WrapText = true
	}
	id, err := s.f.NewStyle(st)
	if err != nil {
		return 0, fmt.Errorf("xlsx style: %w", err)
	}
	s.cache[key] = id
	return id, nil
}

func ptr[T any](v T) *T { return &v }

// WriteXLSX writes the 项目库 申报表 workbook:
//   - sheet 项目库, the national 申报表 (domain.md §6): the title with the
//     county and period, the 填报单位/填报人/审核人/填报日期 line and 单位：万元,
//     a two-row header, the projects grouped by national 项目类型, category
//     and 乡镇, one money column per 资金来源, and 小计 and 合计 rows whose
//     money and 工程量 are SUBTOTAL(9, …) formulas, so that a filtered
//     sheet totals the rows it shows; print-ready on landscape A3;
//   - sheet 绩效目标, one row per project and target;
//   - sheet 汇总, totals by category and 乡镇, each village's people once;
//   - sheet 评分依据, the scoring behind each project, by 项目编号;
//   - sheet 已出库, the withdrawn projects with their reasons, in no total;
//   - and, when meta.Needs is set, sheet 补充数据.
//
// Money is in 万元 rounded to 0.01, and every total is the sum of the
// rounded amounts shown. Each formula carries its value as computed here,
// so readers that do not calculate (GDAL, pandas) see the numbers; Excel
// recalculates on load. Sheets are streamed; the finished file is zipped
// in memory before it is written to w.
func WriteXLSX(w io.Writer, ps []planning.Project, meta Meta) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close xlsx: %w", cerr)
		}
	}()
	if err := f.SetSheetName(f.GetSheetName(0), sheetProjects); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	for _, name := range []string{sheetTargets, sheetSummary, sheetBasis, sheetWithdrawn} {
		if _, err := f.NewSheet(name); err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
	}
	f.SetActiveSheet(0)
	if err := f.SetCalcProps(&excelize.CalcPropsOptions{FullCalcOnLoad: ptr(true)}); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	st := &styles{f: f, cache: map[styleKey]int{}}
	order := rowOrder(ps)
	kept, withdrawn := splitWithdrawn(ps, order)
	cols := declarationColumns(newFundColumns(meta.Sources, ps, kept))
	byCat, byTown, grand, err := writeProjectsSheet(f, st, ps, kept, len(withdrawn), cols, meta)
	if err != nil {
		return fmt.Errorf("xlsx sheet %s: %w", sheetProjects, err)
	}
	if err := writeTargetsSheet(f, st, ps, kept); err != nil {
		return fmt.Errorf("xlsx sheet %s: %w", sheetTargets, err)
	}
	if err := writeSummarySheet(f, st, byCat, byTown, grand); err != nil {
		return fmt.Errorf("xlsx sheet %s: %w", sheetSummary, err)
	}
	if err := writeColumnsSheet(f, st, sheetBasis, basisColumns, ps, append(slices.Clip(kept), withdrawn...)); err != nil {
		return fmt.Errorf("xlsx sheet %s: %w", sheetBasis, err)
	}
	if err := writeColumnsSheet(f, st, sheetWithdrawn, withdrawnColumns, ps, withdrawn); err != nil {
		return fmt.Errorf("xlsx sheet %s: %w", sheetWithdrawn, err)
	}
	if meta.Needs != nil {
		if err := writeNeedsSheet(f, st, *meta.Needs); err != nil {
			return fmt.Errorf("xlsx sheet %s: %w", sheetNeeds, err)
		}
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
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

type namedTotals struct {
	name string
	t    totals
}

// setupPrint makes a sheet print on landscape A3, one page wide, with the
// header rows repeated on every page. It must run before the sheet's
// StreamWriter is created: the stream writes sheetPr first.
func setupPrint(f *excelize.File, sheet string, titleRows string) error {
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: ptr(true)}); err != nil {
		return err
	}
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{
		Size:        ptr(8), // A3
		Orientation: ptr("landscape"),
		FitToWidth:  ptr(1),
		FitToHeight: ptr(0), // as many pages tall as needed
	}); err != nil {
		return err
	}
	if err := f.SetPageMargins(sheet, &excelize.PageLayoutMarginsOptions{
		Left: ptr(0.4), Right: ptr(0.4), Top: ptr(0.6), Bottom: ptr(0.6),
		Header: ptr(0.3), Footer: ptr(0.3), Horizontally: ptr(true),
	}); err != nil {
		return err
	}
	if err := f.SetHeaderFooter(sheet, &excelize.HeaderFooterOptions{OddFooter: "&C第 &P 页，共 &N 页"}); err != nil {
		return err
	}
	return f.SetDefinedName(&excelize.DefinedName{
		Name: "_xlnm.Print_Titles", RefersTo: "'" + sheet + "'!" + titleRows, Scope: sheet,
	})
}

// setWidths sets column widths from the last column to the first:
// excelize's StreamWriter puts each new <col> before the earlier ones and
// writes them as they are, while Excel expects ascending <col> elements
// and offers to repair the file otherwise.
func setWidths(sw *excelize.StreamWriter, widths []float64) error {
	for i := len(widths) - 1; i >= 0; i-- {
		if err := sw.SetColWidth(i+1, i+1, widths[i]); err != nil {
			return err
		}
	}
	return nil
}

func freezeRows(sw *excelize.StreamWriter, rows int) error {
	top := "A" + strconv.Itoa(rows+1)
	return sw.SetPanes(&excelize.Panes{
		Freeze: true, YSplit: rows, TopLeftCell: top, ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: top, ActiveCell: top, Pane: "bottomLeft"}},
	})
}

// headerRow returns styled header cells.
func headerRow(st *styles, headers []string) ([]any, error) {
	id, err := st.id(levelHeader, kindText, true)
	if err != nil {
		return nil, err
	}
	row := make([]any, len(headers))
	for i, h := range headers {
		row[i] = excelize.Cell{StyleID: id, Value: h}
	}
	return row, nil
}

func cellName(col, row int) string {
	name, _ := excelize.CoordinatesToCellName(col, row) // col, row ≥ 1 here
	return name
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
	colLetter := func(i int) string { n, _ := excelize.ColumnNumberToName(i + 1); return n } // i < ncol

	titleStyle, err := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true, Size: 16},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"},
	})
	if err != nil {
		return
	}
	leftStyle, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "center"}})
	if err != nil {
		return
	}
	rightStyle, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{Horizontal: "right", Vertical: "center"}})
	if err != nil {
		return
	}
	if err = sw.SetRow(cellName(1, rowTitle), []any{excelize.Cell{StyleID: titleStyle, Value: meta.title()}}, excelize.RowOpts{Height: 30}); err != nil {
		return
	}
	if err = sw.MergeCell(cellName(1, rowTitle), cellName(ncol, rowTitle)); err != nil {
		return
	}
	// 单位：万元 takes the last three columns, the signatures the rest.
	sign := make([]any, ncol)
	sign[0] = excelize.Cell{StyleID: leftStyle, Value: meta.signLine()}
	sign[ncol-3] = excelize.Cell{StyleID: rightStyle, Value: "单位：万元"}
	if err = sw.SetRow(cellName(1, rowSign), sign, excelize.RowOpts{Height: 22}); err != nil {
		return
	}
	if err = sw.MergeCell(cellName(1, rowSign), cellName(ncol-3, rowSign)); err != nil {
		return
	}
	if err = sw.MergeCell(cellName(ncol-2, rowSign), cellName(ncol, rowSign)); err != nil {
		return
	}
	if err = sw.SetRow(cellName(1, rowInfo), []any{excelize.Cell{StyleID: leftStyle, Value: meta.infoLine()}}, excelize.RowOpts{Height: 20}); err != nil {
		return
	}
	if err = sw.MergeCell(cellName(1, rowInfo), cellName(ncol, rowInfo)); err != nil {
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
			if cell, ok := v.(excelize.Cell); ok {
				cell.StyleID = id
				row[i] = cell
			} else {
				row[i] = excelize.Cell{StyleID: id, Value: v}
			}
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
		tt := townTotals[tk]
		if tt == nil {
			tt = &totals{}
			townTotals[tk] = tt
		}
		tt.add(p)
	}
	grand = open[0].t
	if err = closeFrom(0); err != nil {
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

// writeColumnsSheet writes a sheet of one row per project at idx, the
// header in row 1 (so GDAL and pandas take field names from it).
func writeColumnsSheet(f *excelize.File, st *styles, sheet string, cols []column, ps []planning.Project, idx []int) error {
	if err := setupPrint(f, sheet, "$1:$1"); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	widths := make([]float64, len(cols))
	headers := make([]string, len(cols))
	styleIDs := make([]int, len(cols))
	for i, c := range cols {
		widths[i], headers[i] = c.width, c.header
		if styleIDs[i], err = st.id(levelData, c.kind, c.wrap); err != nil {
			return err
		}
	}
	if err := setWidths(sw, widths); err != nil {
		return err
	}
	if err := freezeRows(sw, 1); err != nil {
		return err
	}
	hdr, err := headerRow(st, headers)
	if err != nil {
		return err
	}
	if err := sw.SetRow("A1", hdr); err != nil {
		return err
	}
	row := make([]any, len(cols))
	for n, i := range idx {
		for j, c := range cols {
			row[j] = excelize.Cell{StyleID: styleIDs[j], Value: c.value(n+1, &ps[i])}
		}
		if err := sw.SetRow(cellName(1, n+2), row); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// writeTargetsSheet writes one row per (project, 绩效目标), projects in
// table order. The header is the first row so that readers such as GDAL
// can take field names from it.
func writeTargetsSheet(f *excelize.File, st *styles, ps []planning.Project, order []int) error {
	if err := setupPrint(f, sheetTargets, "$1:$1"); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheetTargets)
	if err != nil {
		return err
	}
	if err := setWidths(sw, []float64{16, 36, 12, 12, 28, 20}); err != nil {
		return err
	}
	if err := freezeRows(sw, 1); err != nil {
		return err
	}
	hdr, err := headerRow(st, []string{"项目编号", "项目名称", "一级指标", "二级指标", "三级指标", "指标值"})
	if err != nil {
		return err
	}
	if err := sw.SetRow("A1", hdr); err != nil {
		return err
	}
	plain, err := st.id(levelData, kindText, false)
	if err != nil {
		return err
	}
	wrapped, err := st.id(levelData, kindText, true)
	if err != nil {
		return err
	}
	rowNum := 1
	for _, i := range order {
		p := &ps[i]
		for _, t := range p.Targets {
			rowNum++
			row := []any{
				excelize.Cell{StyleID: plain, Value: p.Code},
				excelize.Cell{StyleID: wrapped, Value: p.Name},
				excelize.Cell{StyleID: plain, Value: t.Level1},
				excelize.Cell{StyleID: plain, Value: t.Level2},
				excelize.Cell{StyleID: wrapped, Value: t.Level3},
				excelize.Cell{StyleID: wrapped, Value: t.Value},
			}
			if err := sw.SetRow(cellName(1, rowNum), row); err != nil {
				return err
			}
		}
	}
	return sw.Flush()
}

// summaryHeaders are the columns of the 汇总 sheet: the villages covered
// and their 建档立卡 people, each counted once, and the projects' own
// figures added up, labelled as the 人次 they are.
var summaryHeaders = []string{"汇总方式", "名称", "项目个数", "投资估算（万元）", "覆盖村数",
	"覆盖村建档立卡人口（每人计一次）", "建档立卡受益人次（各项目相加，同一人可计多次）"}

func writeSummarySheet(f *excelize.File, st *styles, byCat, byTown []namedTotals, grand totals) error {
	if err := setupPrint(f, sheetSummary, "$1:$1"); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheetSummary)
	if err != nil {
		return err
	}
	if err := setWidths(sw, []float64{12, 20, 10, 16, 10, 18, 22}); err != nil {
		return err
	}
	if err := freezeRows(sw, 1); err != nil {
		return err
	}
	hdr, err := headerRow(st, summaryHeaders)
	if err != nil {
		return err
	}
	if err := sw.SetRow("A1", hdr); err != nil {
		return err
	}
	rowNum := 1
	put := func(level rowLevel, group, name string, t totals) error {
		kinds := []cellKind{kindText, kindText, kindInt, kindMoney, kindInt, kindInt, kindInt}
		vals := []any{group, name, t.count, centsValue(t.costCents), t.covered.Villages, t.covered.PoorPopulation, t.poorPersonTimes}
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
	for _, c := range byCat {
		if err := put(levelData, "按项目类型", c.name, c.t); err != nil {
			return err
		}
	}
	for _, c := range byTown {
		if err := put(levelData, "按乡镇", c.name, c.t); err != nil {
			return err
		}
	}
	if err := put(levelTotal, "合计", "", grand); err != nil {
		return err
	}
	var notes []string
	if c := grand.covered; c.Unknown > 0 {
		notes = append(notes, fmt.Sprintf("另有 %d 个覆盖村建档立卡人口暂无数据，未计入覆盖村建档立卡人口", c.Unknown))
	}
	if c := grand.covered; c.Unplaced > 0 {
		notes = append(notes, fmt.Sprintf("%d 个项目未落到村，其受益人数只计入受益人次", c.Unplaced))
	}
	for _, n := range notes {
		rowNum++
		if err := sw.SetRow(cellName(1, rowNum), []any{"注", n}); err != nil {
			return err
		}
	}
	return sw.Flush()
}
