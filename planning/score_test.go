package planning_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/planning"
)

func ptr[T any](v T) *T { return &v }

// goodFacts is a village that meets every standard under DefaultProfile:
// each test spoils the facts it is about.
func goodFacts() planning.Facts {
	return planning.Facts{
		VillageID: 1, Code: "430682100201", Name: "测试村", TownshipCode: "430682100", TownshipName: "测试镇",
		Households: ptr(80), Population: ptr(300),
		PoorHouseholds: ptr(0), PoorPopulation: ptr(0),

		HardenedConnected: ptr(true),
		LargeGroups:       ptr(4), LargeGroupsServed: ptr(4),
		PathM: ptr(5000.0), NarrowM: ptr(0.0),
		BusStopM:       ptr(300.0),
		AllSeasonShare: ptr(1.0),

		WorksName:          "示范水厂",
		LitresPerPersonDay: ptr(60.0),
		TestAgeDays:        ptr(100.0), TestPassed: ptr(true),
		CarryFailShare: ptr(0.0),
		GuaranteePct:   ptr(95.0),
		TapShare:       ptr(0.95),

		Transformers: 2, TransformerKVA: ptr(200.0),
		ThreePhaseM:    ptr(100.0),
		ReliabilityPct: ptr(99.9), VoltagePct: ptr(99.0),
		FeederKm: ptr(10.0), LVMaxM: ptr(400.0),
		WellsElectrifiedPct: ptr(100.0),

		VillagePVKW: ptr(0.0), CentralisedPVKW: ptr(0.0),
	}
}

// find returns the indicator id of v.
func find(tb testing.TB, v planning.VillageScore, id string) planning.IndicatorScore {
	tb.Helper()
	for _, d := range v.Dimensions {
		for _, is := range d.Indicators {
			if is.ID == id {
				return is
			}
		}
	}
	tb.Fatalf("indicator %s not found", id)
	return planning.IndicatorScore{}
}

// dim returns the dimension name of v.
func dim(tb testing.TB, v planning.VillageScore, name string) planning.DimensionScore {
	tb.Helper()
	for _, d := range v.Dimensions {
		if d.Dimension == name {
			return d
		}
	}
	tb.Fatalf("dimension %s not found", name)
	return planning.DimensionScore{}
}

// exitItem returns the checklist item of v.
func exitItem(tb testing.TB, v planning.VillageScore, item string) planning.ExitItem {
	tb.Helper()
	for _, e := range v.Exit {
		if e.Item == item {
			return e
		}
	}
	tb.Fatalf("exit item %s not found", item)
	return planning.ExitItem{}
}

func fmtp(p *float64) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

// checkScore compares a *float64 score with want; want < 0 means nil.
func checkScore(tb testing.TB, what string, got *float64, want float64) {
	tb.Helper()
	switch {
	case want < 0 && got != nil:
		tb.Errorf("%s = %v, want nil", what, *got)
	case want >= 0 && (got == nil || math.Abs(*got-want) > 1e-9):
		tb.Errorf("%s = %s, want %v", what, fmtp(got), want)
	}
}

