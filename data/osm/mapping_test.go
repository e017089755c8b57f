package osm

import (
	"reflect"
	"strings"
	"testing"
)

// tg builds tags from "k=v" pairs.
func tg(kv ...string) tags {
	t := make(tags, 0, len(kv))
	for _, s := range kv {
		k, v, _ := strings.Cut(s, "=")
		t = append(t, tag{k, v})
	}
	return t
}

// one runs a mapper and returns its single mapping's attrs and reason;
// it fails if the mapper returned nothing or more than one mapping.
func one(tb testing.TB, ms []mapping) (map[string]any, string) {
	tb.Helper()
	if len(ms) != 1 {
		tb.Fatalf("got %d mappings %+v, want 1", len(ms), ms)
	}
	return ms[0].attrs, ms[0].reason
}

type mapCase struct {
	name   string
	tags   tags
	want   map[string]any // nil when skipped
	reason string
}

func runMapCases(t *testing.T, cases []mapCase, layer Layer, fn func(tags) []mapping) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ms := fn(tc.tags)
			if tc.want == nil && tc.reason == "" {
				if len(ms) != 0 {
					t.Fatalf("got %+v, want no mapping", ms)
				}
				return
			}
			got, reason := one(t, ms)
			if ms[0].layer != layer {
				t.Errorf("layer = %s, want %s", ms[0].layer, layer)
			}
			if reason != tc.reason {
				t.Errorf("reason = %q, want %q", reason, tc.reason)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("attrs = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRefGrade(t *testing.T) {
	cases := []struct {
		ref  string
		want string // "" when not a Chinese route number
	}{
		{"G107", gradeNational},
		{"g107", gradeNational},
		{"G 107", gradeNational},
		{"G4", gradeExpressway},
		{"G56", gradeExpressway},
		{"G4513", gradeExpressway},
		{"G4W2", gradeExpressway},
		{"S306", gradeProvincial},
		{"S20", gradeExpressway},
		{"S7101", gradeExpressway},
		{"X021", gradeCounty},
		{"Y005", gradeTownship},
		{"C123", gradeVillage},
		{"Z001", gradeSpecial},
		{"G107;S306", gradeNational},
		{"X021;G4", gradeExpressway},
		{"Y005/C123", gradeTownship},
		{"G10701", ""}, // 5 digits: no such number
		{"A1", ""},
		{"G", ""},
		{"107", ""},
		{"", ""},
		{"国道107", ""},
	}
	for _, tc := range cases {
		t.Run(tc.ref, func(t *testing.T) {
			got, ok := refGrade(tc.ref)
			if ok != (tc.want != "") || got != tc.want {
				t.Errorf("refGrade(%q) = %q, %v; want %q", tc.ref, got, ok, tc.want)
			}
		})
	}
}

func TestMapRoad(t *testing.T) {
	cases := []mapCase{
		{"motorway", tg("highway=motorway", "ref=G4", "name=京港澳高速"), map[string]any{"grade": "高速", "ref": "G4", "name": "京港澳高速"}, ""},
		{"motorway link without ref", tg("highway=motorway_link"), map[string]any{"grade": "高速"}, ""},
		{"motorway keeps 高速 whatever its ref", tg("highway=motorway", "ref=S306"), map[string]any{"grade": "高速", "ref": "S306"}, ""},
		{"trunk G", tg("highway=trunk", "ref=G107"), map[string]any{"grade": "国道", "ref": "G107"}, ""},
		{"trunk S", tg("highway=trunk", "ref=S306"), map[string]any{"grade": "省道", "ref": "S306"}, ""},
		{"trunk G expressway number", tg("highway=trunk", "ref=G4513"), map[string]any{"grade": "高速", "ref": "G4513"}, ""},
		{"trunk without ref", tg("highway=trunk"), map[string]any{"grade": "国道"}, ""},
		{"primary G", tg("highway=primary", "ref=G107"), map[string]any{"grade": "国道", "ref": "G107"}, ""},
		{"primary without ref", tg("highway=primary"), map[string]any{"grade": "省道"}, ""},
		{"secondary S", tg("highway=secondary", "ref=S306"), map[string]any{"grade": "省道", "ref": "S306"}, ""},
		{"secondary without ref", tg("highway=secondary_link"), map[string]any{"grade": "县道"}, ""},
		{"tertiary X", tg("highway=tertiary", "ref=X021"), map[string]any{"grade": "县道", "ref": "X021"}, ""},
		{"tertiary Y", tg("highway=tertiary", "ref=Y005"), map[string]any{"grade": "乡道", "ref": "Y005"}, ""},
		{"tertiary C", tg("highway=tertiary", "ref=C123"), map[string]any{"grade": "村道", "ref": "C123"}, ""},
		{"tertiary without ref", tg("highway=tertiary"), map[string]any{"grade": "乡道"}, ""},
		{"primary with county ref is 县道", tg("highway=primary", "ref=X021"), map[string]any{"grade": "县道", "ref": "X021"}, ""},
		{"shared section", tg("highway=primary", "ref=G107;S306"), map[string]any{"grade": "国道", "ref": "G107;S306"}, ""},
		{"unclassified", tg("highway=unclassified"), map[string]any{"grade": "村道"}, ""},
		{"residential", tg("highway=residential", "name=桃林村道"), map[string]any{"grade": "村道", "name": "桃林村道"}, ""},
		{"living_street", tg("highway=living_street"), map[string]any{"grade": "村道"}, ""},
		{"Z ref", tg("highway=unclassified", "ref=Z001"), map[string]any{"grade": "专用", "ref": "Z001"}, ""},
		{"unknown ref prefix keeps class", tg("highway=tertiary", "ref=A1"), map[string]any{"grade": "乡道", "ref": "A1"}, ""},
		{"track grade1", tg("highway=track", "tracktype=grade1"), map[string]any{"grade": "通组路", "surface": "水泥"}, ""},
		{"track grade2", tg("highway=track", "tracktype=grade2", "surface=concrete"), map[string]any{"grade": "通组路", "surface": "水泥"}, ""},
		{"track grade3", tg("highway=track", "tracktype=grade3"), nil, "highway=track tracktype=grade3 是机耕道或田间道"},
		{"track grade5", tg("highway=track", "tracktype=grade5"), nil, "highway=track tracktype=grade5 是机耕道或田间道"},
		{"track untyped", tg("highway=track"), nil, "highway=track 未标 tracktype（可能是通组路，也可能是机耕道）"},
		{"track with C ref", tg("highway=track", "ref=C045"), map[string]any{"grade": "村道", "ref": "C045"}, ""},
		{"service", tg("highway=service"), map[string]any{"grade": "通组路"}, ""},
		{"service alley", tg("highway=service", "service=alley"), map[string]any{"grade": "通组路"}, ""},
		{"service private", tg("highway=service", "access=private"), map[string]any{"grade": "专用"}, ""},
		{"service no access", tg("highway=service", "access=no"), map[string]any{"grade": "专用"}, ""},
		{"service driveway", tg("highway=service", "service=driveway"), nil, "highway=service service=driveway 是入户道或场内通道"},
		{"service parking_aisle", tg("highway=service", "service=parking_aisle"), nil, "highway=service service=parking_aisle 是入户道或场内通道"},
		{"footway", tg("highway=footway", "name=登山步道"), nil, "highway=footway 不是公路"},
		{"path", tg("highway=path"), nil, "highway=path 不是公路"},
		{"cycleway", tg("highway=cycleway"), nil, "highway=cycleway 不是公路"},
		{"steps", tg("highway=steps"), nil, "highway=steps 不是公路"},
		{"bridleway", tg("highway=bridleway"), nil, "highway=bridleway 不是公路"},
		{"pedestrian", tg("highway=pedestrian"), nil, "highway=pedestrian 不是公路"},
		{"construction", tg("highway=construction", "construction=tertiary"), nil, "highway=construction 未建成或已废弃"},
		{"proposed", tg("highway=proposed"), nil, "highway=proposed 未建成或已废弃"},
		{"abandoned", tg("highway=abandoned"), nil, "highway=abandoned 未建成或已废弃"},
		{"road", tg("highway=road"), nil, "highway=road 等级未知"},
		{"garbage value is not echoed", tg("highway=" + strings.Repeat("x", 100)), nil, "highway=其他值 不是公路"},
		{"pedestrian area", tg("highway=pedestrian", "area=yes"), nil, "highway=pedestrian area=yes 是面状区域，不是道路中线"},
		{"not a road", tg("building=yes"), nil, ""},
		{"zh-Hans name first", tg("highway=tertiary", "name=Linxiang Rd", "name:zh=临湘路", "name:zh-Hans=临湘路（简）"), map[string]any{"grade": "乡道", "name": "临湘路（简）"}, ""},
		{"name:zh before name", tg("highway=tertiary", "name=Linxiang Rd", "name:zh=临湘路"), map[string]any{"grade": "乡道", "name": "临湘路"}, ""},
		{"blank name absent", tg("highway=tertiary", "name=  "), map[string]any{"grade": "乡道"}, ""},
		{"width", tg("highway=tertiary", "width=6.5 m"), map[string]any{"grade": "乡道", "width_m": 6.5}, ""},
		{"est_width", tg("highway=tertiary", "est_width=4"), map[string]any{"grade": "乡道", "width_m": 4.0}, ""},
		{"width out of range dropped", tg("highway=tertiary", "width=80"), map[string]any{"grade": "乡道"}, ""},
	}
	runMapCases(t, cases, Roads, mapRoad)
}

func TestSurface(t *testing.T) {
	cases := []struct {
		tags tags
		want string // "" when absent
	}{
		{tg("surface=asphalt"), "沥青"},
		{tg("surface=chipseal"), "沥青"},
		{tg("surface=concrete"), "水泥"},
		{tg("surface=concrete:plates"), "水泥"},
		{tg("surface=concrete:lanes"), "水泥"},
		{tg("surface=cement"), "水泥"},
		{tg("surface=paved"), "水泥"},
		{tg("surface=gravel"), "砂石"},
		{tg("surface=fine_gravel"), "砂石"},
		{tg("surface=compacted"), "砂石"},
		{tg("surface=pebblestone"), "砂石"},
		{tg("surface=unpaved"), "砂石"},
		{tg("surface=dirt"), "土"},
		{tg("surface=earth"), "土"},
		{tg("surface=ground"), "土"},
		{tg("surface=mud"), "土"},
		{tg("surface=sand"), "土"},
		{tg("surface=grass"), "土"},
		{tg("surface=Asphalt; concrete"), "沥青"},
		{tg("surface=paving_stones"), ""},
		{tg("surface=sett"), ""},
		{tg("surface=wood"), ""},
		{tg("tracktype=grade1"), "水泥"},
		{tg("tracktype=grade2"), "砂石"},
		{tg("tracktype=grade3"), "砂石"},
		{tg("tracktype=grade4"), "土"},
		{tg("tracktype=grade5"), "土"},
		{tg("surface=asphalt", "tracktype=grade5"), "沥青"}, // surface wins
		{tg("surface=wood", "tracktype=grade1"), ""},      // a tagged surface is not overridden
		{tg(), ""},
	}
	for _, tc := range cases {
		got, ok := surfaceOf(tc.tags)
		if ok != (tc.want != "") || got != tc.want {
			t.Errorf("surfaceOf(%v) = %q, %v; want %q", tc.tags, got, ok, tc.want)
		}
	}
}

func TestParseWidth(t *testing.T) {
	cases := []struct {
		in   string
		want float64 // 0 when dropped
	}{
		{"6", 6}, {"6 m", 6}, {"6.5m", 6.5}, {"6,5", 6.5}, {"6.5 M", 6.5}, {"4米", 4},
		{" 7 ", 7}, {"3.5 meters", 3.5}, {"60", 60}, {"0.5", 0.5}, {".5", 0.5},
		{"0", 0}, {"60.1", 0}, {"80", 0}, {"-3", 0}, {"6'", 0}, {"20 ft", 0},
		{"6;7", 0}, {"6,5,1", 0}, {"1e1", 0}, {"NaN", 0}, {"Inf", 0}, {"0x10", 0},
		{"", 0}, {"m", 0}, {"6.5.1", 0}, {"约6", 0},
	}
	for _, tc := range cases {
		got, ok := parseWidth(tc.in)
		if ok != (tc.want != 0) || got != tc.want {
			t.Errorf("parseWidth(%q) = %v, %v; want %v", tc.in, got, ok, tc.want)
		}
	}
}

func TestParseVoltages(t *testing.T) {
	cases := []struct {
		in   string
		want []float64 // nil when unparseable
	}{
		{"10000", []float64{10}},
		{"220000;110000", []float64{220, 110}},
		{"110000;35000;10000", []float64{110, 35, 10}},
		{"35000;110000", []float64{110, 35}},
		{"10 kV", []float64{10}},
		{"10kV", []float64{10}},
		{"10KV", []float64{10}},
		{"400V", []float64{0.4}},
		{"400", []float64{0.4}},
		{"220", []float64{0.22}},
		{"380", []float64{0.38}},
		{"110000/35000", []float64{110, 35}},
		{"110000,35000", []float64{110, 35}},
		{"110000;110000", []float64{110}},
		{"110000;", []float64{110}},
		{"10.5 kV", []float64{10.5}},
		{"110000;unknown", nil},
		{"medium", nil},
		{"", nil},
		{";", nil},
		{"0", nil},
		{"-800000", nil},
		{"3000000", nil}, // 3000 kV: no such line
		{"1e5", nil},
		{"NaN", nil},
	}
	for _, tc := range cases {
		got, ok := parseVoltages(tc.in)
		if ok != (tc.want != nil) || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseVoltages(%q) = %v, %v; want %v", tc.in, got, ok, tc.want)
		}
	}
}

