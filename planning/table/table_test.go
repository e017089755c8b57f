package table

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gapmap/gapmap/data/gdaltest"
	"github.com/gapmap/gapmap/planning"
)

// wantProjectHeaders is the 项目库 column list written out by hand, so a
// change to columns has to be made on purpose here too.
var wantProjectHeaders = []string{"序号", "项目编号", "年度", "项目名称", "项目类别", "项目子类", "建设性质", "乡镇", "村", "村代码",
	"建设内容及规模", "工程量", "单位", "单价（万元）", "单价来源", "投资估算（万元）", "资金来源", "受益户数", "受益人数",
	"其中建档立卡户数", "其中建档立卡人数", "带贫减贫机制", "责任单位", "项目状态", "计划开工", "计划完工", "补短板维度", "对应指标",
	"补短板前缺口", "预计补短板后缺口", "出库理由", "未入选原因"}

// longVillageCode has more digits than a float64 holds exactly: it only
// survives if it is never turned into a number.
const longVillageCode = "4306821102059999012"

var tableMeta = Meta{
	County:      "临湘市",
	GeneratedAt: time.Date(2024, 5, 6, 9, 30, 0, 0, time.FixedZone("CST", 8*3600)),
	Filters:     "年度：2024；状态：全部",
	DataVersion: "run-17",
}

