package osm

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/text/width"
)

// This file maps OSM tags to gapmap layers and columns. Each decision is
// written where it is made; doc.go has the summary users see. The users
// are county 交通局 and 供电公司 staff comparing OSM with their registers,
// so when OSM does not say something the column is left absent (NULL)
// rather than guessed, and when a feature cannot be placed in the
// schema's vocabulary it is skipped and counted with a Chinese reason.

// mapping is one layer an element maps to, or the reason it does not.
type mapping struct {
	layer  Layer
	attrs  map[string]any // nil when skipped
	reason string         // non-empty when skipped
	// note, when set, says how a value was found that no tag gave (a
	// voltage read from the name), counted in Stats.Notes.
	note string
}

func skipped(l Layer, format string, args ...any) []mapping {
	return []mapping{{layer: l, reason: fmt.Sprintf(format, args...)}}
}

// nameOf prefers the Simplified Chinese name: name:zh-Hans, then
// name:zh, then name (which in China is the local, Chinese name).
func nameOf(t tags) string {
	for _, k := range [...]string{"name:zh-Hans", "name:zh", "name"} {
		if v := strings.TrimSpace(t.get(k)); v != "" {
			return v
		}
	}
	return ""
}

// first returns the first of several ";"-separated values, trimmed and
// lower-cased: "asphalt;concrete" is asphalt for our purposes.
func first(v string) string {
	v, _, _ = strings.Cut(v, ";")
	return strings.ToLower(strings.TrimSpace(v))
}

// mapNode maps a tagged node.
func mapNode(t tags) []mapping {
	if len(t) == 0 {
		return nil
	}
	var out []mapping
	out = append(out, mapVillage(t)...)
	out = append(out, mapTourism(t)...)
	out = append(out, mapPowerPoint(t)...)
	return out
}

// mapWay maps a way. A closed way (first node = last) of a point layer
// becomes its centroid; villages are taken from nodes only, because a
// place=village area in China nearly always duplicates a node.
func mapWay(t tags, closed bool) []mapping {
	if len(t) == 0 {
		return nil
	}
	var out []mapping
	out = append(out, mapRoad(t)...)
	out = append(out, mapPowerLine(t)...)
	out = append(out, mapPowerPoint(t)...)
	out = append(out, mapReservoir(t, closed)...)
	out = append(out, mapTourism(t)...)
	return out
}

// mapRelation maps a relation: only multipolygon reservoirs are built.
// Relations tagged for a point layer (a theme park drawn as a
// multipolygon) are counted as skipped so the report shows them.
func mapRelation(t tags) []mapping {
	if len(t) == 0 {
		return nil
	}
	typ := t.get("type")
	var out []mapping
	if res := mapReservoir(t, true); len(res) > 0 {
		if res[0].attrs != nil && typ != "multipolygon" {
			return skipped(Reservoirs, "水库关系的 type=%s 不是 multipolygon", known(typ, "boundary", "site", "waterway"))
		}
		out = append(out, res...)
	}
	if typ != "multipolygon" {
		return out
	}
	for _, m := range append(mapTourism(t), mapPowerPoint(t)...) {
		if m.attrs != nil {
			m = mapping{layer: m.layer, reason: "多边形关系暂只支持水库"}
		}
		out = append(out, m)
	}
	return out
}

// known returns v if it is one of the values listed, else "其他值", so
// that skip reasons — map keys — stay few whatever a file holds.
func known(v string, values ...string) string {
	for _, k := range values {
		if v == k {
			return v
		}
	}
	return "其他值"
}

// Road grades (roads_grade_check), highest first.
const (
	gradeExpressway = "高速"
	gradeNational   = "国道"
	gradeProvincial = "省道"
	gradeCounty     = "县道"
	gradeTownship   = "乡道"
	gradeVillage    = "村道"
	gradeGroup      = "通组路"
	gradeSpecial    = "专用"
)

var gradeRank = map[string]int{
	gradeExpressway: 0, gradeNational: 1, gradeProvincial: 2, gradeCounty: 3,
	gradeTownship: 4, gradeVillage: 5, gradeGroup: 6, gradeSpecial: 7,
}

