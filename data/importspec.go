package data

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// An import spec says, per layer, which fields a file may carry, what
// counties call them, and how their values are spelled. It is the only
// list of importable fields: the staging table, the column mapping, the
// report and the export columns all come from it. Ranges, enumerations and
// code formats are NOT repeated here: imports evaluate the table's own
// CHECK constraints against every staged row (see imports.go), so the
// schema stays the single source of those rules.

// fieldKind is how a file value is parsed before it is staged.
type fieldKind int

const (
	kText fieldKind = iota
	kCode           // digits kept as text: 430682101001, never 4.30682101001e+11
	kInt
	kFloat
	kBool
	kDate
	kTextList // 1路;2路 → text[]
)

// importField is one column a file may fill.
type importField struct {
	Column  string    // staging column: a table column, or a reference resolved in SQL (village_code, parent_code, works_name)
	Title   string    // Chinese name, for reports and exports
	Kind    fieldKind //
	Aliases []string  // what counties call it, compared after normalise
	// Values spells the allowed values' common variants (after
	// normaliseValue); a value that is neither allowed nor an alias is left
	// for the CHECK constraint to reject with the allowed list.
	Values map[string]string
	// Units are suffixes stripped from numbers: "6.5m", "10kV", "100千瓦".
	Units []string
	// Highest takes the largest of a list such as OSM's voltage
	// "220000;110000" (a substation's primary side).
	Highest bool
}

// geomRole says how the file's geometry fills the table's geometry
// columns.
type geomRole int

const (
	roleLine     geomRole = iota // LineString; a MultiLineString is split into one row per part
	rolePoint                    // Point; a polygon gives its point on surface, with a warning
	roleArea                     // MultiPolygon outline (counties)
	roleSeat                     // point column + optional outline: a polygon fills the outline and its point on surface the point
	roleAny                      // stored as given (reservoirs: point or polygon; projects)
	roleOptional                 // like roleAny, but a row may have no geometry (projects)
)

// importSpec is one importable layer.
type importSpec struct {
	Table     string
	Role      geomRole
	PointCol  string // rolePoint, roleSeat: the point column
	AreaCol   string // roleArea, roleSeat: the outline column
	Key       []string
	Fields    []importField
	Reference []string // resolved columns the SQL fills from references: village_id, parent_id, works_id
}

// Common aliases, shared by several layers.
var (
	nameAliases  = []string{"name", "名称", "名字", "mc"}
	yearAliases  = []string{"year", "年份", "建成年份", "建设年份", "建成年度", "投运年份", "nf"}
	villageCodes = []string{"village_code", "村代码", "行政村代码", "所属村代码", "村编码"}
	extAliases   = []string{"ext_id", "id", "objectid", "osm_id", "要素编号", "唯一编号", "uid"}
	voltValues   = map[string]string{"220v": "0.22", "380v": "0.4", "400v": "0.4", "0.38": "0.4", "10000": "10", "35000": "35", "110000": "110", "220000": "220", "500000": "500"}
	kvUnits      = []string{"kv", "千伏"}
)

var townshipCode = importField{Column: "township_code", Title: "乡镇代码", Kind: kCode, Aliases: []string{"township_code", "乡镇代码", "乡镇编码", "所属乡镇代码", "乡镇区划代码", "xzdm"}}
var extID = importField{Column: "ext_id", Title: "要素编号", Aliases: extAliases}