func TestSnap(t *testing.T) {
	cases := []struct {
		kv   float64
		set  []float64
		want float64 // 0 when not snapped
	}{
		{0.22, lineKVs, 0.22}, {0.23, lineKVs, 0.22}, {0.38, lineKVs, 0.4}, {0.4, lineKVs, 0.4},
		{10, lineKVs, 10}, {10.5, lineKVs, 10}, {11, lineKVs, 10}, {6, lineKVs, 0}, {6.3, lineKVs, 0},
		{20, lineKVs, 0}, {35, lineKVs, 35}, {38.5, lineKVs, 35}, {66, lineKVs, 0},
		{110, lineKVs, 110}, {115, lineKVs, 110}, {220, lineKVs, 220}, {230, lineKVs, 220},
		{330, lineKVs, 0}, {500, lineKVs, 500}, {525, lineKVs, 500}, {750, lineKVs, 0}, {1000, lineKVs, 0},
		{0.3, lineKVs, 0}, {10, substationKVs, 0}, {110, substationKVs, 110}, {10, secondaryKVs, 10},
	}
	for _, tc := range cases {
		got, ok := snap(tc.kv, tc.set)
		if ok != (tc.want != 0) || got != tc.want {
			t.Errorf("snap(%v, %v) = %v, %v; want %v", tc.kv, tc.set, got, ok, tc.want)
		}
	}
}