// refGrade reads the administrative grade from a Chinese route number
// (GB/T 917 公路路线标识规则): G + 3 digits is a 普通国道 (G107), G + 1, 2
// or 4 digits a 国家高速 (G4, G56, G4513, and branch routes such as
// G4W2); S likewise a 省道 (S306) or 省级高速 (S20, S7101); X, Y, C and Z
// + digits are 县道, 乡道, 村道 and 专用公路. For several numbers
// ("G107;S306", a shared section) the highest grade wins.
func refGrade(ref string) (string, bool) {
	best, found := "", false
	for _, part := range strings.FieldsFunc(ref, func(r rune) bool { return r == ';' || r == ',' || r == '/' }) {
		part = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(part), " ", ""))
		if len(part) < 2 {
			continue
		}
		digits := 0
		for digits+1 < len(part) && part[digits+1] >= '0' && part[digits+1] <= '9' {
			digits++
		}
		if digits == 0 {
			continue
		}
		var g string
		switch part[0] {
		case 'G', 'S':
			switch {
			case digits == 3 && part[0] == 'G':
				g = gradeNational
			case digits == 3:
				g = gradeProvincial
			case digits <= 2 || digits == 4:
				g = gradeExpressway
			default:
				continue
			}
		case 'X':
			g = gradeCounty
		case 'Y':
			g = gradeTownship
		case 'C':
			g = gradeVillage
		case 'Z':
			g = gradeSpecial
		default:
			continue
		}
		if !found || gradeRank[g] < gradeRank[best] {
			best, found = g, true
		}
	}
	return best, found
}

// roadBase is the grade a highway class implies when the way has no route
// number. OSM-China's convention ties classes to administrative grades:
// trunk is used for 国道, primary for 省道 (and 国道 through towns),
// secondary for 县道, tertiary for 乡道; unclassified, residential and
// living_street are 村道 — in rural China the streets of a village are
// its 村道.
var roadBase = map[string]string{
	"motorway": gradeExpressway, "motorway_link": gradeExpressway,
	"trunk": gradeNational, "trunk_link": gradeNational,
	"primary": gradeProvincial, "primary_link": gradeProvincial,
	"secondary": gradeCounty, "secondary_link": gradeCounty,
	"tertiary": gradeTownship, "tertiary_link": gradeTownship,
	"unclassified": gradeVillage, "residential": gradeVillage, "living_street": gradeVillage,
}

// notRoads are highway=* values on ways that are not motor roads.
var notRoads = []string{"footway", "path", "cycleway", "steps", "bridleway", "pedestrian",
	"corridor", "elevator", "via_ferrata", "platform", "sidewalk", "crossing", "bus_stop",
	"busway", "bus_guideway", "raceway", "escape", "rest_area", "services"}

// notBuilt are highway=* values of roads not (or no longer) open.
var notBuilt = []string{"construction", "proposed", "planned", "abandoned", "disused", "razed"}

