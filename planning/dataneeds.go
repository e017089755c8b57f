package planning

import (
	"context"
	"slices"
	"strings"
)

// The 补充数据 list: per village, which missing data would decide which
// indicator (its status is no_data), and which missing data keeps a measured
// gap from being sized into a project. A bureau surveys from it; no project
// is ever generated from missing data.

// Purposes of a data need.
const (
	PurposeJudge = "判定指标"   // the indicator is no_data: the data would decide pass or fail
	PurposeSize  = "测算项目规模" // the indicator fails, but its project cannot be sized
)

// DataItem is one piece of data to collect: a layer and, when one field
// settles it, the field. Layer and Field are the catalogue's table and
// column ("" when gapmap has no layer for it yet); the titles are Chinese.
type DataItem struct {
	Layer      string `json:"layer,omitempty"`
	LayerTitle string `json:"layer_title"`
	Field      string `json:"field,omitempty"`
	FieldTitle string `json:"field_title,omitempty"`
}

// Label is the item as the table and the CLI print it: 道路·路面类型.
func (d DataItem) Label() string {
	if d.FieldTitle == "" {
		return d.LayerTitle
	}
	return d.LayerTitle + "·" + d.FieldTitle
}

// DataNeed is one indicator of one village that missing data leaves
// undecided (PurposeJudge) or unsized (PurposeSize).
type DataNeed struct {
	Indicator string     `json:"indicator"` // "R1" … "P2"; "" for a need outside the indicators (a bridge's length)
	Name      string     `json:"name"`      // the indicator's Chinese name
	Dimension string     `json:"dimension"`
	Status    string     `json:"status"`  // the indicator's status: no_data, or fail when unsized
	Reason    string     `json:"reason"`  // the stored note: why it is undecided
	Purpose   string     `json:"purpose"` // PurposeJudge or PurposeSize
	Settle    []DataItem `json:"settle"`  // the data that would settle it
}

// VillageNeeds are the data needs of one village.
type VillageNeeds struct {
	Code           string     `json:"code"`
	Name           string     `json:"name"`
	TownshipCode   string     `json:"township_code"`
	TownshipName   string     `json:"township_name"`
	IsPoor         bool       `json:"is_poor_village"`
	PoorPopulation *int       `json:"poor_population"` // nil: unknown
	Needs          []DataNeed `json:"needs"`
}