func TestScoreIndicators(t *testing.T) {
	cases := []struct {
		name      string
		mutate    func(f *planning.Facts)
		id        string
		status    string
		value     float64 // < 0: nil
		score     float64 // < 0: nil
		veto      bool
		note      string // substring of the note
		dimension string
		gap       float64 // < 0: nil
	}{
		{
			name:   "bus stop 1,200 m fails R4 at 1,000 m",
			mutate: func(f *planning.Facts) { f.BusStopM = ptr(1200.0) },
			id:     "R4", status: planning.StatusFail, value: 1200, score: 100,
			note:      "村委会距最近有班车的客运站点 1,200 m，标准 ≤1,000 m",
			dimension: planning.DimRoad, gap: 25, // 0.25·100 over weights summing to 1
		},
		{
			name:   "bus stop 800 m passes R4",
			mutate: func(f *planning.Facts) { f.BusStopM = ptr(800.0) },
			id:     "R4", status: planning.StatusPass, value: 800, score: 0,
			note:      "村委会距最近有班车的客运站点 800 m",
			dimension: planning.DimRoad, gap: 0,
		},
		{
			name:   "bus stop exactly 1,000 m passes R4",
			mutate: func(f *planning.Facts) { f.BusStopM = ptr(1000.0) },
			id:     "R4", status: planning.StatusPass, value: 1000, score: 0,
			dimension: planning.DimRoad, gap: 0,
		},
		{
			name: "not connected fails R1 with gap 100 and the build length",
			mutate: func(f *planning.Facts) {
				f.HardenedConnected, f.UnhardenedM, f.PathM, f.NarrowM = ptr(false), ptr(3240.0), nil, nil
			},
			id: "R1", status: planning.StatusFail, value: 0, score: 100, veto: true,
			note:      "需硬化约 3.2 km",
			dimension: planning.DimRoad, gap: 100,
		},
		{
			name: "not connected, near a tourism site: still capped at 100",
			mutate: func(f *planning.Facts) {
				f.HardenedConnected, f.UnhardenedM, f.TourismNearby = ptr(false), ptr(800.0), true
			},
			id: "R1", status: planning.StatusFail, value: 0, score: 100, veto: true,
			note:      "产业路/旅游路",
			dimension: planning.DimRoad, gap: 100,
		},
		{
			name:   "R3 not applicable when R1 fails",
			mutate: func(f *planning.Facts) { f.HardenedConnected = ptr(false) },
			id:     "R3", status: planning.StatusNotApplicable, value: -1, score: 0,
			dimension: planning.DimRoad, gap: 100,
		},
		{
			name:   "R3 narrow share",
			mutate: func(f *planning.Facts) { f.PathM, f.NarrowM = ptr(8000.0), ptr(2000.0) },
			id:     "R3", status: planning.StatusFail, value: 25, score: 25,
			note:      "窄路 2 km（25%）",
			dimension: planning.DimRoad, gap: 5, // 0.20·25
		},
		{
			name:   "R2 three of four large groups served",
			mutate: func(f *planning.Facts) { f.LargeGroupsServed = ptr(3) },
			id:     "R2", status: planning.StatusFail, value: 75, score: 25,
			note:      "30户以上自然村 4 个，其中 3 个",
			dimension: planning.DimRoad, gap: 8.8, // 0.35·25 = 8.75
		},
		{
			name:   "R2 not applicable without large groups",
			mutate: func(f *planning.Facts) { f.LargeGroups, f.LargeGroupsServed = ptr(0), ptr(0) },
			id:     "R2", status: planning.StatusNotApplicable, value: -1, score: 0,
			dimension: planning.DimRoad, gap: 0,
		},
		{
			name:   "100 kVA for 80 households scores E1 50",
			mutate: func(f *planning.Facts) { f.TransformerKVA = ptr(100.0) },
			id:     "E1", status: planning.StatusFail, value: 1.25, score: 50, // 100·(2.0−1.25)/(2.0−0.5)
			note:      "户均 1.25 kVA，标准 ≥2 kVA/户",
			dimension: planning.DimGrid, gap: 17.5, // 0.35·50
		},
		{
			name:   "no transformer vetoes 农网",
			mutate: func(f *planning.Facts) { f.Transformers, f.TransformerKVA = 0, ptr(0.0) },
			id:     "E1", status: planning.StatusFail, value: 0, score: 100, veto: true,
			note:      "无关联本村（台区）的配变，村委会及自然村 500 m 内也无未关联台区的配变，未通电",
			dimension: planning.DimGrid, gap: 100,
		},
		{
			name:   "no transformer data is no data, not a veto",
			mutate: func(f *planning.Facts) { f.Transformers, f.TransformerKVA = 0, nil },
			id:     "E1", status: planning.StatusNoData, value: -1, score: -1,
			dimension: planning.DimGrid, gap: 0,
		},
		{
			name:   "E1 no data without households",
			mutate: func(f *planning.Facts) { f.Households = nil },
			id:     "E1", status: planning.StatusNoData, value: -1, score: -1,
			dimension: planning.DimGrid, gap: 0,
		},
		{
			name:   "E3 takes the worse of reliability and voltage",
			mutate: func(f *planning.Facts) { f.ReliabilityPct, f.VoltagePct = ptr(99.6), ptr(96.45) },
			id:     "E3", status: planning.StatusFail, value: 96.45, score: 50, // voltage 50 > reliability 25
			dimension: planning.DimGrid, gap: 7.5,
		},
		{
			name:   "E4 feeder 1.5× the limit",
			mutate: func(f *planning.Facts) { f.FeederKm = ptr(22.5) },
			id:     "E4", status: planning.StatusFail, value: 22.5, score: 50,
			dimension: planning.DimGrid, gap: 7.5,
		},
		{
			name:   "E4 LV beyond twice the limit",
			mutate: func(f *planning.Facts) { f.LVMaxM = ptr(1200.0) },
			id:     "E4", status: planning.StatusFail, value: 1200, score: 100,
			note:      "低压最远供电距离 1,200 m",
			dimension: planning.DimGrid, gap: 15,
		},
		{
			name:   "W1 short with poor households vetoes 饮水",
			mutate: func(f *planning.Facts) { f.LitresPerPersonDay, f.PoorHouseholds = ptr(28.0), ptr(12) },
			id:     "W1", status: planning.StatusFail, value: 28, score: 20, veto: true,
			note:      "示范水厂」设计供水 28 L/人·日，标准 ≥35 L/人·日；涉及建档立卡贫困户 12 户，一票否决",
			dimension: planning.DimWater, gap: 100,
		},
		{
			name:   "W1 short without poor households is weighted",
			mutate: func(f *planning.Facts) { f.LitresPerPersonDay = ptr(28.0) },
			id:     "W1", status: planning.StatusFail, value: 28, score: 20,
			dimension: planning.DimWater, gap: 5, // 0.25·20
		},
		{
			name:   "W2 test too old",
			mutate: func(f *planning.Facts) { f.TestAgeDays = ptr(400.0) },
			id:     "W2", status: planning.StatusFail, value: 0, score: 100,
			note:      "距今 400 天，已超期",
			dimension: planning.DimWater, gap: 25,
		},
		{
			name:   "W2 failed test",
			mutate: func(f *planning.Facts) { f.TestPassed = ptr(false) },
			id:     "W2", status: planning.StatusFail, value: 0, score: 100,
			dimension: planning.DimWater, gap: 25,
		},
		{
			name:   "W4 85% is 54.75 outage days",
			mutate: func(f *planning.Facts) { f.GuaranteePct = ptr(85.0) },
			id:     "W4", status: planning.StatusFail, value: 85, score: 34.1, // 100·(54.75−36.5)/(90−36.5)
			dimension: planning.DimWater, gap: 3.4,
		},
		{
			name:   "W5 72% taps",
			mutate: func(f *planning.Facts) { f.TapShare = ptr(0.72) },
			id:     "W5", status: planning.StatusFail, value: 72, score: 20, // 100·(90−72)/90
			dimension: planning.DimWater, gap: 4,
		},
		{
			name:   "26 poor households, 100 kW village station",
			mutate: func(f *planning.Facts) { f.PoorHouseholds, f.VillagePVKW = ptr(26), ptr(100.0) },
			id:     "P1", status: planning.StatusFail, value: 100.0 / 26, score: 23.1, // gap 30 of 130 kW
			note:      "需光伏 130 kW（5 kW/户），已计入 100 kW",
			dimension: planning.DimPV, gap: 16.2, // 0.7·23.1 + 0.3·0 (P2: 4,115 元/户 ≥ 3,000)
		},
		{
			name:   "centralised kW count at 25 kW per household",
			mutate: func(f *planning.Facts) { f.PoorHouseholds, f.CentralisedPVKW = ptr(26), ptr(250.0) },
			id:     "P1", status: planning.StatusFail, value: 50.0 / 26, score: 61.5, // 10 households → 50 kW of 130
			dimension: planning.DimPV, gap: 52.5, // 0.7·61.5 + 0.3·31.4
		},
		{
			name:   "P2 income",
			mutate: func(f *planning.Facts) { f.PoorHouseholds, f.VillagePVKW = ptr(26), ptr(50.0) },
			id:     "P2", status: planning.StatusFail, value: 50 * 1070.0 / 26, score: 31.4, // 100·(3000−2057.7)/3000
			dimension: planning.DimPV, gap: 52.5, // 0.7·61.5 + 0.3·31.4
		},
		{
			name: "village without poor households: 光伏 not applicable",
			id:   "P1", status: planning.StatusNotApplicable, value: -1, score: 0,
			note:      "无建档立卡贫困户",
			dimension: planning.DimPV, gap: 0,
		},
	}
	p := planning.DefaultProfile()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := goodFacts()
			if tc.mutate != nil {
				tc.mutate(&f)
			}
			v := planning.ScoreVillage(f, p)
			is := find(t, v, tc.id)
			if is.Status != tc.status {
				t.Errorf("%s status = %s, want %s (note %q)", tc.id, is.Status, tc.status, is.Note)
			}
			checkScore(t, tc.id+" value", is.Value, tc.value)
			checkScore(t, tc.id+" score", is.Score, tc.score)
			if is.Veto != tc.veto {
				t.Errorf("%s veto = %v, want %v", tc.id, is.Veto, tc.veto)
			}
			if !strings.Contains(is.Note, tc.note) {
				t.Errorf("%s note = %q, want it to contain %q", tc.id, is.Note, tc.note)
			}
			checkScore(t, tc.dimension+" gap", dim(t, v, tc.dimension).Gap, tc.gap)
		})
	}
}

