package catalog

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gapmap/gapmap/planning"
)

// Ranges, enumerations and code formats are not repeated here: imports
// evaluate the table's own CHECK constraints against every staged row, so
// the schema stays the single source of those rules. A field's Check only
// says the rule in words.

// Common aliases, shared by several layers.
var (
	nameAliases  = []string{"name", "名称", "名字", "mc"}
	yearAliases  = []string{"year", "年份", "建成年份", "建设年份", "建成年度", "投运年份", "nf"}
	villageCodes = []string{"village_code", "村代码", "行政村代码", "所属村代码", "村编码"}
	extAliases   = []string{"ext_id", "id", "objectid", "osm_id", "要素编号", "唯一编号", "uid", "fid", "gid", "eid"}
	voltValues   = map[string]string{"220v": "0.22", "380v": "0.4", "400v": "0.4", "0.38": "0.4", "10000": "10", "35000": "35", "110000": "110", "220000": "220", "500000": "500"}
	kvUnits      = []string{"kv", "千伏"}
)

// Fields shared by several layers.
var (
	townshipCode = Field{Column: "township_code", Title: "乡镇代码", Kind: Code, Aliases: []string{"township_code", "乡镇代码", "乡镇编码", "所属乡镇代码", "乡镇区划代码", "xzdm"}}
	// ExtID is the identifier a feature has in its file (an OSM
	// "way/123", a bureau's 编号), which every layer keeps.
	ExtID = Field{Column: "ext_id", Title: "要素编号", Aliases: extAliases}
	// SourceKey names the dataset a feature's ext_id belongs to: an id is
	// unique within its source only (two ArcGIS exports both number their
	// features OBJECTID 1..n). The import fills it from --source, else the
	// file's name without extension, or "osm"; exports write it, so that
	// an exported file re-imported with --mode upsert updates its rows.
	SourceKey = Field{Column: "source_key", Title: "来源数据集", Aliases: []string{"source_key", "来源数据集"},
		Check: "有要素编号的记录必须有来源数据集（不能为空）"}
	// ExtKey is the key of a layer whose features are identified by their
	// file's ids: the id within its source (see SourceKey). Callers must
	// not modify it.
	ExtKey      = []string{"source_key", "ext_id"}
	villageCode = Field{Column: "village_code", Title: "所在村代码", Kind: Code, Aliases: villageCodes,
		Read: "(SELECT v.code FROM villages v WHERE v.id = x.village_id)"}
)

// derivedField is f marked as one the import can fill from others.
func derivedField(f Field) Field {
	f.Derived = true
	return f
}

// Tile SQL shared by several layers.
const (
	townshipFilter = `(p.township = '' OR g.township_code = p.township OR g.township_code IN (SELECT code FROM townships WHERE name = p.township))`
	roadGrades     = `ARRAY['高速', '国道', '省道', '县道', '乡道', '村道', '通组路', '专用']`
	// lowZoomIDBase offsets the ids of roads_lowzoom's merged lines.
	lowZoomIDBase = "1000000000000"
)

// lowZoomRounded is score column col of s, whole points below z10: an MVT
// stores each distinct value once, and colours need no decimals there.
func lowZoomRounded(col string) string {
	return fmt.Sprintf(`CASE WHEN p.z >= 10 THEN s.%[1]s ELSE round(s.%[1]s) END AS %[1]s`, col)
}

// locationSourceReason explains the check on where a location came from
// (migration 0016), which the trigger, not a file, fills.
const locationSourceReason = "定位来源只能是 init、map，或 import:、generator:、manual:、name-match: 加来源名"

// UnknownGaps is the SQL text listing the gaps of run_scores row alias
// shown as 数据不足, as the run stored them
// (planning.VillageScore.UnknownGaps), comma-separated, e.g. '饮水,综合';
// NULL when every gap is known, so that a tile spends nothing on known
// villages. A village without a score has no gap at all: every one is
// listed.
func UnknownGaps(alias string) string {
	all := strings.Join(append(slices.Clone(planning.Dimensions), planning.CompositeKey), ",")
	return fmt.Sprintf(`CASE WHEN %[1]s.village_id IS NULL THEN '%[2]s' ELSE NULLIF(array_to_string(%[1]s.unknown_gaps, ','), '') END`, alias, all)
}