// The data items the rules below and the generator name. Layer and field
// names are the catalogue's (data/catalog); a test holds them to it.
var (
	itemRoads          = DataItem{Layer: "roads", LayerTitle: "道路", FieldTitle: "线位"}
	itemRoadSurface    = DataItem{Layer: "roads", LayerTitle: "道路", Field: "surface", FieldTitle: "路面类型"}
	itemRoadWidth      = DataItem{Layer: "roads", LayerTitle: "道路", Field: "width_m", FieldTitle: "路面宽度（米）"}
	itemSeat           = DataItem{Layer: "townships", LayerTitle: "乡镇", FieldTitle: "驻地位置"}
	itemGroups         = DataItem{Layer: "villages", LayerTitle: "村", FieldTitle: "自然村/村民组位置"}
	itemOffice         = DataItem{Layer: "villages", LayerTitle: "村", FieldTitle: "村委会位置"}
	itemHouseholds     = DataItem{Layer: "villages", LayerTitle: "村", Field: "households", FieldTitle: "总户数"}
	itemPopulation     = DataItem{Layer: "villages", LayerTitle: "村", Field: "population", FieldTitle: "总人口"}
	itemPoorHouseholds = DataItem{Layer: "villages", LayerTitle: "村", Field: "poor_households", FieldTitle: "建档立卡贫困户数"}
	itemBusStops       = DataItem{Layer: "bus_stops", LayerTitle: "客运站点", FieldTitle: "站点位置"}
	itemBusRoutes      = DataItem{Layer: "bus_stops", LayerTitle: "客运站点", Field: "routes", FieldTitle: "经停线路"}
	itemBusService     = DataItem{Layer: "bus_stops", LayerTitle: "客运站点", Field: "service", FieldTitle: "有无班车"}
	itemBridgeLength   = DataItem{Layer: "bridges", LayerTitle: "桥梁", Field: "length_m", FieldTitle: "桥长（米）"}
	itemWorks          = DataItem{Layer: "water_works", LayerTitle: "供水工程", FieldTitle: "工程位置"}
	itemWorksDesign    = DataItem{Layer: "water_works", LayerTitle: "供水工程", Field: "design_m3_per_day", FieldTitle: "设计供水规模（m³/d）"}
	itemWorksServed    = DataItem{Layer: "water_works", LayerTitle: "供水工程", Field: "population_served", FieldTitle: "供水人口"}
	itemWorksTested    = DataItem{Layer: "water_works", LayerTitle: "供水工程", Field: "last_test_passed", FieldTitle: "水质是否达标"}
	itemWorksTestDate  = DataItem{Layer: "water_works", LayerTitle: "供水工程", Field: "last_test_date", FieldTitle: "最近水质检测日期"}
	itemWorksGuarantee = DataItem{Layer: "water_works", LayerTitle: "供水工程", Field: "guarantee_pct", FieldTitle: "供水保证率（%）"}
	itemMains          = DataItem{Layer: "water_mains", LayerTitle: "供水管网", FieldTitle: "管线位置"}
	itemCarry          = DataItem{LayerTitle: "未入户人口取水点及取水距离（暂无对应图层）"}
	itemTransformers   = DataItem{Layer: "transformers", LayerTitle: "配电变压器", FieldTitle: "位置及所在村（台区）"}
	itemTransformerKVA = DataItem{Layer: "transformers", LayerTitle: "配电变压器", Field: "kva", FieldTitle: "容量（kVA）"}
	itemThreePhase     = DataItem{Layer: "power_lines", LayerTitle: "电力线路", Field: "phases", FieldTitle: "相数"}
	itemFeeder         = DataItem{Layer: "power_lines", LayerTitle: "电力线路", Field: "feeder", FieldTitle: "所属馈线"}
	itemLine10kV       = DataItem{Layer: "power_lines", LayerTitle: "电力线路", Field: "voltage_kv", FieldTitle: "电压等级（kV）"}
	itemReliability    = DataItem{LayerTitle: "10 kV 馈线供电可靠率、综合电压合格率统计（暂无对应图层）"}
	itemWells          = DataItem{LayerTitle: "机井及通电情况（暂无对应图层）"}
	itemPVStations     = DataItem{Layer: "pv_stations", LayerTitle: "光伏电站", Field: "kw", FieldTitle: "装机容量（kW）"}
)

// indicatorInfo is what the 补充数据 list knows of an indicator: its Chinese
// name and the data that settles it. rules are tried in order against the
// stored note (the reason it is no_data, which names the missing input);
// the first whose words all appear wins, else settle applies. size lists
// the village fields its projects are sized from: a measured failure with
// one of them unknown cannot become a project.
type indicatorInfo struct {
	name   string
	dim    string
	rules  []noteRule
	settle []DataItem
	size   []DataItem
}

type noteRule struct {
	words []string
	items []DataItem
}

