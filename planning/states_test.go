package planning_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/planning"
)

// TestScoreThreeStates: every fact the data cannot decide makes its
// indicator no_data with a reason naming the data that would decide it,
// never a pass, a failure or a veto (issue 16).
func TestScoreThreeStates(t *testing.T) {
	p := planning.DefaultProfile()
	cases := []struct {
		name   string
		mutate func(f *planning.Facts)
		id     string
		status string
		note   string
	}{
		{"no road loaded: R1 unknown", func(f *planning.Facts) { f.RoadData, f.HardenedConnected = false, nil },
			"R1", planning.StatusNoData, "暂无道路数据"},
		{"unknown surfaces decide R1", func(f *planning.Facts) {
			f.HardenedConnected, f.UnknownSurfaceM = nil, ptr(1500.0)
		}, "R1", planning.StatusNoData, "路面类型未知的道路 1.5 km 决定是否连通"},
		{"no road near the seat: R1 unknown", func(f *planning.Facts) { f.HardenedConnected, f.SeatOffRoad = nil, true },
			"R1", planning.StatusNoData, "乡镇驻地 100 m 内无道路"},
		{"R1 undecided: R3 unknown", func(f *planning.Facts) { f.HardenedConnected = nil },
			"R3", planning.StatusNoData, "是否通硬化路未定"},
		{"not connected even optimistically: R1 fails", func(f *planning.Facts) {
			f.HardenedConnected, f.UnhardenedM, f.UnknownSurfaceM = ptr(false), ptr(2000.0), ptr(500.0)
		}, "R1", planning.StatusFail, "需硬化约 2 km（其中路面类型未知 0.5 km）"},
		{"no road near the office: straight line × 1.3", func(f *planning.Facts) {
			f.HardenedConnected, f.UnhardenedM, f.UnhardenedStraight = ptr(false), ptr(1300.0), true
		}, "R1", planning.StatusFail, "直线距离 × 绕行系数 1.3"},
		{"a group's 户数 unknown: R2 unknown", func(f *planning.Facts) { f.GroupsUnknownHouseholds = 1 },
			"R2", planning.StatusNoData, "1 个自然村/村民组户数未知"},
		{"unknown surfaces decide R2", func(f *planning.Facts) { f.LargeGroupsServed, f.LargeGroupsOpen = ptr(3), 1 },
			"R2", planning.StatusNoData, "其中 1 个是否近硬化路网取决于路面类型未知的道路"},
		{"unknown width on the path: R3 unknown", func(f *planning.Facts) { f.NarrowM, f.WidthUnknownM = ptr(500.0), ptr(1000.0) },
			"R3", planning.StatusNoData, "路面宽度未知 1 km（已知窄路 0.5 km）"},
		{"a stop of unknown service within 1 km: R4 unknown", func(f *planning.Facts) {
			f.BusStopM, f.BusStopUnknownM, f.BusStopAnyM = ptr(3000.0), ptr(400.0), ptr(400.0)
		}, "R4", planning.StatusNoData, "有无班车（经停线路）未知"},
		{"only stops without service nearby: R4 fails", func(f *planning.Facts) {
			f.BusStopM, f.BusStopUnknownM, f.BusStopAnyM = nil, nil, ptr(400.0)
		}, "R4", planning.StatusFail, "1,000 m 内无有班车的客运站点（最近站点 400 m"},
		{"unknown surfaces decide R5", func(f *planning.Facts) { f.AllSeasonShare, f.AllSeasonShareMax = ptr(0.6), ptr(0.9) },
			"R5", planning.StatusNoData, "60%–90%，取决于路面类型未知的道路"},
		{"a settlement's 人口 unknown: R5 unknown", func(f *planning.Facts) {
			f.AllSeasonShare, f.SettlementsUnknownPopulation = nil, 2
		}, "R5", planning.StatusNoData, "2 个居民点（自然村/村民组或村委会）人口未知"},
		{"a settlement's 户数 unknown: W5 unknown", func(f *planning.Facts) {
			f.TapShare, f.SettlementsUnknownHouseholds = nil, 1
		}, "W5", planning.StatusNoData, "户数未知"},
		{"no 台区 link and no transformer near: E1 unknown", func(f *planning.Facts) {
			f.Transformers, f.TransformerKVA, f.TransformerData, f.TransformersByRadius = 0, nil, true, true
		}, "E1", planning.StatusNoData, "配变未关联所在村（台区）"},
		{"unlinked transformers near: E1 measured from them", func(f *planning.Facts) { f.TransformersByRadius = true },
			"E1", planning.StatusPass, "无台区关联，按村委会及自然村 500 m 内未关联台区的配变计"},
		{"poor households unknown: P1 unknown", func(f *planning.Facts) { f.PoorHouseholds = nil },
			"P1", planning.StatusNoData, "建档立卡贫困户数未知"},
		{"poor households unknown: P2 unknown", func(f *planning.Facts) { f.PoorHouseholds = nil },
			"P2", planning.StatusNoData, "建档立卡贫困户数未知"},
		{"no PV data in the county: P1 unknown, not 0 kW", func(f *planning.Facts) {
			f.PoorHouseholds, f.VillagePVKW, f.CentralisedPVKW = ptr(20), nil, nil
		}, "P1", planning.StatusNoData, "暂无光伏电站数据"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := goodFacts()
			f.RoadData, f.TransformerData = true, true
			c.mutate(&f)
			v := planning.ScoreVillage(f, p)
			is := find(t, v, c.id)
			if is.Status != c.status || !strings.Contains(is.Note, c.note) {
				t.Errorf("%s = %s %q, want %s with %q", c.id, is.Status, is.Note, c.status, c.note)
			}
			if is.Status == planning.StatusNoData && (is.Veto || is.Score != nil || is.Value != nil) {
				t.Errorf("%s no_data with veto %v, score %v, value %v", c.id, is.Veto, is.Score, is.Value)
			}
			d := dim(t, v, is.Dimension)
			if is.Status == planning.StatusNoData && is.Weight > 0 && !(d.MissingWeight > 0 && v.MissingWeight > 0) {
				t.Errorf("%s no_data: missing weight %v (village %v)", c.id, d.MissingWeight, v.MissingWeight)
			}
			if is.Status == planning.StatusNoData && d.Veto {
				t.Errorf("%s no_data vetoes %s", c.id, d.Dimension)
			}
		})
	}
}