// mapRoad maps highway=*.
//
//   - The route number decides the grade where it has one (see refGrade):
//     it is the administrative grade the bureau keeps, whatever class a
//     mapper chose. Only motorways stay 高速 whatever their number.
//   - Without one, the class decides (roadBase).
//   - track: tracktype=grade1/grade2 (hardened or gravel) → 通组路; other
//     tracks are 机耕道 and field tracks and are skipped, as are tracks
//     without tracktype, counted apart so that a county whose 通组路 are
//     mapped as untyped tracks sees how many there are.
//   - service: driveway, parking_aisle and the like are skipped; with
//     access=private/no/permit (a factory or mine road) → 专用; any other
//     service road → 通组路, as in the countryside a service road is the
//     spur from a road to a group of houses.
//   - A track or service road with a route number takes the number's grade.
//   - footway, path, cycleway, steps … and construction, proposed,
//     abandoned … are skipped and counted by value.
func mapRoad(t tags) []mapping {
	hw := t.get("highway")
	if hw == "" {
		return nil
	}
	if t.get("area") == "yes" {
		return skipped(Roads, "highway=%s area=yes 是面状区域，不是道路中线", known(hw, "pedestrian", "service", "footway", "residential", "unclassified"))
	}
	for _, v := range notRoads {
		if hw == v {
			return skipped(Roads, "highway=%s 不是公路", hw)
		}
	}
	for _, v := range notBuilt {
		if hw == v {
			return skipped(Roads, "highway=%s 未建成或已废弃", hw)
		}
	}
	ref := strings.TrimSpace(t.get("ref"))
	byRef, hasRef := refGrade(ref)
	grade, ok := roadBase[hw]
	switch {
	case hw == "motorway" || hw == "motorway_link":
	case hasRef:
		grade, ok = byRef, true
	case hw == "track":
		switch tt := t.get("tracktype"); tt {
		case "grade1", "grade2":
			grade, ok = gradeGroup, true
		case "grade3", "grade4", "grade5":
			return skipped(Roads, "highway=track tracktype=%s 是机耕道或田间道", tt)
		default:
			return skipped(Roads, "highway=track 未标 tracktype（可能是通组路，也可能是机耕道）")
		}
	case hw == "service":
		switch st := t.get("service"); st {
		case "driveway", "parking_aisle", "drive-through", "parking", "emergency_access", "slipway":
			return skipped(Roads, "highway=service service=%s 是入户道或场内通道", st)
		}
		switch t.get("access") {
		case "private", "no", "permit":
			grade, ok = gradeSpecial, true
		default:
			grade, ok = gradeGroup, true
		}
	}
	if !ok && hw == "road" {
		return skipped(Roads, "highway=road 等级未知")
	}
	if !ok {
		return skipped(Roads, "highway=其他值 不是公路")
	}
	a := map[string]any{"grade": grade}
	if n := nameOf(t); n != "" {
		a["name"] = n
	}
	if ref != "" {
		a["ref"] = ref
	}
	if s, ok := surfaceOf(t); ok {
		a["surface"] = s
	}
	for _, k := range [...]string{"width", "est_width"} {
		if w, ok := parseWidth(t.get(k)); ok {
			a["width_m"] = w
			break
		}
	}
	return []mapping{{layer: Roads, attrs: a}}
}

// Surfaces (roads_surface_check).
const (
	surfaceAsphalt  = "沥青"
	surfaceConcrete = "水泥"
	surfaceGravel   = "砂石"
	surfaceEarth    = "土"
)

// surfaces maps surface=* values. "paved" is 水泥: the hardened roads of
// rural China are overwhelmingly the cement roads of the 村村通 programme,
// so a mapper who saw a hard road but not its material most likely saw
// cement. "unpaved" is 砂石 for the same reason (unsurfaced rural roads
// are gravelled; bare earth is tagged dirt/ground). Stone setts, paving
// stones and bricks have no column value and are left absent.
var surfaces = map[string]string{
	"asphalt": surfaceAsphalt, "chipseal": surfaceAsphalt,
	"concrete": surfaceConcrete, "concrete:plates": surfaceConcrete, "concrete:lanes": surfaceConcrete,
	"cement": surfaceConcrete, "paved": surfaceConcrete,
	"gravel": surfaceGravel, "fine_gravel": surfaceGravel, "compacted": surfaceGravel,
	"pebblestone": surfaceGravel, "unpaved": surfaceGravel, "rock": surfaceGravel,
	"dirt": surfaceEarth, "earth": surfaceEarth, "ground": surfaceEarth, "mud": surfaceEarth,
	"sand": surfaceEarth, "grass": surfaceEarth, "soil": surfaceEarth,
}

// trackSurfaces is the surface implied by tracktype=* when surface=* is
// absent: grade1 is "solid, usually paved" (in rural China: cement),
// grade2 and grade3 gravel or compacted material, grade4 and grade5 soil.
var trackSurfaces = map[string]string{
	"grade1": surfaceConcrete, "grade2": surfaceGravel, "grade3": surfaceGravel,
	"grade4": surfaceEarth, "grade5": surfaceEarth,
}

