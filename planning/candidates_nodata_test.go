package planning_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/planning"
)

// TestNoCandidateFromNoData: a village whose every fact is unknown gets no
// project, only 补充数据 needs; before issue 16 it got a 单村供水工程 of 0 人
// and 0.00 万元 (W1 no_data and no works named) and a 10 kV line (no
// transformer on record).
func TestNoCandidateFromNoData(t *testing.T) {
	p := planning.DefaultProfile()
	f := planning.Facts{VillageID: 1, Code: "430682100201", Name: "测试村", TownshipCode: "430682100", TownshipName: "测试镇"}
	cf := planning.CandidateFacts{Line10kVM: ptr(800.0)}
	if ps := planning.Candidates(f, cf, p); len(ps) != 0 {
		for _, pr := range ps {
			t.Errorf("from no data: %s %g %s, %g 万元", pr.Subtype, pr.Quantity, pr.Unit, pr.CostWan)
		}
	}

	// Measured gaps whose sizing input is unknown: no project, a need.
	f = goodFacts()
	f.Population, f.Households = nil, nil
	f.TapShare = ptr(0.2)       // W5 fails on measured data
	f.Transformers = 0          // E1: no transformer
	f.TransformerKVA = ptr(0.0) // … on a county with transformer data
	f.PoorHouseholds, f.PoorPopulation = ptr(0), ptr(0)
	ps := planning.Candidates(f, planning.CandidateFacts{SpareWorks: "城关水厂", SpareWorksM: ptr(300.0)}, p)
	for _, pr := range ps {
		if pr.Category == planning.CatWater || pr.Subtype == "配变增容" || pr.Subtype == "10kV线路" {
			t.Errorf("sized without population or households: %s %g %s", pr.Subtype, pr.Quantity, pr.Unit)
		}
	}
	needs := planning.UnsizedNeeds(f, planning.CandidateFacts{SpareWorks: "城关水厂", SpareWorksM: ptr(300.0)}, p)
	var got []string
	for _, n := range needs {
		if n.Purpose != planning.PurposeSize || n.Status != planning.StatusFail || len(n.Settle) == 0 {
			t.Errorf("need %+v", n)
		}
		got = append(got, n.Indicator+":"+n.Settle[0].Field)
	}
	if want := []string{"W5:population", "E1:households"}; !slices.Equal(got, want) {
		t.Errorf("unsized needs %q, want %q", got, want)
	}

	// A bridge without a length is not sized at 0 延米.
	f = goodFacts()
	cf = planning.CandidateFacts{Bridges: []planning.BridgeGap{{ID: 7, Name: "石桥"}}}
	if ps := planning.Candidates(f, cf, p); len(ps) != 0 {
		t.Errorf("a bridge of unknown length became %+v", ps)
	}
	if needs := planning.UnsizedNeeds(f, cf, p); len(needs) != 1 || needs[0].Settle[0].Field != "length_m" {
		t.Errorf("bridge needs %+v", needs)
	}
}