// TestVetoOnlyOnMeasuredFacts: a veto fires on a measured failure only; a
// veto indicator that is no_data, or a water failure where the poor count
// is unknown, flags the dimension veto_unknown instead.
func TestVetoOnlyOnMeasuredFacts(t *testing.T) {
	p := planning.DefaultProfile()
	f := goodFacts()
	f.HardenedConnected, f.UnknownSurfaceM, f.RoadData = nil, ptr(800.0), true
	f.TestPassed, f.TestAgeDays = ptr(false), ptr(30.0) // W2 fails…
	f.PoorHouseholds = nil                              // …where the poor count is unknown
	f.Transformers, f.TransformerKVA, f.TransformerData = 0, nil, true
	v := planning.ScoreVillage(f, p)
	for _, d := range v.Dimensions[:3] {
		if d.Veto || !d.VetoUnknown || d.Gap == nil || *d.Gap == 100 {
			t.Errorf("%s: veto %v, veto_unknown %v, gap %v; want no veto, veto_unknown, the gap without it", d.Dimension, d.Veto, d.VetoUnknown, d.Gap)
		}
	}
	if w2 := find(t, v, "W2"); w2.Status != planning.StatusFail || w2.Veto || !strings.Contains(w2.Note, "是否一票否决待定") {
		t.Errorf("W2 %s veto %v %q", w2.Status, w2.Veto, w2.Note)
	}
	// The same with the poor counted: the water veto fires, measured.
	f.PoorHouseholds = ptr(12)
	if d := dim(t, planning.ScoreVillage(f, p), planning.DimWater); !d.Veto || d.VetoUnknown {
		t.Errorf("饮水 with 12 poor households and W2 failing: veto %v, veto_unknown %v", d.Veto, d.VetoUnknown)
	}
	b, err := json.Marshal(planning.ScoreVillage(planning.Facts{}, p))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"poor_households":null`, `"poor_population":null`, `"veto_unknown":true`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s: %s", want, b[:200])
		}
	}
}

// TestProfileAnalysisSettings: the hard-coded choices are settings, checked.
func TestProfileAnalysisSettings(t *testing.T) {
	p := planning.DefaultProfile()
	for key, want := range map[string]float64{"road.graph_tolerance_m": 5, "road.tourism_radius_m": 2000,
		"road.tourism_bonus": 10, "grid.transformer_radius_m": 500} {
		if got, ok := p.Lookup(key); !ok || got.Value != want || got.Source != planning.SourceEstimated {
			t.Errorf("%s = %+v, want %g estimated", key, got, want)
		}
	}
	for body, want := range map[string]string{
		`{"road": {"graph_tolerance_m": 150}}`:  "road.graph_tolerance_m",
		`{"road": {"tourism_bonus": 120}}`:      "road.tourism_bonus",
		`{"grid": {"transformer_radius_m": 0}}`: "grid.transformer_radius_m",
	} {
		if _, err := planning.ParseProfile(strings.NewReader(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error naming %s", body, err, want)
		}
	}
	// The tourism radius and bonus are the profile's, and the note says them.
	near, err := planning.ParseProfile(strings.NewReader(`{"road": {"tourism_radius_m": 1500, "tourism_bonus": 5}}`))
	if err != nil {
		t.Fatal(err)
	}
	f := goodFacts()
	f.HardenedConnected, f.UnhardenedM, f.TourismNearby = ptr(false), ptr(800.0), true
	if r1 := find(t, planning.ScoreVillage(f, near), "R1"); !strings.Contains(r1.Note, "1.5 km 内有旅游点或产业基地（产业路/旅游路 +5）") {
		t.Errorf("R1 note %q does not name the profile's tourism radius and bonus", r1.Note)
	}
}