var importSpecs = map[string]*importSpec{
	"counties": {Table: "counties", Role: roleArea, AreaCol: "outline", Key: []string{"code"}, Fields: []importField{
		{Column: "code", Title: "县代码", Kind: kCode, Aliases: []string{"code", "adcode", "县代码", "区划代码", "行政区划代码", "县级代码"}},
		{Column: "name", Title: "县名称", Aliases: append([]string{"县名", "县名称", "区县名称"}, nameAliases...)},
		extID,
	}},
	"townships": {Table: "townships", Role: roleSeat, PointCol: "seat", AreaCol: "outline", Key: []string{"code"}, Fields: []importField{
		{Column: "code", Title: "乡镇代码", Kind: kCode, Aliases: []string{"code", "township_code", "乡镇代码", "乡镇编码", "区划代码", "统计用区划代码"}},
		{Column: "county_code", Title: "县代码", Kind: kCode, Aliases: []string{"county_code", "县代码", "所属县代码"}},
		{Column: "name", Title: "乡镇名称", Aliases: append([]string{"township_name", "乡镇名称", "乡镇名", "乡镇"}, nameAliases...)},
		extID,
	}},
	"villages": {Table: "villages", Role: roleSeat, PointCol: "office", AreaCol: "outline", Key: []string{"code", "code_year"}, Reference: []string{"parent_id"}, Fields: []importField{
		{Column: "code", Title: "村代码", Kind: kCode, Aliases: []string{"code", "village_code", "村代码", "行政村代码", "村编码", "区划代码", "统计用区划代码", "cdm"}},
		{Column: "code_year", Title: "代码年份", Kind: kInt, Aliases: []string{"code_year", "代码年份", "区划代码年份"}},
		{Column: "name", Title: "村名称", Aliases: append([]string{"village_name", "村名称", "村名", "行政村名称", "行政村", "村庄名称"}, nameAliases...)},
		townshipCode,
		{Column: "kind", Title: "类型", Aliases: []string{"kind", "类型", "村类型", "单位类型"},
			Values: map[string]string{"村": "行政村", "村委会": "行政村", "居委会": "社区", "社区居委会": "社区", "自然村组": "自然村", "组": "村民组", "村小组": "村民组"}},
		{Column: "parent_code", Title: "所属行政村代码", Kind: kCode, Aliases: []string{"parent_code", "所属行政村代码", "所属村代码", "上级代码"}},
		{Column: "households", Title: "总户数", Kind: kInt, Aliases: []string{"households", "总户数", "户数", "户籍户数"}, Units: []string{"户"}},
		{Column: "population", Title: "总人口", Kind: kInt, Aliases: []string{"population", "总人口", "人口", "户籍人口", "人口数"}, Units: []string{"人"}},
		{Column: "is_poor_village", Title: "是否贫困村", Kind: kBool, Aliases: []string{"is_poor_village", "是否贫困村", "贫困村", "建档立卡贫困村"}},
		{Column: "poor_households", Title: "建档立卡贫困户数", Kind: kInt, Aliases: []string{"poor_households", "建档立卡贫困户数", "贫困户数", "建档立卡户数", "贫困户"}, Units: []string{"户"}},
		{Column: "poor_population", Title: "建档立卡贫困人口", Kind: kInt, Aliases: []string{"poor_population", "建档立卡贫困人口", "贫困人口", "贫困人口数", "建档立卡人数"}, Units: []string{"人"}},
		{Column: "exit_year", Title: "脱贫年份", Kind: kInt, Aliases: []string{"exit_year", "脱贫年份", "出列年份", "计划出列年份", "退出年份"}, Units: []string{"年"}},
		extID,
	}},
	"roads": {Table: "roads", Role: roleLine, Key: []string{"ext_id"}, Fields: []importField{
		{Column: "name", Title: "道路名称", Aliases: append([]string{"道路名称", "路线名称", "路名", "公路名称", "lxmc"}, nameAliases...)},
		{Column: "ref", Title: "路线编号", Aliases: []string{"ref", "路线编号", "路线代码", "线路编号", "lxbm", "lxdm", "route_code"}},
		{Column: "grade", Title: "行政等级", Aliases: []string{"grade", "行政等级", "道路等级", "公路等级", "路线等级", "等级", "xzdj", "highway_class"},
			Values: map[string]string{"高速公路": "高速", "g": "国道", "国道公路": "国道", "s": "省道", "x": "县道", "y": "乡道", "c": "村道", "z": "专用",
				"县乡道": "县道", "村级公路": "村道", "通村公路": "村道", "村公路": "村道", "村组道路": "通组路", "通组公路": "通组路", "组道": "通组路", "组级公路": "通组路", "专用公路": "专用"}},
		{Column: "surface", Title: "路面类型", Aliases: []string{"surface", "路面类型", "路面", "面层类型", "路面材料", "路面结构", "lmlx"},
			Values: map[string]string{"沥青混凝土": "沥青", "沥青路面": "沥青", "柏油": "沥青", "柏油路": "沥青", "沥青砼": "沥青", "asphalt": "沥青",
				"水泥混凝土": "水泥", "水泥路面": "水泥", "水泥砼": "水泥", "砼": "水泥", "混凝土": "水泥", "水泥路": "水泥", "concrete": "水泥",
				"碎石": "砂石", "泥结碎石": "砂石", "砂砾": "砂石", "级配碎石": "砂石", "砂石路": "砂石", "石渣": "砂石", "gravel": "砂石",
				"土路": "土", "泥土": "土", "土质": "土", "无路面": "土", "泥结": "土", "dirt": "土"}},
		{Column: "width_m", Title: "路面宽度（米）", Kind: kFloat, Aliases: []string{"width_m", "路面宽度", "路面宽", "宽度", "lmkd", "width"}, Units: []string{"m", "米"}},
		{Column: "year", Title: "建成年份", Kind: kInt, Aliases: yearAliases, Units: []string{"年"}},
		extID,
	}},
	"bridges": {Table: "bridges", Role: rolePoint, PointCol: "geom", Key: []string{"ext_id"}, Fields: []importField{
		{Column: "name", Title: "桥梁名称", Aliases: append([]string{"桥梁名称", "桥名", "qlmc"}, nameAliases...)},
		{Column: "road_ref", Title: "所在路线编号", Aliases: []string{"road_ref", "路线编号", "所在路线", "路线代码"}},
		{Column: "length_m", Title: "桥长（米）", Kind: kFloat, Aliases: []string{"length_m", "桥长", "桥梁全长", "全长", "长度"}, Units: []string{"m", "米"}},
		{Column: "condition_class", Title: "技术状况等级", Kind: kInt, Aliases: []string{"condition_class", "技术状况等级", "技术状况", "评定等级", "桥梁等级"},
			Values: map[string]string{"一类": "1", "二类": "2", "三类": "3", "四类": "4", "五类": "5", "1类": "1", "2类": "2", "3类": "3", "4类": "4", "5类": "5"}},
		{Column: "is_dangerous", Title: "是否危桥", Kind: kBool, Aliases: []string{"is_dangerous", "是否危桥", "危桥"}},
		extID,
	}},
	"bus_stops": {Table: "bus_stops", Role: rolePoint, PointCol: "geom", Key: []string{"ext_id"}, Fields: []importField{
		{Column: "name", Title: "站点名称", Aliases: append([]string{"站点名称", "站名", "招呼站名称"}, nameAliases...)},
		{Column: "routes", Title: "经停线路", Kind: kTextList, Aliases: []string{"routes", "经停线路", "线路", "客运线路", "班线"}},
		extID,
	}},
	"reservoirs": {Table: "reservoirs", Role: roleAny, Key: []string{"ext_id"}, Fields: []importField{
		{Column: "name", Title: "水库名称", Aliases: append([]string{"水库名称", "水库名", "skmc"}, nameAliases...)},
		{Column: "scale", Title: "工程规模", Aliases: []string{"scale", "工程规模", "规模", "水库规模", "规模等级"},
			Values: map[string]string{"大一型": "大(1)型", "大ⅰ型": "大(1)型", "大1型": "大(1)型", "大二型": "大(2)型", "大ⅱ型": "大(2)型", "大2型": "大(2)型", "中": "中型",
				"小一型": "小(1)型", "小ⅰ型": "小(1)型", "小1型": "小(1)型", "小二型": "小(2)型", "小ⅱ型": "小(2)型", "小2型": "小(2)型"}},
		{Column: "capacity_wan_m3", Title: "总库容（万m³）", Kind: kFloat, Aliases: []string{"capacity_wan_m3", "总库容", "库容", "总库容万m3", "总库容万立方米"}, Units: []string{"万m3", "万m³", "万立方米"}},
		{Column: "is_drinking_source", Title: "是否饮用水水源", Kind: kBool, Aliases: []string{"is_drinking_source", "是否饮用水水源", "饮用水水源", "是否水源地"}},
		{Column: "safety_status", Title: "安全状况", Aliases: []string{"safety_status", "安全状况", "安全鉴定结论", "病险情况"},
			Values: map[string]string{"病险水库": "病险", "三类坝": "病险", "已加固": "已除险加固", "除险加固": "已除险加固", "已除险": "已除险加固"}},
		{Column: "safety_year", Title: "除险加固年份", Kind: kInt, Aliases: []string{"safety_year", "除险加固年份", "加固年份"}, Units: []string{"年"}},
		extID,
	}},
	"water_works": {Table: "water_works", Role: rolePoint, PointCol: "geom", Key: []string{"ext_id"}, Fields: []importField{
		{Column: "name", Title: "工程名称", Aliases: append([]string{"工程名称", "水厂名称", "供水工程名称"}, nameAliases...)},
		{Column: "kind", Title: "工程类型", Aliases: []string{"kind", "工程类型", "类型", "供水方式"},
			Values: map[string]string{"城镇": "城镇水厂", "乡镇": "乡镇水厂", "单村": "单村供水", "单村供水工程": "单村供水", "分散": "分散供水", "分散式": "分散供水", "集中供水": "乡镇水厂"}},
		{Column: "design_m3_per_day", Title: "设计供水规模（m³/d）", Kind: kFloat, Aliases: []string{"design_m3_per_day", "设计供水规模", "供水规模", "设计规模"}, Units: []string{"m3/d", "m³/d", "吨/日", "立方米/日", "t/d"}},
		{Column: "population_served", Title: "供水人口", Kind: kInt, Aliases: []string{"population_served", "供水人口", "受益人口", "设计供水人口"}, Units: []string{"人"}},
		{Column: "last_test_date", Title: "最近水质检测日期", Kind: kDate, Aliases: []string{"last_test_date", "最近水质检测日期", "水质检测日期", "检测日期"}},
		{Column: "last_test_passed", Title: "水质是否达标", Kind: kBool, Aliases: []string{"last_test_passed", "水质是否达标", "水质达标", "检测结果", "是否达标"}},
		{Column: "guarantee_pct", Title: "供水保证率（%）", Kind: kFloat, Aliases: []string{"guarantee_pct", "供水保证率", "保证率"}, Units: []string{"%"}},
		extID,
	}},
	"water_mains": {Table: "water_mains", Role: roleLine, Key: []string{"ext_id"}, Reference: []string{"works_id"}, Fields: []importField{
		{Column: "works_name", Title: "所属供水工程", Aliases: []string{"works_name", "所属供水工程", "所属水厂", "水厂名称", "供水工程"}},
		{Column: "diameter_mm", Title: "管径（mm）", Kind: kInt, Aliases: []string{"diameter_mm", "管径", "管径mm", "口径", "dn"}, Units: []string{"mm", "毫米"}},
		extID,
	}},
	"substations": {Table: "substations", Role: rolePoint, PointCol: "geom", Key: []string{"ext_id"}, Fields: []importField{
		{Column: "name", Title: "变电站名称", Aliases: append([]string{"变电站名称", "站名", "变电站"}, nameAliases...)},
		{Column: "voltage_kv", Title: "电压等级（kV）", Kind: kFloat, Aliases: []string{"voltage_kv", "电压等级", "电压", "voltage", "max_kv"}, Values: voltValues, Units: kvUnits, Highest: true},
		{Column: "secondary_kv", Title: "次级电压（kV）", Kind: kFloat, Aliases: []string{"secondary_kv", "次级电压", "二次电压", "中压侧电压"}, Values: voltValues, Units: kvUnits},
		{Column: "capacity_mva", Title: "主变容量（MVA）", Kind: kFloat, Aliases: []string{"capacity_mva", "主变容量", "容量", "变电容量"}, Units: []string{"mva", "兆伏安"}},
		extID,
	}},
	"power_lines": {Table: "power_lines", Role: roleLine, Key: []string{"ext_id"}, Fields: []importField{
		{Column: "name", Title: "线路名称", Aliases: append([]string{"线路名称", "线路名", "xlmc"}, nameAliases...)},
		{Column: "voltage_kv", Title: "电压等级（kV）", Kind: kFloat, Aliases: []string{"voltage_kv", "电压等级", "电压", "voltage"}, Values: voltValues, Units: kvUnits, Highest: true},
		{Column: "phases", Title: "相数", Kind: kInt, Aliases: []string{"phases", "相数", "相别"}, Values: map[string]string{"单相": "1", "三相": "3"}},
		{Column: "feeder", Title: "所属馈线", Aliases: []string{"feeder", "所属馈线", "馈线", "所属线路", "馈线名称"}},
		extID,
	}},
	"transformers": {Table: "transformers", Role: rolePoint, PointCol: "geom", Key: []string{"ext_id"}, Reference: []string{"village_id"}, Fields: []importField{
		{Column: "name", Title: "配变名称", Aliases: append([]string{"配变名称", "台区名称", "变压器名称", "台区"}, nameAliases...)},
		{Column: "kva", Title: "容量（kVA）", Kind: kFloat, Aliases: []string{"kva", "容量", "配变容量", "额定容量", "变压器容量"}, Units: []string{"kva", "千伏安"}},
		{Column: "primary_kv", Title: "一次电压（kV）", Kind: kFloat, Aliases: []string{"primary_kv", "一次电压", "高压侧电压"}, Values: voltValues, Units: kvUnits},
		{Column: "secondary_kv", Title: "二次电压（kV）", Kind: kFloat, Aliases: []string{"secondary_kv", "二次电压", "低压侧电压"}, Values: voltValues, Units: kvUnits},
		{Column: "phases", Title: "相数", Kind: kInt, Aliases: []string{"phases", "相数"}, Values: map[string]string{"单相": "1", "三相": "3"}},
		{Column: "households_served", Title: "供电户数", Kind: kInt, Aliases: []string{"households_served", "供电户数", "用户数", "户数"}, Units: []string{"户"}},
		{Column: "feeder", Title: "所属馈线", Aliases: []string{"feeder", "所属馈线", "馈线", "所属线路"}},
		{Column: "village_code", Title: "所在村代码", Kind: kCode, Aliases: villageCodes},
		extID,
	}},
	"pv_stations": {Table: "pv_stations", Role: rolePoint, PointCol: "geom", Key: []string{"ext_id"}, Reference: []string{"village_id"}, Fields: []importField{
		{Column: "name", Title: "电站名称", Aliases: append([]string{"电站名称", "光伏电站名称", "项目名称"}, nameAliases...)},
		{Column: "kw", Title: "装机容量（kW）", Kind: kFloat, Aliases: []string{"kw", "装机容量", "容量", "规模"}, Units: []string{"kwp", "kw", "千瓦"}},
		{Column: "type", Title: "电站类型", Aliases: []string{"type", "电站类型", "类型", "建设模式"},
			Values: map[string]string{"村级电站": "村级", "村级光伏": "村级", "村级光伏电站": "村级", "户用光伏": "户用", "户用电站": "户用", "集中式电站": "集中式", "集中": "集中式", "地面电站": "集中式"}},
		{Column: "grid_connected", Title: "是否并网", Kind: kBool, Aliases: []string{"grid_connected", "是否并网", "并网", "并网状态"}},
		{Column: "village_code", Title: "所在村代码", Kind: kCode, Aliases: villageCodes},
		{Column: "year", Title: "建成年份", Kind: kInt, Aliases: yearAliases, Units: []string{"年"}},
		extID,
	}},
	"tourism_sites": {Table: "tourism_sites", Role: rolePoint, PointCol: "geom", Key: []string{"ext_id"}, Reference: []string{"village_id"}, Fields: []importField{
		{Column: "name", Title: "景点名称", Aliases: append([]string{"景点名称", "景区名称", "景区"}, nameAliases...)},
		{Column: "a_level", Title: "A级", Kind: kInt, Aliases: []string{"a_level", "a级", "等级", "景区等级"},
			Values: map[string]string{"a": "1", "aa": "2", "aaa": "3", "aaaa": "4", "aaaaa": "5", "1a": "1", "2a": "2", "3a": "3", "4a": "4", "5a": "5", "未评级": "0", "无": "0"}},
		{Column: "kind", Title: "类型", Aliases: []string{"kind", "类型", "景点类型", "资源类型"}},
		{Column: "village_code", Title: "所在村代码", Kind: kCode, Aliases: villageCodes},
		extID,
	}},
	"projects": {Table: "projects", Role: roleOptional, Key: []string{"code"}, Reference: []string{"village_id"}, Fields: []importField{
		{Column: "code", Title: "项目编号", Kind: kCode, Aliases: []string{"code", "项目编号", "项目代码", "编号"}},
		{Column: "year", Title: "年度", Kind: kInt, Aliases: []string{"year", "年度", "实施年度", "计划年度"}, Units: []string{"年"}},
		{Column: "name", Title: "项目名称", Aliases: append([]string{"项目名称"}, nameAliases...)},
		{Column: "category", Title: "项目类别", Aliases: []string{"category", "项目类别", "项目类型", "类别"}},
		{Column: "subtype", Title: "子类", Aliases: []string{"subtype", "子类", "建设类型"}},
		{Column: "nature", Title: "建设性质", Aliases: []string{"nature", "建设性质"}},
		townshipCode,
		{Column: "village_code", Title: "所在村代码", Kind: kCode, Aliases: villageCodes},
		{Column: "content", Title: "建设内容及规模", Aliases: []string{"content", "建设内容及规模", "建设内容", "建设规模"}},
		{Column: "quantity", Title: "数量", Kind: kFloat, Aliases: []string{"quantity", "数量", "工程量"}},
		{Column: "unit", Title: "单位", Aliases: []string{"unit", "单位", "计量单位"}},
		{Column: "unit_price_wan", Title: "单价（万元）", Kind: kFloat, Aliases: []string{"unit_price_wan", "单价", "单价万元"}, Units: []string{"万元"}},
		{Column: "cost_wan", Title: "总投资（万元）", Kind: kFloat, Aliases: []string{"cost_wan", "总投资", "投资", "资金规模", "总投资万元", "资金规模万元"}, Units: []string{"万元"}},
		{Column: "beneficiary_households", Title: "受益户数", Kind: kInt, Aliases: []string{"beneficiary_households", "受益户数", "受益总户数"}, Units: []string{"户"}},
		{Column: "beneficiary_population", Title: "受益人口", Kind: kInt, Aliases: []string{"beneficiary_population", "受益人口", "受益总人口", "受益人数"}, Units: []string{"人"}},
		{Column: "beneficiary_poor_households", Title: "受益贫困户数", Kind: kInt, Aliases: []string{"beneficiary_poor_households", "受益贫困户数", "受益建档立卡户数"}, Units: []string{"户"}},
		{Column: "beneficiary_poor_population", Title: "受益贫困人口", Kind: kInt, Aliases: []string{"beneficiary_poor_population", "受益贫困人口", "受益建档立卡人口"}, Units: []string{"人"}},
		{Column: "responsible_unit", Title: "责任单位", Aliases: []string{"responsible_unit", "责任单位", "实施单位", "主管部门"}},
		{Column: "planned_start", Title: "计划开工", Kind: kDate, Aliases: []string{"planned_start", "计划开工", "开工时间", "计划开工时间"}},
		{Column: "planned_end", Title: "计划完工", Kind: kDate, Aliases: []string{"planned_end", "计划完工", "完工时间", "计划完工时间"}},
		extID,
	}},
}

