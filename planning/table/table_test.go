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

// The 申报表's two header rows written out by hand, so a change to the
// columns has to be made on purpose here too. tableMeta's sources make
// 统筹整合涉农资金 a column; 社会帮扶, not in the list, goes to 其他资金来源.
var (
	wantUpperHeader = []string{"序号", "项目编号", "年度", "项目名称", "项目类型", "二级类型", "项目子类", "建设性质", "建设地点", "", "",
		"建设内容及规模", "工程量", "单位", "单价（万元）", "单价来源", "资金规模和筹资方式（万元）", "", "", "",
		"受益对象", "", "", "", "带贫减贫机制", "绩效目标", "责任单位", "项目状态", "实施期限"}
	wantLowerHeader = []string{"", "", "", "", "", "", "", "", "乡镇", "村", "村代码", "", "", "", "", "",
		"合计", "统筹整合涉农资金", "其他资金来源", "待落实", "受益户数", "受益人数", "其中建档立卡户数", "其中建档立卡人数",
		"", "", "", "", "计划开工", "计划完工"}
	// wantCSVHeader is the CSV's: the 申报表's columns, money named with
	// its unit, then the 评分依据's and the 出库理由.
	wantCSVHeader = []string{"序号", "项目编号", "年度", "项目名称", "项目类型", "二级类型", "项目子类", "建设性质", "乡镇", "村", "村代码",
		"建设内容及规模", "工程量", "单位", "单价（万元）", "单价来源", "投资估算（万元）", "统筹整合涉农资金（万元）", "其他资金来源（万元）",
		"待落实资金（万元）", "受益户数", "受益人数", "其中建档立卡户数", "其中建档立卡人数", "带贫减贫机制", "绩效目标", "责任单位", "项目状态",
		"计划开工", "计划完工", "项目类别", "补短板维度", "对应指标", "评分批次", "补短板前缺口", "补短板前缺口为空原因", "预计补短板后缺口",
		"预计补短板后缺口为空原因", "缺口下降×建档立卡人数", "未入选原因", "出库理由"}
)

// longVillageCode has more digits than a float64 holds exactly: it only
// survives if it is never turned into a number.
const longVillageCode = "4306821102059999012"

var tableMeta = Meta{
	County:      "临湘市",
	Period:      "2016—2020年",
	GeneratedAt: time.Date(2024, 5, 6, 9, 30, 0, 0, time.FixedZone("CST", 8*3600)),
	Filters:     "年度：2024；状态：全部",
	DataVersion: "run-17",
	Unit:        "临湘市乡村振兴局",
	Preparer:    "张三",
	Sources: []planning.FundSource{{Code: "central", Name: "中央财政专项扶贫资金"}, {Code: "integrated", Name: "统筹整合涉农资金"},
		{Code: "social", Name: "社会帮扶资金"}},
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
		Status:        planning.StateSurvey, Targets: []planning.Target{target("产出指标", "数量指标", "新建招呼站", "1 座"), satisfied},
		// Its run did not measure the village's 通路 gap.
		RunID: 17, GapDimension: planning.DimRoad})
	c := zq(planning.Project{ID: 2, Code: "430682-00002", Year: 2024, Name: "詹桥镇贺畈社区通组公路硬化工程",
		Category: planning.CatRoad, Subtype: "通组硬化路", Nature: "新建", VillageCode: "430682110002", VillageName: "贺畈社区",
		Quantity: 1.2, Unit: "km", UnitPriceWan: 50.0033, PriceSource: planning.SourceDerived, CostWan: 60.004,
		Beneficiaries: planning.Beneficiaries{Households: 80, Population: 300, PoorHouseholds: 20, PoorPopulation: 70},
		Status:        planning.StateSurvey, Targets: []planning.Target{target("产出指标", "数量指标", "新建硬化通组路", "≥1.20 km"), satisfied},
		// An edit of its 工程量 cleared its 缺口后 (migration 0038).
		RunID: 17, GapDimension: planning.DimRoad, GapBefore: gap(40), EstimateCleared: "项目 2 工程量（2024-05-01）"})
	d := yls(planning.Project{ID: 4, Code: "430682-00004", Name: "羊楼司镇梧桐铺社区管网延伸工程",
		Category: planning.CatWater, Subtype: "管网延伸", Nature: "扩建", VillageCode: "430682114003", VillageName: "梧桐铺社区",
		Quantity: 2.5, Unit: "km", UnitPriceWan: 12.2, PriceSource: planning.SourceCounty, CostWan: 30.5,
		Beneficiaries: planning.Beneficiaries{Households: 200, Population: 700, PoorHouseholds: 50, PoorPopulation: 160},
		Status:        planning.StateSurvey, Targets: []planning.Target{target("产出指标", "数量指标", "新建供水管网", "≥2.50 km"), satisfied},
		PlanReason: "超出预算：需 30.50 万元，剩余 2024 年 12.00 万元",
		// Scored, its 缺口后 never measured.
		RunID: 17, GapDimension: planning.DimWater, GapBefore: gap(30)})
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