// tableProjects are seven projects in two categories and two townships
// (詹桥镇 430682110 sorts before 羊楼司镇 430682114), given out of table
// order. Costs 12.345 and 8.885 are stored in binary just below the half
// cent, so they test rounding of the decimal the user typed.
func tableProjects() []planning.Project {
	shanghai := time.FixedZone("CST", 8*3600)
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, shanghai) // midnight in China is the day before in UTC
	end := time.Date(2024, 10, 31, 0, 0, 0, 0, shanghai)
	gap := func(x float64) *float64 { return &x }
	yls := func(p planning.Project) planning.Project {
		p.TownshipCode, p.TownshipName = "430682114", "羊楼司镇"
		return p
	}
	zq := func(p planning.Project) planning.Project {
		p.TownshipCode, p.TownshipName = "430682110", "詹桥镇"
		return p
	}
	target := func(l1, l2, l3, v string) planning.Target {
		return planning.Target{Level1: l1, Level2: l2, Level3: l3, Value: v}
	}
	satisfied := target("满意度指标", "服务对象满意度指标", "受益群众满意度", "≥90%")
	a := yls(planning.Project{ID: 3, Code: "430682-00003", Year: 2024, Name: "羊楼司镇尖山社区通村公路硬化工程",
		Category: planning.CatRoad, Subtype: "通村硬化路", Nature: "改建", VillageCode: "430682114001", VillageName: "尖山社区",
		Content: "硬化村委会至乡镇驻地未硬化路段 2.30 km，路面宽 4.5 m", Quantity: 2.3, Unit: "km", UnitPriceWan: 50,
		PriceSource: planning.SourceEstimated, CostWan: 115,
		Funding:       []planning.Funding{{Source: "统筹整合涉农资金", AmountWan: 105}, {Source: "社会帮扶", AmountWan: 10}},
		Beneficiaries: planning.Beneficiaries{Households: 120, Population: 450, PoorHouseholds: 30, PoorPopulation: 98},
		Mechanism:     "吸纳建档立卡户务工，改善出行条件", ResponsibleUnit: "临湘市交通运输局", Status: planning.StateInLibrary,
		PlannedStart: &start, PlannedEnd: &end, GapDimension: planning.DimRoad, SourceIndicators: []string{"R1", "R2"},
		GapBefore: gap(62.35), GapAfter: gap(0), PlanReason: "超出预算（此后已安排年度，不再显示）",
		Targets: []planning.Target{target("产出指标", "数量指标", "硬化通村公路里程", "≥2.30 km"),
			target("产出指标", "质量指标", "验收合格率", "100%"), satisfied}})
	b := yls(planning.Project{ID: 1, Code: "430682-00001", Year: 2024, Name: "羊楼司镇中洲社区招呼站",
		Category: planning.CatRoad, Subtype: "招呼站", Nature: "新建", VillageCode: "430682114002", VillageName: "中洲社区",
		Content: "新建农村客运招呼站 1 座", Quantity: 1, Unit: "座", UnitPriceWan: 12.345, PriceSource: planning.SourceSourced,
		CostWan: 12.345, Funding: []planning.Funding{{Source: "统筹整合涉农资金", AmountWan: 12.345}},
		Beneficiaries: planning.Beneficiaries{Households: 40, Population: 150, PoorHouseholds: 8, PoorPopulation: 25},
		Status:        planning.StateSurvey, Targets: []planning.Target{target("产出指标", "数量指标", "新建招呼站", "1 座"), satisfied}})
	c := zq(planning.Project{ID: 2, Code: "430682-00002", Year: 2024, Name: "詹桥镇贺畈社区通组公路硬化工程",
		Category: planning.CatRoad, Subtype: "通组硬化路", Nature: "新建", VillageCode: "430682110002", VillageName: "贺畈社区",
		Quantity: 1.2, Unit: "km", UnitPriceWan: 50.0033, PriceSource: planning.SourceDerived, CostWan: 60.004,
		Beneficiaries: planning.Beneficiaries{Households: 80, Population: 300, PoorHouseholds: 20, PoorPopulation: 70},
		Status:        planning.StateSurvey, Targets: []planning.Target{target("产出指标", "数量指标", "新建硬化通组路", "≥1.20 km"), satisfied}})
	d := yls(planning.Project{ID: 4, Code: "430682-00004", Name: "羊楼司镇梧桐铺社区管网延伸工程",
		Category: planning.CatWater, Subtype: "管网延伸", Nature: "扩建", VillageCode: "430682114003", VillageName: "梧桐铺社区",
		Quantity: 2.5, Unit: "km", UnitPriceWan: 12.2, PriceSource: planning.SourceCounty, CostWan: 30.5,
		Beneficiaries: planning.Beneficiaries{Households: 200, Population: 700, PoorHouseholds: 50, PoorPopulation: 160},
		Status:        planning.StateSurvey, Targets: []planning.Target{target("产出指标", "数量指标", "新建供水管网", "≥2.50 km"), satisfied},
		PlanReason: "超出预算：需 30.50 万元，剩余 2024 年 12.00 万元"})
	e := zq(planning.Project{ID: 5, Code: "430682-00005", Name: "詹桥镇詹桥社区净化消毒设备",
		Category: planning.CatWater, Subtype: "净化消毒", Nature: "新建", VillageCode: "430682110001", VillageName: "詹桥社区",
		CostWan:       7.2,
		Beneficiaries: planning.Beneficiaries{Households: 60, Population: 210, PoorHouseholds: 15, PoorPopulation: 48},
		Status:        planning.StateSurvey, Targets: []planning.Target{satisfied}})
	f := zq(planning.Project{ID: 6, Code: "430682-00006", Name: "詹桥镇贺畈社区自来水入户",
		Category: planning.CatWater, Subtype: "入户", Nature: "新建", VillageCode: "430682110002", VillageName: "贺畈社区",
		Quantity: 100, Unit: "户", UnitPriceWan: 0.15, PriceSource: planning.SourceEstimated, CostWan: 15,
		Beneficiaries: planning.Beneficiaries{Households: 100, Population: 380, PoorHouseholds: 22, PoorPopulation: 81},
		Status:        planning.StateSurvey,
		Targets: []planning.Target{target("产出指标", "数量指标", "自来水入户", "100 户"),
			target("效益指标", "社会效益指标", "受益建档立卡人口", "81 人"), satisfied}})
	g := zq(planning.Project{ID: 7, Code: "430682-00007", Name: "=詹桥镇单村供水工程", // a name Excel would take for a formula
		Category: planning.CatWater, Subtype: "单村供水", Nature: "新建", VillageCode: longVillageCode, VillageName: "某村",
		CostWan:       8.885,
		Beneficiaries: planning.Beneficiaries{Households: 30, Population: 100, PoorHouseholds: 6, PoorPopulation: 19},
		Status:        planning.StateWithdrawn, ExitReason: "已由市级项目覆盖"})
	// The villages' own counts: 贺畈社区 has two projects (c and f) and
	// counts once in totals; 某村's 建档立卡 population is unknown.
	village := func(p planning.Project, poor int) planning.Project {
		hh, pop, poorHH := 400, 1500, poor/3
		p.Village = &planning.VillageCounts{Households: &hh, Population: &pop, PoorHouseholds: &poorHH, PoorPopulation: &poor}
		return p
	}
	a, b, c, d, e, f = village(a, 98), village(b, 60), village(c, 150), village(d, 160), village(e, 48), village(f, 150)
	g.Village = &planning.VillageCounts{}
	return []planning.Project{f, a, d, c, g, b, e}
}