func TestPhases(t *testing.T) {
	cases := []struct {
		tags tags
		want int64 // 0 when absent
	}{
		{tg("phases=1"), 1}, {tg("phases=3"), 3}, {tg("phases=2"), 0}, {tg("phases=3;1"), 3},
		{tg("cables=2"), 1}, {tg("cables=3"), 3}, {tg("cables=4"), 3}, {tg("cables=6"), 3},
		{tg("cables=12"), 3}, {tg("cables=1"), 0}, {tg("cables=5"), 0}, {tg("cables=x"), 0},
		{tg("phases=1", "cables=6"), 1}, {tg(), 0},
	}
	for _, tc := range cases {
		got, ok := phasesOf(tc.tags)
		if ok != (tc.want != 0) || got != tc.want {
			t.Errorf("phasesOf(%v) = %v, %v; want %v", tc.tags, got, ok, tc.want)
		}
	}
}

func TestMapPowerLine(t *testing.T) {
	cases := []mapCase{
		{"minor_line without voltage", tg("power=minor_line"), map[string]any{"voltage_kv": 0.4}, ""},
		{"minor_line 10 kV", tg("power=minor_line", "voltage=10000", "name=10kV桃林线"), map[string]any{"voltage_kv": 10.0, "name": "10kV桃林线"}, ""},
		{"line two circuits", tg("power=line", "voltage=110000;35000", "cables=6"), map[string]any{"voltage_kv": 110.0, "phases": int64(3)}, ""},
		{"line kV unit", tg("power=line", "voltage=35 kV"), map[string]any{"voltage_kv": 35.0}, ""},
		{"line 10.5 kV snaps", tg("power=line", "voltage=10500"), map[string]any{"voltage_kv": 10.0}, ""},
		{"line 230 kV snaps", tg("power=line", "voltage=230000"), map[string]any{"voltage_kv": 220.0}, ""},
		{"380 V is 0.4", tg("power=minor_line", "voltage=380"), map[string]any{"voltage_kv": 0.4}, ""},
		{"cable 0.4 kV", tg("power=cable", "voltage=400", "cables=4"), map[string]any{"voltage_kv": 0.4, "phases": int64(3)}, ""},
		{"0.22 kV is single-phase", tg("power=minor_line", "voltage=220"), map[string]any{"voltage_kv": 0.22, "phases": int64(1)}, ""},
		{"0.22 kV overrides phases", tg("power=minor_line", "voltage=220", "phases=3"), map[string]any{"voltage_kv": 0.22, "phases": int64(1)}, ""},
		// No voltage anywhere: yielded with the voltage unknown (the column
		// may be NULL since migration 0013), not guessed and not dropped.
		{"line without voltage", tg("power=line"), map[string]any{}, ""},
		{"cable without voltage", tg("power=cable"), map[string]any{}, ""},
		// Real OSM names in Hunan carry the voltage (issue 17).
		{"voltage in the name", tg("power=line", "name=220kV立头-桂水"), map[string]any{"voltage_kv": 220.0, "name": "220kV立头-桂水"}, ""},
		{"voltage in the name, 线", tg("power=line", "name=110kV嘉栗线", "cables=3"), map[string]any{"voltage_kv": 110.0, "name": "110kV嘉栗线", "phases": int64(3)}, ""},
		{"千伏 and full width", tg("power=line", "name=３５千伏聂市线"), map[string]any{"voltage_kv": 35.0, "name": "３５千伏聂市线"}, ""},
		{"name:zh first", tg("power=line", "name=Litou line", "name:zh=500kV立头线"), map[string]any{"voltage_kv": 500.0, "name": "500kV立头线"}, ""},
		{"two voltages, the highest", tg("power=line", "name=220kV/110kV同塔双回"), map[string]any{"voltage_kv": 220.0, "name": "220kV/110kV同塔双回"}, ""},
		{"voltage in the ref", tg("power=line", "ref=110kV"), map[string]any{"voltage_kv": 110.0}, ""},
		{"the tag wins over the name", tg("power=line", "voltage=35000", "name=110kV嘉栗线"), map[string]any{"voltage_kv": 35.0, "name": "110kV嘉栗线"}, ""},
		{"minor_line named 10 kV", tg("power=minor_line", "name=10kV白羊线"), map[string]any{"voltage_kv": 10.0, "name": "10kV白羊线"}, ""},
		{"a number without unit is not read", tg("power=line", "name=嘉栗线110"), map[string]any{"name": "嘉栗线110"}, ""},
		{"name voltage out of class", tg("power=line", "name=±800kV祁韶线"), nil, "power=line 名称中的电压 800 kV 不在 0.22/0.4/10/35/110/220/500 kV 之列"},
		{"66 kV", tg("power=line", "voltage=66000"), nil, "power=line 电压 66 kV 不在 0.22/0.4/10/35/110/220/500 kV 之列"},
		{"6 kV", tg("power=minor_line", "voltage=6000"), nil, "power=minor_line 电压 6 kV 不在 0.22/0.4/10/35/110/220/500 kV 之列"},
		{"odd voltage not echoed", tg("power=line", "voltage=77777"), nil, "power=line 电压不在 0.22/0.4/10/35/110/220/500 kV 之列"},
		{"garbage voltage", tg("power=line", "voltage=high"), nil, "power=line 的 voltage 无法识别"},
		{"tower is not a line", tg("power=tower"), nil, ""},
	}
	runMapCases(t, cases, PowerLines, mapPowerLine)
}