func surfaceOf(t tags) (string, bool) {
	if v := t.get("surface"); v != "" {
		s, ok := surfaces[first(v)]
		return s, ok
	}
	s, ok := trackSurfaces[t.get("tracktype")]
	return s, ok
}

// phasesOf reads phases=* (1 or 3), else infers from cables=* (the
// conductors, without earth wires): 2 is single-phase with neutral, 3 or
// 4 (with neutral) or a multiple of 3 (several circuits) is three-phase.
func phasesOf(t tags) (int64, bool) {
	switch first(t.get("phases")) {
	case "1":
		return 1, true
	case "3":
		return 3, true
	}
	n, err := strconv.Atoi(first(t.get("cables")))
	switch {
	case err != nil || n <= 0:
		return 0, false
	case n == 2:
		return 1, true
	case n == 4 || n%3 == 0:
		return 3, true
	}
	return 0, false
}

// mapPowerLine maps power=line, minor_line and cable.
//
//   - voltage=* may list several circuits ("110000;35000"); the line is
//     classed by the highest, which its towers are built for.
//   - The value is snapped to the schema's classes (see snapTolerance);
//     other classes are skipped and counted.
//   - Without voltage=*, Chinese lines mostly carry it in the name, as
//     dispatchers name them: "220kV立头-桂水", "110kV嘉栗线", "10千伏桃林线"
//     (see nameVoltage); the name, then ref=*, gives the voltage, and the
//     note counts the lines classed so.
//   - minor_line without voltage (tag, name or ref) is 0.4 kV: the wiki
//     reserves minor_line for the low-voltage distribution grid. (Chinese
//     mappers do also use it for 10 kV feeders; those carry voltage=10000
//     or "10kV" in the name more often than not.)
//   - line and cable without any voltage are yielded with the voltage
//     unknown (no voltage_kv) rather than guessed or dropped: a wrong class
//     would silently distort the 农网 gap analysis, while an unknown one is
//     left out of it and the note tells the bureau how many lines to fill
//     in.
//   - phases from phasesOf; a 0.22 kV line is single-phase by definition
//     (power_lines_phases_check).
func mapPowerLine(t tags) []mapping {
	p := t.get("power")
	if p != "line" && p != "minor_line" && p != "cable" {
		return nil
	}
	a := map[string]any{}
	var note string
	switch v := t.get("voltage"); {
	case v != "":
		vs, ok := parseVoltages(v)
		if !ok {
			return skipped(PowerLines, "power=%s 的 voltage 无法识别", p)
		}
		kv, ok := snap(vs[0], lineKVs)
		if !ok {
			return skipped(PowerLines, "power=%s 电压%s不在 0.22/0.4/10/35/110/220/500 kV 之列", p, kvLabel(vs[0]))
		}
		a["voltage_kv"] = kv
	default:
		if found, from, ok := nameVoltage(t); ok {
			kv, ok := snap(found, lineKVs)
			if !ok {
				return skipped(PowerLines, "power=%s %s中的电压%s不在 0.22/0.4/10/35/110/220/500 kV 之列", p, from, kvLabel(found))
			}
			a["voltage_kv"] = kv
			note = "power=" + p + " 未标 voltage，电压取自" + from
		} else if p == "minor_line" {
			a["voltage_kv"] = 0.4
		} else {
			note = "power=" + p + " 未标电压（名称和编号中也没有），按电压未知导入"
		}
	}
	if n := nameOf(t); n != "" {
		a["name"] = n
	}
	if ph, ok := phasesOf(t); ok {
		a["phases"] = ph
	}
	if a["voltage_kv"] == 0.22 {
		a["phases"] = int64(1)
	}
	return []mapping{{layer: PowerLines, attrs: a, note: note}}
}

// kvInText finds voltages written with their unit in free text: "220kV",
// "110 KV", "10千伏", "0.4kV" (half- or full-width).
var kvInText = regexp.MustCompile(`(?i)(\d+(?:\.\d+)?)\s*(?:kv|千伏)`)