// tableRow is one expected row of the 项目库 sheet as shown: the 序号 or
// label in column A, 工程量 and 单位, then 合计, 统筹整合涉农资金,
// 其他资金来源 and 待落实 (万元).
type tableRow struct{ a, qty, unit, cost, integrated, other, unfunded string }

// wantGapReasons are the 评分依据's 补短板前缺口, why it is empty,
// 预计补短板后缺口 and why it is empty, by 项目编号.
var wantGapReasons = map[string][4]string{
	"430682-00003": {"62.4", "", "0.0", ""},
	"430682-00002": {"40.0", "", "", "无预测：项目 2 工程量（2024-05-01）后预计缺口后已清除"},
	"430682-00004": {"30.0", "", "", "无预测：预计缺口后暂无数据"},
	"430682-00001": {"", "无数据：评分批次 17 没有测得该村的通路缺口（数据不足或未评分）", "", "无预测：补短板前缺口暂无数据"},
	"430682-00005": {"", "无数据：项目不是由评分生成的，没有评分批次", "", "无预测：补短板前缺口暂无数据"},
}

// wantTableRows are computed by hand from tableProjects, without the
// 已出库 00007. Subtotal rows leave the 受益 columns empty and say in their
// label which villages they cover, each village's people once (issue 16);
// 工程量 is subtotalled only where the rows share a 单位.
var wantTableRows = []tableRow{
	{"1", "1.20", "km", "60.00", "", "", "60.00"}, // 詹桥镇 00002, no 资金来源
	{"小计：农村基础设施·农村道路建设 / 詹桥镇（1 个项目，覆盖 1 个村，建档立卡 150 人）", "1.20", "km", "60.00", "0.00", "0.00", "60.00"},
	{"2", "1.00", "座", "12.35", "12.35", "", ""},         // 羊楼司镇 00001, 12.345 rounded up
	{"3", "2.30", "km", "115.00", "105.00", "10.00", ""}, // 羊楼司镇 00003
	{"小计：农村基础设施·农村道路建设 / 羊楼司镇（2 个项目，覆盖 2 个村，建档立卡 158 人）", "", "", "127.35", "117.35", "10.00", "0.00"},
	{"小计：农村基础设施·农村道路建设（3 个项目，覆盖 3 个村，建档立卡 308 人）", "", "", "187.35", "117.35", "10.00", "60.00"},
	{"4", "", "", "7.20", "", "", "7.20"},
	{"5", "100.00", "户", "15.00", "", "", "15.00"},
	{"小计：农村基础设施·农村饮水安全 / 詹桥镇（2 个项目，覆盖 2 个村，建档立卡 198 人）", "", "", "22.20", "0.00", "0.00", "22.20"},
	{"6", "2.50", "km", "30.50", "", "", "30.50"},
	{"小计：农村基础设施·农村饮水安全 / 羊楼司镇（1 个项目，覆盖 1 个村，建档立卡 160 人）", "2.50", "km", "30.50", "0.00", "0.00", "30.50"},
	{"小计：农村基础设施·农村饮水安全（3 个项目，覆盖 3 个村，建档立卡 358 人）", "", "", "52.70", "0.00", "0.00", "52.70"},
	{"合计（6 个项目，覆盖 5 个村，建档立卡 516 人）", "", "", "240.05", "117.35", "10.00", "112.70"},
}