// importLayers lists the importable layers in the order users read them.
func importLayers() []string {
	out := make([]string, 0, len(importSpecs))
	for _, l := range layers {
		if importSpecs[l.table] != nil {
			out = append(out, l.table)
		}
	}
	return out
}

// field returns the spec's field for a staging column.
func (s *importSpec) field(col string) *importField {
	for i := range s.Fields {
		if s.Fields[i].Column == col {
			return &s.Fields[i]
		}
	}
	return nil
}

// normaliseName folds a column name for matching: full-width to
// half-width, lower case, and without spaces, underscores, dashes or a unit
// in brackets ("路面宽度(m)", "路面宽度（米）" and "LMKD" all match).
func normaliseName(s string) string {
	s = width.Fold.String(strings.TrimSpace(s))
	if i := strings.IndexAny(s, "(["); i > 0 {
		s = s[:i]
	}
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsSpace(r) || r == '_' || r == '-' || r == '.' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// normaliseValue folds a value for alias matching: full-width to
// half-width, trimmed, lower case, inner spaces removed.
func normaliseValue(s string) string {
	if isNormal(s) { // most values; the folding costs a microsecond each
		return s
	}
	s = width.Fold.String(strings.TrimSpace(s))
	return strings.ToLower(strings.Join(strings.Fields(s), ""))
}

// isNormal reports whether normaliseValue would leave s as it is: no
// space, no upper case, nothing width.Fold changes (the full-width and
// half-width forms, the ideographic space, the half-width won sign).
func isNormal(s string) bool {
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			if 'A' <= r && r <= 'Z' || r == ' ' || '\t' <= r && r <= '\r' {
				return false
			}
		case r == utf8.RuneError, r == 0x3000, r == 0x20A9, 0xFF00 <= r && r <= 0xFFEF, unicode.IsSpace(r), unicode.ToLower(r) != r:
			return false
		}
	}
	return true
}