// tableRow is one expected row of the 项目库 sheet: the 序号 or label in
// column A, 投资估算 and 其中建档立卡人数 as shown.
type tableRow struct{ a, cost, poorPop string }

// wantTableRows are computed by hand from tableProjects. Subtotal rows
// leave the 建档立卡 column empty and say in their label which villages they
// cover, each village's people once (issue 16: before, the 合计 added up
// every project's people, 501 here, though 贺畈社区's count twice).
var wantTableRows = []tableRow{
	{"1", "60.00", "70"}, // 詹桥镇 00002
	{"小计：基础设施-道路 / 詹桥镇（覆盖 1 个村，建档立卡 150 人）", "60.00", ""},
	{"2", "12.35", "25"},  // 羊楼司镇 00001, 12.345 rounded up
	{"3", "115.00", "98"}, // 羊楼司镇 00003
	{"小计：基础设施-道路 / 羊楼司镇（覆盖 2 个村，建档立卡 158 人）", "127.35", ""},
	{"小计：基础设施-道路（覆盖 3 个村，建档立卡 308 人）", "187.35", ""},
	{"4", "7.20", "48"},
	{"5", "15.00", "81"},
	{"6", "8.89", "19"}, // 8.885 rounded up
	{"小计：基础设施-饮水 / 詹桥镇（覆盖 3 个村，建档立卡 198 人，另 1 个村建档立卡人口暂无数据）", "31.09", ""},
	{"7", "30.50", "160"},
	{"小计：基础设施-饮水 / 羊楼司镇（覆盖 1 个村，建档立卡 160 人）", "30.50", ""},
	{"小计：基础设施-饮水（覆盖 4 个村，建档立卡 358 人，另 1 个村建档立卡人口暂无数据）", "61.59", ""},
	{"合计（覆盖 6 个村，建档立卡 516 人，另 1 个村建档立卡人口暂无数据）", "248.94", ""},
}

const wantTargetRows = 3 + 2 + 2 + 2 + 1 + 3 + 0

func writeTableXLSX(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "项目库.xlsx")
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, tableProjects(), tableMeta); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

func openXLSX(tb testing.TB, path string) *excelize.File {
	tb.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = f.Close() })
	return f
}

var twoDecimals = regexp.MustCompile(`^-?\d+\.\d{2}$`)