// TestPowerLineNotes: a voltage read from the name or ref, and a line
// without any, are noted (the report counts them); a tagged voltage is not.
func TestPowerLineNotes(t *testing.T) {
	for _, tc := range []struct {
		tags tags
		note string
	}{
		{tg("power=line", "name=220kV立头-桂水"), "power=line 未标 voltage，电压取自名称"},
		{tg("power=cable", "ref=10kV"), "power=cable 未标 voltage，电压取自编号（ref）"},
		{tg("power=line"), "power=line 未标电压（名称和编号中也没有），按电压未知导入"},
		{tg("power=line", "voltage=110000", "name=110kV嘉栗线"), ""},
		{tg("power=minor_line"), ""},
	} {
		ms := mapPowerLine(tc.tags)
		if len(ms) != 1 || ms[0].note != tc.note {
			t.Errorf("%v: %+v, want note %q", tc.tags, ms, tc.note)
		}
	}
}

func TestMapPowerPoint(t *testing.T) {
	cases := []struct {
		name   string
		tags   tags
		layer  Layer
		want   map[string]any
		reason string
	}{
		{"110 kV substation", tg("power=substation", "voltage=110000;35000;10000", "name=羊楼司110kV变电站"),
			Substations, map[string]any{"name": "羊楼司110kV变电站", "voltage_kv": 110.0, "secondary_kv": 35.0}, ""},
		{"35 kV substation", tg("power=substation", "voltage=35000;10000"),
			Substations, map[string]any{"voltage_kv": 35.0, "secondary_kv": 10.0}, ""},
		{"secondary skips unsnappable", tg("power=substation", "voltage=220000;66000;35000"),
			Substations, map[string]any{"voltage_kv": 220.0, "secondary_kv": 35.0}, ""},
		{"single voltage", tg("power=substation", "voltage=500000"),
			Substations, map[string]any{"voltage_kv": 500.0}, ""},
		{"secondary 0.4 not allowed", tg("power=substation", "voltage=35000;400"),
			Substations, map[string]any{"voltage_kv": 35.0}, ""},
		{"10 kV substation is a 配变", tg("power=substation", "voltage=10000", "name=桃林村配电站"),
			Transformers, map[string]any{"name": "桃林村配电站", "primary_kv": 10.0}, ""},
		{"10/0.4 kV substation", tg("power=substation", "voltage=10000;400"),
			Transformers, map[string]any{"primary_kv": 10.0, "secondary_kv": 0.4}, ""},
		{"minor_distribution without voltage", tg("power=substation", "substation=minor_distribution"),
			Transformers, map[string]any{}, ""},
		{"substation without voltage", tg("power=substation"),
			Substations, nil, "power=substation 未标电压，无法区分变电站与配变"},
		{"66 kV substation", tg("power=substation", "voltage=66000;10000"),
			Substations, nil, "power=substation 电压 66 kV 不在 35/110/220/500 kV 之列"},
		{"garbage voltage", tg("power=substation", "voltage=?"),
			Substations, nil, "power=substation 的 voltage 无法识别"},
		{"transformer", tg("power=transformer", "rating=200 kVA", "voltage=10000;400", "name=白羊田村3号台变"),
			Transformers, map[string]any{"name": "白羊田村3号台变", "kva": 200.0, "primary_kv": 10.0, "secondary_kv": 0.4}, ""},
		{"transformer primary/secondary tags", tg("power=transformer", "voltage:primary=35000", "voltage:secondary=10000;400", "rating=0.63 MVA", "phases=3"),
			Transformers, map[string]any{"kva": 630.0, "primary_kv": 35.0, "secondary_kv": 0.4, "phases": int64(3)}, ""},
		{"single-phase transformer", tg("power=transformer", "voltage=10000;220", "rating=50kVA"),
			Transformers, map[string]any{"kva": 50.0, "primary_kv": 10.0, "secondary_kv": 0.22, "phases": int64(1)}, ""},
		{"transformer untagged", tg("power=transformer"), Transformers, map[string]any{}, ""},
		{"transformer rating in VA", tg("power=transformer", "rating=400000 VA"), Transformers, map[string]any{"kva": 400.0}, ""},
		{"pole transformer", tg("power=pole", "transformer=distribution", "rating=100"), Transformers, map[string]any{"kva": 100.0}, ""},
		{"main transformer", tg("power=transformer", "transformer=main", "voltage=110000;10000"),
			Transformers, nil, "power=transformer transformer=main 不是配变"},
		{"110 kV transformer", tg("power=transformer", "voltage=110000;10000"),
			Transformers, nil, "power=transformer 一次电压高于 35 kV，是主变不是配变"},
		{"big transformer", tg("power=transformer", "rating=50 MVA"),
			Transformers, nil, "power=transformer 容量超过 2500 kVA，是主变不是配变"},
		{"unrated rating ignored", tg("power=transformer", "rating=big"), Transformers, map[string]any{}, ""},
		{"plain pole", tg("power=pole"), "", nil, ""},
		{"tower", tg("power=tower"), "", nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ms := mapPowerPoint(tc.tags)
			if tc.layer == "" {
				if len(ms) != 0 {
					t.Fatalf("got %+v, want nothing", ms)
				}
				return
			}
			got, reason := one(t, ms)
			if ms[0].layer != tc.layer || reason != tc.reason || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %s %v %q, want %s %v %q", ms[0].layer, got, reason, tc.layer, tc.want, tc.reason)
			}
		})
	}
}

