package planning

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/paulmach/orb"
)

// CandidateFacts are what sizing projects needs beyond a village's Facts,
// measured by PostGIS for generation only (scoring does not need them),
// each for its own village. Distances are metres; nil is unknown.
type CandidateFacts struct {
	// Office is the 村委会, where point projects go: an orb.Point, or nil
	// for a 未定位 village, whose projects have no location rather than
	// one at (0, 0).
	Office orb.Geometry
	// Groups are the large 自然村/村民组 (R2) farther than the group radius
	// from the R1-connected hardened network, with the line to it.
	Groups []GroupGap
	// Bridges are the 危桥 (condition class 4–5) nearest to this village's
	// 村委会 among all villages, within dangerous_bridge_radius_m.
	Bridges []BridgeGap
	// The nearest water works whose spare design capacity covers the
	// village's demand (none when the population is unknown): the straight
	// line from the 村委会 to its mains (or to the works when it has none),
	// and the road route to them — 村委会 to its road vertex, along roads,
	// to the main — when one exists within main_extension_max_m. SpareWorksTo
	// is the route, else the straight line.
	SpareWorks      string
	SpareWorksM     *float64
	SpareWorksRoadM *float64
	SpareWorksTo    orb.Geometry
	// The nearest 10 kV line: a new 台区 or a PV station connects to it.
	Line10kVM  *float64
	Line10kVTo orb.Geometry
}

// GroupGap is one 自然村/村民组 that lacks hardened access.
type GroupGap struct {
	Name           string  `json:"name"`
	Households     int     `json:"households"`
	Population     int     `json:"population"`
	PoorHouseholds int     `json:"poor_households"`
	PoorPopulation int     `json:"poor_population"`
	DistanceM      float64 `json:"distance_m"` // straight line to the seat-connected hardened network
	// RoadM is the unhardened length of the cheapest road path from the
	// group to that network (hardened edges cost 0; domain.md §2); nil or 0
	// when the group is off the road graph, where the straight line × the
	// road detour factor is used instead.
	RoadM *float64     `json:"road_m"`
	Line  orb.Geometry `json:"-"` // the road path to pave, else the straight line
}

// BridgeGap is one dangerous bridge.
type BridgeGap struct {
	ID      int64     `json:"id"`
	Name    string    `json:"name"`
	LengthM *float64  `json:"length_m"` // nil: unknown, the bridge cannot be sized
	Point   orb.Point `json:"-"`
}

// GenerateStore is what candidate generation reads and writes.
type GenerateStore interface {
	RunStore
	LibraryStore
}

// factsChanged lists the layers a run's facts come from that changed since:
// candidates sized now would not match its scores.
func factsChanged(run, now map[string]int64) []string {
	var changed []string
	for layer, v := range run {
		if layer == "scores" || layer == "projects" {
			continue
		}
		if now[layer] != v {
			changed = append(changed, layer)
		}
	}
	slices.Sort(changed)
	return changed
}

// CheckGenerate refuses what Generate would refuse before its work: a run
// that does not exist or was scored under another profile. A generation
// run as a job checks it while the client waits.
func CheckGenerate(ctx context.Context, store GenerateStore, p Profile, runID int64) error {
	_, err := generateRun(ctx, store, p, runID)
	return err
}

// generateRun is the run a generation starts from: runID, or the latest
// when 0, scored under p.
func generateRun(ctx context.Context, store GenerateStore, p Profile, runID int64) (Run, error) {
	var run Run
	var err error
	if runID == 0 {
		run, err = store.LatestRun(ctx)
	} else {
		run, err = store.Run(ctx, runID)
	}
	if err != nil {
		return run, err
	}
	if run.ProfileHash != p.Hash() {
		return run, Errorf(EConflict, "评分批次 %d 使用的评分配置与当前配置不同，请先用当前配置重新评分（gapmap score）", run.ID)
	}
	return run, nil
}