func TestScoreMissingData(t *testing.T) {
	p := planning.DefaultProfile()

	t.Run("missing W3 leaves 0.2 missing and scores the rest", func(t *testing.T) {
		f := goodFacts()
		f.CarryFailShare = nil
		f.TapShare = ptr(0.72) // W5 = 20
		d := dim(t, planning.ScoreVillage(f, p), planning.DimWater)
		if got, want := d.MissingWeight, 0.2; got != want {
			t.Errorf("missing weight = %v, want %v", got, want)
		}
		checkScore(t, "gap", d.Gap, 5) // 0.2·20 ÷ 0.8
	})

	t.Run("no water data at all: nil gap, composite renormalised", func(t *testing.T) {
		f := goodFacts()
		f.LitresPerPersonDay, f.TestPassed, f.TestAgeDays, f.CarryFailShare, f.GuaranteePct, f.TapShare = nil, nil, nil, nil, nil, nil
		f.BusStopM = ptr(5000.0)      // 通路 = 25
		f.TransformerKVA = ptr(100.0) // 农网 = 17.5
		f.PoorHouseholds, f.VillagePVKW = ptr(26), ptr(100.0)
		v := planning.ScoreVillage(f, p)
		water := dim(t, v, planning.DimWater)
		checkScore(t, "water gap", water.Gap, -1)
		if water.MissingWeight != 1 {
			t.Errorf("water missing weight = %v, want 1", water.MissingWeight)
		}
		// (0.30·25 + 0.25·17.5 + 0.15·16.2) ÷ 0.70 = 20.44…
		checkScore(t, "composite", v.Composite, 20.4)
		if got, want := v.MissingWeight, 0.3; got != want {
			t.Errorf("composite missing weight = %v, want %v", got, want)
		}
	})

	t.Run("R1 passes, R2–R5 missing: nil gap", func(t *testing.T) {
		f := goodFacts()
		f.LargeGroups, f.PathM, f.BusStopM, f.AllSeasonShare = nil, nil, nil, nil
		d := dim(t, planning.ScoreVillage(f, p), planning.DimRoad)
		checkScore(t, "road gap", d.Gap, -1)
	})

	t.Run("R1 fails, R2–R5 missing: veto still applies", func(t *testing.T) {
		f := goodFacts()
		f.HardenedConnected = ptr(false)
		f.LargeGroups, f.PathM, f.BusStopM, f.AllSeasonShare = nil, nil, nil, nil
		d := dim(t, planning.ScoreVillage(f, p), planning.DimRoad)
		checkScore(t, "road gap", d.Gap, 100)
		if d.MissingWeight != 0.8 { // R3 is not applicable, so only R2, R4, R5 are missing
			t.Errorf("road missing weight = %v, want 0.8", d.MissingWeight)
		}
	})

	t.Run("nothing at all", func(t *testing.T) {
		v := planning.ScoreVillage(planning.Facts{}, p)
		// Issue 16: unknown poor counts are unknown, not 0, so 光伏 has no
		// gap either (it used to be "not applicable", gap 0); transformer
		// data is absent too, so there is no veto. No gap, no composite,
		// and all of it rests on missing data.
		for _, d := range v.Dimensions {
			checkScore(t, d.Dimension+" gap", d.Gap, -1)
		}
		checkScore(t, "composite", v.Composite, -1)
		if got, want := v.MissingWeight, 1.0; got != want {
			t.Errorf("composite missing weight = %v, want %v", got, want)
		}
		if !v.Dimensions[0].VetoUnknown || !v.Dimensions[1].VetoUnknown || !v.Dimensions[2].VetoUnknown || v.Dimensions[3].VetoUnknown {
			t.Errorf("veto_unknown %v %v %v %v, want true for 通路, 饮水, 农网 only", v.Dimensions[0].VetoUnknown,
				v.Dimensions[1].VetoUnknown, v.Dimensions[2].VetoUnknown, v.Dimensions[3].VetoUnknown)
		}
	})
}