func TestParseRating(t *testing.T) {
	cases := []struct {
		in   string
		want float64
	}{
		{"630 kVA", 630}, {"630kva", 630}, {"0.63 MVA", 630}, {"630000 VA", 630}, {"200", 200},
		{"100;200", 100}, {"", 0}, {"big", 0}, {"0", 0}, {"-5 kVA", 0}, {"1e3", 0},
	}
	for _, tc := range cases {
		got, ok := parseRating(tc.in)
		if ok != (tc.want != 0) || got != tc.want {
			t.Errorf("parseRating(%q) = %v, %v; want %v", tc.in, got, ok, tc.want)
		}
	}
}

func TestParseCapacity(t *testing.T) {
	cases := []struct {
		in   string
		want float64 // 万m³; 0 when unparseable
	}{
		{"1250000", 125}, {"1250000 m3", 125}, {"1250000m³", 125}, {"1250000立方米", 125},
		{"125万m3", 125}, {"125万立方米", 125}, {"125 万m³", 125}, {"125万方", 125}, {"125万", 125},
		{"1.2亿m3", 12000}, {"1.2亿立方米", 12000}, {"0.5亿方", 5000}, {"1250000方", 125},
		{"", 0}, {"big", 0}, {"0", 0}, {"万", 0}, {"-1", 0},
	}
	for _, tc := range cases {
		got, ok := parseCapacity(tc.in)
		if ok != (tc.want != 0) || got != tc.want {
			t.Errorf("parseCapacity(%q) = %v, %v; want %v", tc.in, got, ok, tc.want)
		}
	}
}

