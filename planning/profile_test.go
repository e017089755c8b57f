package planning_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/planning"
)

// parse is ParseProfile on a string.
func parse(tb testing.TB, s string) (planning.Profile, error) {
	tb.Helper()
	return planning.ParseProfile(strings.NewReader(s))
}

func TestDefaultProfile(t *testing.T) {
	p := planning.DefaultProfile() // panics if profile_default.json is broken
	if err := p.Validate(); err != nil {
		t.Fatalf("Validate() = %v, want nil", err)
	}
	if got, want := p.Name, "domain.md default"; got != want {
		t.Errorf("Name = %q, want %q", got, want)
	}
	cases := []struct {
		key    string
		value  float64
		source string
	}{
		{"road.bus_stop_radius_m", 1000, planning.SourceEstimated},           // R4
		{"road.group_min_households", 30, planning.SourceSourced},            // R2
		{"water.litres_per_person_day", 35, planning.SourceSourced},          // W1
		{"water.outage_days_floor", 90, planning.SourceEstimated},            // W4
		{"grid.kva_per_household", 2.0, planning.SourceSourced},              // E1
		{"grid.reliability_floor_pct", 99.0, planning.SourceEstimated},       // E3
		{"pv.income_per_kw_yuan", 1070, planning.SourceDerived},              // P2
		{"exit.max_poverty_incidence_pct", 2, planning.SourceSourced},        // §1
		{"composite.weight_pv", 0.15, planning.SourceEstimated},              // G
		{"road.detour_factor", 1.3, planning.SourceEstimated},                // §1 distances
		{"pv.centralised_kw_per_poor_household", 25, planning.SourceSourced}, // P1
	}
	for _, tc := range cases {
		t.Run(tc.key, func(t *testing.T) {
			got, ok := p.Lookup(tc.key)
			if !ok {
				t.Fatalf("Lookup(%q) not found", tc.key)
			}
			if got.Value != tc.value || got.Source != tc.source || got.Note == "" {
				t.Errorf("Lookup(%q) = %+v, want value %g, source %s and a note", tc.key, got, tc.value, tc.source)
			}
		})
	}
	c := p.Composite
	if sum := c.WeightRoad.Value + c.WeightWater.Value + c.WeightGrid.Value + c.WeightPV.Value; math.Abs(sum-1) > 1e-9 {
		t.Errorf("composite weights sum to %g, want 1", sum)
	}
}

func TestParseProfileOverrides(t *testing.T) {
	def := planning.DefaultProfile()
	cases := []struct {
		name  string
		input string
		edit  func(p *planning.Profile) // turns the default into the expected profile
	}{
		{
			name:  "empty object is the default",
			input: `{}`,
			edit:  func(*planning.Profile) {},
		},
		{
			name:  "bare number",
			input: `{"road": {"group_min_households": 20}}`,
			edit: func(p *planning.Profile) {
				p.Road.GroupMinHouseholds = planning.Param{Value: 20, Source: planning.SourceCounty, Note: "county profile"}
			},
		},
		{
			name:  "object with source and note",
			input: `{"grid": {"kva_per_household": {"value": 2.8, "source": "sourced", "note": "安徽 target"}}}`,
			edit: func(p *planning.Profile) {
				p.Grid.KVAPerHousehold = planning.Param{Value: 2.8, Source: planning.SourceSourced, Note: "安徽 target"}
			},
		},
		{
			name:  "object without source is county",
			input: `{"water": {"litres_per_person_day": {"value": 20}}}`,
			edit: func(p *planning.Profile) {
				p.Water.LitresPerPersonDay = planning.Param{Value: 20, Source: planning.SourceCounty, Note: "county profile"}
			},
		},
		{
			name:  "name and several sections",
			input: `{"name": "临湘市", "composite": {"weight_pv": 0}, "exit": {"max_poverty_incidence_pct": 3}}`,
			edit: func(p *planning.Profile) {
				p.Name = "临湘市"
				p.Composite.WeightPV = planning.Param{Value: 0, Source: planning.SourceCounty, Note: "county profile"}
				p.Exit.MaxPovertyIncidencePct = planning.Param{Value: 3, Source: planning.SourceCounty, Note: "county profile"}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parse(t, tc.input)
			if err != nil {
				t.Fatalf("ParseProfile: %v", err)
			}
			want := def
			tc.edit(&want)
			if got != want {
				t.Errorf("ParseProfile(%s)\n got %+v\nwant %+v", tc.input, got, want)
			}
		})
	}
}