func TestProjectsXLSX(t *testing.T) {
	path := writeTableXLSX(t)
	f := openXLSX(t, path)
	if got, want := f.GetSheetList(), []string{"项目库", "绩效目标", "汇总"}; !slices.Equal(got, want) {
		t.Fatalf("sheets = %q, want %q", got, want)
	}
	rows, err := f.GetRows("项目库")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rows[0][0], "临湘市脱贫攻坚项目库"; got != want {
		t.Errorf("title = %q, want %q", got, want)
	}
	for _, want := range []string{"生成时间：2024-05-06 09:30", "筛选条件：年度：2024；状态：全部", "数据版本：run-17"} {
		if !strings.Contains(rows[1][0], want) {
			t.Errorf("row 2 = %q, lacks %q", rows[1][0], want)
		}
	}
	if got := rows[2]; !slices.Equal(got, wantProjectHeaders) {
		t.Fatalf("header row =\n%q\nwant\n%q", got, wantProjectHeaders)
	}
	col := map[string]int{}
	for i, h := range wantProjectHeaders {
		col[h] = i
	}
	cell := func(r []string, header string) string {
		if i := col[header]; i < len(r) {
			return r[i]
		}
		return ""
	}

	// Rows in order, with subtotals and 合计 equal to the hand sums.
	body := rows[3:]
	if len(body) != len(wantTableRows) {
		t.Fatalf("%d rows below the header, want %d", len(body), len(wantTableRows))
	}
	for i, want := range wantTableRows {
		r := body[i]
		got := tableRow{cell(r, "序号"), cell(r, "投资估算（万元）"), cell(r, "其中建档立卡人数")}
		if got != want {
			t.Errorf("row %d = %+v, want %+v", i+4, got, want)
		}
		if !twoDecimals.MatchString(got.cost) {
			t.Errorf("row %d: 投资估算 %q not two decimals", i+4, got.cost)
		}
	}
	grand := body[len(body)-1]
	for _, h := range []string{"受益户数", "受益人数", "其中建档立卡户数"} {
		if got := cell(grand, h); got != "" {
			t.Errorf("合计 %s = %q, want it empty (a sum over projects counts people twice)", h, got)
		}
	}

	// A data row: 项目 430682-00003 is 序号 3, the 4th row below the header.
	r := body[3]
	for h, want := range map[string]string{
		"项目编号":     "430682-00003",
		"年度":       "2024",
		"项目名称":     "羊楼司镇尖山社区通村公路硬化工程",
		"项目类别":     "基础设施-道路",
		"乡镇":       "羊楼司镇",
		"村":        "尖山社区",
		"村代码":      "430682114001",
		"工程量":      "2.30",
		"单价（万元）":   "50.00",
		"单价来源":     "估算",
		"投资估算（万元）": "115.00",
		"资金来源":     "统筹整合涉农资金 105.00；社会帮扶 10.00",
		"受益户数":     "120",
		"其中建档立卡人数": "98",
		"计划开工":     "2024-03-01",
		"计划完工":     "2024-10-31",
		"补短板维度":    "通路",
		"对应指标":     "R1、R2",
		"补短板前缺口":   "62.4",
		"预计补短板后缺口": "0.0",
	} {
		if got := cell(r, h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	// Typed cells: 村代码 is a string, money and counts are numbers.
	rowNum := 3 + 4
	typeOf := func(header string) excelize.CellType {
		name, _ := excelize.CoordinatesToCellName(col[header]+1, rowNum)
		ct, err := f.GetCellType("项目库", name)
		if err != nil {
			t.Fatal(err)
		}
		return ct
	}
	isNumber := func(ct excelize.CellType) bool { return ct == excelize.CellTypeNumber || ct == excelize.CellTypeUnset }
	if ct := typeOf("村代码"); ct != excelize.CellTypeInlineString && ct != excelize.CellTypeSharedString {
		t.Errorf("村代码 cell type %v, want a string", ct)
	}
	for _, h := range []string{"投资估算（万元）", "受益人数", "序号", "工程量"} {
		if ct := typeOf(h); !isNumber(ct) {
			t.Errorf("%s cell type %v, want a number", h, ct)
		}
	}
	raw, err := f.GetCellValue("项目库", "P6", excelize.Options{RawCellValue: true}) // 12.345 stored as 12.35
	if err != nil || raw != "12.35" {
		t.Errorf("P6 raw = %q, %v; want 12.35", raw, err)
	}
	if got := cell(body[8], "村代码"); got != longVillageCode {
		t.Errorf("long 村代码 = %q, want %q", got, longVillageCode)
	}
	// 单价 keeps up to four decimals (planning.RoundPrice), so that 工程量 ×
	// 单价 = 投资估算 holds for what is shown: 1.20 × 50.0033 = 60.00.
	if got := cell(body[0], "单价（万元）"); got != "50.0033" {
		t.Errorf("单价 50.0033 shown as %q", got)
	}
	if got := cell(body[2], "单价来源"); got != "有依据" {
		t.Errorf("sourced price shown as %q, want 有依据", got)
	}

	// Freeze below the header; print on landscape A3, one page wide,
	// header rows repeated.
	panes, err := f.GetPanes("项目库")
	if err != nil {
		t.Fatal(err)
	}
	if !panes.Freeze || panes.YSplit != 3 || panes.TopLeftCell != "A4" {
		t.Errorf("panes = %+v, want frozen above A4", panes)
	}
	pl, err := f.GetPageLayout("项目库")
	if err != nil {
		t.Fatal(err)
	}
	if pl.Orientation == nil || *pl.Orientation != "landscape" || pl.Size == nil || *pl.Size != 8 ||
		pl.FitToWidth == nil || *pl.FitToWidth != 1 {
		t.Errorf("page layout = %+v, want landscape A3 fit to 1 page wide", pl)
	}
	var printTitles string
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm.Print_Titles" && dn.Scope == "项目库" {
			printTitles = dn.RefersTo
		}
	}
	if printTitles != "'项目库'!$1:$3" {
		t.Errorf("print titles = %q, want '项目库'!$1:$3", printTitles)
	}
	for c, want := range map[string]float64{"D": 30, "J": 14, "K": 40} {
		if w, err := f.GetColWidth("项目库", c); err != nil || w != want {
			t.Errorf("column %s width = %v, %v; want %v", c, w, err, want)
		}
	}
	assertColsAscending(t, path)
	merges, err := f.GetMergeCells("项目库")
	if err != nil {
		t.Fatal(err)
	}
	var merged []string
	for _, m := range merges {
		merged = append(merged, m.GetStartAxis()+":"+m.GetEndAxis())
	}
	if !slices.Contains(merged, "A1:AF1") || !slices.Contains(merged, "A5:D5") {
		t.Errorf("merged cells %q lack the title A1:AF1 or the subtotal label A5:D5", merged)
	}

	// 绩效目标: one row per (project, target), header frozen.
	trows, err := f.GetRows("绩效目标")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := trows[0], []string{"项目编号", "项目名称", "一级指标", "二级指标", "三级指标", "指标值"}; !slices.Equal(got, want) {
		t.Errorf("绩效目标 header = %q, want %q", got, want)
	}
	if got := len(trows) - 1; got != wantTargetRows {
		t.Errorf("绩效目标 has %d rows, want %d", got, wantTargetRows)
	}
	if got, want := trows[1], []string{"430682-00002", "詹桥镇贺畈社区通组公路硬化工程", "产出指标", "数量指标", "新建硬化通组路", "≥1.20 km"}; !slices.Equal(got, want) {
		t.Errorf("first target = %q, want %q", got, want)
	}
	if p, err := f.GetPanes("绩效目标"); err != nil || !p.Freeze || p.YSplit != 1 {
		t.Errorf("绩效目标 panes = %+v, %v; want frozen below row 1", p, err)
	}

	// 汇总: by category, by township, 合计.
	srows, err := f.GetRows("汇总")
	if err != nil {
		t.Fatal(err)
	}
	// 覆盖村建档立卡人口 counts each village once (贺畈社区 150 once, not 70 +
	// 81 from its two projects); the projects' own figures stay, labelled
	// as 人次. Before issue 16 the one beneficiary column was the 人次 sum.
	wantSummary := [][]string{
		{"汇总方式", "名称", "项目个数", "投资估算（万元）", "覆盖村数", "覆盖村建档立卡人口（每人计一次）", "建档立卡受益人次（各项目相加，同一人可计多次）"},
		{"按项目类别", "基础设施-道路", "3", "187.35", "3", "308", "193"},
		{"按项目类别", "基础设施-饮水", "4", "61.59", "4", "358", "308"},
		{"按乡镇", "詹桥镇", "4", "91.09", "3", "198", "218"},
		{"按乡镇", "羊楼司镇", "3", "157.85", "3", "318", "283"},
		{"合计", "", "7", "248.94", "6", "516", "501"},
		{"注", "另有 1 个覆盖村建档立卡人口暂无数据，未计入覆盖村建档立卡人口"},
	}
	if len(srows) != len(wantSummary) {
		t.Fatalf("汇总 = %q, want %q", srows, wantSummary)
	}
	for i := range wantSummary {
		if !slices.Equal(srows[i], wantSummary[i]) {
			t.Errorf("汇总 row %d = %q, want %q", i+1, srows[i], wantSummary[i])
		}
	}
}