// TestCandidatesRandomFacts draws villages whose facts are each unknown or a
// random value, and checks every candidate against rules written from
// domain.md rather than from the generator: it answers a failure measured
// by ScoreVillage (never a no_data), the facts its size reads are known,
// and its 工程量 × 单价 is its 投资估算, in decimal cents.
func TestCandidatesRandomFacts(t *testing.T) {
	p := planning.DefaultProfile()
	rng := rand.New(rand.NewPCG(16, 3))
	maybe := func(v float64) *float64 {
		if rng.IntN(3) == 0 {
			return nil
		}
		return &v
	}
	maybeInt := func(v int) *int {
		if rng.IntN(4) == 0 {
			return nil
		}
		return &v
	}
	maybeBool := func() *bool {
		if rng.IntN(3) == 0 {
			return nil
		}
		return ptr(rng.IntN(2) == 0)
	}
	made := map[string]int{}
	for i := range 3000 {
		hh := maybeInt(20 + rng.IntN(400))
		f := planning.Facts{VillageID: int64(i), Code: fmt.Sprintf("430682100%03d", i%1000), Name: "村", TownshipCode: "430682100",
			TownshipName: "镇", Households: hh, Population: maybeInt(80 + rng.IntN(1500)),
			HardenedConnected: maybeBool(), UnhardenedM: maybe(rng.Float64() * 5000),
			LargeGroups: maybeInt(rng.IntN(5)), LargeGroupsServed: maybeInt(rng.IntN(5)),
			PathM: maybe(rng.Float64() * 9000), NarrowM: maybe(rng.Float64() * 3000), BusStopM: maybe(rng.Float64() * 3000),
			AllSeasonShare: maybe(rng.Float64()), LitresPerPersonDay: maybe(rng.Float64() * 80),
			TestAgeDays: maybe(rng.Float64() * 800), TestPassed: maybeBool(), CarryFailShare: maybe(rng.Float64()),
			GuaranteePct: maybe(80 + rng.Float64()*20), TapShare: maybe(rng.Float64()),
			Transformers: rng.IntN(4), TransformerKVA: maybe(float64(rng.IntN(5)) * 100),
			ThreePhaseM: maybe(rng.Float64() * 2000), ReliabilityPct: maybe(99 + rng.Float64()),
			FeederKm: maybe(rng.Float64() * 30), LVMaxM: maybe(rng.Float64() * 1200),
			VillagePVKW: ptr(float64(rng.IntN(3)) * 50), CentralisedPVKW: ptr(0.0)}
		if rng.IntN(2) == 0 {
			f.WorksName = "水厂"
		}
		if hh != nil && rng.IntN(2) == 0 {
			f.PoorHouseholds = ptr(rng.IntN(*hh/2 + 1))
			f.PoorPopulation = ptr(3 * *f.PoorHouseholds)
		}
		cf := planning.CandidateFacts{Line10kVM: maybe(rng.Float64() * 3000)}
		if rng.IntN(2) == 0 {
			cf.SpareWorks, cf.SpareWorksM, cf.SpareWorksRoadM = "城关水厂", maybe(rng.Float64()*6000), maybe(rng.Float64()*6000)
		}
		if rng.IntN(3) == 0 {
			cf.Groups = []planning.GroupGap{{Name: "一组", Households: 40, Population: 150, DistanceM: 300 + rng.Float64()*2000, RoadM: maybe(rng.Float64() * 3000)}}
		}
		if rng.IntN(4) == 0 {
			cf.Bridges = []planning.BridgeGap{{ID: 1, Name: "桥", LengthM: maybe(10 + rng.Float64()*80)}}
		}
		status := map[string]string{}
		for _, d := range planning.ScoreVillage(f, p).Dimensions {
			for _, is := range d.Indicators {
				status[is.ID] = is.Status
			}
		}
		status["P3"] = status["P1"] // P3 is the connection of P1's station, a flag, not a score (domain.md §5)
		for _, pr := range planning.Candidates(f, cf, p) {
			made[pr.Subtype]++
			where := fmt.Sprintf("draw %d %s", i, pr.Subtype)
			answers := pr.Subtype == "危桥改造" // a bridge answers no indicator
			for _, id := range pr.SourceIndicators {
				answers = answers || status[id] == planning.StatusFail
			}
			if !answers {
				t.Errorf("%s answers %v, none of which fails: %v", where, pr.SourceIndicators, status)
			}
			if pr.Quantity <= 0 || pr.CostWan <= 0 {
				t.Errorf("%s: %g %s, %g 万元", where, pr.Quantity, pr.Unit, pr.CostWan)
			}
			if got, want := planning.Scaled(pr.CostWan, 2), decimalCost(pr.Quantity, pr.UnitPriceWan); got != want {
				t.Errorf("%s: %g × %g = %d cents, cost %d cents", where, pr.Quantity, pr.UnitPriceWan, want, got)
			}
			var needs []bool // the facts this subtype's size reads (domain.md §2–5)
			switch pr.Subtype {
			case "通村硬化路":
				needs = []bool{f.UnhardenedM != nil}
			case "窄路加宽":
				needs = []bool{f.NarrowM != nil}
			case "管网延伸":
				needs = []bool{f.Population != nil, cf.SpareWorksM != nil || cf.SpareWorksRoadM != nil}
			case "自来水入户":
				needs = []bool{f.Population != nil, f.Households != nil, f.TapShare != nil}
			case "单村供水工程":
				needs = []bool{f.Population != nil}
			case "配变增容":
				needs = []bool{f.TransformerKVA != nil, f.Households != nil || status["E1"] != planning.StatusFail}
			case "10kV线路":
				needs = []bool{cf.Line10kVM != nil, f.Households != nil}
			case "动力电改造":
				needs = []bool{f.ThreePhaseM != nil}
			case "10kV线路改造":
				needs = []bool{f.FeederKm != nil}
			case "低压改造":
				needs = []bool{f.LVMaxM != nil}
			case "危桥改造":
				needs = []bool{cf.Bridges[0].LengthM != nil}
			}
			if slices.Contains(needs, false) {
				t.Errorf("%s sized from an unknown fact: %+v", where, pr)
			}
			if strings.Contains(pr.Content, " 0.00 ") || strings.Contains(pr.Content, "受益 0 人") {
				t.Errorf("%s content %q", where, pr.Content)
			}
		}
	}
	for _, s := range []string{"通村硬化路", "通组硬化路", "窄路加宽", "招呼站", "危桥改造", "管网延伸", "自来水入户", "单村供水工程",
		"净化消毒", "配变增容", "10kV线路", "动力电改造", "10kV线路改造", "低压改造", "村级光伏电站"} {
		if made[s] == 0 {
			t.Errorf("no %s in 3,000 draws: the draw does not reach it (%v)", s, made)
		}
	}
}

// decimalCost is quantity × price in cents, rounded half up, from the two
// values as the table prints them (two and four decimals): written apart
// from planning.CostWan so that the two can disagree.
func decimalCost(q, price float64) int64 {
	var qs, ps string
	qs, ps = fmt.Sprintf("%.2f", q), fmt.Sprintf("%.4f", price)
	qi := atoiDigits(qs)
	pi := atoiDigits(ps)
	prod := qi * pi // 10^-6
	return (prod + 5000) / 10000
}

func atoiDigits(s string) int64 {
	var n int64
	for _, c := range s {
		if c >= '0' && c <= '9' {
			n = n*10 + int64(c-'0')
		}
	}
	return n
}