// wantFormulas are the subtotal rows' formulas in 合计 (Q) and 工程量 (M),
// by row: each spans its group's rows, nested 小计 included (SUBTOTAL
// leaves those out).
var wantFormulas = map[string]string{
	"Q7": "SUBTOTAL(9,Q6:Q6)", "M7": "SUBTOTAL(9,M6:M6)",
	"Q10": "SUBTOTAL(9,Q8:Q9)", "M10": "",
	"Q11": "SUBTOTAL(9,Q6:Q10)", "R11": "SUBTOTAL(9,R6:R10)", "S11": "SUBTOTAL(9,S6:S10)", "T11": "SUBTOTAL(9,T6:T10)",
	"Q14": "SUBTOTAL(9,Q12:Q13)", "M14": "",
	"Q16": "SUBTOTAL(9,Q15:Q15)", "M16": "SUBTOTAL(9,M15:M15)",
	"Q17": "SUBTOTAL(9,Q12:Q16)",
	"Q18": "SUBTOTAL(9,Q6:Q17)", "R18": "SUBTOTAL(9,R6:R17)", "S18": "SUBTOTAL(9,S6:S17)", "T18": "SUBTOTAL(9,T6:T17)",
}

const wantTargetRows = 3 + 2 + 2 + 2 + 1 + 3 // 00007, 已出库, has none and is left out anyway