// nameVoltage reads a line's voltage from its name (as nameOf picks it),
// else from ref=*: the highest voltage written there with its unit, and
// where it was found. A number without kV or 千伏 is not read: "嘉栗线
// 110" could be anything.
func nameVoltage(t tags) (kv float64, from string, ok bool) {
	for _, src := range [...]struct{ text, from string }{{nameOf(t), "名称"}, {t.get("ref"), "编号（ref）"}} {
		for _, m := range kvInText.FindAllStringSubmatch(width.Narrow.String(src.text), -1) {
			if v, err := strconv.ParseFloat(m[1], 64); err == nil && v > 0 && v <= maxKV && v > kv {
				kv, from, ok = v, src.from, true
			}
		}
		if ok {
			return kv, from, true
		}
	}
	return 0, "", false
}

// kvLabel names a voltage class in a skip reason when it is one of the
// classes met in China, so reasons stay few whatever a file holds.
func kvLabel(kv float64) string {
	for _, c := range []float64{3, 6, 20, 66, 330, 750, 800, 1000} {
		if kv == c {
			return fmt.Sprintf(" %g kV ", kv)
		}
	}
	return ""
}

// distributionTransformers are transformer=* values of 配变; the others
// (main, generator, converter, traction, auxiliary, …) sit in
// substations and plants.
var distributionTransformers = map[string]bool{"": true, "distribution": true, "yes": true}

// mapPowerPoint maps power=substation, power=transformer and power=pole
// carrying a transformer=distribution (the 台变 of rural lines).
//
// Substations: voltage_kv is the highest tagged voltage snapped to
// 35/110/220/500 kV and secondary_kv the next lower one snapped to
// 10/35/110/220 kV. A substation whose highest voltage is 10 kV or lower
// is a 配电站 or 箱变, i.e. a 配变, and goes to transformers; so does
// substation=minor_distribution without voltage. Other substations
// without voltage, or of a class the schema lacks (66, 330 kV…), are
// skipped: whether an untagged substation near a village is a 配变 is a
// spatial judgement left to the importer. Unnamed substations get a
// placeholder name (see placeholderName) because the column is required.
//
// Transformers: kva from rating=* (absent when untagged — the importer
// must default or reject, the column being required); primary_kv from
// voltage:primary or the highest voltage, snapped to 10/35 kV;
// secondary_kv from voltage:secondary or the lowest of several voltages,
// snapped to 0.22/0.4 kV; phases from phases=*. A transformer above
// 35 kV or 2500 kVA is a 主变, not a 配变, and is skipped.
func mapPowerPoint(t tags) []mapping {
	switch t.get("power") {
	case "substation":
		return mapSubstation(t)
	case "transformer":
		return mapTransformer(t, "power=transformer")
	case "pole":
		if tr := t.get("transformer"); tr == "distribution" || tr == "yes" {
			return mapTransformer(t, "power=pole")
		}
	}
	return nil
}

func mapSubstation(t tags) []mapping {
	v := t.get("voltage")
	if v == "" {
		if t.get("substation") == "minor_distribution" {
			return mapTransformer(t, "power=substation")
		}
		return skipped(Substations, "power=substation 未标电压，无法区分变电站与配变")
	}
	vs, ok := parseVoltages(v)
	if !ok {
		return skipped(Substations, "power=substation 的 voltage 无法识别")
	}
	if vs[0] <= 10*(1+snapTolerance) {
		return mapTransformer(t, "power=substation")
	}
	kv, ok := snap(vs[0], substationKVs)
	if !ok {
		return skipped(Substations, "power=substation 电压%s不在 35/110/220/500 kV 之列", kvLabel(vs[0]))
	}
	a := map[string]any{"voltage_kv": kv}
	if n := nameOf(t); n != "" {
		a["name"] = n
	}
	for _, s := range vs[1:] {
		if sec, ok := snap(s, secondaryKVs); ok && sec < kv {
			a["secondary_kv"] = sec
			break
		}
	}
	return []mapping{{layer: Substations, attrs: a}}
}