func TestScoreExitChecklist(t *testing.T) {
	p := planning.DefaultProfile()
	cases := []struct {
		name   string
		mutate func(f *planning.Facts)
		want   map[string]string
	}{
		{
			name: "meets everything measured",
			mutate: func(f *planning.Facts) {
				f.PoorPopulation = ptr(3) // 1% of 300
			},
			want: map[string]string{
				planning.ExitPoverty: planning.StatusPass, planning.ExitRoad: planning.StatusPass,
				planning.ExitBus: planning.StatusPass, planning.ExitWater: planning.StatusPass,
				planning.ExitPower: planning.StatusPass, planning.ExitBroadband: planning.StatusNoData,
				planning.ExitClinic: planning.StatusNoData, planning.ExitCulture: planning.StatusNoData,
			},
		},
		{
			name: "fails everything measured",
			mutate: func(f *planning.Facts) {
				f.PoorPopulation = ptr(6) // exactly 2%: not below
				f.HardenedConnected = ptr(false)
				f.BusStopM = ptr(3000.0)
				f.CarryFailShare = ptr(0.1)
				f.Transformers, f.TransformerKVA = 0, ptr(0.0)
			},
			want: map[string]string{
				planning.ExitPoverty: planning.StatusFail, planning.ExitRoad: planning.StatusFail,
				planning.ExitBus: planning.StatusFail, planning.ExitWater: planning.StatusFail,
				planning.ExitPower: planning.StatusFail,
			},
		},
		{
			name: "no data",
			mutate: func(f *planning.Facts) {
				f.Population = nil
				f.HardenedConnected = nil
				f.BusStopM = nil
				f.LitresPerPersonDay, f.TestPassed, f.CarryFailShare, f.GuaranteePct = nil, nil, nil, nil
				f.ThreePhaseM = nil
			},
			want: map[string]string{
				planning.ExitPoverty: planning.StatusNoData, planning.ExitRoad: planning.StatusNoData,
				planning.ExitBus: planning.StatusNoData, planning.ExitWater: planning.StatusNoData,
				planning.ExitPower: planning.StatusNoData,
			},
		},
		{
			name:   "water partly measured cannot pass",
			mutate: func(f *planning.Facts) { f.GuaranteePct = nil },
			want:   map[string]string{planning.ExitWater: planning.StatusNoData},
		},
		{
			name:   "power without three-phase",
			mutate: func(f *planning.Facts) { f.ThreePhaseM = ptr(900.0) },
			want:   map[string]string{planning.ExitPower: planning.StatusFail},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := goodFacts()
			tc.mutate(&f)
			v := planning.ScoreVillage(f, p)
			if len(v.Exit) != 8 {
				t.Fatalf("got %d exit items, want 8", len(v.Exit))
			}
			for item, want := range tc.want {
				if got := exitItem(t, v, item); got.Status != want {
					t.Errorf("%s = %s (%s), want %s", item, got.Status, got.Note, want)
				}
			}
		})
	}
}