// indicators is the one table the 补充数据 list is derived from, by indicator
// id (domain.md §2–5).
var indicators = map[string]indicatorInfo{
	"R1": {name: "建制村通硬化路", dim: DimRoad, rules: []noteRule{
		{[]string{"路面"}, []DataItem{itemRoadSurface}},
		{[]string{"道路数据"}, []DataItem{itemRoads, itemRoadSurface}},
		{[]string{"驻地"}, []DataItem{itemSeat, itemRoads}},
	}, settle: []DataItem{itemRoads, itemRoadSurface}},
	"R2": {name: "较大自然村通硬化路率", dim: DimRoad, rules: []noteRule{
		{[]string{"路面"}, []DataItem{itemRoadSurface}},
		{[]string{"道路数据"}, []DataItem{itemRoads, itemRoadSurface}},
		{[]string{"户数"}, []DataItem{itemHouseholds}},
	}, settle: []DataItem{itemGroups, itemHouseholds}},
	"R3": {name: "通乡镇道路窄路比例", dim: DimRoad, rules: []noteRule{
		{[]string{"R1"}, []DataItem{itemRoadSurface, itemRoads}},
	}, settle: []DataItem{itemRoadWidth}},
	"R4": {name: "通客车", dim: DimRoad, rules: []noteRule{
		{[]string{"有无班车"}, []DataItem{itemBusService, itemBusRoutes}},
		{[]string{"线路"}, []DataItem{itemBusRoutes}},
		{[]string{"班车"}, []DataItem{itemBusRoutes}},
	}, settle: []DataItem{itemBusStops, itemBusRoutes}},
	"R5": {name: "全天候道路可达人口比例", dim: DimRoad, rules: []noteRule{
		{[]string{"路面"}, []DataItem{itemRoadSurface}},
		{[]string{"道路数据"}, []DataItem{itemRoads, itemRoadSurface}},
	}, settle: []DataItem{itemGroups, itemPopulation}},
	"W1": {name: "水量", dim: DimWater, rules: []noteRule{
		{[]string{"供水人口"}, []DataItem{itemWorksServed}},
		{[]string{"设计"}, []DataItem{itemWorksDesign}},
	}, settle: []DataItem{itemWorks, itemMains, itemWorksDesign, itemWorksServed}, size: []DataItem{itemPopulation}},
	"W2": {name: "水质", dim: DimWater, rules: []noteRule{
		{[]string{"日期"}, []DataItem{itemWorksTestDate}},
	}, settle: []DataItem{itemWorksTested, itemWorksTestDate}},
	"W3": {name: "用水方便", dim: DimWater, settle: []DataItem{itemCarry}},
	"W4": {name: "供水保证率", dim: DimWater, settle: []DataItem{itemWorksGuarantee}},
	"W5": {name: "自来水入户率", dim: DimWater, rules: []noteRule{
		{[]string{"户数"}, []DataItem{itemHouseholds}},
	}, settle: []DataItem{itemMains, itemHouseholds}, size: []DataItem{itemPopulation, itemHouseholds}},
	"E1": {name: "户均配变容量", dim: DimGrid, rules: []noteRule{
		{[]string{"户数"}, []DataItem{itemHouseholds}},
		{[]string{"台区"}, []DataItem{itemTransformers}},
		{[]string{"容量"}, []DataItem{itemTransformerKVA}},
	}, settle: []DataItem{itemTransformers, itemTransformerKVA}, size: []DataItem{itemHouseholds}},
	"E2": {name: "动力电（三相 380 V）", dim: DimGrid, settle: []DataItem{itemThreePhase}},
	"E3": {name: "供电可靠率/综合电压合格率", dim: DimGrid, settle: []DataItem{itemReliability}},
	"E4": {name: "供电半径", dim: DimGrid, settle: []DataItem{itemFeeder, itemTransformers}},
	"E5": {name: "机井通电", dim: DimGrid, settle: []DataItem{itemWells}},
	"P1": {name: "贫困户户均光伏装机", dim: DimPV, rules: []noteRule{
		{[]string{"贫困户"}, []DataItem{itemPoorHouseholds}},
	}, settle: []DataItem{itemPVStations, itemPoorHouseholds}},
	"P2": {name: "贫困户户均光伏收益", dim: DimPV, rules: []noteRule{
		{[]string{"贫困户"}, []DataItem{itemPoorHouseholds}},
	}, settle: []DataItem{itemPVStations, itemPoorHouseholds}},
}

// DataItems lists every piece of data the 补充数据 list can ask for: the
// table's and the generator's.
func DataItems() []DataItem {
	items := []DataItem{itemOffice, itemRoads, itemRoadSurface, itemPopulation, itemHouseholds, itemTransformerKVA, itemLine10kV, itemBridgeLength}
	for _, id := range IndicatorIDs {
		info := indicators[id]
		items = append(items, info.settle...)
		items = append(items, info.size...)
		for _, r := range info.rules {
			items = append(items, r.items...)
		}
	}
	return items
}

// IndicatorIDs lists the indicators in display order.
var IndicatorIDs = []string{"R1", "R2", "R3", "R4", "R5", "W1", "W2", "W3", "W4", "W5", "E1", "E2", "E3", "E4", "E5", "P1", "P2"}

// IndicatorName is the Chinese name of indicator id ("" if unknown).
func IndicatorName(id string) string { return indicators[id].name }

// SettleData returns the data that would settle indicator id, given the
// reason (note) it is no_data.
func SettleData(id, note string) []DataItem {
	// A 未定位 village's spatial indicators wait on its 村委会 first: with
	// no location, no road, works or line decides them, and listing those
	// would send a bureau to survey layers it may already have.
	if note == NoteUnlocated {
		return []DataItem{itemOffice}
	}
	info := indicators[id]
	for _, r := range info.rules {
		all := true
		for _, w := range r.words {
			all = all && strings.Contains(note, w)
		}
		if all {
			return r.items
		}
	}
	return info.settle
}

// SizingField is a village field a failing indicator's project is sized
// from; DataNeedStore finds the failures where it is unknown.
type SizingField struct {
	Indicator string
	Field     string // a villages column: households, population
}

