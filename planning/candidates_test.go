package planning_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/planning"
)

// bySubtype indexes candidates by 子类, failing on duplicates.
func bySubtype(tb testing.TB, ps []planning.Project) map[string]planning.Project {
	tb.Helper()
	m := map[string]planning.Project{}
	for _, p := range ps {
		if _, dup := m[p.Subtype]; dup && p.Subtype != "通组硬化路" && p.Subtype != "危桥改造" {
			tb.Errorf("two %s candidates", p.Subtype)
		}
		m[p.Subtype] = p
	}
	return m
}

func TestCandidatesOfAPassingVillage(t *testing.T) {
	f := goodFacts()
	f.PoorHouseholds, f.PoorPopulation = ptr(20), ptr(70)
	f.VillagePVKW = ptr(100.0) // 5 kW × 20
	if ps := planning.Candidates(f, planning.CandidateFacts{}, planning.DefaultProfile()); len(ps) != 0 {
		t.Errorf("a village meeting every standard got %d candidates: %+v", len(ps), ps)
	}
}

func TestCandidateSizing(t *testing.T) {
	p := planning.DefaultProfile()
	office := orb.Point{113.5, 29.5}
	for _, c := range []struct {
		name  string
		facts func(*planning.Facts)
		cf    planning.CandidateFacts
		check func(t *testing.T, m map[string]planning.Project)
	}{
		{"2.3 km of gravel to the seat", func(f *planning.Facts) {
			f.HardenedConnected, f.UnhardenedM, f.PathM, f.NarrowM = ptr(false), ptr(2300.0), nil, nil
		}, planning.CandidateFacts{}, func(t *testing.T, m map[string]planning.Project) {
			r := m["通村硬化路"]
			if r.Quantity != 2.3 || r.CostWan != 115 || *r.GapBefore != 100 || *r.GapAfter != 0 {
				t.Errorf("%g km, %g 万元, gap %v → %v; want 2.3 km, 115 万元, 100 → 0", r.Quantity, r.CostWan, *r.GapBefore, *r.GapAfter)
			}
			if r.Category != planning.CatRoad || r.ResponsibleUnit != "县交通运输局" || r.Nature != "改建" || len(r.Targets) < 5 {
				t.Errorf("%+v", r)
			}
		}},
		{"bus stop 1,200 m away", func(f *planning.Facts) { f.BusStopM = ptr(1200.0) }, planning.CandidateFacts{Office: office},
			func(t *testing.T, m map[string]planning.Project) {
				s := m["招呼站"]
				if s.Quantity != 1 || s.CostWan != 3 || s.Geometry != orb.Geometry(office) || *s.GapAfter >= *s.GapBefore {
					t.Errorf("%+v", s)
				}
			}},
		{"100 kVA for 80 households", func(f *planning.Facts) { f.TransformerKVA = ptr(100.0) }, planning.CandidateFacts{},
			func(t *testing.T, m map[string]planning.Project) {
				// Need 2 × 80 − 100 = 60 kVA: one 100 kVA unit.
				tr := m["配变增容"]
				if tr.Quantity != 1 || tr.CostWan != 12 || *tr.GapAfter != 0 {
					t.Errorf("%g 台, %g 万元, gap → %v", tr.Quantity, tr.CostWan, *tr.GapAfter)
				}
			}},
		{"30 poor households, no PV, little transformer headroom", func(f *planning.Facts) {
			f.PoorHouseholds, f.PoorPopulation, f.TransformerKVA, f.VillagePVKW = ptr(30), ptr(100), ptr(200.0), ptr(0.0)
		}, planning.CandidateFacts{}, func(t *testing.T, m map[string]planning.Project) {
			// 5 kW × 30 = 150 kW; at 380 V that needs 150 ÷ 30% = 500 kVA, 300 more.
			pv, tr := m["村级光伏电站"], m["配变增容"]
			if pv.Quantity != 150 || pv.CostWan != 90 || pv.Category != planning.CatPV || pv.PoorHouseholds != 30 {
				t.Errorf("PV %+v", pv)
			}
			if pv.DependsOn == "" || pv.DependsOn != tr.Key || tr.Quantity != 1 || !slices.Contains(tr.SourceIndicators, "P3") {
				t.Errorf("PV depends on %q; grid project %q (%g 台, %v)", pv.DependsOn, tr.Key, tr.Quantity, tr.SourceIndicators)
			}
		}},
		{"PV near a 10 kV line needs no transformer", func(f *planning.Facts) {
			f.PoorHouseholds, f.PoorPopulation, f.VillagePVKW = ptr(150), ptr(500), ptr(0.0)
		}, planning.CandidateFacts{Line10kVM: ptr(400.0)}, func(t *testing.T, m map[string]planning.Project) {
			// 5 × 150 = 750 kW, capped at 500 kW near a 10 kV line.
			if pv := m["村级光伏电站"]; pv.Quantity != 500 || pv.DependsOn != "" {
				t.Errorf("PV %g kW, depends on %q", pv.Quantity, pv.DependsOn)
			}
			if _, ok := m["配变增容"]; ok {
				t.Error("a transformer project for a station connecting at 10 kV")
			}
		}},
		{"small PV gap is raised to the minimum station", func(f *planning.Facts) {
			f.PoorHouseholds, f.PoorPopulation, f.TransformerKVA, f.VillagePVKW = ptr(4), ptr(12), ptr(1000.0), ptr(0.0)
		}, planning.CandidateFacts{}, func(t *testing.T, m map[string]planning.Project) {
			if pv := m["村级光伏电站"]; pv.Quantity != 100 {
				t.Errorf("PV %g kW, want the 100 kW minimum", pv.Quantity)
			}
		}},
		{"no works in reach: a single-village works", func(f *planning.Facts) {
			f.WorksName, f.LitresPerPersonDay, f.TapShare = "", nil, ptr(0.0)
		}, planning.CandidateFacts{}, func(t *testing.T, m map[string]planning.Project) {
			w := m["单村供水工程"]
			if w.Quantity != 300 || math.Abs(w.CostWan-18) > 1e-9 {
				t.Errorf("%g 人, %g 万元; want 300 people at 600 元", w.Quantity, w.CostWan)
			}
		}},
		// Before issue 16 the main and the taps were one row whose cost
		// (14.4 + 6 万元) was not its 工程量 × 单价 (1.2 km × 12): they are two
		// rows now, the taps after the main.
		{"works with spare capacity 1 km away: a main extension, then the taps", func(f *planning.Facts) {
			f.TapShare = ptr(0.5)
		}, planning.CandidateFacts{SpareWorks: "城关水厂", SpareWorksM: ptr(1000.0)}, func(t *testing.T, m map[string]planning.Project) {
			// 1 km × 1.2 detour × 12 万/km, and 40 new taps × 0.15 万.
			w, taps := m["管网延伸"], m["自来水入户"]
			if w.Quantity != 1.2 || w.CostWan != 14.4 || !strings.Contains(w.Content, "直线 1000 m × 绕行系数 1.2") {
				t.Errorf("main %g km, %g 万元, %q", w.Quantity, w.CostWan, w.Content)
			}
			if taps.Quantity != 40 || taps.Unit != "户" || taps.CostWan != 6 || taps.DependsOn != w.Key || *taps.GapAfter >= *taps.GapBefore {
				t.Errorf("taps %g %s, %g 万元, after %q, gap %v → %v", taps.Quantity, taps.Unit, taps.CostWan, taps.DependsOn, *taps.GapBefore, *taps.GapAfter)
			}
		}},
		{"a road route to the main is used as it is", func(f *planning.Facts) {
			f.LitresPerPersonDay = ptr(10.0)
		}, planning.CandidateFacts{SpareWorks: "城关水厂", SpareWorksM: ptr(1000.0), SpareWorksRoadM: ptr(1834.0)}, func(t *testing.T, m map[string]planning.Project) {
			w := m["管网延伸"]
			if w.Quantity != 1.83 || w.CostWan != 21.96 || !strings.Contains(w.Content, "沿道路") || *w.GapAfter >= *w.GapBefore {
				t.Errorf("main %g km, %g 万元, %q, gap %v → %v", w.Quantity, w.CostWan, w.Content, *w.GapBefore, *w.GapAfter)
			}
			if _, ok := m["自来水入户"]; ok {
				t.Error("taps for a village whose W5 passes")
			}
		}},
		{"a main longer than the limit: a single-village works", func(f *planning.Facts) {
			f.LitresPerPersonDay = ptr(10.0)
		}, planning.CandidateFacts{SpareWorks: "城关水厂", SpareWorksM: ptr(4500.0)}, func(t *testing.T, m map[string]planning.Project) {
			// 4.5 km × 1.2 = 5.4 km of pipe, beyond the 5 km limit.
			if _, ok := m["管网延伸"]; ok {
				t.Error("a 5.4 km main extension")
			}
			if w := m["单村供水工程"]; w.Quantity != 300 || w.CostWan != 18 {
				t.Errorf("single works %g 人, %g 万元", w.Quantity, w.CostWan)
			}
		}},
		{"a road path to a group is paved as measured", func(f *planning.Facts) {
			f.LargeGroupsServed = ptr(3)
		}, planning.CandidateFacts{Groups: []planning.GroupGap{{Name: "张家组", Households: 35, Population: 120, DistanceM: 900, RoadM: ptr(1456.0)}}},
			func(t *testing.T, m map[string]planning.Project) {
				g := m["通组硬化路"]
				if g.Quantity != 1.46 || g.CostWan != 73 || !strings.Contains(g.Content, "沿现有未硬化道路") {
					t.Errorf("%g km, %g 万元, %q", g.Quantity, g.CostWan, g.Content)
				}
			}},
		{"a large group far from hardened road", func(f *planning.Facts) {
			f.LargeGroupsServed = ptr(3)
		}, planning.CandidateFacts{Groups: []planning.GroupGap{{Name: "王家组", Households: 40, Population: 150, PoorHouseholds: 5, PoorPopulation: 17, DistanceM: 1000}}},
			func(t *testing.T, m map[string]planning.Project) {
				g := m["通组硬化路"]
				if g.Quantity != 1.3 || g.Households != 40 || g.PoorPopulation != 17 || *g.GapAfter >= *g.GapBefore {
					t.Errorf("%g km for %d households (%d poor people), gap %v → %v", g.Quantity, g.Households, g.PoorPopulation, *g.GapBefore, *g.GapAfter)
				}
			}},
		{"a group without 建档立卡 counts gets the village's share", func(f *planning.Facts) {
			f.LargeGroupsServed = ptr(3)
		}, planning.CandidateFacts{Groups: []planning.GroupGap{{Name: "李家组", Households: 20, Population: 75, DistanceM: 500}}},
			func(t *testing.T, m map[string]planning.Project) {
				// 20 of the village's 80 households: a quarter of its 20 poor households and 70 poor people.
				g := m["通组硬化路"]
				if g.PoorHouseholds != 5 || g.PoorPopulation != 18 || !strings.Contains(g.Content, "估算") {
					t.Errorf("%d poor households, %d poor people, content %q", g.PoorHouseholds, g.PoorPopulation, g.Content)
				}
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := goodFacts()
			f.PoorHouseholds, f.PoorPopulation, f.VillagePVKW = ptr(20), ptr(70), ptr(100.0)
			c.facts(&f)
			ps := planning.Candidates(f, c.cf, p)
			for _, pr := range ps {
				if err := pr.Validate(); err != nil {
					t.Errorf("%s: %v", pr.Key, err)
				}
				if *pr.GapAfter > *pr.GapBefore {
					t.Errorf("%s makes the gap worse: %v → %v", pr.Key, *pr.GapBefore, *pr.GapAfter)
				}
			}
			c.check(t, bySubtype(t, ps))
		})
	}
}