func TestScaleFromCapacity(t *testing.T) {
	cases := []struct {
		wan  float64
		want string
	}{
		{200000, "大(1)型"}, {100000, "大(1)型"}, {99999, "大(2)型"}, {10000, "大(2)型"},
		{9999, "中型"}, {1000, "中型"}, {999, "小(1)型"}, {100, "小(1)型"},
		{99, "小(2)型"}, {10, "小(2)型"}, {9.9, ""}, {0.1, ""},
	}
	for _, tc := range cases {
		got, ok := scaleFromCapacity(tc.wan)
		if ok != (tc.want != "") || got != tc.want {
			t.Errorf("scaleFromCapacity(%v) = %q; want %q", tc.wan, got, tc.want)
		}
	}
}

func TestMapReservoir(t *testing.T) {
	cases := []struct {
		name   string
		tags   tags
		closed bool
		want   map[string]any
		reason string
	}{
		{"water=reservoir", tg("natural=water", "water=reservoir", "name=忠防水库", "volume=1250000", "drinking_water=yes"), true,
			map[string]any{"name": "忠防水库", "capacity_wan_m3": 125.0, "scale": "小(1)型", "is_drinking_source": true}, ""},
		{"landuse=reservoir unnamed", tg("landuse=reservoir"), true, map[string]any{}, ""},
		{"register scale wins over capacity", tg("water=reservoir", "reservoir:scale=小二型", "capacity=1250万m3"), true,
			map[string]any{"scale": "小(2)型", "capacity_wan_m3": 1250.0}, ""},
		{"full-width parentheses", tg("water=reservoir", "reservoir:scale=大（2）型"), true, map[string]any{"scale": "大(2)型"}, ""},
		{"unknown scale spelling ignored", tg("water=reservoir", "reservoir:scale=大型"), true, map[string]any{}, ""},
		{"pond below 小(2)型", tg("water=reservoir", "volume=50000"), true, map[string]any{"capacity_wan_m3": 5.0}, ""},
		{"unclosed", tg("landuse=reservoir"), false, nil, "水库的 way 未闭合，不是水面"},
		{"tailings", tg("water=reservoir", "reservoir_type=tailings"), true, nil, "reservoir_type=tailings 不是水库"},
		{"sewage", tg("water=reservoir", "reservoir_type=sewage"), true, nil, "reservoir_type=sewage 不是水库"},
		{"lake", tg("natural=water", "water=lake"), true, nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ms := mapReservoir(tc.tags, tc.closed)
			if tc.want == nil && tc.reason == "" {
				if len(ms) != 0 {
					t.Fatalf("got %+v, want nothing", ms)
				}
				return
			}
			got, reason := one(t, ms)
			if reason != tc.reason || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v %q, want %v %q", got, reason, tc.want, tc.reason)
			}
		})
	}
}