func TestScoreFields(t *testing.T) {
	f := goodFacts()
	f.BusStopM = ptr(1200.0)
	v := planning.ScoreVillage(f, planning.DefaultProfile())
	if v.Code != f.Code || v.Name != f.Name || v.TownshipCode != f.TownshipCode || v.VillageID != f.VillageID {
		t.Errorf("identity = %d %s %s %s, want the facts'", v.VillageID, v.Code, v.Name, v.TownshipCode)
	}
	var ids []string
	for i, d := range v.Dimensions {
		if d.Dimension != planning.Dimensions[i] {
			t.Errorf("dimension %d = %s, want %s", i, d.Dimension, planning.Dimensions[i])
		}
		for _, is := range d.Indicators {
			ids = append(ids, is.ID)
			if is.Dimension != d.Dimension || is.Name == "" || is.Unit == "" || is.ThresholdSource == "" || is.Note == "" {
				t.Errorf("%s is incomplete: %+v", is.ID, is)
			}
		}
	}
	if got, want := strings.Join(ids, " "), "R1 R2 R3 R4 R5 W1 W2 W3 W4 W5 E1 E2 E3 E4 E5 P1 P2"; got != want {
		t.Errorf("indicators = %s, want %s", got, want)
	}
	r4 := find(t, v, "R4")
	if r4.Threshold != 1000 || r4.ThresholdSource != planning.SourceEstimated || r4.Unit != "m" || r4.Weight != 0.25 {
		t.Errorf("R4 = threshold %v (%s), unit %s, weight %v; want 1000 (estimated), m, 0.25",
			r4.Threshold, r4.ThresholdSource, r4.Unit, r4.Weight)
	}
	// 0.30·25 + 0 + 0 + 0 (no poor households: 光伏 not applicable).
	checkScore(t, "composite", v.Composite, 7.5)
	if v.MissingWeight != 0 {
		t.Errorf("missing weight = %v, want 0", v.MissingWeight)
	}
}