func TestCheckTransition(t *testing.T) {
	p := planning.Project{Name: "甲村通村路", Status: planning.StateApproved, CostWan: 10}
	for _, c := range []struct {
		from, to, actor, reason string
		targets                 bool
		want                    string // error code, "" for allowed
	}{
		{planning.StateApproved, planning.StateInLibrary, "县扶贫办", "", true, ""},
		{planning.StateApproved, planning.StateInLibrary, "县扶贫办", "", false, planning.EInvalid},
		{planning.StateApproved, planning.StateReview, "县扶贫办", "", true, planning.EInvalid},
		{planning.StateApproved, planning.StateReview, "县扶贫办", "概算偏高", true, ""},
		{planning.StateSurvey, planning.StateBuilt, "县扶贫办", "", true, planning.EConflict},
		{planning.StateBuilding, planning.StateWithdrawn, "县扶贫办", "停建", true, ""},
		{planning.StateBuilt, planning.StateWithdrawn, "县扶贫办", "停建", true, planning.EConflict},
		{planning.StateEvaluated, planning.StateSurvey, "县扶贫办", "x", true, planning.EConflict},
		{planning.StateWithdrawn, planning.StateSurvey, "县扶贫办", "", true, planning.EInvalid},
		{planning.StateSurvey, "已批准", "县扶贫办", "", true, planning.EInvalid},
	} {
		q := p
		q.Status = c.from
		if c.targets {
			q.Targets = []planning.Target{{Level1: "产出指标", Level3: "里程", Value: "1 km"}}
		}
		err := planning.CheckTransition(q, c.to, c.reason)
		if got := planning.ErrorCode(err); (err == nil) != (c.want == "") || err != nil && got != c.want {
			t.Errorf("%s → %s (actor %q, reason %q): %v, want %q", c.from, c.to, c.actor, c.reason, err, c.want)
		}
	}
}
