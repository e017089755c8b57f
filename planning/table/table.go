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
type Meta struct {
	County      string    // e.g. "临湘市"
	Title       string    // default "<County>脱贫攻坚项目库"
	GeneratedAt time.Time // shown in the 生成时间 line; zero leaves it out
	Filters     string    // human-readable description of the filters applied, Chinese, may be ""
	DataVersion string    // may be ""
	// Needs, when set, adds the 补充数据 sheet to the XLSX workbook: the
	// data that would decide the undecided indicators (and size the gaps
	// that could not be sized) of the villages the export covers.
	Needs *planning.DataNeedPage
}

func (m Meta) title() string {
	if m.Title != "" {
		return m.Title
	}
	return m.County + "脱贫攻坚项目库"
}

// infoLine is the second row of the 项目库 sheet.
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
	sheetProjects = "项目库"
	sheetTargets  = "绩效目标"
	sheetSummary  = "汇总"
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
// on the columns a subtotal row sums.
type column struct {
	header string
	kind   cellKind
	width  float64 // Excel character widths
	wrap   bool
	value  func(seq int, p *planning.Project) any
	total  func(t *totals) any
}

// columns is the one column list both writers use (domain.md §6).
var columns = []column{
	{header: "序号", kind: kindInt, width: 6, value: func(seq int, _ *planning.Project) any { return seq }},
	{header: "项目编号", width: 16, value: func(_ int, p *planning.Project) any { return p.Code }},
	{header: "年度", kind: kindInt, width: 7, value: func(_ int, p *planning.Project) any { return nonZero(p.Year) }},
	{header: "项目名称", width: 30, wrap: true, value: func(_ int, p *planning.Project) any { return p.Name }},
	{header: "项目类别", width: 14, wrap: true, value: func(_ int, p *planning.Project) any { return p.Category }},
	{header: "项目子类", width: 12, wrap: true, value: func(_ int, p *planning.Project) any { return p.Subtype }},
	{header: "建设性质", width: 8, value: func(_ int, p *planning.Project) any { return p.Nature }},
	{header: "乡镇", width: 10, wrap: true, value: func(_ int, p *planning.Project) any { return p.TownshipName }},
	{header: "村", width: 10, wrap: true, value: func(_ int, p *planning.Project) any { return p.VillageName }},
	{header: "村代码", kind: kindCode, width: 14, value: func(_ int, p *planning.Project) any { return p.VillageCode }},
	{header: "建设内容及规模", width: 40, wrap: true, value: func(_ int, p *planning.Project) any { return p.Content }},
	// No quantity or unit price means none was given (a lump-sum row
	// entered by hand); a blank says that better than 0.00.
	{header: "工程量", kind: kindQty, width: 10, value: func(_ int, p *planning.Project) any { return nonZeroCents(p.Quantity) }},
	{header: "单位", width: 6, value: func(_ int, p *planning.Project) any { return p.Unit }},
	{header: "单价（万元）", kind: kindPrice, width: 10, value: func(_ int, p *planning.Project) any { return priceValue(p.UnitPriceWan) }},
	{header: "单价来源", width: 8, value: func(_ int, p *planning.Project) any { return priceSource(p.PriceSource) }},
	{header: "投资估算（万元）", kind: kindMoney, width: 12,
		value: func(_ int, p *planning.Project) any { return centsValue(cents(p.CostWan)) },
		total: func(t *totals) any { return centsValue(t.costCents) }},
	{header: "资金来源", width: 30, wrap: true, value: func(_ int, p *planning.Project) any { return fundingText(p.Funding) }},
	// A project's own 受益对象. Subtotal rows leave them empty: adding them
	// up counts a village's people once per project (issue 16 saw 86,479
	// 建档立卡 people in a county of 14,895); the label says what the rows
	// cover instead, each village's people once.
	{header: "受益户数", kind: kindInt, width: 9, value: func(_ int, p *planning.Project) any { return p.Households }},
	{header: "受益人数", kind: kindInt, width: 9, value: func(_ int, p *planning.Project) any { return p.Population }},
	{header: "其中建档立卡户数", kind: kindInt, width: 10, value: func(_ int, p *planning.Project) any { return p.PoorHouseholds }},
	{header: "其中建档立卡人数", kind: kindInt, width: 10, value: func(_ int, p *planning.Project) any { return p.PoorPopulation }},
	{header: "带贫减贫机制", width: 30, wrap: true, value: func(_ int, p *planning.Project) any { return p.Mechanism }},
	{header: "责任单位", width: 14, wrap: true, value: func(_ int, p *planning.Project) any { return p.ResponsibleUnit }},
	{header: "项目状态", width: 10, value: func(_ int, p *planning.Project) any { return p.Status }},
	{header: "计划开工", kind: kindDate, width: 11, value: func(_ int, p *planning.Project) any { return dateValue(p.PlannedStart) }},
	{header: "计划完工", kind: kindDate, width: 11, value: func(_ int, p *planning.Project) any { return dateValue(p.PlannedEnd) }},
	{header: "补短板维度", width: 8, value: func(_ int, p *planning.Project) any { return p.GapDimension }},
	{header: "对应指标", width: 14, wrap: true, value: func(_ int, p *planning.Project) any { return strings.Join(p.SourceIndicators, "、") }},
	{header: "补短板前缺口", kind: kindGap, width: 9, value: func(_ int, p *planning.Project) any { return gapValue(p.GapBefore) }},
	{header: "预计补短板后缺口", kind: kindGap, width: 9, value: func(_ int, p *planning.Project) any { return gapValue(p.GapAfter) }},
	{header: "出库理由", width: 20, wrap: true, value: func(_ int, p *planning.Project) any { return p.ExitReason }},
	{header: "未入选原因", width: 30, wrap: true, value: func(_ int, p *planning.Project) any { return planReason(p) }},
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

// Positions in columns that other code refers to.
const (
	colSeq  = 0 // subtotal labels go here
	colName = 3 // the label spans 序号..项目名称
)

func nonZero(n int) any {
	if n == 0 {
		return nil
	}
	return n
}

func nonZeroCents(x float64) any {
	c := cents(x)
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

func fundingText(fs []planning.Funding) string {
	parts := make([]string, 0, len(fs))
	for _, f := range fs {
		parts = append(parts, f.Source+" "+formatCents(cents(f.AmountWan)))
	}
	return strings.Join(parts, "；")
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
	s := fmt.Sprintf("（覆盖 %d 个村，建档立卡 %d 人", c.Villages, c.PoorPopulation)
	if c.Unknown > 0 {
		s += fmt.Sprintf("，另 %d 个村建档立卡人口暂无数据", c.Unknown)
	}
	if c.Unplaced > 0 {
		s += fmt.Sprintf("，%d 个项目未落到村", c.Unplaced)
	}
	return s + "）"
}

// rowOrder returns the indices of ps in table order: category in
// planning.Categories order (unknown ones after, by name), township code,
// 项目编号, ID. Sorting indices leaves the caller's slice alone.
func rowOrder(ps []planning.Project) []int {
	catIndex := make(map[string]int, len(planning.Categories))
	for i, c := range planning.Categories {
		catIndex[c] = i
	}
	rank := func(c string) int {
		if i, ok := catIndex[c]; ok {
			return i
		}
		return len(planning.Categories)
	}
	idx := make([]int, len(ps))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(i, j int) int {
		a, b := &ps[i], &ps[j]
		return cmp.Or(
			cmp.Compare(rank(a.Category), rank(b.Category)),
			strings.Compare(a.Category, b.Category),
			strings.Compare(a.TownshipCode, b.TownshipCode),
			strings.Compare(a.TownshipName, b.TownshipName),
			strings.Compare(a.Code, b.Code),
			cmp.Compare(a.ID, b.ID),
		)
	})
	return idx
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

// WriteCSV writes the same main table as CSV, UTF-8 with BOM (Excel
// opens Chinese correctly), no subtotal rows. Rows are in the XLSX order.
// 村代码 is written as its digits; Excel shows a 12-digit number in CSV as
// 4.30682E+11, which is why the XLSX export is the one for Excel users.
func WriteCSV(w io.Writer, ps []planning.Project, meta Meta) error {
	_ = meta // the CSV is the bare table: a title line would break CSV readers
	header := make([]string, len(columns))
	for i, c := range columns {
		header[i] = c.header
	}
	return writeCSV(w, header, func(yield func([]string) bool) {
		rec := make([]string, len(columns))
		for seq, i := range rowOrder(ps) {
			for j, c := range columns {
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
	levelCategory // 小计 by 项目类别
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

// WriteXLSX writes the standard 项目库 table: sheet 项目库 (the
// table with 小计 rows by 项目类别 and 乡镇 and a 合计 row, print-ready on
// landscape A3), sheet 绩效目标 (one row per project and target) and
// sheet 汇总 (totals by 项目类别 and by 乡镇, each village's people counted
// once) and, when meta.Needs is set, sheet 补充数据. Money is in 万元 rounded to
// 0.01, and every total is the sum of the rounded amounts shown. Values
// are literal, not formulas, so readers that do not calculate (GDAL,
// pandas) see the numbers. Sheets are streamed; the finished file is
// zipped in memory before it is written to w.
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
	for _, name := range []string{sheetTargets, sheetSummary} {
		if _, err := f.NewSheet(name); err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
	}
	f.SetActiveSheet(0)
	st := &styles{f: f, cache: map[styleKey]int{}}
	order := rowOrder(ps)
	byCat, byTown, grand, err := writeProjectsSheet(f, st, ps, order, meta)
	if err != nil {
		return fmt.Errorf("xlsx sheet %s: %w", sheetProjects, err)
	}
	if err := writeTargetsSheet(f, st, ps, order); err != nil {
		return fmt.Errorf("xlsx sheet %s: %w", sheetTargets, err)
	}
	if err := writeSummarySheet(f, st, byCat, byTown, grand); err != nil {
		return fmt.Errorf("xlsx sheet %s: %w", sheetSummary, err)
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

// writeProjectsSheet writes the 项目库 sheet and returns the totals the
// 汇总 sheet needs: by category in table order, by township in code order,
// and the grand total.
func writeProjectsSheet(f *excelize.File, st *styles, ps []planning.Project, order []int, meta Meta) (byCat, byTown []namedTotals, grand totals, err error) {
	const headerRowNum = 3
	if err = setupPrint(f, sheetProjects, "$1:$3"); err != nil {
		return
	}
	sw, err := f.NewStreamWriter(sheetProjects)
	if err != nil {
		return
	}
	ncol := len(columns)
	widths := make([]float64, ncol)
	for i, c := range columns {
		widths[i] = c.width
	}
	if err = setWidths(sw, widths); err != nil {
		return
	}
	if err = freezeRows(sw, headerRowNum); err != nil {
		return
	}
	lastCol, err := excelize.ColumnNumberToName(ncol)
	if err != nil {
		return
	}

	titleStyle, err := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true, Size: 16},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"},
	})
	if err != nil {
		return
	}
	infoStyle, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "center"}})
	if err != nil {
		return
	}
	if err = sw.SetRow("A1", []any{excelize.Cell{StyleID: titleStyle, Value: meta.title()}}, excelize.RowOpts{Height: 30}); err != nil {
		return
	}
	if err = sw.MergeCell("A1", lastCol+"1"); err != nil {
		return
	}
	if err = sw.SetRow("A2", []any{excelize.Cell{StyleID: infoStyle, Value: meta.infoLine()}}, excelize.RowOpts{Height: 20}); err != nil {
		return
	}
	if err = sw.MergeCell("A2", lastCol+"2"); err != nil {
		return
	}
	headers := make([]string, ncol)
	for i, c := range columns {
		headers[i] = c.header
	}
	hdr, err := headerRow(st, headers)
	if err != nil {
		return
	}
	if err = sw.SetRow(cellName(1, headerRowNum), hdr, excelize.RowOpts{Height: 36}); err != nil {
		return
	}

	// Data styles per column, looked up once rather than per cell.
	dataStyle := make([]int, ncol)
	for i, c := range columns {
		if dataStyle[i], err = st.id(levelData, c.kind, c.wrap); err != nil {
			return
		}
	}
	rowNum := headerRowNum
	row := make([]any, ncol)
	subtotal := func(level rowLevel, label string, t *totals) error {
		rowNum++
		for i, c := range columns {
			kind := c.kind
			var v any
			switch {
			case i == colSeq:
				kind, v = kindText, label+t.coverage()
			case c.total != nil:
				v = c.total(t)
			}
			id, err := st.id(level, kind, false)
			if err != nil {
				return err
			}
			row[i] = excelize.Cell{StyleID: id, Value: v}
		}
		if err := sw.SetRow(cellName(1, rowNum), row); err != nil {
			return err
		}
		// The label spans 序号..项目名称 so it prints inside one cell.
		return sw.MergeCell(cellName(colSeq+1, rowNum), cellName(colName+1, rowNum))
	}

	townTotals := map[townshipKey]*totals{}
	var cat, town totals
	var curCat string
	var curTown townshipKey
	for seq, i := range order {
		p := &ps[i]
		tk := townshipKey{p.TownshipCode, p.TownshipName}
		if seq > 0 && (p.Category != curCat || tk != curTown) {
			if err = subtotal(levelTownship, "小计："+categoryLabel(curCat)+" / "+curTown.label(), &town); err != nil {
				return
			}
			town = totals{}
		}
		if seq > 0 && p.Category != curCat {
			if err = subtotal(levelCategory, "小计："+categoryLabel(curCat), &cat); err != nil {
				return
			}
			byCat = append(byCat, namedTotals{categoryLabel(curCat), cat})
			cat = totals{}
		}
		curCat, curTown = p.Category, tk
		rowNum++
		for j, c := range columns {
			row[j] = excelize.Cell{StyleID: dataStyle[j], Value: c.value(seq+1, p)}
		}
		if err = sw.SetRow(cellName(1, rowNum), row); err != nil {
			return
		}
		town.add(p)
		cat.add(p)
		grand.add(p)
		tt := townTotals[tk]
		if tt == nil {
			tt = &totals{}
			townTotals[tk] = tt
		}
		tt.add(p)
	}
	if len(order) > 0 {
		if err = subtotal(levelTownship, "小计："+categoryLabel(curCat)+" / "+curTown.label(), &town); err != nil {
			return
		}
		if err = subtotal(levelCategory, "小计："+categoryLabel(curCat), &cat); err != nil {
			return
		}
		byCat = append(byCat, namedTotals{categoryLabel(curCat), cat})
	}
	if err = subtotal(levelTotal, "合计", &grand); err != nil {
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
		if err := put(levelData, "按项目类别", c.name, c.t); err != nil {
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