// genFacts draws a village. Each optional fact is missing one time in ten;
// values land on thresholds often enough to exercise the boundaries.
func genFacts(r *rand.Rand) planning.Facts {
	opt := func(v float64) *float64 {
		if r.IntN(10) == 0 {
			return nil
		}
		return &v
	}
	pick := func(vs ...float64) float64 { return vs[r.IntN(len(vs))] }
	uni := func(lo, hi float64) float64 {
		if r.IntN(8) == 0 {
			return pick(lo, hi)
		}
		return lo + r.Float64()*(hi-lo)
	}
	optInt := func(n int) *int {
		if r.IntN(10) == 0 {
			return nil
		}
		v := r.IntN(n)
		return &v
	}
	f := planning.Facts{
		VillageID:     r.Int64N(1 << 40),
		Households:    optInt(400),
		Population:    optInt(3000),
		TourismNearby: r.IntN(4) == 0,
		WorksName:     pick2(r, "", "城区水厂"),
	}
	if r.IntN(10) > 0 {
		f.PoorHouseholds = ptr(max(0, r.IntN(100)-20))
		f.PoorPopulation = ptr(3 * *f.PoorHouseholds)
		f.IsPoor = *f.PoorHouseholds > 0
	}
	if r.IntN(10) > 0 {
		f.HardenedConnected = ptr(r.IntN(4) > 0)
	}
	f.UnhardenedM = opt(uni(0, 10000))
	if n := optInt(15); n != nil {
		f.LargeGroups = n
		f.LargeGroupsServed = ptr(r.IntN(*n + 1))
	}
	if path := opt(pick(0, uni(0, 20000), uni(0, 20000))); path != nil {
		f.PathM = path
		f.NarrowM = opt(pick(0, *path*r.Float64()))
	}
	f.BusStopM = opt(pick(1000, uni(0, 5000)))
	f.AllSeasonShare = opt(uni(0, 1))
	f.LitresPerPersonDay = opt(pick(35, uni(0, 80)))
	// Facts' contract: a works with no test record has neither.
	if r.IntN(10) > 0 {
		f.TestPassed = ptr(r.IntN(5) > 0)
		f.TestAgeDays = ptr(pick(365, uni(0, 800)))
	}
	f.CarryFailShare = opt(pick(0, uni(0, 1)))
	f.GuaranteePct = opt(pick(90, uni(60, 100)))
	f.TapShare = opt(uni(0, 1))
	f.Transformers = max(0, r.IntN(6)-1)
	if f.Transformers == 0 {
		f.TransformerKVA = opt(0)
	} else {
		f.TransformerKVA = opt(uni(0, 800))
	}
	f.ThreePhaseM = opt(pick(500, uni(0, 3000)))
	f.ReliabilityPct = opt(uni(98.5, 100))
	f.VoltagePct = opt(uni(93, 100))
	f.FeederKm = opt(uni(0, 40))
	f.LVMaxM = opt(uni(0, 1500))
	f.WellsElectrifiedPct = opt(pick(100, uni(0, 100)))
	if r.IntN(10) > 0 {
		f.VillagePVKW = ptr(pick(0, uni(0, 400)))
		f.CentralisedPVKW = ptr(pick(0, uni(0, 3000)))
	}
	return f
}

func pick2(r *rand.Rand, a, b string) string {
	if r.IntN(2) == 0 {
		return a
	}
	return b
}

// improvement changes one fact for the better; it reports false when the
// fact is missing or already at its best.
type improvement struct {
	name  string
	apply func(f *planning.Facts, r *rand.Rand) bool
}

// less and more move an optional fact toward its best value lo or hi.
func less(p **float64, r *rand.Rand, lo float64) bool {
	if *p == nil || **p <= lo {
		return false
	}
	v := lo + (**p-lo)*r.Float64()*r.Float64()
	*p = &v
	return true
}

func more(p **float64, r *rand.Rand, hi float64) bool {
	if *p == nil || **p >= hi {
		return false
	}
	v := hi - (hi-**p)*r.Float64()*r.Float64()
	*p = &v
	return true
}