// mapTransformer maps a 配变; what names the tag that made it one.
func mapTransformer(t tags, what string) []mapping {
	if tr := t.get("transformer"); !distributionTransformers[tr] {
		return skipped(Transformers, "%s transformer=%s 不是配变", what,
			known(tr, "main", "generator", "converter", "traction", "auxiliary", "yard", "phase_angle_regulator"))
	}
	a := map[string]any{}
	if n := nameOf(t); n != "" {
		a["name"] = n
	}
	vs, _ := parseVoltages(t.get("voltage"))
	primary, _ := parseVoltages(t.get("voltage:primary"))
	secondary, _ := parseVoltages(t.get("voltage:secondary"))
	if len(primary) == 0 && len(vs) > 0 {
		primary = vs[:1]
	}
	if len(secondary) == 0 && len(vs) > 1 {
		secondary = vs[len(vs)-1:]
	}
	if len(primary) > 0 {
		if primary[0] > 35*(1+snapTolerance) {
			return skipped(Transformers, "%s 一次电压高于 35 kV，是主变不是配变", what)
		}
		if kv, ok := snap(primary[0], transformerPriKV); ok {
			a["primary_kv"] = kv
		}
	}
	if len(secondary) > 0 {
		if kv, ok := snap(secondary[len(secondary)-1], transformerSecKV); ok {
			a["secondary_kv"] = kv
		}
	}
	if r, ok := parseRating(t.get("rating")); ok {
		if r > 2500 {
			return skipped(Transformers, "%s 容量超过 2500 kVA，是主变不是配变", what)
		}
		a["kva"] = r
	}
	if ph, ok := phasesOf(t); ok {
		a["phases"] = ph
	}
	if a["secondary_kv"] == 0.22 {
		a["phases"] = int64(1)
	}
	return []mapping{{layer: Transformers, attrs: a}}
}

// mapReservoir maps water=reservoir (with natural=water, the current
// tagging) and landuse=reservoir (the older one) on closed ways and
// multipolygon relations. Tailings ponds, sewage and evaporation basins
// are tagged as reservoirs too and are skipped. Unclosed ways cannot be
// a water surface and are skipped.
//
// name is required by the schema: unnamed reservoirs get a placeholder
// (see placeholderName). scale comes from reservoir:scale=* when it
// holds a register spelling (大(1)型 … 小(2)型, 小一型 …), else from the
// capacity (SL 252, see scaleFromCapacity); capacity_wan_m3 from volume=*
// or capacity=*; is_drinking_source from drinking_water=yes.
func mapReservoir(t tags, closed bool) []mapping {
	if t.get("water") != "reservoir" && t.get("landuse") != "reservoir" {
		return nil
	}
	switch rt := t.get("reservoir_type"); rt {
	case "tailings", "sewage", "evaporator":
		return skipped(Reservoirs, "reservoir_type=%s 不是水库", rt)
	}
	if !closed {
		return skipped(Reservoirs, "水库的 way 未闭合，不是水面")
	}
	a := map[string]any{}
	if n := nameOf(t); n != "" {
		a["name"] = n
	}
	for _, k := range [...]string{"volume", "capacity"} {
		if c, ok := parseCapacity(t.get(k)); ok {
			a["capacity_wan_m3"] = c
			break
		}
	}
	if s, ok := scaleNames[strings.TrimSpace(t.get("reservoir:scale"))]; ok {
		a["scale"] = s
	} else if c, ok := a["capacity_wan_m3"].(float64); ok {
		if s, ok := scaleFromCapacity(c); ok {
			a["scale"] = s
		}
	}
	if t.get("drinking_water") == "yes" {
		a["is_drinking_source"] = true
	}
	return []mapping{{layer: Reservoirs, attrs: a}}
}