func TestParseProfileErrors(t *testing.T) {
	cases := []struct {
		name  string
		input string
		want  []string // substrings of the error, e.g. the dotted key
	}{
		{"unknown top-level key", `{"roads": {}}`,
			[]string{"配置项 roads 未知；可用：completion_state, composite, exit, grid, name, prices, projects, pv, road, targets, units, water"}},
		{"unknown nested key", `{"road": {"bus_stop_radius": 800}}`,
			[]string{"配置项 road.bus_stop_radius 未知；可用：all_season_radius_m, bus_stop_radius_m,"}},
		{"unknown key in a leaf object", `{"road": {"weight_r2": {"value": 1, "weight": 2}}}`,
			[]string{"配置项 road.weight_r2.weight 未知；可用：note, source, value"}},
		{"leaf object without value", `{"road": {"weight_r2": {"source": "county"}}}`,
			[]string{"配置项 road.weight_r2 缺少 value"}},
		{"wrong leaf type", `{"water": {"tap_share_pct": "90"}}`,
			[]string{`配置项 water.tap_share_pct 类型错误：应为数字或 {"value": …}（收到字符串）`}},
		{"wrong value type", `{"water": {"tap_share_pct": {"value": true}}}`,
			[]string{"配置项 water.tap_share_pct.value 类型错误：应为数字（收到布尔值）"}},
		{"section not an object", `{"grid": 2}`,
			[]string{"配置项 grid 类型错误：应为对象（收到数字）"}},
		{"name not a string", `{"name": 1}`,
			[]string{"配置项 name 类型错误：应为字符串"}},
		{"not JSON", `{"road": `, []string{"配置文件不是有效的 JSON 对象"}},
		{"not an object", `[1]`, []string{"配置文件不是有效的 JSON 对象"}},
		{"trailing data", `{} {}`, []string{"多余内容"}},
		{"every problem reported", `{"road": {"x": 1}, "water": {"y": 1}}`,
			[]string{"road.x 未知", "water.y 未知"}},
		{"negative weight", `{"road": {"weight_r2": -1}}`,
			[]string{"配置项 road.weight_r2 无效：权重不能为负（收到 -1）"}},
		{"weight sum of zero", `{"pv": {"weight_p1": 0, "weight_p2": 0}}`,
			[]string{"配置项 pv.weight_p1, pv.weight_p2 无效：权重之和须大于 0（收到 0）"}},
		{"composite weight sum of zero", `{"composite": {"weight_road": 0, "weight_water": 0, "weight_grid": 0, "weight_pv": 0}}`,
			[]string{"配置项 composite.weight_road, composite.weight_water, composite.weight_grid, composite.weight_pv 无效：权重之和须大于 0"}},
		{"floor above target", `{"grid": {"kva_per_household_floor": 3}}`,
			[]string{"配置项 grid.kva_per_household_floor 无效：下限须小于目标 grid.kva_per_household（收到 3，目标 2）"}},
		{"voltage floor equal to target", `{"grid": {"voltage_floor_pct": 97.9}}`,
			[]string{"配置项 grid.voltage_floor_pct 无效：下限须小于目标 grid.voltage_pct"}},
		{"outage floor within guarantee", `{"water": {"outage_days_floor": 30}}`,
			[]string{"配置项 water.outage_days_floor 无效：须大于 water.guarantee_pct 允许的停水天数 36.5（收到 30）"}},
		{"bad source", `{"road": {"min_width_m": {"value": 4, "source": "guess"}}}`,
			[]string{`配置项 road.min_width_m 无效：来源 "guess" 未知；可用：sourced, derived, estimated, county`}},
		{"zero radius", `{"road": {"bus_stop_radius_m": 0}}`,
			[]string{"配置项 road.bus_stop_radius_m 无效：须大于 0（收到 0）"}},
		{"detour below 1", `{"water": {"detour_factor": 0.9}}`,
			[]string{"配置项 water.detour_factor 无效：绕行系数不能小于 1（收到 0.9）"}},
		{"percentage above 100", `{"water": {"tap_share_pct": 120}}`,
			[]string{"配置项 water.tap_share_pct 无效：百分比须大于 0 且不超过 100（收到 120）"}},
		{"group below 1", `{"road": {"group_min_households": 0}}`,
			[]string{"配置项 road.group_min_households 无效：户数门槛不能小于 1（收到 0）"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(t, tc.input)
			if err == nil {
				t.Fatalf("ParseProfile(%s) = nil error, want %q", tc.input, tc.want)
			}
			if got := planning.ErrorCode(err); got != planning.EInvalid {
				t.Errorf("ErrorCode = %q, want %q", got, planning.EInvalid)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("ParseProfile(%s) error\n%v\nwant it to contain %q", tc.input, err, w)
				}
			}
		})
	}
}