var improvements = []improvement{
	{"connect on hardened road", func(f *planning.Facts, _ *rand.Rand) bool {
		if f.HardenedConnected == nil || *f.HardenedConnected {
			return false
		}
		f.HardenedConnected = ptr(true)
		return true
	}},
	{"shorter unhardened length", func(f *planning.Facts, r *rand.Rand) bool { return less(&f.UnhardenedM, r, 0) }},
	{"serve a large group", func(f *planning.Facts, _ *rand.Rand) bool {
		if f.LargeGroups == nil || f.LargeGroupsServed == nil || *f.LargeGroupsServed >= *f.LargeGroups {
			return false
		}
		f.LargeGroupsServed = ptr(*f.LargeGroupsServed + 1)
		return true
	}},
	{"widen narrow road", func(f *planning.Facts, r *rand.Rand) bool { return less(&f.NarrowM, r, 0) }},
	{"closer bus stop", func(f *planning.Facts, r *rand.Rand) bool { return less(&f.BusStopM, r, 0) }},
	{"more all-season access", func(f *planning.Facts, r *rand.Rand) bool { return more(&f.AllSeasonShare, r, 1) }},
	{"more litres", func(f *planning.Facts, r *rand.Rand) bool { return more(&f.LitresPerPersonDay, r, 100) }},
	{"water test passed", func(f *planning.Facts, _ *rand.Rand) bool {
		if f.TestPassed == nil || *f.TestPassed {
			return false
		}
		f.TestPassed = ptr(true)
		return true
	}},
	{"newer water test", func(f *planning.Facts, r *rand.Rand) bool { return less(&f.TestAgeDays, r, 0) }},
	{"closer water point", func(f *planning.Facts, r *rand.Rand) bool { return less(&f.CarryFailShare, r, 0) }},
	{"higher guarantee", func(f *planning.Facts, r *rand.Rand) bool { return more(&f.GuaranteePct, r, 100) }},
	{"more taps", func(f *planning.Facts, r *rand.Rand) bool { return more(&f.TapShare, r, 1) }},
	{"add a transformer", func(f *planning.Facts, r *rand.Rand) bool {
		if f.TransformerKVA == nil {
			return false
		}
		f.Transformers++
		f.TransformerKVA = ptr(*f.TransformerKVA + 50 + 350*r.Float64())
		return true
	}},
	{"more kVA", func(f *planning.Facts, r *rand.Rand) bool {
		return f.Transformers > 0 && more(&f.TransformerKVA, r, 2000)
	}},
	{"closer three-phase", func(f *planning.Facts, r *rand.Rand) bool { return less(&f.ThreePhaseM, r, 0) }},
	{"more reliable", func(f *planning.Facts, r *rand.Rand) bool { return more(&f.ReliabilityPct, r, 100) }},
	{"better voltage", func(f *planning.Facts, r *rand.Rand) bool { return more(&f.VoltagePct, r, 100) }},
	{"shorter feeder", func(f *planning.Facts, r *rand.Rand) bool { return less(&f.FeederKm, r, 0) }},
	{"shorter LV", func(f *planning.Facts, r *rand.Rand) bool { return less(&f.LVMaxM, r, 0) }},
	{"electrify wells", func(f *planning.Facts, r *rand.Rand) bool { return more(&f.WellsElectrifiedPct, r, 100) }},
	{"more village PV", func(f *planning.Facts, r *rand.Rand) bool {
		if f.VillagePVKW == nil {
			return false
		}
		f.VillagePVKW = ptr(*f.VillagePVKW + 1 + 200*r.Float64())
		return true
	}},
	{"more centralised PV", func(f *planning.Facts, r *rand.Rand) bool {
		if f.CentralisedPVKW == nil {
			return false
		}
		f.CentralisedPVKW = ptr(*f.CentralisedPVKW + 1 + 1000*r.Float64())
		return true
	}},
	{"fewer poor households", func(f *planning.Facts, r *rand.Rand) bool {
		// With PV data unknown, no poor households turns P1/P2 from no_data
		// to not applicable, by design; the improvement is tried on known
		// PV data.
		if f.PoorHouseholds == nil || *f.PoorHouseholds == 0 || f.VillagePVKW == nil {
			return false
		}
		f.PoorHouseholds = ptr(*f.PoorHouseholds - 1 - r.IntN(*f.PoorHouseholds))
		return true
	}},
}

// checkInvariants checks what must hold for any facts.
func checkInvariants(tb testing.TB, v planning.VillageScore) {
	tb.Helper()
	in := func(x, lo, hi float64) bool { return x >= lo && x <= hi }
	if len(v.Dimensions) != 4 || len(v.Exit) != 8 {
		tb.Fatalf("%d dimensions and %d exit items, want 4 and 8", len(v.Dimensions), len(v.Exit))
	}
	anyGap := false
	for _, d := range v.Dimensions {
		if d.Gap != nil {
			anyGap = true
			if !in(*d.Gap, 0, 100) {
				tb.Errorf("%s gap %v out of range", d.Dimension, *d.Gap)
			}
		}
		if !in(d.MissingWeight, 0, 1) {
			tb.Errorf("%s missing weight %v out of range", d.Dimension, d.MissingWeight)
		}
		if d.Veto && (d.Gap == nil || *d.Gap != 100) {
			tb.Errorf("%s vetoed with gap %s", d.Dimension, fmtp(d.Gap))
		}
		for _, is := range d.Indicators {
			switch {
			case is.Status == planning.StatusNoData:
				if is.Score != nil || is.Value != nil {
					tb.Errorf("%s no_data with score %s value %s", is.ID, fmtp(is.Score), fmtp(is.Value))
				}
			case is.Score == nil || !in(*is.Score, 0, 100):
				tb.Errorf("%s score %s out of range", is.ID, fmtp(is.Score))
			case (is.Status == planning.StatusFail) != (*is.Score > 0):
				tb.Errorf("%s status %s with score %v", is.ID, is.Status, *is.Score)
			}
			if is.Veto && is.Status != planning.StatusFail {
				tb.Errorf("%s vetoes with status %s", is.ID, is.Status)
			}
		}
	}
	if (v.Composite != nil) != anyGap {
		tb.Errorf("composite %s with anyGap %v", fmtp(v.Composite), anyGap)
	}
	if v.Composite != nil && !in(*v.Composite, 0, 100) {
		tb.Errorf("composite %v out of range", *v.Composite)
	}
	if !in(v.MissingWeight, 0, 1) {
		tb.Errorf("missing weight %v out of range", v.MissingWeight)
	}
}