func TestMapVillage(t *testing.T) {
	cases := []mapCase{
		{"village", tg("place=village", "name=桃林村"), map[string]any{"name": "桃林村", "kind": "自然村"}, ""},
		{"hamlet", tg("place=hamlet", "name=李家组"), map[string]any{"name": "李家组", "kind": "自然村"}, ""},
		{"isolated_dwelling", tg("place=isolated_dwelling", "name=刘家屋场"), map[string]any{"name": "刘家屋场", "kind": "自然村"}, ""},
		{"村委会 code", tg("place=village", "name=白羊田村", "ref:stats=430682101201"),
			map[string]any{"name": "白羊田村", "kind": "行政村", "code": "430682101201"}, ""},
		{"居委会 code", tg("place=village", "name=五里牌", "ref=430682001003"),
			map[string]any{"name": "五里牌", "kind": "社区", "code": "430682001003"}, ""},
		{"township code ignored", tg("place=village", "name=聂市", "ref=430682101000"), map[string]any{"name": "聂市", "kind": "自然村"}, ""},
		{"11 digits ignored", tg("place=village", "name=桃林村", "ref=43068210120"), map[string]any{"name": "桃林村", "kind": "自然村"}, ""},
		{"code in other key ignored", tg("place=village", "name=桃林村", "postal_code=430682101201"), map[string]any{"name": "桃林村", "kind": "自然村"}, ""},
		{"name:zh", tg("place=village", "name=Huanggaihu", "name:zh=黄盖湖村"), map[string]any{"name": "黄盖湖村", "kind": "自然村"}, ""},
		{"unnamed", tg("place=village"), nil, "place=village 没有名称"},
		{"neighbourhood", tg("place=neighbourhood", "name=五里牌社区"), nil, "place=neighbourhood 不是村"},
		{"town", tg("place=town", "name=聂市镇"), nil, "place=town 不是村"},
		{"odd place", tg("place=xyz"), nil, "place=其他值 不是村"},
		{"not a place", tg("amenity=school"), nil, ""},
	}
	runMapCases(t, cases, Villages, mapVillage)
}