// layers are gapmap's layers in the order a user reads them: boundaries,
// villages, then the four infrastructure families, then the project
// library. Tiles draw them in this order, bottom to top.
func layers() []Layer {
	return []Layer{
		{Table: "counties", Title: "县", GeomCol: "outline", Geometry: GeomMultiPolygon, Role: RoleArea, Key: []string{"code"},
			Fields: []Field{
				{Column: "code", Title: "县代码", Kind: Code, Aliases: []string{"code", "adcode", "县代码", "区划代码", "行政区划代码", "县级代码"},
					Check: "县代码必须是6位数字", Tile: true},
				{Column: "name", Title: "县名称", Aliases: append([]string{"县名", "县名称", "区县名称"}, nameAliases...), Tile: true},
				SourceKey,
				ExtID,
			},
			Checks: map[string]string{"location_source": locationSourceReason, "profile": "县配置必须是 JSON 对象"},
			// Clients know the boundary layer as "county".
			Tile: &Tile{ID: "county", Title: "县界", MinZoom: 0, Sets: []string{"review"}, SQL: TileSQL{Budget: 100, Simplify: true}},
		},
		{Table: "townships", Title: "乡镇", GeomCol: "seat", Geometry: GeomPoint, Role: RoleSeat, AreaCol: "outline", Key: []string{"code"},
			Fields: []Field{
				{Column: "code", Title: "乡镇代码", Kind: Code, Aliases: []string{"code", "township_code", "乡镇代码", "乡镇编码", "区划代码", "统计用区划代码"},
					Check: "乡镇代码必须是9位数字，且前6位等于所属县代码", Tile: true},
				derivedField(Field{Column: "county_code", Title: "县代码", Kind: Code, Aliases: []string{"county_code", "县代码", "所属县代码"}}),
				{Column: "name", Title: "乡镇名称", Aliases: append([]string{"township_name", "乡镇名称", "乡镇名", "乡镇"}, nameAliases...), Tile: true},
				SourceKey,
				ExtID,
			},
			Checks: map[string]string{"location_source": locationSourceReason},
			Export: Export{Township: "x.code"},
			// Tiles draw the outline, not the seat.
			Tile: &Tile{Title: "乡镇界", MinZoom: 7, Sets: []string{"review"},
				SQL: TileSQL{Geom: `g.outline_3857`, Filter: `g.outline_3857 && env.b3857`, Order: `g.code`, Budget: 1000, Simplify: true}},
		},
		{Table: "villages", Title: "村", GeomCol: "office", Geometry: GeomPoint, Role: RoleSeat, AreaCol: "outline",
			Key: []string{"code", "code_year"}, AltKey: []string{"parent_id", "name"}, Reference: []string{"parent_id"},
			Fields: []Field{
				{Column: "code", Title: "村代码", Kind: Code, Aliases: []string{"code", "village_code", "村代码", "行政村代码", "村编码", "区划代码", "统计用区划代码", "cdm"},
					Check: "村代码必须是12位统计用区划代码，且前9位等于所属乡镇代码（自然村/村民组不填）", Tile: true},
				derivedField(Field{Column: "code_year", Title: "代码年份", Kind: Int, Aliases: []string{"code_year", "代码年份", "区划代码年份"}}),
				{Column: "name", Title: "村名称", Aliases: append([]string{"village_name", "村名称", "村名", "行政村名称", "行政村", "村庄名称"}, nameAliases...), Tile: true},
				derivedField(townshipCode),
				{Column: "kind", Title: "类型", Aliases: []string{"kind", "类型", "村类型", "单位类型"},
					Values: map[string]string{"村": "行政村", "村委会": "行政村", "村民委员会": "行政村", "居委会": "社区", "社区居委会": "社区", "居民委员会": "社区",
						"社区居民委员会": "社区", "自然村组": "自然村", "组": "村民组", "村小组": "村民组"},
					Check:   "类型只能是 行政村、社区、自然村、村民组",
					Derived: true, Tile: true},
				{Column: "parent_code", Title: "所属行政村代码", Kind: Code, Aliases: []string{"parent_code", "所属行政村代码", "所属村代码", "上级代码"},
					Read: "(SELECT p.code FROM villages p WHERE p.id = x.parent_id)"},
				{Column: "households", Title: "总户数", Kind: Int, Aliases: []string{"households", "总户数", "户数", "户籍户数"}, Units: []string{"户"}},
				{Column: "population", Title: "总人口", Kind: Int, Aliases: []string{"population", "总人口", "人口", "户籍人口", "人口数"}, Units: []string{"人"}},
				{Column: "is_poor_village", Title: "是否贫困村", Kind: Bool, Aliases: []string{"is_poor_village", "是否贫困村", "贫困村", "建档立卡贫困村"},
					Check: "只有行政村或社区可以是贫困村"},
				{Column: "poor_households", Title: "建档立卡贫困户数", Kind: Int, Aliases: []string{"poor_households", "建档立卡贫困户数", "贫困户数", "建档立卡户数", "贫困户"}, Units: []string{"户"},
					Check: "建档立卡贫困户数不能为负，也不能超过总户数"},
				{Column: "poor_population", Title: "建档立卡贫困人口", Kind: Int, Aliases: []string{"poor_population", "建档立卡贫困人口", "贫困人口", "贫困人口数", "建档立卡人数"}, Units: []string{"人"},
					Check: "建档立卡贫困人口不能为负，也不能超过总人口", Tile: true},
				{Column: "exit_year", Title: "脱贫年份", Kind: Int, Aliases: []string{"exit_year", "脱贫年份", "出列年份", "计划出列年份", "退出年份"}, Units: []string{"年"}},
				SourceKey,
				ExtID,
			},
			Checks: map[string]string{"parent_id": "自然村/村民组必须有所属行政村，行政村和社区不能有", "location_source": locationSourceReason},
			Export: Export{Filters: []string{"poor"}},
			Tile: &Tile{Title: "村（评分）", MinZoom: 8, Tables: []string{"villages", "townships", "scores"}, Sets: []string{"review"},
				Extra: map[string]Kind{"township": Text, "is_poor": Bool, "composite": Float, "gap_road": Float, "gap_water": Float,
					"gap_grid": Float, "gap_pv": Float, "missing_weight": Float, "unknown": Text, "exit_fail": Int, "exit_no_data": Int},
				SQL: TileSQL{
					// LATERAL: a lookup per village of the tile; a plain join hashes every
					// village's score of the run (100 ms at province scale).
					From: `villages g JOIN townships t ON t.code = g.township_code
			LEFT JOIN LATERAL (SELECT * FROM run_scores r WHERE r.village_id = g.id AND r.run_id = (SELECT id FROM run) OFFSET 0) s ON true`,
					// Points while villages are dots; outlines once they are areas.
					Geom:   `CASE WHEN p.z >= 11 AND g.outline IS NOT NULL THEN g.outline_3857 ELSE g.office_3857 END`,
					Filter: `(g.office_3857 && env.b3857 OR g.outline_3857 && env.b3857)`,
					Where: `g.kind IN ('行政村', '社区') AND ` + townshipFilter + `
			AND (p.min_score IS NULL OR CASE p.dim WHEN '通路' THEN s.gap_road WHEN '饮水' THEN s.gap_water
				WHEN '农网' THEN s.gap_grid WHEN '光伏' THEN s.gap_pv ELSE s.composite END >= p.min_score)`,
					// Below z10, where a tile holds thousands of villages, only what
					// colours, filters and labels them: a province z8 tile was 157 KB.
					// unknown is among them: the page draws those gaps as 数据不足.
					Attrs: `g.id, g.code, CASE WHEN p.z >= 10 OR g.is_poor_village THEN g.name END AS name, t.name AS township,
			CASE WHEN p.z >= 10 THEN g.kind END AS kind, g.is_poor_village AS is_poor,
			CASE WHEN p.z >= 10 THEN g.poor_population END AS poor_population,
			` + lowZoomRounded("composite") + `, ` + lowZoomRounded("gap_road") + `, ` + lowZoomRounded("gap_water") + `,
			` + lowZoomRounded("gap_grid") + `, ` + lowZoomRounded("gap_pv") + `,
			CASE WHEN p.z >= 10 THEN s.missing_weight END AS missing_weight,
			` + UnknownGaps("s") + ` AS unknown,
			CASE WHEN p.z >= 10 THEN s.exit_fail::int END AS exit_fail, CASE WHEN p.z >= 10 THEN s.exit_no_data::int END AS exit_no_data`,
					Order:  `g.is_poor_village DESC, s.composite DESC NULLS LAST, g.id`,
					Budget: 3000, LowBudget: 1500, Simplify: true,
				}},
		},
		{Table: "roads", Title: "道路", GeomCol: "geom", Geometry: GeomLineString, Role: RoleLine, Key: ExtKey,
			Fields: []Field{
				{Column: "name", Title: "道路名称", Aliases: append([]string{"道路名称", "路线名称", "路名", "公路名称", "lxmc"}, nameAliases...), Tile: true},
				{Column: "ref", Title: "路线编号", Aliases: []string{"ref", "路线编号", "路线代码", "线路编号", "lxbm", "lxdm", "route_code"}, Tile: true},
				{Column: "grade", Title: "行政等级", Aliases: []string{"grade", "行政等级", "道路等级", "公路等级", "路线等级", "等级", "xzdj", "highway_class"},
					Values: map[string]string{"高速公路": "高速", "g": "国道", "国道公路": "国道", "s": "省道", "x": "县道", "y": "乡道", "c": "村道", "z": "专用",
						"县乡道": "县道", "村级公路": "村道", "通村公路": "村道", "村公路": "村道", "村组道路": "通组路", "通组公路": "通组路", "组道": "通组路", "组级公路": "通组路", "专用公路": "专用"},
					Check: "道路等级只能是 高速、国道、省道、县道、乡道、村道、通组路、专用", Tile: true},
				{Column: "surface", Title: "路面类型", Aliases: []string{"surface", "路面类型", "路面", "面层类型", "路面材料", "路面结构", "lmlx"},
					Values: map[string]string{"沥青混凝土": "沥青", "沥青路面": "沥青", "柏油": "沥青", "柏油路": "沥青", "沥青砼": "沥青", "asphalt": "沥青",
						"水泥混凝土": "水泥", "水泥路面": "水泥", "水泥砼": "水泥", "砼": "水泥", "混凝土": "水泥", "水泥路": "水泥", "concrete": "水泥",
						"碎石": "砂石", "泥结碎石": "砂石", "砂砾": "砂石", "级配碎石": "砂石", "砂石路": "砂石", "石渣": "砂石", "gravel": "砂石",
						"土路": "土", "泥土": "土", "土质": "土", "无路面": "土", "泥结": "土", "dirt": "土"},
					Check: "路面类型只能是 沥青、水泥、砂石、土", Tile: true},
				{Column: "width_m", Title: "路面宽度（米）", Kind: Float, Aliases: []string{"width_m", "路面宽度", "路面宽", "宽度", "lmkd", "width"}, Units: []string{"m", "米"},
					Check: "路面宽度（米）必须大于0且不超过60", Tile: true},
				{Column: "year", Title: "建成年份", Kind: Int, Aliases: yearAliases, Units: []string{"年"}},
				SourceKey,
				ExtID,
			},
			Tile: &Tile{MinZoom: 7, Sets: []string{"review"}, SQL: TileSQL{
				// A road of unknown grade (satellite-extracted) is drawn as the
				// least, from z12.
				Where: `coalesce(array_position(` + roadGrades + `, g.grade), 8) <=
			CASE WHEN p.z < 9 THEN 3 WHEN p.z < 11 THEN 4 WHEN p.z < 12 THEN 5 ELSE 8 END`,
				Attrs:  `g.id, g.grade, g.surface, g.width_m, CASE WHEN p.z >= 12 THEN g.name END AS name, g.ref`,
				Order:  `array_position(` + roadGrades + `, g.grade), g.id`,
				Budget: 6000, Simplify: true,
				// Merged lines have ids of their own, above any road's (MVT ids are
				// unsigned, so not negative).
				Low: &TileSQL{From: `roads_lowzoom g`, Geom: `g.geom_3857`, Filter: `g.geom_3857 && env.b3857`,
					Attrs:  `g.id + ` + lowZoomIDBase + ` AS id, g.grade, g.surface, g.width_m, NULL::text AS name, g.ref`,
					Order:  `array_position(ARRAY['高速', '国道', '省道', '县道'], g.grade), g.id`,
					Budget: 6000, Simplify: true},
				LowBelow: LowZoomBelow,
			}},
		},
		{Table: "bridges", Title: "桥梁", GeomCol: "geom", Geometry: GeomPoint, Role: RolePoint, Key: ExtKey,
			Fields: []Field{
				{Column: "name", Title: "桥梁名称", Aliases: append([]string{"桥梁名称", "桥名", "qlmc"}, nameAliases...), Tile: true},
				{Column: "road_ref", Title: "所在路线编号", Aliases: []string{"road_ref", "路线编号", "所在路线", "路线代码"}},
				{Column: "length_m", Title: "桥长（米）", Kind: Float, Aliases: []string{"length_m", "桥长", "桥梁全长", "全长", "长度"}, Units: []string{"m", "米"}},
				{Column: "condition_class", Title: "技术状况等级", Kind: Int, Aliases: []string{"condition_class", "技术状况等级", "技术状况", "评定等级", "桥梁等级"},
					Values: map[string]string{"一类": "1", "二类": "2", "三类": "3", "四类": "4", "五类": "5", "1类": "1", "2类": "2", "3类": "3", "4类": "4", "5类": "5"},
					Check:  "桥梁技术状况等级必须是1到5类", Tile: true},
				{Column: "is_dangerous", Title: "是否危桥", Kind: Bool, Aliases: []string{"is_dangerous", "是否危桥", "危桥"},
					Check: "危桥标记必须与技术状况一致（4、5类为危桥）", Tile: true},
				SourceKey,
				ExtID,
			},
			Tile: &Tile{MinZoom: 12, SQL: TileSQL{Order: `g.is_dangerous DESC, g.id`, Budget: 2000}},
		},
		{Table: "bus_stops", Title: "客运站点", GeomCol: "geom", Geometry: GeomPoint, Role: RolePoint, Key: ExtKey,
			Fields: []Field{
				{Column: "name", Title: "站点名称", Aliases: append([]string{"站点名称", "站名", "招呼站名称"}, nameAliases...), Tile: true},
				{Column: "routes", Title: "经停线路", Kind: TextList, Aliases: []string{"routes", "经停线路", "线路", "客运线路", "班线"}, Tile: true},
				// NULL: unknown; R4 counts a stop with service or with routes listed.
				{Column: "service", Title: "有无班车", Kind: Bool, Aliases: []string{"service", "有无班车", "是否通班车", "通班车", "有班车"}},
				SourceKey,
				ExtID,
			},
			Tile: &Tile{MinZoom: 12, SQL: TileSQL{Order: `cardinality(g.routes) DESC, g.id`, Budget: 2000}},
		},
		{Table: "reservoirs", Title: "水库", GeomCol: "geom", Geometry: GeomAny, Role: RoleAny, Key: ExtKey,
			Unnamed: "未命名水库",
			Fields: []Field{
				{Column: "name", Title: "水库名称", Aliases: append([]string{"水库名称", "水库名", "skmc"}, nameAliases...), Tile: true},
				{Column: "scale", Title: "工程规模", Aliases: []string{"scale", "工程规模", "规模", "水库规模", "规模等级"},
					Values: map[string]string{"大一型": "大(1)型", "大ⅰ型": "大(1)型", "大1型": "大(1)型", "大二型": "大(2)型", "大ⅱ型": "大(2)型", "大2型": "大(2)型", "中": "中型",
						"小一型": "小(1)型", "小ⅰ型": "小(1)型", "小1型": "小(1)型", "小二型": "小(2)型", "小ⅱ型": "小(2)型", "小2型": "小(2)型"},
					Check: "水库规模只能是 大(1)型、大(2)型、中型、小(1)型、小(2)型", Tile: true},
				{Column: "capacity_wan_m3", Title: "总库容（万m³）", Kind: Float, Aliases: []string{"capacity_wan_m3", "总库容", "库容", "总库容万m3", "总库容万立方米"}, Units: []string{"万m3", "万m³", "万立方米"},
					Check: "库容（万m³）必须大于0", Tile: true},
				{Column: "is_drinking_source", Title: "是否饮用水水源", Kind: Bool, Aliases: []string{"is_drinking_source", "是否饮用水水源", "饮用水水源", "是否水源地"}, Tile: true},
				{Column: "safety_status", Title: "安全状况", Aliases: []string{"safety_status", "安全状况", "安全鉴定结论", "病险情况"},
					Values: map[string]string{"病险水库": "病险", "三类坝": "病险", "已加固": "已除险加固", "除险加固": "已除险加固", "已除险": "已除险加固"},
					Check:  "安全状况只能是 病险 或 已除险加固", Tile: true},
				{Column: "safety_year", Title: "除险加固年份", Kind: Int, Aliases: []string{"safety_year", "除险加固年份", "加固年份"}, Units: []string{"年"}},
				SourceKey,
				ExtID,
			},
			Tile: &Tile{MinZoom: 8, Sets: []string{"review"}, SQL: TileSQL{
				Where: `array_position(ARRAY['大(1)型', '大(2)型', '中型', '小(1)型', '小(2)型'], g.scale) <=
			CASE WHEN p.z < 10 THEN 3 WHEN p.z < 12 THEN 4 ELSE 5 END`,
				Order: `g.capacity_wan_m3 DESC NULLS LAST, g.id`, Budget: 2000, Simplify: true,
			}},
		},
		{Table: "water_works", Title: "供水工程", GeomCol: "geom", Geometry: GeomPoint, Role: RolePoint, Key: ExtKey,
			Unnamed: "未命名供水工程",
			// Written by a completed 净化消毒 project (data/completion.go), not imported.
			Checks: map[string]string{"treatment": "净化消毒方式不能为空白"},
			Fields: []Field{
				{Column: "name", Title: "工程名称", Aliases: append([]string{"工程名称", "水厂名称", "供水工程名称"}, nameAliases...), Tile: true},
				{Column: "kind", Title: "工程类型", Aliases: []string{"kind", "工程类型", "类型", "供水方式"},
					Values: map[string]string{"城镇": "城镇水厂", "乡镇": "乡镇水厂", "单村": "单村供水", "单村供水工程": "单村供水", "分散": "分散供水", "分散式": "分散供水", "集中供水": "乡镇水厂"},
					Check:  "供水工程类型只能是 城镇水厂、乡镇水厂、单村供水、分散供水", Tile: true},
				{Column: "design_m3_per_day", Title: "设计供水规模（m³/d）", Kind: Float, Aliases: []string{"design_m3_per_day", "设计供水规模", "供水规模", "设计规模"}, Units: []string{"m3/d", "m³/d", "吨/日", "立方米/日", "t/d"}, Tile: true},
				{Column: "population_served", Title: "供水人口", Kind: Int, Aliases: []string{"population_served", "供水人口", "受益人口", "设计供水人口"}, Units: []string{"人"}, Tile: true},
				{Column: "last_test_date", Title: "最近水质检测日期", Kind: Date, Aliases: []string{"last_test_date", "最近水质检测日期", "水质检测日期", "检测日期"}},
				{Column: "last_test_passed", Title: "水质是否达标", Kind: Bool, Aliases: []string{"last_test_passed", "水质是否达标", "水质达标", "检测结果", "是否达标"}, Tile: true},
				{Column: "guarantee_pct", Title: "供水保证率（%）", Kind: Float, Aliases: []string{"guarantee_pct", "供水保证率", "保证率"}, Units: []string{"%"},
					Check: "供水保证率必须在0到100之间", Tile: true},
				SourceKey,
				ExtID,
			},
			Tile: &Tile{MinZoom: 10, Sets: []string{"review"}, SQL: TileSQL{Order: `g.design_m3_per_day DESC NULLS LAST, g.id`, Budget: 2000}},
		},
		{Table: "water_mains", Title: "供水管网", GeomCol: "geom", Geometry: GeomLineString, Role: RoleLine, Key: ExtKey, Reference: []string{"works_id"},
			Fields: []Field{
				{Column: "works_name", Title: "所属供水工程", Aliases: []string{"works_name", "所属供水工程", "所属水厂", "水厂名称", "供水工程"},
					Read: "(SELECT w.name FROM water_works w WHERE w.id = x.works_id)"},
				{Column: "diameter_mm", Title: "管径（mm）", Kind: Int, Aliases: []string{"diameter_mm", "管径", "管径mm", "口径", "dn"}, Units: []string{"mm", "毫米"}, Tile: true},
				SourceKey,
				ExtID,
			},
			Tile: &Tile{MinZoom: 12, Sets: []string{"review"}, SQL: TileSQL{Order: `g.diameter_mm DESC NULLS LAST, g.id`, Budget: 4000, Simplify: true}},
		},
		{Table: "substations", Title: "变电站", GeomCol: "geom", Geometry: GeomPoint, Role: RolePoint, Key: ExtKey,
			Unnamed: "未命名变电站",
			Fields: []Field{
				{Column: "name", Title: "变电站名称", Aliases: append([]string{"变电站名称", "站名", "变电站"}, nameAliases...), Tile: true},
				{Column: "voltage_kv", Title: "电压等级（kV）", Kind: Float, Aliases: []string{"voltage_kv", "电压等级", "电压", "voltage", "max_kv"}, Values: voltValues, Units: kvUnits, Highest: true,
					Check: "变电站电压等级只能是 35、110、220、500 kV", Tile: true},
				{Column: "secondary_kv", Title: "次级电压（kV）", Kind: Float, Aliases: []string{"secondary_kv", "次级电压", "二次电压", "中压侧电压"}, Values: voltValues, Units: kvUnits},
				{Column: "capacity_mva", Title: "主变容量（MVA）", Kind: Float, Aliases: []string{"capacity_mva", "主变容量", "容量", "变电容量"}, Units: []string{"mva", "兆伏安"}, Tile: true},
				SourceKey,
				ExtID,
			},
			Tile: &Tile{MinZoom: 8, Sets: []string{"review"}, SQL: TileSQL{Order: `g.voltage_kv DESC, g.id`, Budget: 1000}},
		},
		{Table: "power_lines", Title: "电力线路", GeomCol: "geom", Geometry: GeomLineString, Role: RoleLine, Key: ExtKey,
			Fields: []Field{
				{Column: "name", Title: "线路名称", Aliases: append([]string{"线路名称", "线路名", "xlmc"}, nameAliases...)},
				{Column: "voltage_kv", Title: "电压等级（kV）", Kind: Float, Aliases: []string{"voltage_kv", "电压等级", "电压", "voltage"}, Values: voltValues, Units: kvUnits, Highest: true,
					Check: "线路电压等级只能是 0.22、0.4、10、35、110、220、500 kV", Tile: true},
				{Column: "phases", Title: "相数", Kind: Int, Aliases: []string{"phases", "相数", "相别"}, Values: map[string]string{"单相": "1", "三相": "3"},
					Check: "相数只能是1或3（0.22 kV 为单相）", Tile: true},
				{Column: "feeder", Title: "所属馈线", Aliases: []string{"feeder", "所属馈线", "馈线", "所属线路", "馈线名称"}, Tile: true},
				SourceKey,
				ExtID,
			},
			Tile: &Tile{MinZoom: 8, Sets: []string{"review"}, SQL: TileSQL{
				// A line of unknown voltage is drawn as the least, from z13.
				Where: `coalesce(g.voltage_kv, 0) >= CASE WHEN p.z < 11 THEN 35 WHEN p.z < 13 THEN 10 ELSE 0 END`,
				Order: `g.voltage_kv DESC NULLS LAST, g.id`, Budget: 6000, Simplify: true,
			}},
		},
		{Table: "transformers", Title: "配电变压器", GeomCol: "geom", Geometry: GeomPoint, Role: RolePoint, Key: ExtKey, Reference: []string{"village_id"},
			Fields: []Field{
				{Column: "name", Title: "配变名称", Aliases: append([]string{"配变名称", "台区名称", "变压器名称", "台区"}, nameAliases...), Tile: true},
				{Column: "kva", Title: "容量（kVA）", Kind: Float, Aliases: []string{"kva", "容量", "配变容量", "额定容量", "变压器容量"}, Units: []string{"kva", "千伏安"},
					Check: "配变容量（kVA）必须大于0且不超过2500", Tile: true},
				{Column: "primary_kv", Title: "一次电压（kV）", Kind: Float, Aliases: []string{"primary_kv", "一次电压", "高压侧电压"}, Values: voltValues, Units: kvUnits},
				{Column: "secondary_kv", Title: "二次电压（kV）", Kind: Float, Aliases: []string{"secondary_kv", "二次电压", "低压侧电压"}, Values: voltValues, Units: kvUnits},
				{Column: "phases", Title: "相数", Kind: Int, Aliases: []string{"phases", "相数"}, Values: map[string]string{"单相": "1", "三相": "3"},
					Check: "相数只能是1或3（0.22 kV 为单相）", Tile: true},
				{Column: "households_served", Title: "供电户数", Kind: Int, Aliases: []string{"households_served", "供电户数", "用户数", "户数"}, Units: []string{"户"}, Tile: true},
				{Column: "feeder", Title: "所属馈线", Aliases: []string{"feeder", "所属馈线", "馈线", "所属线路"}},
				villageCode,
				SourceKey,
				ExtID,
			},
			Tile: &Tile{MinZoom: 13, SQL: TileSQL{Order: `g.kva DESC, g.id`, Budget: 4000}},
		},
		{Table: "pv_stations", Title: "光伏电站", GeomCol: "geom", Geometry: GeomPoint, Role: RolePoint, Key: ExtKey, Reference: []string{"village_id"},
			// Written by a completed 村级光伏电站 project (data/completion.go), not imported.
			Checks: map[string]string{"beneficiary_households": "受益户数不能为负数"},
			Fields: []Field{
				{Column: "name", Title: "电站名称", Aliases: append([]string{"电站名称", "光伏电站名称", "项目名称"}, nameAliases...), Tile: true},
				{Column: "kw", Title: "装机容量（kW）", Kind: Float, Aliases: []string{"kw", "装机容量", "容量", "规模"}, Units: []string{"kwp", "kw", "千瓦"},
					Check: "装机容量（kW）必须大于0", Tile: true},
				{Column: "type", Title: "电站类型", Aliases: []string{"type", "电站类型", "类型", "建设模式"},
					Values: map[string]string{"村级电站": "村级", "村级光伏": "村级", "村级光伏电站": "村级", "户用光伏": "户用", "户用电站": "户用", "集中式电站": "集中式", "集中": "集中式", "地面电站": "集中式"},
					Check:  "光伏电站类型只能是 村级、户用、集中式", Tile: true},
				{Column: "grid_connected", Title: "是否并网", Kind: Bool, Aliases: []string{"grid_connected", "是否并网", "并网", "并网状态"}, Tile: true},
				villageCode,
				{Column: "year", Title: "建成年份", Kind: Int, Aliases: yearAliases, Units: []string{"年"}},
				SourceKey,
				ExtID,
			},
			Tile: &Tile{MinZoom: 10, SQL: TileSQL{Order: `g.kw DESC, g.id`, Budget: 2000}},
		},
		{Table: "tourism_sites", Title: "旅游景点", GeomCol: "geom", Geometry: GeomPoint, Role: RolePoint, Key: ExtKey, Reference: []string{"village_id"},
			Fields: []Field{
				{Column: "name", Title: "景点名称", Aliases: append([]string{"景点名称", "景区名称", "景区"}, nameAliases...), Tile: true},
				{Column: "a_level", Title: "A级", Kind: Int, Aliases: []string{"a_level", "a级", "等级", "景区等级"},
					Values: map[string]string{"a": "1", "aa": "2", "aaa": "3", "aaaa": "4", "aaaaa": "5", "1a": "1", "2a": "2", "3a": "3", "4a": "4", "5a": "5", "未评级": "0", "无": "0"},
					Check:  "A级只能是0到5", Tile: true},
				{Column: "kind", Title: "类型", Aliases: []string{"kind", "类型", "景点类型", "资源类型"}, Tile: true},
				villageCode,
				SourceKey,
				ExtID,
			},
			Tile: &Tile{MinZoom: 9, SQL: TileSQL{Order: `g.a_level DESC, g.id`, Budget: 1000}},
		},
		{Table: "projects", Title: "项目库", GeomCol: "geom", Geometry: GeomAny, Role: RoleOptional, Key: []string{"code"}, Reference: []string{"village_id"},
			Fields: []Field{
				{Column: "code", Title: "项目编号", Kind: Code, Aliases: []string{"code", "项目编号", "项目代码", "编号"}},
				{Column: "year", Title: "年度", Kind: Int, Aliases: []string{"year", "年度", "实施年度", "计划年度"}, Units: []string{"年"}, Tile: true},
				{Column: "name", Title: "项目名称", Aliases: append([]string{"项目名称"}, nameAliases...), Tile: true},
				{Column: "category", Title: "项目类别", Aliases: []string{"category", "项目类别", "项目类型", "类别"}, Tile: true},
				{Column: "subtype", Title: "子类", Aliases: []string{"subtype", "子类", "建设类型"}},
				{Column: "nature", Title: "建设性质", Aliases: []string{"nature", "建设性质"}},
				townshipCode,
				villageCode,
				{Column: "content", Title: "建设内容及规模", Aliases: []string{"content", "建设内容及规模", "建设内容", "建设规模"}},
				{Column: "quantity", Title: "数量", Kind: Float, Aliases: []string{"quantity", "数量", "工程量"}},
				{Column: "unit", Title: "单位", Aliases: []string{"unit", "单位", "计量单位"}},
				{Column: "unit_price_wan", Title: "单价（万元）", Kind: Float, Aliases: []string{"unit_price_wan", "单价", "单价万元"}, Units: []string{"万元"}},
				{Column: "cost_wan", Title: "总投资（万元）", Kind: Float, Aliases: []string{"cost_wan", "总投资", "投资", "资金规模", "总投资万元", "资金规模万元"}, Units: []string{"万元"}, Tile: true},
				{Column: "beneficiary_households", Title: "受益户数", Kind: Int, Aliases: []string{"beneficiary_households", "受益户数", "受益总户数"}, Units: []string{"户"}},
				{Column: "beneficiary_population", Title: "受益人口", Kind: Int, Aliases: []string{"beneficiary_population", "受益人口", "受益总人口", "受益人数"}, Units: []string{"人"}},
				{Column: "beneficiary_poor_households", Title: "受益贫困户数", Kind: Int, Aliases: []string{"beneficiary_poor_households", "受益贫困户数", "受益建档立卡户数"}, Units: []string{"户"}},
				{Column: "beneficiary_poor_population", Title: "受益贫困人口", Kind: Int, Aliases: []string{"beneficiary_poor_population", "受益贫困人口", "受益建档立卡人口"}, Units: []string{"人"}},
				{Column: "responsible_unit", Title: "责任单位", Aliases: []string{"responsible_unit", "责任单位", "实施单位", "主管部门"}},
				{Column: "planned_start", Title: "计划开工", Kind: Date, Aliases: []string{"planned_start", "计划开工", "开工时间", "计划开工时间"}},
				{Column: "planned_end", Title: "计划完工", Kind: Date, Aliases: []string{"planned_end", "计划完工", "完工时间", "计划完工时间"}},
				SourceKey,
				ExtID,
			},
			Checks: map[string]string{
				"status":          "项目状态不在项目库流程之内",
				"library_targets": "已入库及之后的项目必须有绩效目标",
				"year_plan":       "纳入年度计划及之后的项目必须有年度",
				"as_built":        "竣工实际值必须是 JSON 对象",
			},
			Export: Export{
				Extra: []Field{{Column: "status", Title: "项目状态"}, {Column: "gap_dimension", Title: "缺口维度"},
					{Column: "gap_before", Title: "实施前缺口", Kind: Float}, {Column: "gap_after_est", Title: "实施后缺口（估计）", Kind: Float},
					// Why 实施后缺口 is empty after an edit (migration 0038): unknown, not 0.
					{Column: "estimate_cleared", Title: "实施后缺口清除原因"}},
				Filters: []string{"status", "year"},
			},
			// The township filter looks townships up by name.
			Tile: &Tile{MinZoom: 8, Tables: []string{"projects", "townships"}, Extra: map[string]Kind{"status": Text}, SQL: TileSQL{
				// Below z11 a project is a dot without its name: a province's
				// 35,000 candidates as lines and names made z8 tiles 175 KB.
				// The dot is placed on the stored geometry, then projected (a
				// point on the surface in 3857 may lie elsewhere).
				Geom:  `CASE WHEN p.z < 11 THEN ST_Transform(ST_PointOnSurface(g.geom), 3857) ELSE g.geom_3857 END`,
				Where: townshipFilter + ` AND (p.status = '' OR g.status = p.status) AND (p.year = 0 OR g.year = p.year)`,
				Attrs: `g.id, CASE WHEN p.z >= 11 THEN g.name END AS name, g.category, g.status, g.year, g.cost_wan::float8 AS cost_wan`,
				Order: `g.cost_wan DESC, g.id`, Budget: 3000, Simplify: true,
			}},
		},
	}
}