// Generate sizes the candidate projects that would close the gaps of run
// (the latest when runID is 0) and merges them into the library. The
// facts are measured again under the run's profile and must come from the
// same data the run saw; unit prices and sizing come from p. A gap whose
// project cannot be sized from measured data (an unknown population, a
// bridge without a length) generates nothing and is counted in the
// report's Unsized, with the data that would size it.
func Generate(ctx context.Context, store GenerateStore, p Profile, runID int64, all bool) (GenerateReport, error) {
	run, err := generateRun(ctx, store, p, runID)
	if err != nil {
		return GenerateReport{}, err
	}
	ids, err := store.GapVillages(ctx, run.ID, all)
	if err != nil {
		return GenerateReport{}, err
	}
	facts, versions, err := store.VillageFacts(ctx, p, run.AsOf, ids)
	if err != nil {
		return GenerateReport{}, err
	}
	if changed := factsChanged(run.DataVersion, versions); len(changed) > 0 {
		return GenerateReport{}, Errorf(EConflict, "评分批次 %d 之后数据已更改（%v），请先重新评分再生成项目", run.ID, changed)
	}
	cfs, err := store.CandidateFacts(ctx, p, ids)
	if err != nil {
		return GenerateReport{}, err
	}
	var ps []Project
	var unsized []VillageNeeds
	for _, f := range facts {
		g := newGenerator(f, cfs[f.VillageID], p)
		ps = append(ps, g.out...)
		if len(g.needs) > 0 {
			unsized = append(unsized, VillageNeeds{Code: f.Code, Name: f.Name, TownshipCode: f.TownshipCode,
				TownshipName: f.TownshipName, Needs: g.needs})
		}
	}
	for i := range ps {
		ps[i].RunID = run.ID
	}
	rep, err := store.SaveCandidates(ctx, run.ID, ps, &Prediction{Profile: p, AsOf: run.AsOf})
	rep.RunID, rep.Villages, rep.Candidates, rep.Unsized = run.ID, len(facts), len(ps), unsized
	return rep, err
}

// Candidates sizes the projects that would close the measured gaps of one
// village (domain.md §2–5). Each carries the village's gap before and the
// gap ScoreVillage gives once the project's effect is applied to the facts.
// Only an indicator that fails on measured data generates a project, and
// only when the facts that size it are known: no_data is never a project.
func Candidates(f Facts, cf CandidateFacts, p Profile) []Project {
	return newGenerator(f, cf, p).out
}

// UnsizedNeeds lists, for one village, the gaps that failed on measured data
// but could not be sized into a project, with the data that would size them.
func UnsizedNeeds(f Facts, cf CandidateFacts, p Profile) []DataNeed {
	return newGenerator(f, cf, p).needs
}

func newGenerator(f Facts, cf CandidateFacts, p Profile) *generator {
	g := &generator{f: f, cf: cf, p: p, before: ScoreVillage(f, p)}
	g.road()
	g.water()
	g.grid()
	g.pv()
	return g
}

type generator struct {
	f      Facts
	cf     CandidateFacts
	p      Profile
	before VillageScore
	out    []Project
	needs  []DataNeed // failed gaps that could not be sized
}

// indicator returns the village's judgement of indicator id.
func (g *generator) indicator(id string) IndicatorScore {
	for _, d := range g.before.Dimensions {
		for _, is := range d.Indicators {
			if is.ID == id {
				return is
			}
		}
	}
	return IndicatorScore{}
}

// fails says whether indicator id failed on measured data: the only gap a
// project is generated for.
func (g *generator) fails(id string) bool { return g.indicator(id).Status == StatusFail }

// unsized records that the failed indicator id could not be sized into a
// project because items are unknown.
func (g *generator) unsized(id, why string, items ...DataItem) {
	is := g.indicator(id)
	g.needs = append(g.needs, DataNeed{Indicator: id, Name: IndicatorName(id), Dimension: is.Dimension, Status: is.Status,
		Reason: why, Purpose: PurposeSize, Settle: items})
}

// item describes one candidate before the common fields are filled in.
type item struct {
	subtype, object string // object tells apart several of a subtype in a village
	dim, category   string
	nature          string
	name            string
	content         func(qty float64) string // the 建设内容及规模, told the rounded quantity
	quantity        float64
	unit            string
	price           Param
	indicators      []string
	geom            orb.Geometry
	who             Beneficiaries
	effect          func(*Facts) // the facts once built; nil: no scored effect
	dependsOn       string
	targets         func(qty float64) []Target // the type's own output targets
}

func (g *generator) key(subtype, object string) string {
	k := g.f.Code + ":" + subtype
	if object != "" {
		k += ":" + object
	}
	return k
}