// placeholderName names an unnamed feature of a layer whose name column
// is required and whose features are worth keeping unnamed — a
// substation or a reservoir is infrastructure whatever OSM calls it —
// e.g. "未命名水库（OSM way/123）", which tells staff where to look. It
// returns "" for layers whose unnamed features are skipped instead.
func placeholderName(l Layer, id string) string {
	switch l {
	case Reservoirs:
		return "未命名水库（OSM " + id + "）"
	case Substations:
		return "未命名变电站（OSM " + id + "）"
	}
	return ""
}

// Village kinds (villages_kind_check).
const (
	kindAdmin     = "行政村"
	kindCommunity = "社区"
	kindNatural   = "自然村"
)

// notVillages are place=* values that are not villages.
var notVillages = []string{"neighbourhood", "locality", "town", "city", "suburb", "quarter",
	"city_block", "plot", "farm", "square", "island", "islet", "county", "township",
	"municipality", "district", "state", "province", "region", "borough", "allotments"}

// mapVillage maps place=village, hamlet and isolated_dwelling to 自然村.
// OSM's place=village in China marks a settlement — as often a 自然村 as
// the seat of a 行政村 — and carries no administrative status, so 自然村
// is the safe reading; the importer hangs each on the 行政村 it falls in
// (villages_parent_id_check). Only an element carrying a 12-digit
// 统计用区划代码 in ref=* or ref:*=* is an administrative village: 社区 when
// the code's last three digits are 001–199 (居民委员会), else 行政村
// (200–399, 村民委员会); its code goes to the code column. (A code ending
// in 000 is a township's, not a village's, and is ignored.) Unnamed places
// are skipped: the schema requires a name. place=neighbourhood and the
// like are not villages and are counted by value.
func mapVillage(t tags) []mapping {
	p := t.get("place")
	switch p {
	case "":
		return nil
	case "village", "hamlet", "isolated_dwelling":
	default:
		return skipped(Villages, "place=%s 不是村", known(p, notVillages...))
	}
	name := nameOf(t)
	if name == "" {
		return skipped(Villages, "place=%s 没有名称", p)
	}
	a := map[string]any{"name": name, "kind": kindNatural}
	for _, tg := range t {
		if (tg.key == "ref" || strings.HasPrefix(tg.key, "ref:")) && statCode(tg.value) && tg.value[9:] != "000" {
			a["code"] = tg.value
			if tg.value[9:] < "200" {
				a["kind"] = kindCommunity
			} else {
				a["kind"] = kindAdmin
			}
			break
		}
	}
	return []mapping{{layer: Villages, attrs: a}}
}

// tourismKinds translates tourism=* values for the kind column. Other
// values are kept as tagged, so nothing is lost for an unforeseen one.
var tourismKinds = map[string]string{
	"attraction": "景点", "viewpoint": "观景点", "museum": "博物馆", "gallery": "美术馆",
	"hotel": "酒店", "motel": "汽车旅馆", "guest_house": "民宿", "hostel": "青年旅舍",
	"apartment": "度假公寓", "chalet": "度假小屋", "camp_site": "营地", "caravan_site": "房车营地",
	"picnic_site": "野餐点", "theme_park": "主题公园", "zoo": "动物园", "aquarium": "水族馆",
	"wilderness_hut": "野外小屋", "alpine_hut": "高山小屋",
}

// mapTourism maps tourism=*, except information (boards and offices),
// yes (no kind at all) and artwork (statues, murals), which are not
// places to visit. Unnamed sites are skipped: the schema requires a name
// and a nameless viewpoint cannot be checked against a register.
func mapTourism(t tags) []mapping {
	v := t.get("tourism")
	switch v {
	case "":
		return nil
	case "information", "yes", "artwork", "no":
		return skipped(TourismSites, "tourism=%s 不是旅游点", v)
	}
	name := nameOf(t)
	if name == "" {
		return skipped(TourismSites, "tourism=%s 没有名称", known(v, "attraction", "viewpoint", "museum", "hotel", "guest_house", "camp_site", "picnic_site"))
	}
	kind, ok := tourismKinds[v]
	if !ok {
		kind = v
	}
	return []mapping{{layer: TourismSites, attrs: map[string]any{"name": name, "kind": kind}}}
}