func TestProfileValidateOrder(t *testing.T) {
	p := planning.DefaultProfile()
	p.Exit.MaxPovertyIncidencePct.Value = 0
	p.Road.WeightR3.Value = -0.1
	p.Road.SnapToleranceM.Source = ""
	p.Water.DetourFactor.Value = math.NaN()
	var msgs []string
	for _, err := range p.Validate().(interface{ Unwrap() []error }).Unwrap() {
		msgs = append(msgs, planning.ErrorMessage(err))
	}
	want := []string{
		`配置项 road.snap_tolerance_m 无效：来源 "" 未知；可用：sourced, derived, estimated, county`,
		"配置项 road.weight_r3 无效：权重不能为负（收到 -0.1）",
		"配置项 water.detour_factor 无效：须为有限数值（收到 NaN）",
		"配置项 exit.max_poverty_incidence_pct 无效：百分比须大于 0 且不超过 100（收到 0）",
	}
	if got := strings.Join(msgs, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("Validate() =\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
}

func TestProfileHash(t *testing.T) {
	def := planning.DefaultProfile()
	same, err := parse(t, `{"name": "other", "road": {"bus_stop_radius_m": {"value": 1000, "source": "estimated"}}}`)
	if err != nil {
		t.Fatal(err)
	}
	changed, err := parse(t, `{"road": {"bus_stop_radius_m": 1500}}`)
	if err != nil {
		t.Fatal(err)
	}
	if got := def.Hash(); got != planning.DefaultProfile().Hash() || len(got) != 16 {
		t.Errorf("Hash() = %q, want 16 hex digits, stable across calls", got)
	}
	if def.Hash() != same.Hash() {
		t.Errorf("equal values: Hash %s != %s", def.Hash(), same.Hash())
	}
	if def.Hash() == changed.Hash() {
		t.Errorf("changed value: Hash %s == %s", def.Hash(), changed.Hash())
	}
}

func TestProfileLookup(t *testing.T) {
	p := planning.DefaultProfile()
	p.Water.TapSharePct.Value = 88
	cases := []struct {
		key   string
		ok    bool
		value float64
	}{
		{"water.tap_share_pct", true, 88},
		{"composite.weight_road", true, 0.30},
		{"grid.lv_max_m", true, 500},
		{"water", false, 0},
		{"name", false, 0},
		{"road.bus_stop_radius", false, 0},
		{"", false, 0},
	}
	for _, tc := range cases {
		got, ok := p.Lookup(tc.key)
		if ok != tc.ok || got.Value != tc.value {
			t.Errorf("Lookup(%q) = %+v, %v; want value %g, %v", tc.key, got, ok, tc.value, tc.ok)
		}
	}
}

func ExampleParseProfile() {
	p, err := planning.ParseProfile(strings.NewReader(`{
		"name": "临湘市",
		"road": {"group_min_households": 20},
		"grid": {"kva_per_household": {"value": 2.8, "source": "sourced", "note": "安徽 target"}}
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Name)
	fmt.Printf("%+v\n", p.Road.GroupMinHouseholds)
	fmt.Printf("%+v\n", p.Grid.KVAPerHousehold)
	fmt.Printf("%+v\n", p.Road.BusStopRadiusM)

	_, err = planning.ParseProfile(strings.NewReader(`{"road": {"bus_stop_radius": 800}}`))
	var e *planning.Error
	fmt.Println(errors.As(err, &e), e.Code)
	fmt.Println(err)
	// Output:
	// 临湘市
	// {Value:20 Source:county Note:county profile}
	// {Value:2.8 Source:sourced Note:安徽 target}
	// {Value:1000 Source:estimated Note:domain.md §2 R4; 1,000 m [E]}
	// true invalid
	// invalid: 配置项 road.bus_stop_radius 未知；可用：all_season_radius_m, bus_stop_radius_m, detour_factor, graph_tolerance_m, group_min_households, group_network_radius_m, min_width_m, snap_tolerance_m, tourism_bonus, tourism_radius_m, weight_r2, weight_r3, weight_r4, weight_r5
}