// village is the whole village as beneficiaries; an unknown count is 0
// (the project's own figures never guess).
func (g *generator) village() Beneficiaries {
	return Beneficiaries{Households: deref(g.f.Households), Population: deref(g.f.Population),
		PoorHouseholds: deref(g.f.PoorHouseholds), PoorPopulation: deref(g.f.PoorPopulation)}
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// add fills in what every candidate carries and appends it. The quantity
// is rounded once, and the content, the targets and the cost all read the
// rounded one, so the row agrees with itself wherever it is shown.
func (g *generator) add(it item) {
	qty, price := RoundQuantity(it.quantity), RoundPrice(it.price.Value)
	if qty <= 0 && it.quantity > 0 {
		qty = 1 / math.Pow10(QuantityDecimals) // a measured gap of a few metres is 0.01 km of work, not 0
	}
	pr := Project{
		Key: g.key(it.subtype, it.object), Name: g.f.TownshipName + g.f.Name + it.name,
		Category: it.category, Subtype: it.subtype, Nature: it.nature,
		TownshipCode: g.f.TownshipCode, TownshipName: g.f.TownshipName, VillageCode: g.f.Code, VillageName: g.f.Name,
		Content: it.content(qty), Quantity: qty, Unit: it.unit, UnitPriceWan: price,
		PriceSource: it.price.Source, CostWan: CostWan(qty, price), Beneficiaries: it.who,
		ResponsibleUnit: g.p.Units.For(it.category), Status: StateSurvey,
		GapDimension: it.dim, SourceIndicators: it.indicators, DependsOn: it.dependsOn, Geometry: it.geom,
	}
	pr.Funding = []Funding{{Source: "统筹整合涉农资金", AmountWan: pr.CostWan}}
	pr.GapBefore = g.before.Gap(it.dim)
	pr.GapAfter = pr.GapBefore
	if it.effect != nil {
		f := g.f
		it.effect(&f)
		pr.GapAfter = ScoreVillage(f, g.p).Gap(it.dim)
	}
	pr.Mechanism = mechanism(pr)
	var own []Target
	if it.targets != nil {
		own = it.targets(qty)
	}
	pr.Targets = append(own, commonTargets(pr, it.price)...)
	g.out = append(g.out, pr)
}

// round2 rounds to hundredths (plan.go's target totals use it).
func round2(x float64) float64 { return math.Round(x*100) / 100 }

func ptr[T any](v T) *T { return &v }

func (g *generator) road() {
	p, pr := g.p.Road, g.p.Prices
	if g.fails("R1") {
		if m, ok := get(g.f.UnhardenedM); ok && m > 0 {
			g.add(item{subtype: "通村硬化路", dim: DimRoad, category: CatRoad, nature: "改建",
				name: "通村公路硬化工程",
				content: func(km float64) string {
					return fmt.Sprintf("硬化村委会至乡镇驻地未硬化路段 %.2f km，路面宽 4.5 m", km)
				},
				quantity: m / 1000, unit: "km", price: pr.RoadKm, indicators: []string{"R1"}, geom: g.f.Explain["R1"], who: g.village(),
				effect: func(f *Facts) {
					f.HardenedConnected, f.UnhardenedM = ptr(true), ptr(0.0)
					if f.PathM == nil { // the new pavement is the path, built 4.5 m wide
						f.PathM, f.NarrowM = ptr(m), ptr(0.0)
					}
				},
				targets: func(km float64) []Target {
					return []Target{{"产出指标", "数量指标", "硬化通村公路里程", fmt.Sprintf("≥%.2f km", km)}}
				},
			})
		} else if !ok {
			g.unsized("R1", "村委会至乡镇驻地的待硬化里程暂无数据", itemRoads, itemRoadSurface)
		}
	}
	if g.fails("R2") {
		for _, gr := range g.cf.Groups {
			g.group(gr, p, pr)
		}
	}
	if g.fails("R3") {
		if m, ok := get(g.f.NarrowM); ok && m > 0 {
			g.add(item{subtype: "窄路加宽", dim: DimRoad, category: CatRoad, nature: "改建",
				name: "通村公路窄路加宽工程",
				content: func(km float64) string {
					return fmt.Sprintf("通村公路窄路面加宽 %.2f km（宽度不足 %.1f m 的路段加宽至 %.1f m）", km, p.MinWidthM.Value, p.MinWidthM.Value)
				},
				quantity: m / 1000, unit: "km", price: pr.WidenKm, indicators: []string{"R3"}, geom: g.f.Explain["R3"], who: g.village(),
				effect: func(f *Facts) { f.NarrowM = ptr(0.0) },
				targets: func(km float64) []Target {
					return []Target{{"产出指标", "数量指标", "窄路加宽里程", fmt.Sprintf("≥%.2f km", km)}}
				},
			})
		}
	}
	if g.fails("R4") {
		g.add(item{subtype: "招呼站", dim: DimRoad, category: CatRoad, nature: "新建",
			name: "农村客运招呼站", content: func(float64) string { return "在村委会附近新建农村客运招呼站 1 座" },
			quantity: 1, unit: "座", price: pr.BusStop, indicators: []string{"R4"}, geom: g.cf.Office, who: g.village(),
			effect:  func(f *Facts) { f.BusStopM = ptr(0.0) },
			targets: func(float64) []Target { return []Target{{"产出指标", "数量指标", "新建招呼站", "1 座"}} },
		})
	}
	for _, b := range g.cf.Bridges {
		name := b.Name
		if name == "" {
			name = fmt.Sprintf("危桥%d", b.ID)
		}
		if b.LengthM == nil || *b.LengthM <= 0 {
			g.needs = append(g.needs, DataNeed{Name: "危桥改造", Dimension: DimRoad, Status: StatusFail,
				Reason: "危桥" + name + "桥长暂无数据，无法测算改造规模", Purpose: PurposeSize, Settle: []DataItem{itemBridgeLength}})
			continue
		}
		g.add(item{subtype: "危桥改造", object: fmt.Sprint(b.ID), dim: DimRoad, category: CatRoad, nature: "改建",
			name: name + "危桥改造工程",
			content: func(m float64) string {
				return fmt.Sprintf("改造危桥%s，桥长 %s m（单价为估算，请按跨径核定）", name, num(m))
			},
			quantity: *b.LengthM, unit: "延米", price: pr.BridgeM, geom: b.Point, who: g.village(),
			targets: func(float64) []Target { return []Target{{"产出指标", "数量指标", "改造危桥", "1 座"}} },
		})
	}
}

// group adds the 通组硬化路 of one large group beyond the hardened network:
// the unhardened road path to it when the group is on the road graph, else
// the straight line × the road detour factor (domain.md §1).
func (g *generator) group(gr GroupGap, p RoadParams, pr PriceParams) {
	m, how := 0.0, ""
	if r, ok := get(gr.RoadM); ok && r > 0 {
		m, how = r, "沿现有未硬化道路"
	} else {
		m, how = gr.DistanceM*p.DetourFactor.Value, fmt.Sprintf("直线 %.0f m × 绕行系数 %.1f，", gr.DistanceM, p.DetourFactor.Value)
	}
	if m <= 0 {
		return
	}
	// Group rosters rarely carry 建档立卡 counts: share the village's by
	// households, and say so, rather than rank the road as helping no one.
	estimated := ""
	if gr.PoorHouseholds == 0 && gr.PoorPopulation == 0 && deref(g.f.Households) > 0 && deref(g.f.PoorHouseholds) > 0 {
		share := float64(gr.Households) / float64(deref(g.f.Households))
		gr.PoorHouseholds = int(math.Round(share * float64(deref(g.f.PoorHouseholds))))
		gr.PoorPopulation = int(math.Round(share * float64(deref(g.f.PoorPopulation))))
		estimated = "；建档立卡户数按户数比例估算"
	}
	g.add(item{subtype: "通组硬化路", object: gr.Name, dim: DimRoad, category: CatRoad, nature: "新建",
		name: gr.Name + "通组公路硬化工程",
		content: func(km float64) string {
			return fmt.Sprintf("新建硬化通组路 %.2f km（%s至已通硬化路网），宽 3.5 m，连通%s（%d户%s）",
				km, how, gr.Name, gr.Households, estimated)
		},
		quantity: m / 1000, unit: "km", price: pr.RoadKm, indicators: []string{"R2"}, geom: gr.Line,
		who: Beneficiaries{gr.Households, gr.Population, gr.PoorHouseholds, gr.PoorPopulation},
		effect: func(f *Facts) {
			if f.LargeGroupsServed != nil {
				f.LargeGroupsServed = ptr(*f.LargeGroupsServed + 1)
			}
		},
		targets: func(km float64) []Target {
			return []Target{{"产出指标", "数量指标", "新建通组硬化路里程", fmt.Sprintf("≥%.2f km", km)}}
		},
	})
}

// mainLength is the length of main to lay from the village to its spare
// works (domain.md §3): the road route when there is one, else the straight
// line × the pipe detour factor; ok is false when no works was found.
func (g *generator) mainLength() (m float64, how string, ok bool) {
	if r, ok := get(g.cf.SpareWorksRoadM); ok {
		return r, "沿道路", true
	}
	if d, ok := get(g.cf.SpareWorksM); ok {
		f := g.p.Water.DetourFactor.Value
		return d * f, fmt.Sprintf("直线 %.0f m × 绕行系数 %.1f", d, f), true
	}
	return 0, "", false
}

func (g *generator) water() {
	pp, pr := g.p.Projects, g.p.Prices
	var failing []string
	for _, id := range []string{"W1", "W5"} {
		if g.fails(id) {
			failing = append(failing, id)
		}
	}
	if len(failing) > 0 {
		who := g.village()
		main, how, found := g.mainLength()
		switch {
		case g.f.Population == nil || *g.f.Population <= 0:
			// The demand a works must cover, and a 单村供水工程's size, are
			// both the population.
			g.unsized(failing[0], "人口暂无数据，无法测算供水需求和工程规模", itemPopulation)
		case found && main <= pp.MainExtensionMaxM.Value:
			mainKey := ""
			if main > 0 {
				mainKey = g.key("管网延伸", "")
				g.add(item{subtype: "管网延伸", dim: DimWater, category: CatWater, nature: "扩建",
					name: "农村饮水管网延伸工程",
					content: func(km float64) string {
						return fmt.Sprintf("从%s延伸供水管网 %.2f km（%s）", g.cf.SpareWorks, km, how)
					},
					quantity: main / 1000, unit: "km", price: pr.MainKm,
					// The main brings the works' water (W1) and is what the
					// taps of W5 hang on.
					indicators: failing, geom: g.cf.SpareWorksTo, who: who,
					effect: func(f *Facts) {
						f.WorksName, f.LitresPerPersonDay = g.cf.SpareWorks, ptr(pp.WaterDesignLitres.Value)
					},
					targets: func(km float64) []Target {
						return []Target{{"产出指标", "数量指标", "延伸供水管网", fmt.Sprintf("≥%.2f km", km)}}
					},
				})
			}
			g.taps(mainKey)
		default: // no works with spare capacity within reach
			g.add(item{subtype: "单村供水工程", dim: DimWater, category: CatWater, nature: "新建",
				name: "单村集中供水工程",
				content: func(n float64) string {
					return fmt.Sprintf("新建单村集中供水工程，设计供水 %.0f L/人·d，受益 %.0f 人", pp.WaterDesignLitres.Value, n)
				},
				quantity: float64(*g.f.Population), unit: "人", price: pr.SingleWorksPerson,
				indicators: []string{"W1", "W2", "W4", "W5"}, geom: g.cf.Office, who: who,
				effect: func(f *Facts) {
					f.LitresPerPersonDay, f.TapShare = ptr(pp.WaterDesignLitres.Value), ptr(1.0)
					f.TestPassed, f.TestAgeDays, f.GuaranteePct = ptr(true), ptr(0.0), ptr(95.0)
				},
				targets: func(float64) []Target {
					return []Target{{"产出指标", "数量指标", "新建供水工程", "1 处"},
						{"产出指标", "质量指标", "水质达标率（GB 5749）", "100%"}}
				},
			})
			return // the new works is tested and disinfected as built
		}
	}
	if g.fails("W2") {
		g.add(item{subtype: "净化消毒", dim: DimWater, category: CatWater, nature: "改建",
			name: "饮水净化消毒设备配置",
			content: func(float64) string {
				return fmt.Sprintf("为%s配置净化消毒设备 1 套并按 GB 5749 送检", orDefault(g.f.WorksName, "供水工程"))
			},
			quantity: 1, unit: "套", price: pr.Disinfection, indicators: []string{"W2"}, geom: g.cf.Office, who: g.village(),
			effect: func(f *Facts) { f.TestPassed, f.TestAgeDays = ptr(true), ptr(0.0) },
			targets: func(float64) []Target {
				return []Target{{"产出指标", "质量指标", "水质检测合格率", "100%"}}
			},
		})
	}
}

// taps adds the 自来水入户 of the households beyond reach of a main (W5),
// after the main extension dependsOn ("" when the main already reaches the
// 村委会).
func (g *generator) taps(dependsOn string) {
	if !g.fails("W5") {
		return
	}
	share, okShare := get(g.f.TapShare)
	if g.f.Households == nil || !okShare {
		g.unsized("W5", "户数或已入户比例暂无数据，无法测算入户户数", itemHouseholds)
		return
	}
	n := math.Round(float64(*g.f.Households) * (1 - clamp01(share)))
	if n <= 0 {
		return
	}
	who := g.village()
	g.add(item{subtype: "自来水入户", dim: DimWater, category: CatWater, nature: "新建",
		name: "自来水入户工程",
		content: func(n float64) string {
			return fmt.Sprintf("为距供水管网 %.0f m 以外的 %.0f 户接通自来水入户", g.p.Water.MainRadiusM.Value, n)
		},
		quantity: n, unit: "户", price: g.p.Prices.TapHousehold,
		indicators: []string{"W5"}, geom: g.cf.Office, who: who, dependsOn: dependsOn,
		effect: func(f *Facts) { f.TapShare = ptr(1.0) },
		targets: func(n float64) []Target {
			return []Target{{"产出指标", "数量指标", "自来水入户", fmt.Sprintf("%.0f 户", n)}}
		},
	})
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// standardKVA are the distribution transformer sizes a need is rounded up to.
var standardKVA = []float64{100, 200, 315, 400}

// transformersFor splits a kVA need into standard units of at most maxKVA:
// the number of units and their total kVA.
func transformersFor(need, maxKVA float64) (int, float64) {
	if need <= 0 {
		return 0, 0
	}
	n := int(math.Ceil(need / maxKVA))
	per := need / float64(n)
	size := maxKVA
	for _, s := range standardKVA {
		if s >= per && s <= maxKVA {
			size = s
			break
		}
	}
	return n, float64(n) * size
}

// gridNeedKVA is the kVA to add so that the village meets E1, and so that a
// PV station of pvKW connects at 380 V within the transformer share; ok is
// false when the measured facts cannot size it (households or the existing
// kVA unknown).
func (g *generator) gridNeedKVA(pvKW float64) (need float64, ok bool) {
	existing, okKVA := get(g.f.TransformerKVA)
	if !okKVA {
		return 0, false
	}
	if g.fails("E1") {
		if g.f.Households == nil {
			return 0, false
		}
		need = g.p.Grid.KVAPerHousehold.Value*float64(*g.f.Households) - existing
	}
	if pvKW > 0 {
		need = max(need, pvKW*100/g.p.Projects.PVTransformerSharePct.Value-existing)
	}
	return need, true
}

func (g *generator) grid() {
	gp, pr := g.p.Grid, g.p.Prices
	if g.fails("E1") {
		if g.transformer(0) != "" && g.f.Transformers == 0 {
			// No supply on record: the new 台区 needs a 10 kV branch.
			if d, ok := get(g.cf.Line10kVM); ok {
				g.add(item{subtype: "10kV线路", dim: DimGrid, category: CatGrid, nature: "新建",
					name: "10 kV 线路新建工程",
					content: func(km float64) string {
						return fmt.Sprintf("新建 10 kV 线路 %.2f km 接入新建台区（直线 %.0f m × 绕行系数 %.1f）", km, d, gp.DetourFactor.Value)
					},
					quantity: d * gp.DetourFactor.Value / 1000, unit: "km", price: pr.Line10kVKm, indicators: []string{"E1"},
					geom: g.cf.Line10kVTo, who: g.village(),
					targets: func(km float64) []Target {
						return []Target{{"产出指标", "数量指标", "新建 10 kV 线路", fmt.Sprintf("≥%.2f km", km)}}
					},
				})
			} else {
				g.unsized("E1", "附近 10 kV 线路暂无数据，无法测算新建台区的接入线路", itemLine10kV)
			}
		}
	}
	if g.fails("E2") {
		if d, ok := get(g.f.ThreePhaseM); ok {
			g.add(item{subtype: "动力电改造", dim: DimGrid, category: CatGrid, nature: "改建",
				name: "动力电（三相 380 V）改造工程",
				content: func(km float64) string {
					return fmt.Sprintf("新建/改造三相 0.4 kV 线路 %.2f km 至村委会（直线 %.0f m × 绕行系数 %.1f）", km, d, gp.DetourFactor.Value)
				},
				quantity: d * gp.DetourFactor.Value / 1000, unit: "km", price: pr.LineLVKm, indicators: []string{"E2"},
				geom: g.f.Explain["E2"], who: g.village(),
				effect: func(f *Facts) { f.ThreePhaseM = ptr(0.0) },
				targets: func(km float64) []Target {
					return []Target{{"产出指标", "数量指标", "三相 0.4 kV 线路", fmt.Sprintf("≥%.2f km", km)}}
				},
			})
		}
	}
	if g.fails("E4") {
		if feeder, ok := get(g.f.FeederKm); ok && feeder > gp.FeederMaxKm.Value {
			g.add(item{subtype: "10kV线路改造", dim: DimGrid, category: CatGrid, nature: "改建",
				name: "10 kV 线路改造工程",
				content: func(km float64) string {
					return fmt.Sprintf("新建 10 kV 分支线 %.2f km，将供电半径由 %.1f km 缩至 %.0f km 以内（估算）", km, feeder, gp.FeederMaxKm.Value)
				},
				quantity: feeder - gp.FeederMaxKm.Value, unit: "km", price: pr.Line10kVKm, indicators: []string{"E4"},
				geom: g.cf.Line10kVTo, who: g.village(),
				effect: func(f *Facts) { f.FeederKm = ptr(gp.FeederMaxKm.Value) },
				targets: func(km float64) []Target {
					return []Target{{"产出指标", "数量指标", "10 kV 线路改造", fmt.Sprintf("≥%.2f km", km)}}
				},
			})
		}
		if lv, ok := get(g.f.LVMaxM); ok && lv > gp.LVMaxM.Value {
			g.add(item{subtype: "低压改造", dim: DimGrid, category: CatGrid, nature: "改建",
				name: "0.4 kV 低压线路改造工程",
				content: func(km float64) string {
					return fmt.Sprintf("改造 0.4 kV 低压线路 %.2f km，低压供电半径由 %.0f m 缩至 %.0f m 以内", km, lv, gp.LVMaxM.Value)
				},
				quantity: (lv - gp.LVMaxM.Value) / 1000, unit: "km", price: pr.LineLVKm, indicators: []string{"E4"},
				geom: g.cf.Office, who: g.village(),
				effect: func(f *Facts) { f.LVMaxM = ptr(gp.LVMaxM.Value) },
				targets: func(km float64) []Target {
					return []Target{{"产出指标", "数量指标", "低压线路改造", fmt.Sprintf("≥%.2f km", km)}}
				},
			})
		}
	}
}

// transformer adds the 配变增容 candidate sized for E1 and for a PV station
// of pvKW (0: none), and returns its key, or "" when none is needed or it
// cannot be sized. The PV pass replaces the E1-only one: one project, sized
// for both.
func (g *generator) transformer(pvKW float64) string {
	need, ok := g.gridNeedKVA(pvKW)
	if !ok {
		id := "E1"
		if !g.fails("E1") {
			id = "P1"
		}
		g.unsized(id, "户数或现有配变容量暂无数据，无法测算配变新增/增容规模", itemHouseholds, itemTransformerKVA)
		return ""
	}
	n, kva := transformersFor(need, g.p.Projects.TransformerMaxKVA.Value)
	if n == 0 {
		return ""
	}
	key := g.key("配变增容", "")
	g.out = slices.DeleteFunc(g.out, func(p Project) bool { return p.Key == key })
	var indicators, whys []string
	if g.fails("E1") {
		indicators = append(indicators, "E1")
		whys = append(whys, fmt.Sprintf("户均配变容量达到 %.1f kVA", g.p.Grid.KVAPerHousehold.Value))
	}
	if pvKW > 0 { // P3: the station's 380 V connection (domain.md §5)
		indicators = append(indicators, "P3")
		whys = append(whys, fmt.Sprintf("满足 %.0f kW 光伏电站 380 V 接入（光伏不超过配变容量的 %.0f%%）", pvKW, g.p.Projects.PVTransformerSharePct.Value))
	}
	why := strings.Join(whys, "，并")
	g.add(item{subtype: "配变增容", dim: DimGrid, category: CatGrid, nature: "扩建",
		name: "农网配变新增/增容工程",
		content: func(float64) string {
			return fmt.Sprintf("新增/增容配变 %d 台，共 %.0f kVA，%s", n, kva, why)
		},
		quantity: float64(n), unit: "台", price: g.p.Prices.Transformer, indicators: indicators, geom: g.cf.Office, who: g.village(),
		effect: func(f *Facts) {
			f.TransformerKVA = ptr(kva + deref64(g.f.TransformerKVA))
			f.Transformers += n
		},
		targets: func(float64) []Target {
			return []Target{{"产出指标", "数量指标", "新增/增容配变容量", fmt.Sprintf("≥%.0f kVA", kva)}}
		},
	})
	return key
}

func deref64(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

func (g *generator) pv() {
	pp, pv := g.p.Projects, g.p.PV
	// P1 fails only on known poor households and PV data.
	if !g.fails("P1") || deref(g.f.PoorHouseholds) <= 0 || g.f.VillagePVKW == nil || g.f.CentralisedPVKW == nil {
		return
	}
	poorHH, poorPop := *g.f.PoorHouseholds, deref(g.f.PoorPopulation)
	maxKW := pp.PVMaxKW.Value
	d10, ok10 := get(g.cf.Line10kVM)
	near10kV := ok10 && d10 <= pp.PV10kVRadiusM.Value
	if near10kV {
		maxKW = pp.PVMaxKWNear10kV.Value
	}
	// Households in 集中式 plants count at their own kW per household (P1).
	gapKW := pv.KWPerPoorHousehold.Value*(float64(poorHH)-*g.f.CentralisedPVKW/pv.CentralisedKWPerPoorHousehold.Value) - *g.f.VillagePVKW
	kw := math.Round(math.Min(math.Max(gapKW, pp.PVMinKW.Value), maxKW))
	// Up to the share of the transformer it connects at 380 V; beyond, a
	// linked grid project (seed 001: 同步建设), unless a 10 kV line is near.
	var dependsOn, access string
	if !near10kV {
		if kva, ok := get(g.f.TransformerKVA); !ok {
			access = "；现有配变容量暂无数据，380 V 接入条件待核实"
			g.unsized("P1", "现有配变容量暂无数据，无法测算光伏电站 380 V 接入所需的配变增容", itemTransformerKVA)
		} else if kw > kva*pp.PVTransformerSharePct.Value/100 {
			dependsOn = g.transformer(kw)
		}
	}
	income := kw * pv.IncomePerKWYuan.Value
	g.add(item{subtype: "村级光伏电站", dim: DimPV, category: CatPV, nature: "新建",
		name: "村级光伏扶贫电站",
		content: func(kw float64) string {
			return fmt.Sprintf("新建村级光伏扶贫电站 %.0f kW（建档立卡 %d 户 × %.0f kW/户，限 %.0f–%.0f kW），预计年收益 %.1f 万元%s",
				kw, poorHH, pv.KWPerPoorHousehold.Value, pp.PVMinKW.Value, maxKW, income/10000, access)
		},
		quantity: kw, unit: "kW", price: g.p.Prices.PVKW, indicators: []string{"P1", "P2"}, geom: g.cf.Office,
		who:       Beneficiaries{poorHH, poorPop, poorHH, poorPop},
		effect:    func(f *Facts) { f.VillagePVKW = ptr(deref64(f.VillagePVKW) + kw) },
		dependsOn: dependsOn,
		targets: func(kw float64) []Target {
			return []Target{{"产出指标", "数量指标", "光伏电站装机容量", fmt.Sprintf("≥%.0f kW", kw)},
				{"效益指标", "经济效益指标", "电站年收益", fmt.Sprintf("≥%.1f 万元", income/10000)},
				{"效益指标", "经济效益指标", "带动建档立卡户年均增收", fmt.Sprintf("≥%.0f 元/户", income/float64(poorHH))}}
		},
	})
}

// commonTargets are the 绩效目标 every project carries (财政扶贫 绩效目标申报表):
// quality, time, cost, the poor people who benefit, durability, satisfaction.
func commonTargets(p Project, price Param) []Target {
	ts := []Target{
		{"产出指标", "质量指标", "工程验收合格率", "100%"},
		{"产出指标", "时效指标", "项目按期完成率", "≥95%"},
		{"产出指标", "成本指标", "投资估算", fmt.Sprintf("≤%.2f 万元", p.CostWan)},
	}
	if price.Value > 0 {
		ts = append(ts, Target{"产出指标", "成本指标", "补助标准", fmt.Sprintf("≤%g 万元/%s", price.Value, p.Unit)})
	}
	ts = append(ts,
		Target{"效益指标", "社会效益指标", "受益建档立卡贫困人口", fmt.Sprintf("≥%d 人", p.PoorPopulation)},
		Target{"效益指标", "可持续影响指标", "工程设计使用年限", "≥10 年"},
		Target{"满意度指标", "服务对象满意度指标", "受益群众满意度", "≥90%"})
	return ts
}

// mechanism is the 带贫减贫机制 text of a generated project.
func mechanism(p Project) string {
	switch p.Category {
	case CatPV:
		return fmt.Sprintf("电站资产归村集体，收益折股量化到建档立卡贫困户 %d 户，并设置公益岗位", p.PoorHouseholds)
	case CatRoad:
		return fmt.Sprintf("改善 %d 名建档立卡贫困人口出行条件，施工优先吸纳贫困户务工", p.PoorPopulation)
	case CatWater:
		return fmt.Sprintf("保障 %d 名建档立卡贫困人口饮水安全，聘用贫困户担任管护员", p.PoorPopulation)
	case CatGrid:
		return fmt.Sprintf("保障 %d 户建档立卡贫困户生产生活用电，支撑产业发展", p.PoorHouseholds)
	}
	return ""
}