func TestMapTourism(t *testing.T) {
	cases := []mapCase{
		{"attraction", tg("tourism=attraction", "name=龙窖山"), map[string]any{"name": "龙窖山", "kind": "景点"}, ""},
		{"viewpoint", tg("tourism=viewpoint", "name=黄盖湖观景台"), map[string]any{"name": "黄盖湖观景台", "kind": "观景点"}, ""},
		{"museum", tg("tourism=museum", "name=临湘市博物馆"), map[string]any{"name": "临湘市博物馆", "kind": "博物馆"}, ""},
		{"hotel", tg("tourism=hotel", "name=临湘宾馆"), map[string]any{"name": "临湘宾馆", "kind": "酒店"}, ""},
		{"guest_house", tg("tourism=guest_house", "name=桃林农家乐"), map[string]any{"name": "桃林农家乐", "kind": "民宿"}, ""},
		{"camp_site", tg("tourism=camp_site", "name=龙窖山营地"), map[string]any{"name": "龙窖山营地", "kind": "营地"}, ""},
		{"untranslated kept", tg("tourism=trail_riding_station", "name=马场"), map[string]any{"name": "马场", "kind": "trail_riding_station"}, ""},
		{"information", tg("tourism=information", "name=游客中心"), nil, "tourism=information 不是旅游点"},
		{"yes", tg("tourism=yes", "name=某地"), nil, "tourism=yes 不是旅游点"},
		{"artwork", tg("tourism=artwork", "name=雕塑"), nil, "tourism=artwork 不是旅游点"},
		{"unnamed", tg("tourism=viewpoint"), nil, "tourism=viewpoint 没有名称"},
		{"unnamed odd", tg("tourism=zzz"), nil, "tourism=其他值 没有名称"},
		{"none", tg("leisure=park"), nil, ""},
	}
	runMapCases(t, cases, TourismSites, mapTourism)
}

func TestMapRelation(t *testing.T) {
	ms := mapRelation(tg("type=multipolygon", "water=reservoir", "name=龙源水库"))
	if got, reason := one(t, ms); reason != "" || got["name"] != "龙源水库" {
		t.Errorf("multipolygon reservoir: %v %q", got, reason)
	}
	ms = mapRelation(tg("type=site", "water=reservoir"))
	if _, reason := one(t, ms); reason != "水库关系的 type=site 不是 multipolygon" {
		t.Errorf("site reservoir: reason %q", reason)
	}
	ms = mapRelation(tg("type=multipolygon", "tourism=theme_park", "name=乐园"))
	if _, reason := one(t, ms); reason != "多边形关系暂只支持水库" || ms[0].layer != TourismSites {
		t.Errorf("theme park relation: %+v", ms)
	}
	if ms := mapRelation(tg("type=route", "route=bus", "ref=1")); len(ms) != 0 {
		t.Errorf("bus route: %+v", ms)
	}
	if ms := mapRelation(tg("type=route", "tourism=attraction", "name=x")); len(ms) != 0 {
		t.Errorf("tourism route relation: %+v, want ignored", ms)
	}
}

func TestMapNodeSeveralLayers(t *testing.T) {
	ms := mapNode(tg("place=village", "name=石门村", "tourism=attraction"))
	if len(ms) != 2 || ms[0].layer != Villages || ms[1].layer != TourismSites {
		t.Fatalf("got %+v, want a village and a tourism site", ms)
	}
}

func TestPlaceholderName(t *testing.T) {
	if got := placeholderName(Reservoirs, "way/402"); got != "未命名水库（OSM way/402）" {
		t.Errorf("reservoir: %q", got)
	}
	if got := placeholderName(Substations, "node/305"); got != "未命名变电站（OSM node/305）" {
		t.Errorf("substation: %q", got)
	}
	if got := placeholderName(Roads, "way/1"); got != "" {
		t.Errorf("road: %q", got)
	}
}