func TestProjectsXLSX(t *testing.T) {
	path := writeTableXLSX(t)
	f := openXLSX(t, path)
	if got, want := f.GetSheetList(), []string{"项目库", "绩效目标", "汇总", "评分依据", "已出库"}; !slices.Equal(got, want) {
		t.Fatalf("sheets = %q, want %q", got, want)
	}
	rows, err := f.GetRows("项目库")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rows[0][0], "临湘市2016—2020年脱贫攻坚项目库申报表"; got != want {
		t.Errorf("title = %q, want %q", got, want)
	}
	for _, want := range []string{"填报单位（盖章）：临湘市乡村振兴局", "填报人：张三", "审核人：", "填报日期：2024年5月6日"} {
		if !strings.Contains(rows[1][0], want) {
			t.Errorf("row 2 = %q, lacks %q", rows[1][0], want)
		}
	}
	if got, err := f.GetCellValue("项目库", "AB2"); err != nil || got != "单位：万元" {
		t.Errorf("AB2 = %q, %v; want the unit line 单位：万元", got, err)
	}
	for _, want := range []string{"生成时间：2024-05-06 09:30", "筛选条件：年度：2024；状态：全部", "数据版本：run-17"} {
		if !strings.Contains(rows[2][0], want) {
			t.Errorf("row 3 = %q, lacks %q", rows[2][0], want)
		}
	}
	if got := rows[3]; !slices.Equal(got, wantUpperHeader) {
		t.Errorf("header row 4 =\n%q\nwant\n%q", got, wantUpperHeader)
	}
	if got := rows[4]; !slices.Equal(got, wantLowerHeader) {
		t.Fatalf("header row 5 =\n%q\nwant\n%q", got, wantLowerHeader)
	}
	col := map[string]int{}
	for _, hs := range [][]string{wantUpperHeader, wantLowerHeader} {
		for i, h := range hs {
			if h != "" {
				col[h] = i
			}
		}
	}
	cell := func(r []string, header string) string {
		if i := col[header]; i < len(r) {
			return r[i]
		}
		return ""
	}

	// Rows in order, with subtotals and 合计 equal to the hand sums; the
	// 已出库 project is not among them.
	body := rows[5:]
	if len(body) != len(wantTableRows)+3+2 {
		t.Fatalf("%d rows below the header, want %d, 3 工程量 totals and a note", len(body), len(wantTableRows))
	}
	for i, want := range wantTableRows {
		r := body[i]
		got := tableRow{cell(r, "序号"), cell(r, "工程量"), cell(r, "单位"), cell(r, "合计"), cell(r, "统筹整合涉农资金"),
			cell(r, "其他资金来源"), cell(r, "待落实")}
		if got != want {
			t.Errorf("row %d = %+v, want %+v", i+6, got, want)
		}
	}
	if flat := strings.Join(flatten(rows), "|"); strings.Contains(flat, "430682-00007") || strings.Contains(flat, "单村供水") {
		t.Error("the 已出库 project is on the 项目库 sheet")
	}
	// Below the 合计, the 工程量 by 单位 over the visible project rows:
	// 1.20 + 2.30 + 2.50 km, 1 座, 100 户.
	for i, want := range [][2]string{{"合计工程量（km）", "6.00"}, {"合计工程量（座）", "1.00"}, {"合计工程量（户）", "100.00"}} {
		r := body[len(wantTableRows)+i]
		if got := [2]string{r[0], cell(r, "工程量")}; got != want {
			t.Errorf("row %d = %q, want %q", len(wantTableRows)+i+6, got, want)
		}
	}
	if got, _ := f.GetCellFormula("项目库", "M19"); got != `SUMPRODUCT(SUBTOTAL(9,OFFSET(M6,ROW(M6:M17)-ROW(M6),0)),--(N6:N17="km"),--(B6:B17<>""))` {
		t.Errorf("M19 formula %q", got)
	}
	note := body[len(body)-1][0]
	for _, want := range []string{"SUBTOTAL", "另有 1 个已出库项目列在“已出库”表，不计入本表"} {
		if !strings.Contains(note, want) {
			t.Errorf("note %q lacks %q", note, want)
		}
	}
	grand := body[len(wantTableRows)-1]
	for _, h := range []string{"受益户数", "受益人数", "其中建档立卡户数", "其中建档立卡人数"} {
		if got := cell(grand, h); got != "" {
			t.Errorf("合计 %s = %q, want it empty (a sum over projects counts people twice)", h, got)
		}
	}

	// Totals are formulas, not fixed numbers; each carries the value
	// shown, for readers that do not calculate.
	for ref, want := range wantFormulas {
		got, err := f.GetCellFormula("项目库", ref)
		if err != nil || got != want {
			t.Errorf("%s formula = %q, %v; want %q", ref, got, err, want)
		}
	}
	formulas := 0
	for r := 6; r <= 5+len(wantTableRows); r++ {
		for c := 1; c <= len(wantLowerHeader); c++ {
			ref, _ := excelize.CoordinatesToCellName(c, r)
			if fm, _ := f.GetCellFormula("项目库", ref); fm != "" {
				formulas++
				if !strings.HasPrefix(fm, "SUBTOTAL(9,") {
					t.Errorf("%s = %q, want a SUBTOTAL(9, …)", ref, fm)
				}
			}
		}
	}
	// 7 subtotal rows × 4 money columns, and 工程量 on the 2 rows of one 单位.
	if formulas != 7*4+2 {
		t.Errorf("%d formulas, want %d", formulas, 7*4+2)
	}
	// A data row: 项目 430682-00003 is 序号 3, the 4th row below the header.
	r := body[3]
	for h, want := range map[string]string{
		"项目编号":     "430682-00003",
		"年度":       "2024",
		"项目名称":     "羊楼司镇尖山社区通村公路硬化工程",
		"项目类型":     "农村基础设施",
		"二级类型":     "农村道路建设",
		"项目子类":     "通村硬化路",
		"乡镇":       "羊楼司镇",
		"村":        "尖山社区",
		"村代码":      "430682114001",
		"单价（万元）":   "50.00",
		"单价来源":     "估算",
		"受益户数":     "120",
		"其中建档立卡人数": "98",
		"绩效目标":     "硬化通村公路里程 ≥2.30 km；验收合格率 100%；受益群众满意度 ≥90%",
		"计划开工":     "2024-03-01",
		"计划完工":     "2024-10-31",
	} {
		if got := cell(r, h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	// Typed cells: 村代码 is a string, money and counts are numbers.
	rowNum := 5 + 4
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
	for _, h := range []string{"合计", "统筹整合涉农资金", "其他资金来源", "受益人数", "序号", "工程量"} {
		if ct := typeOf(h); !isNumber(ct) {
			t.Errorf("%s cell type %v, want a number", h, ct)
		}
	}
	raw, err := f.GetCellValue("项目库", "Q8", excelize.Options{RawCellValue: true}) // 12.345 stored as 12.35
	if err != nil || raw != "12.35" {
		t.Errorf("Q8 raw = %q, %v; want 12.35", raw, err)
	}
	// 单价 keeps up to four decimals (planning.RoundPrice), so that 工程量 ×
	// 单价 = 投资估算 holds for what is shown: 1.20 × 50.0033 = 60.00.
	if got := cell(body[0], "单价（万元）"); got != "50.0033" {
		t.Errorf("单价 50.0033 shown as %q", got)
	}

	// Freeze below the header; print on landscape A3, one page wide,
	// header rows repeated.
	panes, err := f.GetPanes("项目库")
	if err != nil {
		t.Fatal(err)
	}
	if !panes.Freeze || panes.YSplit != 5 || panes.TopLeftCell != "A6" {
		t.Errorf("panes = %+v, want frozen above A6", panes)
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
	if printTitles != "'项目库'!$1:$5" {
		t.Errorf("print titles = %q, want '项目库'!$1:$5", printTitles)
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
	for _, want := range []string{"A1:AD1", "AB2:AD2", "A4:A5", "I4:K4", "Q4:T4", "U4:X4", "AC4:AD4", "A7:D7"} {
		if !slices.Contains(merged, want) {
			t.Errorf("merged cells %q lack %s", merged, want)
		}
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

	// 汇总: by 项目类型, by township, 合计, without the 已出库 project.
	srows, err := f.GetRows("汇总")
	if err != nil {
		t.Fatal(err)
	}
	wantSummary := [][]string{
		{"汇总方式", "名称", "项目个数", "投资估算（万元）", "覆盖村数", "覆盖村建档立卡人口（每人计一次）", "建档立卡受益人次（各项目相加，同一人可计多次）"},
		{"按项目类型", "农村基础设施·农村道路建设", "3", "187.35", "3", "308", "193"},
		{"按项目类型", "农村基础设施·农村饮水安全", "3", "52.70", "3", "358", "289"},
		{"按乡镇", "詹桥镇", "3", "82.20", "2", "198", "199"},
		{"按乡镇", "羊楼司镇", "3", "157.85", "3", "318", "283"},
		{"合计", "", "6", "240.05", "5", "516", "482"},
	}
	if !slices.EqualFunc(srows, wantSummary, slices.Equal) {
		t.Errorf("汇总 =\n%q\nwant\n%q", srows, wantSummary)
	}

	// 评分依据: the scoring by 项目编号, none of it on the 申报表.
	brows, err := f.GetRows("评分依据")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := brows[0], []string{"项目编号", "项目名称", "项目类别", "补短板维度", "对应指标", "评分批次", "补短板前缺口", "补短板前缺口为空原因",
		"预计补短板后缺口", "预计补短板后缺口为空原因", "缺口下降×建档立卡人数", "未入选原因"}; !slices.Equal(got, want) {
		t.Errorf("评分依据 header = %q, want %q", got, want)
	}
	if len(brows) != 1+7 {
		t.Errorf("评分依据 has %d rows, want a header and 7 projects", len(brows))
	}
	if got, want := brows[3], []string{"430682-00003", "羊楼司镇尖山社区通村公路硬化工程", "基础设施-道路", "通路", "R1、R2", "", "62.4", "", "0.0", "", "6110.3"}; !slices.Equal(got, want) {
		t.Errorf("评分依据 of 00003 = %q, want %q", got, want) // 62.35 × 98 = 6110.3
	}
	// An empty gap is unknown, and says why beside it; a known one has no
	// reason.
	for _, r := range brows[1:] {
		for code, want := range wantGapReasons {
			if r[0] != code {
				continue
			}
			got := [4]string{}
			for i := range got {
				if j := 6 + i; j < len(r) {
					got[i] = r[j]
				}
			}
			if got != want {
				t.Errorf("评分依据 of %s: 缺口 and why empty = %q, want %q", code, got, want)
			}
		}
	}
	for _, h := range []string{"补短板维度", "对应指标", "补短板前缺口", "未入选原因", "出库理由", "项目类别"} {
		if slices.Contains(rows[3], h) || slices.Contains(rows[4], h) {
			t.Errorf("the 申报表 has the column %s", h)
		}
	}

	// 已出库: listed apart with the reason.
	wrows, err := f.GetRows("已出库")
	if err != nil {
		t.Fatal(err)
	}
	wantWithdrawn := [][]string{{"项目编号", "项目名称", "项目类型", "乡镇", "村", "村代码", "投资估算（万元）", "出库理由"},
		{"430682-00007", "=詹桥镇单村供水工程", "农村基础设施·农村饮水安全", "詹桥镇", "某村", longVillageCode, "8.89", "已由市级项目覆盖"}}
	if !slices.EqualFunc(wrows, wantWithdrawn, slices.Equal) {
		t.Errorf("已出库 = %q, want %q", wrows, wantWithdrawn)
	}
}

func flatten(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

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
	if err := WriteXLSX(&buf, nil, Meta{County: "临湘市", Period: "2024年"}); err != nil {
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
	if len(rows) != 8 || rows[0][0] != "临湘市2024年脱贫攻坚项目库申报表" || rows[5][0] != "合计（0 个项目，覆盖 0 个村，建档立卡 0 人）" ||
		rows[5][16] != "0.00" || !strings.Contains(rows[1][0], "填报人：　") {
		t.Errorf("empty library rows = %q, want title, signatures, info, two header rows, a zero 合计 and a note", rows)
	}
}

// TestProjectsXLSXWithOgrinfo reads the file with GDAL, a client that
// shares no code with excelize: it sees the formulas' values.
func TestProjectsXLSXWithOgrinfo(t *testing.T) {
	gdaltest.Tool(t, "ogrinfo")
	path := writeTableXLSX(t)
	run := func(args ...string) string {
		t.Helper()
		return gdaltest.Run(t, "ogrinfo", append(args, path)...)
	}
	summary := run("-ro", "-al", "-so")
	for _, want := range []string{"Layer name: 项目库", "Layer name: 绩效目标", "Layer name: 汇总", "Layer name: 评分依据", "Layer name: 已出库",
		"投资估算（万元）: Real", "项目个数: Integer", "补短板前缺口: Real", "补短板前缺口为空原因: String", "预计补短板后缺口为空原因: String"} {
		if !strings.Contains(summary, want) {
			t.Errorf("ogrinfo -so lacks %q:\n%s", want, summary)
		}
	}
	// The title rows above the header defeat GDAL's header guess on 项目库,
	// so check values there rather than field names.
	all := run("-ro", "-al")
	for _, want := range []string{"羊楼司镇尖山社区通村公路硬化工程", "临湘市交通运输局", "= 430682114001", "= " + longVillageCode,
		"小计：农村基础设施·农村道路建设 / 羊楼司镇", "= 187.35", "= 240.05", "= 112.7", "≥2.30 km", "已由市级项目覆盖",
		"预计补短板后缺口为空原因 (String) = " + wantGapReasons["430682-00002"][3]} {
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
	if want := strings.Join(wantCSVHeader, ","); firstLine != want {
		t.Errorf("header line =\n%s\nwant\n%s", firstLine, want)
	}
	recs, err := csv.NewReader(bytes.NewReader(b[len(bom):])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 7+1 {
		t.Fatalf("%d records, want 8 (header + 7 projects, 已出库 included, no subtotals)", len(recs))
	}
	idx := func(h string) int { return slices.Index(wantCSVHeader, h) }
	col := idx("投资估算（万元）")
	var got []string
	for _, r := range recs[1:] {
		if !twoDecimals.MatchString(r[col]) {
			t.Errorf("投资估算 %q not two decimals", r[col])
		}
		got = append(got, r[0]+":"+r[1]+":"+r[col]+":"+r[idx("项目状态")])
	}
	want := []string{"1:430682-00002:60.00:需求摸底", "2:430682-00001:12.35:需求摸底", "3:430682-00003:115.00:已入库", "4:430682-00005:7.20:需求摸底",
		"5:430682-00006:15.00:需求摸底", "6:430682-00007:8.89:已出库", "7:430682-00004:30.50:需求摸底"}
	if !slices.Equal(got, want) {
		t.Errorf("序号:项目编号:投资估算:项目状态 =\n%q\nwant\n%q", got, want)
	}
	if got := recs[1][idx("单价（万元）")]; got != "50.0033" {
		t.Errorf("CSV 单价 50.0033 written as %q", got)
	}
	a := recs[3]
	for h, want := range map[string]string{"村代码": "430682114001", "项目名称": "羊楼司镇尖山社区通村公路硬化工程",
		"项目类型": "农村基础设施", "二级类型": "农村道路建设", "统筹整合涉农资金（万元）": "105.00", "其他资金来源（万元）": "10.00",
		"待落实资金（万元）": "", "单价（万元）": "50.00", "工程量": "2.30", "单价来源": "估算",
		"计划开工": "2024-03-01", "补短板前缺口": "62.4", "项目类别": "基础设施-道路"} {
		if got := a[idx(h)]; got != want {
			t.Errorf("CSV %s = %q, want %q", h, got, want)
		}
	}
	// The 缺口 and why each is empty, as on the 评分依据 sheet.
	for _, r := range recs[1:] {
		want, ok := wantGapReasons[r[idx("项目编号")]]
		if !ok {
			continue
		}
		if got := [4]string{r[idx("补短板前缺口")], r[idx("补短板前缺口为空原因")], r[idx("预计补短板后缺口")], r[idx("预计补短板后缺口为空原因")]}; got != want {
			t.Errorf("CSV %s: 缺口 and why empty = %q, want %q", r[idx("项目编号")], got, want)
		}
	}
	if got := recs[1][idx("待落实资金（万元）")]; got != "60.00" {
		t.Errorf("CSV 待落实 of a project without 资金来源 = %q, want 60.00", got)
	}
	reason := idx("未入选原因")
	if got, want := recs[7][reason], "超出预算：需 30.50 万元，剩余 2024 年 12.00 万元"; got != want {
		t.Errorf("CSV 未入选原因 of the project without a year = %q, want %q", got, want)
	}
	if got := a[reason]; got != "" {
		t.Errorf("CSV 未入选原因 of a project with a year = %q, want it empty", got)
	}
	g := recs[6]
	if got := g[idx("村代码")]; got != longVillageCode {
		t.Errorf("CSV long 村代码 = %q, want %q", got, longVillageCode)
	}
	if got := g[idx("项目名称")]; got != "'=詹桥镇单村供水工程" {
		t.Errorf("CSV name starting with = is %q, want it quoted with an apostrophe", got)
	}
	if got := g[idx("出库理由")]; got != "已由市级项目覆盖" {
		t.Errorf("CSV 出库理由 = %q", got)
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

// TestFundColumns checks which 资金来源 get a column: with the county's
// list, the used ones in its order and 其他资金来源 for a name not in it;
// without one, the names in the order met. The sources and 待落实 add up
// to the cost on every row, over-funding included (negative 待落实).
func TestFundColumns(t *testing.T) {
	ps := []planning.Project{
		{CostWan: 10, Funding: []planning.Funding{{Source: " 社会帮扶资金", AmountWan: 3}, {Source: "自筹", AmountWan: 1}}},
		{CostWan: 5, Funding: []planning.Funding{{Source: "中央财政专项扶贫资金", AmountWan: 6}, {Source: "统筹整合涉农资金", AmountWan: 0}}},
	}
	order := []int{0, 1}
	sources := []planning.FundSource{{Name: "中央财政专项扶贫资金"}, {Name: "统筹整合涉农资金"}, {Name: "社会帮扶资金"}}
	fc := newFundColumns(sources, ps, order)
	if want := []string{"中央财政专项扶贫资金", "社会帮扶资金"}; !slices.Equal(fc.names, want) || !fc.other {
		t.Errorf("with the list: %q, other %v; want %q and other", fc.names, fc.other, want)
	}
	for i, want := range [][]int64{{0, 300, 100}, {600, 0, 0}} {
		split := fc.split(&ps[i])
		if !slices.Equal(split, want) {
			t.Errorf("project %d split %v, want %v", i, split, want)
		}
		var sum int64
		for _, c := range split {
			sum += c
		}
		if got := sum + fc.unfunded(&ps[i]); got != cents(ps[i].CostWan) {
			t.Errorf("project %d: sources and 待落实 add up to %d cents, cost %d", i, got, cents(ps[i].CostWan))
		}
	}
	if got := fc.unfunded(&ps[1]); got != -100 {
		t.Errorf("over-funded 待落实 = %d cents, want -100", got)
	}
	fc = newFundColumns(nil, ps, order)
	if want := []string{"社会帮扶资金", "自筹", "中央财政专项扶贫资金"}; !slices.Equal(fc.names, want) || fc.other {
		t.Errorf("without a list: %q, other %v; want %q", fc.names, fc.other, want)
	}
}