// SizingFields lists, from the one table, every (indicator, village field)
// a project is sized from.
func SizingFields() []SizingField {
	var out []SizingField
	for _, id := range IndicatorIDs {
		for _, it := range indicators[id].size {
			out = append(out, SizingField{Indicator: id, Field: it.Field})
		}
	}
	return out
}

func sizingItem(field string) DataItem {
	for _, id := range IndicatorIDs {
		for _, it := range indicators[id].size {
			if it.Field == field {
				return it
			}
		}
	}
	return DataItem{}
}

// DataNeedFilter selects the 补充数据 list.
type DataNeedFilter struct {
	RunID     int64  // 0: the latest run
	Township  string // township code or name
	Village   string // 12-digit village code
	Dimension string // one of Dimensions; "" for all
	Limit     int    // villages per page; 0: all (exports)
	Offset    int
}

// Validate checks f, naming the bad parameter in Chinese.
func (f DataNeedFilter) Validate() error {
	switch {
	case f.Dimension != "" && !slices.Contains(Dimensions, f.Dimension):
		return Errorf(EInvalid, "dimension 参数 %q 无效；可用：%v", f.Dimension, Dimensions)
	case f.Limit < 0 || f.Limit > MaxPageSize || f.Offset < 0:
		return Errorf(EInvalid, "分页参数无效：limit 须在 1–%d 之间，offset 不能为负", MaxPageSize)
	}
	return nil
}

// DataNeedRow is one stored indicator of one village that the list holds:
// no_data, or a failure whose sizing field (MissingField) is unknown.
type DataNeedRow struct {
	Village      VillageNeeds // without Needs
	Indicator    string
	Dimension    string
	Status       string
	Note         string
	MissingField string // for a failure: the unknown village field
}

// DataNeedPage is one page of the 补充数据 list.
type DataNeedPage struct {
	RunID    int64          `json:"run_id"`
	Total    int            `json:"total"` // villages with needs that match
	Needs    int            `json:"needs"` // their needs in all
	Villages []VillageNeeds `json:"villages"`
}

// DataNeedStore reads the stored indicators the list is built from.
type DataNeedStore interface {
	// DataNeedRows returns the rows of the villages on the page of f (the
	// run resolved: f.RunID is set), in township and village code order,
	// indicators in id order, with the number of matching villages and
	// rows in all. sizing lists the failures whose unknown village field
	// makes a row.
	DataNeedRows(ctx context.Context, f DataNeedFilter, sizing []SizingField) (rows []DataNeedRow, villages, needs int, err error)
}

// DataNeeds builds one page of the 补充数据 list from the stored indicators
// of a run (the latest when f.RunID is 0).
func DataNeeds(ctx context.Context, store interface {
	DataNeedStore
	LatestRun(ctx context.Context) (Run, error)
}, f DataNeedFilter) (DataNeedPage, error) {
	if err := f.Validate(); err != nil {
		return DataNeedPage{}, err
	}
	if f.RunID == 0 {
		run, err := store.LatestRun(ctx)
		if err != nil {
			return DataNeedPage{}, err
		}
		f.RunID = run.ID
	}
	rows, villages, needs, err := store.DataNeedRows(ctx, f, SizingFields())
	if err != nil {
		return DataNeedPage{}, err
	}
	page := DataNeedPage{RunID: f.RunID, Total: villages, Needs: needs, Villages: []VillageNeeds{}}
	for _, r := range rows {
		n := len(page.Villages)
		if n == 0 || page.Villages[n-1].Code != r.Village.Code {
			v := r.Village
			v.Needs = nil
			page.Villages = append(page.Villages, v)
			n++
		}
		page.Villages[n-1].Needs = append(page.Villages[n-1].Needs, NeedOf(r))
	}
	return page, nil
}

// NeedOf turns a stored row into its need.
func NeedOf(r DataNeedRow) DataNeed {
	d := DataNeed{Indicator: r.Indicator, Name: IndicatorName(r.Indicator), Dimension: r.Dimension, Status: r.Status,
		Reason: r.Note}
	if r.Status == StatusNoData {
		d.Purpose, d.Settle = PurposeJudge, SettleData(r.Indicator, r.Note)
	} else {
		it := sizingItem(r.MissingField)
		d.Purpose, d.Settle = PurposeSize, []DataItem{it}
		d.Reason = strings.TrimSuffix(r.Note, "。") + "；" + it.FieldTitle + "暂无数据，无法测算项目规模"
	}
	return d
}