// notWorse reports how after is worse than before, or "" if it is not.
func notWorse(before, after *float64) string {
	switch {
	case before == nil && after != nil:
		return fmt.Sprintf("nil → %v", *after)
	case before != nil && after != nil && *after > *before:
		return fmt.Sprintf("%v → %v", *before, *after)
	}
	return ""
}

// TestScoreProperty checks that improving any one fact never raises an
// indicator score, a dimension gap or the composite. Two couplings are
// allowed by design: R3 is not applicable while R1 fails, so connecting a
// village can reveal narrow roads (its 通路 gap still falls from the veto's
// 100); and lifting the 无配变 veto can turn E1 from 100 to no data when the
// household count is unknown.
func TestScoreProperty(t *testing.T) {
	p := planning.DefaultProfile()
	r := rand.New(rand.NewPCG(2016, 2020))
	const n = 5000
	tried := map[string]int{}
	for i := range n {
		f := genFacts(r)
		before := planning.ScoreVillage(f, p)
		checkInvariants(t, before)
		if again := planning.ScoreVillage(f, p); !reflect.DeepEqual(before, again) {
			t.Fatalf("case %d: scoring twice differs", i)
		}
		for _, imp := range improvements {
			g := f
			if !imp.apply(&g, r) {
				continue
			}
			tried[imp.name]++
			after := planning.ScoreVillage(g, p)
			checkInvariants(t, after)
			for di, da := range after.Dimensions {
				db := before.Dimensions[di]
				if msg := notWorse(db.Gap, da.Gap); msg != "" {
					t.Errorf("case %d, %s: %s gap %s", i, imp.name, da.Dimension, msg)
				}
				if db.Gap != nil && da.Gap == nil && !db.Veto {
					t.Errorf("case %d, %s: %s gap lost without a veto", i, imp.name, da.Dimension)
				}
				for ii, ia := range da.Indicators {
					ib := db.Indicators[ii]
					if ib.ID == "R3" && ib.Status == planning.StatusNotApplicable && before.Dimensions[0].Indicators[0].Status == planning.StatusFail {
						continue
					}
					if ib.ID == "E1" && ib.Veto && ia.Status == planning.StatusNoData {
						continue
					}
					if msg := notWorse(ib.Score, ia.Score); msg != "" {
						t.Errorf("case %d, %s: %s score %s (%q → %q)", i, imp.name, ia.ID, msg, ib.Note, ia.Note)
					}
					if (ib.Score == nil) != (ia.Score == nil) {
						t.Errorf("case %d, %s: %s status %s → %s", i, imp.name, ia.ID, ib.Status, ia.Status)
					}
				}
			}
			if msg := notWorse(before.Composite, after.Composite); msg != "" {
				t.Errorf("case %d, %s: composite %s", i, imp.name, msg)
			}
			if t.Failed() {
				t.FailNow()
			}
		}
	}
	for _, imp := range improvements {
		if tried[imp.name] < n/20 {
			t.Errorf("improvement %q tried %d times, want at least %d", imp.name, tried[imp.name], n/20)
		}
	}
}

func BenchmarkScoreVillage(b *testing.B) {
	p := planning.DefaultProfile()
	r := rand.New(rand.NewPCG(1, 2))
	facts := make([]planning.Facts, 10000)
	for i := range facts {
		facts[i] = genFacts(r)
	}
	var sink planning.VillageScore
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for i := range facts {
			sink = planning.ScoreVillage(facts[i], p)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(facts)), "ns/village")
	_ = sink
}

func ExampleScoreVillage() {
	f := planning.Facts{
		Name:              "白羊村",
		Households:        ptr(80),
		PoorHouseholds:    ptr(26),
		HardenedConnected: ptr(true),
		BusStopM:          ptr(1200.0),
		Transformers:      1,
		TransformerKVA:    ptr(100.0),
		VillagePVKW:       ptr(100.0),
		CentralisedPVKW:   ptr(0.0),
	}
	v := planning.ScoreVillage(f, planning.DefaultProfile())
	for _, d := range v.Dimensions {
		for _, is := range d.Indicators {
			if is.Status == planning.StatusFail {
				fmt.Printf("%s %s %.1f：%s\n", is.ID, is.Name, *is.Score, is.Note)
			}
		}
	}
	fmt.Printf("综合 %.1f，缺数据权重 %.3f\n", *v.Composite, v.MissingWeight)
	// Output:
	// R4 通客车 100.0：村委会距最近有班车的客运站点 1,200 m，标准 ≤1,000 m
	// E1 户均配变容量 50.0：配变 1 台共 100 kVA，80 户，户均 1.25 kVA，标准 ≥2 kVA/户
	// P1 贫困户户均光伏装机 23.1：建档立卡贫困户 26 户，需光伏 130 kW（5 kW/户），已计入 100 kW（村级/户用 100 kW，集中式 0 kW 折 0 户），缺口 30 kW
	// 综合 64.2，缺数据权重 0.687
}
