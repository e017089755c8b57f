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