// assertColsAscending checks that each sheet lists its <col> widths in
// column order, which Excel requires.
func assertColsAscending(tb testing.TB, path string) {
	tb.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer zr.Close()
	colMin := regexp.MustCompile(`<col min="(\d+)"`)
	for _, zf := range zr.File {
		if !strings.HasPrefix(zf.Name, "xl/worksheets/sheet") {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			tb.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			tb.Fatal(err)
		}
		last := 0
		for _, m := range colMin.FindAllSubmatch(b, -1) {
			n, _ := strconv.Atoi(string(m[1]))
			if n <= last {
				tb.Errorf("%s: <col min=%d> after <col min=%d>", zf.Name, n, last)
			}
			last = n
		}
		if last == 0 {
			tb.Errorf("%s sets no column widths", zf.Name)
		}
	}
}

func TestProjectsXLSXEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, nil, Meta{County: "临湘市"}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("项目库")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[3][0] != "合计（覆盖 0 个村，建档立卡 0 人）" || rows[3][15] != "0.00" {
		t.Errorf("empty library rows = %q, want title, info, header and a zero 合计", rows)
	}
}

// TestProjectsXLSXWithOgrinfo reads the file with GDAL, a client that
// shares no code with excelize.
func TestProjectsXLSXWithOgrinfo(t *testing.T) {
	gdaltest.Tool(t, "ogrinfo")
	path := writeTableXLSX(t)
	run := func(args ...string) string {
		t.Helper()
		return gdaltest.Run(t, "ogrinfo", append(args, path)...)
	}
	summary := run("-ro", "-al", "-so")
	for _, want := range []string{"Layer name: 项目库", "Layer name: 绩效目标", "Layer name: 汇总",
		"投资估算（万元）: Real", "项目个数: Integer"} {
		if !strings.Contains(summary, want) {
			t.Errorf("ogrinfo -so lacks %q:\n%s", want, summary)
		}
	}
	// The title row above the header defeats GDAL's header guess on 项目库,
	// so check values there rather than field names.
	all := run("-ro", "-al")
	for _, want := range []string{"羊楼司镇尖山社区通村公路硬化工程", "统筹整合涉农资金 105.00；社会帮扶 10.00",
		"= 430682114001", "= " + longVillageCode, "小计：基础设施-道路 / 羊楼司镇", "= 187.35", "= 248.94", "≥2.30 km"} {
		if !strings.Contains(all, want) {
			t.Errorf("ogrinfo -al lacks %q", want)
		}
	}
	// Every 绩效目标 column is text, so GDAL's AUTO header guess (a text
	// row above a row with numbers) cannot tell the header from the data;
	// OGR_XLSX_HEADERS=FORCE is what a GDAL user sets for such a sheet
	// (GDAL 3.6's XLSX driver has no HEADERS open option).
	targets := gdaltest.Run(t, "ogrinfo", "-ro", "-so", "--config", "OGR_XLSX_HEADERS", "FORCE", path, "绩效目标")
	for _, want := range []string{"Feature Count: " + strconv.Itoa(wantTargetRows), "项目编号: String", "项目名称: String",
		"一级指标: String", "二级指标: String", "三级指标: String", "指标值: String"} {
		if !strings.Contains(targets, want) {
			t.Errorf("ogrinfo 绩效目标 lacks %q:\n%s", want, targets)
		}
	}
}

func TestProjectsCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, tableProjects(), tableMeta); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	bom := []byte("\xEF\xBB\xBF")
	if !bytes.HasPrefix(b, bom) {
		t.Fatalf("CSV starts % x, want the UTF-8 BOM", b[:min(3, len(b))])
	}
	firstLine, _, _ := strings.Cut(string(b[len(bom):]), "\r\n")
	if want := strings.Join(wantProjectHeaders, ","); firstLine != want {
		t.Errorf("header line =\n%s\nwant\n%s", firstLine, want)
	}
	recs, err := csv.NewReader(bytes.NewReader(b[len(bom):])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 7+1 {
		t.Fatalf("%d records, want 8 (header + 7 projects, no subtotals)", len(recs))
	}
	col := slices.Index(wantProjectHeaders, "投资估算（万元）")
	var got []string
	for _, r := range recs[1:] {
		if !twoDecimals.MatchString(r[col]) {
			t.Errorf("投资估算 %q not two decimals", r[col])
		}
		got = append(got, r[0]+":"+r[1]+":"+r[col])
	}
	want := []string{"1:430682-00002:60.00", "2:430682-00001:12.35", "3:430682-00003:115.00", "4:430682-00005:7.20",
		"5:430682-00006:15.00", "6:430682-00007:8.89", "7:430682-00004:30.50"}
	if !slices.Equal(got, want) {
		t.Errorf("序号:项目编号:投资估算 =\n%q\nwant\n%q", got, want)
	}
	if got := recs[1][slices.Index(wantProjectHeaders, "单价（万元）")]; got != "50.0033" {
		t.Errorf("CSV 单价 50.0033 written as %q", got)
	}
	a := recs[3]
	for h, want := range map[string]string{"村代码": "430682114001", "项目名称": "羊楼司镇尖山社区通村公路硬化工程",
		"资金来源": "统筹整合涉农资金 105.00；社会帮扶 10.00", "单价（万元）": "50.00", "工程量": "2.30", "单价来源": "估算",
		"计划开工": "2024-03-01", "补短板前缺口": "62.4"} {
		if got := a[slices.Index(wantProjectHeaders, h)]; got != want {
			t.Errorf("CSV %s = %q, want %q", h, got, want)
		}
	}
	reason := slices.Index(wantProjectHeaders, "未入选原因")
	if got, want := recs[7][reason], "超出预算：需 30.50 万元，剩余 2024 年 12.00 万元"; got != want {
		t.Errorf("CSV 未入选原因 of the project without a year = %q, want %q", got, want)
	}
	if got := a[reason]; got != "" {
		t.Errorf("CSV 未入选原因 of a project with a year = %q, want it empty", got)
	}
	g := recs[6]
	if got := g[slices.Index(wantProjectHeaders, "村代码")]; got != longVillageCode {
		t.Errorf("CSV long 村代码 = %q, want %q", got, longVillageCode)
	}
	if got := g[slices.Index(wantProjectHeaders, "项目名称")]; got != "'=詹桥镇单村供水工程" {
		t.Errorf("CSV name starting with = is %q, want it quoted with an apostrophe", got)
	}
}

func TestProjectsTableRounding(t *testing.T) {
	cases := []struct {
		x      float64
		places int
		want   int64
	}{
		{1.005, 2, 101}, {8.885, 2, 889}, {12.345, 2, 1235}, {2.675, 2, 268}, {-1.005, 2, -101},
		{0.004999, 2, 0}, {115, 2, 11500}, {1e-7, 2, 0}, {62.35, 1, 624}, {0.05, 1, 1}, {99999999.995, 2, 10000000000},
	}
	for _, tc := range cases {
		if got := roundScaled(tc.x, tc.places); got != tc.want {
			t.Errorf("roundScaled(%v, %d) = %d, want %d", tc.x, tc.places, got, tc.want)
		}
	}
}
