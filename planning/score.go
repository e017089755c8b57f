package planning

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ScoreVillage judges one village: the gap of each dimension (domain.md
// §2–5), the composite G (§1) and the 贫困村退出 checklist (§1). It is pure
// and deterministic: the same facts and profile always give the same score.
//
// Every indicator is scored with domain.md's linear function
// s = clamp(100·(T − v)/(T − F), 0, 100) (mirrored where lower is better),
// or 0/100 for a yes/no test. Indicator scores are rounded to 0.1 so that the
// output is stable across platforms and readable by hand; a failing
// indicator scores at least 0.1, so Status fail ⇔ Score > 0. Dimension gaps
// are weighted means of the rounded indicator scores, the composite weighs
// the rounded gaps, and both are rounded to 0.1 again; missing-weight shares
// are rounded to 0.001.
//
// Missing data: an indicator is measured (pass/fail), no_data (its note says
// which data would decide it) or not_applicable; a fact the data cannot
// decide is never judged. A dimension's gap is the weighted mean over the
// indicators that have data, with the weights renormalised over them, and
// missing_weight is the share of its weights that are no_data. A
// not_applicable indicator counts as met (score 0) and keeps its weight. A
// veto fires only on a measured failure and sets the gap to 100; when an
// indicator that could veto is no_data (R1 weighs 0, so it is not in
// missing_weight), the dimension says veto_unknown and its gap is the gap
// without the veto. The gap is nil only when no weighted indicator has data
// and no veto fired.
func ScoreVillage(f Facts, p Profile) VillageScore {
	if f.Unlocated {
		f = withoutLocation(f)
	}
	s := scorer{f: f, p: p, vals: make([]float64, 0, 52)}
	inds := make([]IndicatorScore, 0, 17)

	inds = s.road(inds)
	road, tourism := inds[0:5:5], 0.0
	if road[0].Status == StatusFail && f.TourismNearby {
		tourism = p.Road.TourismBonus.Value // 产业路/旅游路 [E]
	}
	inds = s.water(inds)
	inds = s.grid(inds)
	inds = s.pv(inds)

	dims := []DimensionScore{
		dimension(DimRoad, road, tourism),
		dimension(DimWater, inds[5:10:10], 0),
		dimension(DimGrid, inds[10:15:15], 0),
		dimension(DimPV, inds[15:17:17], 0),
	}
	// The indicators that could veto: R1; W1–W4 where poor households live
	// or may live (their count unknown); E1.
	// A failing W1–W4 with the poor count unknown is undecided too.
	poorMayLive := f.PoorHouseholds == nil || *f.PoorHouseholds > 0
	for _, is := range inds {
		switch d := &dims[dimIndex(is.Dimension)]; {
		case is.Status == StatusNoData && (is.ID == "R1" || is.ID == "E1"):
			d.VetoUnknown = true
		case is.Dimension == DimWater && is.ID != "W5" &&
			(is.Status == StatusNoData && poorMayLive || is.Status == StatusFail && f.PoorHouseholds == nil):
			d.VetoUnknown = true
		}
	}

	v := VillageScore{
		VillageID:      f.VillageID,
		Code:           f.Code,
		Name:           f.Name,
		TownshipCode:   f.TownshipCode,
		TownshipName:   f.TownshipName,
		IsPoor:         f.IsPoor,
		PoorHouseholds: f.PoorHouseholds,
		PoorPopulation: f.PoorPopulation,
		Dimensions:     dims,
	}
	c := p.Composite
	v.Composite, v.MissingWeight = composite(dims, []float64{
		c.WeightRoad.Value, c.WeightWater.Value, c.WeightGrid.Value, c.WeightPV.Value,
	})
	v.Exit = s.exit(dims)
	return v
}

// dimIndex is the index of dimension name in Dimensions.
func dimIndex(name string) int {
	for i, d := range Dimensions {
		if d == name {
			return i
		}
	}
	return -1
}

// scorer carries one village through the indicators. vals backs the *float64
// fields of the output so that a village costs one allocation for them, not
// two per indicator.
type scorer struct {
	f    Facts
	p    Profile
	vals []float64
}

func (s *scorer) ptr(v float64) *float64 {
	s.vals = append(s.vals, v)
	return &s.vals[len(s.vals)-1]
}

// get reads an optional fact; NaN and ±Inf count as missing, like nil.
func get(p *float64) (float64, bool) {
	if p == nil || math.IsNaN(*p) || math.IsInf(*p, 0) {
		return 0, false
	}
	return *p, true
}

// fixed is a threshold that domain.md states without a profile setting, such
// as "100% of 较大自然村".
func fixed(v float64) Param { return Param{Value: v, Source: SourceSourced} }

func (s *scorer) indicator(id, name, dim, unit string, threshold Param, weight float64) IndicatorScore {
	return IndicatorScore{
		ID:              id,
		Name:            name,
		Dimension:       dim,
		Unit:            unit,
		Threshold:       threshold.Value,
		ThresholdSource: threshold.Source,
		Weight:          weight,
		Geometry:        s.f.Explain[id],
	}
}

// scored fills a judged indicator from its measured value and raw (unrounded)
// score.
func (s *scorer) scored(is *IndicatorScore, value, raw float64, note string) {
	is.Value = s.ptr(value)
	is.Score = s.ptr(displayScore(raw))
	is.Status = StatusPass
	if raw > 0 {
		is.Status = StatusFail
	}
	is.Note = note
}

func (s *scorer) noData(is *IndicatorScore, note string) {
	if s.f.Unlocated && spatialIndicators[is.ID] {
		note = NoteUnlocated
	}
	is.Status = StatusNoData
	is.Note = note
}

func (s *scorer) notApplicable(is *IndicatorScore, note string) {
	is.Status = StatusNotApplicable
	is.Score = s.ptr(0)
	is.Note = note
}

// road scores 通路 R1–R5 (domain.md §2).
func (s *scorer) road(out []IndicatorScore) []IndicatorScore {
	f, p := s.f, s.p.Road

	r1 := s.indicator("R1", "建制村通硬化路", DimRoad, "是/否", fixed(1), 0)
	unknownKm := func(m *float64) string {
		if u, ok := get(m); ok {
			return " " + numN(u/1000, 1) + " km "
		}
		return ""
	}
	switch {
	case f.HardenedConnected == nil && !f.RoadData:
		s.noData(&r1, "暂无道路数据，无法判断村委会是否经硬化路连通乡镇驻地")
	case f.HardenedConnected == nil && f.SeatOffRoad:
		s.noData(&r1, "乡镇驻地 "+num(p.SnapToleranceM.Value)+" m 内无道路，驻地位置或驻地周边道路待核实")
	case f.HardenedConnected == nil:
		s.noData(&r1, "村委会未经已知硬化路连通乡镇驻地，但路面类型未知的道路"+unknownKm(f.UnknownSurfaceM)+"决定是否连通")
	case *f.HardenedConnected:
		s.scored(&r1, 1, 0, "村委会经硬化路连通乡镇驻地，达标")
	default:
		note := "村委会未经硬化路连通乡镇驻地（路面类型未知的道路全按硬化计也不连通）"
		if m, ok := get(f.UnhardenedM); ok {
			note += "，需硬化约 " + numN(m/1000, 1) + " km"
			if f.UnhardenedStraight {
				note += "（村委会附近无可通达的道路，按至乡镇驻地硬化路网的直线距离 × 绕行系数 " + num(p.DetourFactor.Value) + " 估算）"
			} else if u, ok := get(f.UnknownSurfaceM); ok && u > 0 {
				note += "（其中路面类型未知 " + numN(u/1000, 1) + " km）"
			}
		} else {
			note += "，待硬化里程暂无数据"
		}
		note += "；标准：通硬化路（一票否决）"
		if f.TourismNearby {
			note += "；" + num(p.TourismRadiusM.Value/1000) + " km 内有旅游点或产业基地（产业路/旅游路 +" + num(p.TourismBonus.Value) + "）"
		}
		s.scored(&r1, 0, 100, note)
		r1.Veto = true
		if m, ok := get(f.UnhardenedM); ok {
			r1.Need = s.ptr(m / 1000)
		}
	}

	minHH := num(p.GroupMinHouseholds.Value)
	r2 := s.indicator("R2", "较大自然村通硬化路率", DimRoad, "%", Param{Value: 100, Source: p.GroupMinHouseholds.Source}, p.WeightR2.Value)
	switch {
	case f.LargeGroups == nil && !f.RoadData:
		s.noData(&r2, "暂无道路数据，无法判断"+minHH+"户以上自然村是否通硬化路")
	case f.LargeGroups == nil || f.LargeGroupsServed == nil:
		s.noData(&r2, "暂无"+minHH+"户以上自然村的通路数据")
	case f.GroupsUnknownHouseholds > 0:
		s.noData(&r2, fmt.Sprintf("%d 个自然村/村民组户数未知，无法确定%s户以上自然村", f.GroupsUnknownHouseholds, minHH))
	case f.LargeGroupsOpen > 0:
		s.noData(&r2, fmt.Sprintf("%s户以上自然村 %d 个，其中 %d 个是否近硬化路网取决于路面类型未知的道路",
			minHH, *f.LargeGroups, f.LargeGroupsOpen))
	case *f.LargeGroups <= 0:
		s.notApplicable(&r2, "无"+minHH+"户以上自然村，不适用")
	default:
		n, served := *f.LargeGroups, min(max(*f.LargeGroupsServed, 0), *f.LargeGroups)
		share := float64(served) / float64(n)
		s.scored(&r2, 100*share, 100*(1-share), fmt.Sprintf(
			"%s户以上自然村 %d 个，其中 %d 个距已通硬化路网 ≤%s m（%s%%），标准 100%%",
			minHH, n, served, num(p.GroupNetworkRadiusM.Value), numN(100*share, 1)))
	}

	r3 := s.indicator("R3", "通乡镇道路窄路比例", DimRoad, "%", Param{Value: 0, Source: p.MinWidthM.Source}, p.WeightR3.Value)
	path, okPath := get(f.PathM)
	narrow, okNarrow := get(f.NarrowM)
	unknownW, _ := get(f.WidthUnknownM)
	switch {
	case r1.Status == StatusFail:
		s.notApplicable(&r3, "未通硬化路（见 R1），窄路比例不适用")
	case r1.Status == StatusNoData:
		s.noData(&r3, "是否通硬化路未定（见 R1：路面类型或道路数据缺失），无法确定通乡镇硬化路径")
	case !okPath || !okNarrow:
		s.noData(&r3, "暂无村委会至乡镇驻地硬化路径的路面宽度数据")
	case path <= 0:
		s.notApplicable(&r3, "村委会位于乡镇驻地，无通乡镇路径，不适用")
	case unknownW > 0:
		// The unknown width could be anything from narrow to wide; the
		// share is not scored from a bound.
		s.noData(&r3, fmt.Sprintf("村委会至乡镇驻地硬化路 %s km 中路面宽度未知 %s km（已知窄路 %s km），无法确定窄路比例",
			numN(path/1000, 1), numN(unknownW/1000, 1), numN(min(max(narrow, 0), path)/1000, 1)))
	default:
		narrow = min(max(narrow, 0), path)
		ratio := narrow / path
		s.scored(&r3, 100*ratio, 100*ratio, fmt.Sprintf(
			"村委会至乡镇驻地硬化路 %s km，其中路面宽 <%s m 的窄路 %s km（%s%%），标准路面 ≥%s m",
			numN(path/1000, 1), num(p.MinWidthM.Value), numN(narrow/1000, 1), numN(100*ratio, 1), num(p.MinWidthM.Value)))
	}

	// R4 counts a stop with service (有班车, or routes listed); a stop whose
	// service is unknown within the radius leaves R4 undecided.
	r4 := s.indicator("R4", "通客车", DimRoad, "m", p.BusStopRadiusM, p.WeightR4.Value)
	radius := p.BusStopRadiusM.Value
	d, okServed := get(f.BusStopM)
	du, okUnknown := get(f.BusStopUnknownM)
	da, okAny := get(f.BusStopAnyM)
	switch {
	case !okAny && !okServed && !okUnknown:
		s.noData(&r4, "暂无客运站点数据")
	case okServed && meets(radius, d):
		s.scored(&r4, d, 0, fmt.Sprintf("村委会距最近有班车的客运站点 %s m，标准 ≤%s m", num(d), num(radius)))
	case okUnknown && meets(radius, du):
		served := "暂无"
		if okServed {
			served = " " + num(d) + " m"
		}
		s.noData(&r4, fmt.Sprintf("村委会 %s m 处有客运站点，但有无班车（经停线路）未知；最近有班车的站点%s", num(du), served))
	case okServed:
		s.scored(&r4, d, 100, fmt.Sprintf("村委会距最近有班车的客运站点 %s m，标准 ≤%s m", num(d), num(radius)))
	default:
		s.scored(&r4, da, 100, fmt.Sprintf("村委会 %s m 内无有班车的客运站点（最近站点 %s m，无班车），标准 ≤%s m",
			num(radius), num(da), num(radius)))
	}

	r5 := s.indicator("R5", "全天候道路可达人口比例", DimRoad, "%", Param{Value: 100, Source: p.AllSeasonRadiusM.Source}, p.WeightR5.Value)
	sh, okShare := get(f.AllSeasonShare)
	mx, okMax := get(f.AllSeasonShareMax)
	switch {
	case !okShare && !f.RoadData:
		s.noData(&r5, "暂无道路数据，无法计算全天候道路可达人口比例")
	case !okShare && f.SettlementsUnknownPopulation > 0:
		s.noData(&r5, fmt.Sprintf("%d 个居民点（自然村/村民组或村委会）人口未知，无法计算全天候道路可达人口比例", f.SettlementsUnknownPopulation))
	case !okShare:
		s.noData(&r5, "暂无人口分布数据")
	case okMax && clamp01(mx)-clamp01(sh) > 1e-9:
		s.noData(&r5, fmt.Sprintf("距硬化道路 %s km 内的人口占 %s%%–%s%%，取决于路面类型未知的道路",
			num(p.AllSeasonRadiusM.Value/1000), numN(100*clamp01(sh), 1), numN(100*clamp01(mx), 1)))
	default:
		sh = clamp01(sh)
		s.scored(&r5, 100*sh, 100*(1-sh), fmt.Sprintf(
			"距全天候（硬化）道路 %s km 内的人口占 %s%%，标准 100%%",
			num(p.AllSeasonRadiusM.Value/1000), numN(100*sh, 1)))
	}

	return append(out, r1, r2, r3, r4, r5)
}

// water scores 饮水 W1–W5 (domain.md §3).
func (s *scorer) water(out []IndicatorScore) []IndicatorScore {
	f, p := s.f, s.p.Water
	works := "供水工程"
	if f.WorksName != "" {
		works = "供水工程「" + f.WorksName + "」"
	}

	w1 := s.indicator("W1", "水量", DimWater, "L/人·日", p.LitresPerPersonDay, p.WeightW1.Value)
	if l, ok := get(f.LitresPerPersonDay); ok {
		s.scored(&w1, l, gapHigher(l, p.LitresPerPersonDay.Value, 0), fmt.Sprintf(
			"%s设计供水 %s L/人·日，标准 ≥%s L/人·日", works, num(l), num(p.LitresPerPersonDay.Value)))
	} else {
		s.noData(&w1, "暂无供水工程供水量数据")
	}

	maxAge := p.TestMaxAgeDays.Value
	w2 := s.indicator("W2", "水质", DimWater, "是/否", Param{Value: 1, Source: p.TestMaxAgeDays.Source}, p.WeightW2.Value)
	age, okAge := get(f.TestAgeDays)
	rule := "标准：有资质机构检测合格且距今 ≤" + num(maxAge) + " 天"
	switch {
	case f.TestPassed == nil:
		s.noData(&w2, "暂无水质检测记录")
	case !*f.TestPassed:
		note := "最近一次水质检测不合格"
		if okAge {
			note += "（距今 " + num(age) + " 天）"
		}
		s.scored(&w2, 0, 100, note+"，"+rule)
	case !okAge:
		s.noData(&w2, "最近一次水质检测合格，但检测日期暂无数据")
	case !meets(maxAge, age):
		s.scored(&w2, 0, 100, "最近一次水质检测距今 "+num(age)+" 天，已超期，"+rule)
	default:
		s.scored(&w2, 1, 0, "最近一次水质检测合格，距今 "+num(age)+" 天，"+rule)
	}

	w3 := s.indicator("W3", "用水方便", DimWater, "%", Param{Value: 0, Source: p.CarryDistanceM.Source}, p.WeightW3.Value)
	if sh, ok := get(f.CarryFailShare); ok {
		sh = clamp01(sh)
		s.scored(&w3, 100*sh, 100*sh, fmt.Sprintf(
			"未入户且取水水平距离 >%s m 的人口占 %s%%，标准 0%%（入户或 ≤%s m）",
			num(p.CarryDistanceM.Value), numN(100*sh, 1), num(p.CarryDistanceM.Value)))
	} else {
		s.noData(&w3, "暂无取水距离数据")
	}

	w4 := s.indicator("W4", "供水保证率", DimWater, "%", p.GuaranteePct, p.WeightW4.Value)
	if g, ok := get(f.GuaranteePct); ok {
		g = min(max(g, 0), 100)
		days := outageDays(g)
		limit := outageDays(p.GuaranteePct.Value)
		s.scored(&w4, g, gapLower(days, limit, p.OutageDaysFloor.Value), fmt.Sprintf(
			"供水保证率 %s%%（年断水或供水不足约 %s 天），标准 ≥%s%%（≤%s 天）",
			num(g), numN(days, 0), num(p.GuaranteePct.Value), numN(limit, 1)))
	} else {
		s.noData(&w4, "暂无供水保证率数据")
	}

	w5 := s.indicator("W5", "自来水入户率", DimWater, "%", p.TapSharePct, p.WeightW5.Value)
	if sh, ok := get(f.TapShare); ok {
		pct := 100 * clamp01(sh)
		s.scored(&w5, pct, gapHigher(pct, p.TapSharePct.Value, 0), fmt.Sprintf(
			"自来水入户率 %s%%，标准 ≥%s%%", numN(pct, 1), num(p.TapSharePct.Value)))
		if f.Households != nil && *f.Households >= 0 {
			// The village's 户数 is its settlements' (the 村委会 holds the rest).
			w5.Need = s.ptr(math.Round(float64(*f.Households) * (1 - clamp01(sh))))
		}
	} else if f.SettlementsUnknownHouseholds > 0 {
		s.noData(&w5, fmt.Sprintf("%d 个居民点（自然村/村民组或村委会）户数未知，无法计算自来水入户率", f.SettlementsUnknownHouseholds))
	} else {
		s.noData(&w5, "暂无供水管网和供水工程数据，无法计算自来水入户率")
	}

	// Veto (两不愁): a failure of W1–W4 where poor households live; with
	// their count unknown the veto is undecided, not fired.
	for _, w := range []*IndicatorScore{&w1, &w2, &w3, &w4} {
		switch {
		case w.Status != StatusFail:
		case f.PoorHouseholds == nil:
			w.Note += "；建档立卡贫困户数未知，是否一票否决待定"
		case *f.PoorHouseholds > 0:
			w.Veto = true
			w.Note += fmt.Sprintf("；涉及建档立卡贫困户 %d 户，一票否决", *f.PoorHouseholds)
		}
	}
	return append(out, w1, w2, w3, w4, w5)
}

// outageDays converts a 供水保证率 in percent to days of outage per year.
func outageDays(pct float64) float64 { return 365 * (100 - pct) / 100 }

// grid scores 农网 E1–E5 (domain.md §4).
func (s *scorer) grid(out []IndicatorScore) []IndicatorScore {
	f, p := s.f, s.p.Grid

	e1 := s.indicator("E1", "户均配变容量", DimGrid, "kVA/户", p.KVAPerHousehold, p.WeightE1.Value)
	kva, okKVA := get(f.TransformerKVA)
	radius := num(p.TransformerRadiusM.Value)
	how := ""
	if f.TransformersByRadius {
		how = "（无台区关联，按村委会及自然村 " + radius + " m 内未关联台区的配变计）"
	}
	switch {
	case okKVA && f.Transformers <= 0:
		// The county links transformers to villages, none to this one, and
		// none without a link stands near its settlements: 通电 below 100%.
		s.scored(&e1, 0, 100, "无关联本村（台区）的配变，村委会及自然村 "+radius+" m 内也无未关联台区的配变，未通电（一票否决）")
		e1.Veto = true
		if f.Households != nil && *f.Households > 0 {
			e1.Need = s.ptr(float64(*f.Households) * p.KVAPerHousehold.Value)
		}
	case !okKVA && !f.TransformerData:
		s.noData(&e1, "暂无配变数据")
	case !okKVA:
		s.noData(&e1, "配变未关联所在村（台区），村委会及自然村 "+radius+" m 内也无配变，无法确定供电")
	case f.Households == nil || *f.Households <= 0:
		s.noData(&e1, fmt.Sprintf("配变 %d 台共 %s kVA%s，户数暂无数据", f.Transformers, num(kva), how))
	default:
		hh := *f.Households
		per := kva / float64(hh)
		s.scored(&e1, per, gapHigher(per, p.KVAPerHousehold.Value, p.KVAPerHouseholdFloor.Value), fmt.Sprintf(
			"配变 %d 台共 %s kVA%s，%s 户，户均 %s kVA，标准 ≥%s kVA/户",
			f.Transformers, num(kva), how, num(float64(hh)), num(per), num(p.KVAPerHousehold.Value)))
		e1.Need = s.ptr(max(0, float64(hh)*p.KVAPerHousehold.Value-kva))
	}

	e2 := s.indicator("E2", "动力电（三相 380 V）", DimGrid, "m", p.ThreePhaseRadiusM, p.WeightE2.Value)
	if d, ok := get(f.ThreePhaseM); ok {
		raw := 0.0
		if !meets(p.ThreePhaseRadiusM.Value, d) {
			raw = 100
		}
		s.scored(&e2, d, raw, fmt.Sprintf("村委会距最近三相电 %s m，标准 ≤%s m", num(d), num(p.ThreePhaseRadiusM.Value)))
	} else {
		s.noData(&e2, "暂无三相电数据")
	}

	// E3 and E4 each combine two measures: the worse one scores, and its
	// value, unit and threshold are the ones shown.
	e3 := s.indicator("E3", "供电可靠率/综合电压合格率", DimGrid, "%", p.ReliabilityPct, p.WeightE3.Value)
	rel, okRel := get(f.ReliabilityPct)
	volt, okVolt := get(f.VoltagePct)
	if okRel || okVolt {
		var parts []string
		best, value, thr := -1.0, 0.0, Param{}
		if okRel {
			sc := gapHigher(rel, p.ReliabilityPct.Value, p.ReliabilityFloorPct.Value)
			best, value, thr = sc, rel, p.ReliabilityPct
			parts = append(parts, fmt.Sprintf("供电可靠率 %s%%（标准 ≥%s%%）", num(rel), num(p.ReliabilityPct.Value)))
		}
		if okVolt {
			sc := gapHigher(volt, p.VoltagePct.Value, p.VoltageFloorPct.Value)
			if sc > best {
				best, value, thr = sc, volt, p.VoltagePct
			}
			parts = append(parts, fmt.Sprintf("综合电压合格率 %s%%（标准 ≥%s%%）", num(volt), num(p.VoltagePct.Value)))
		}
		e3.Threshold, e3.ThresholdSource = thr.Value, thr.Source
		s.scored(&e3, value, best, strings.Join(parts, "，"))
	} else {
		s.noData(&e3, "暂无线路供电可靠率和电压合格率数据")
	}

	e4 := s.indicator("E4", "供电半径", DimGrid, "km", p.FeederMaxKm, p.WeightE4.Value)
	feeder, okFeeder := get(f.FeederKm)
	lv, okLV := get(f.LVMaxM)
	if okFeeder || okLV {
		var parts []string
		best, value := -1.0, 0.0
		if okFeeder {
			lim := p.FeederMaxKm.Value
			best, value = gapLower(feeder, lim, 2*lim), feeder
			parts = append(parts, fmt.Sprintf("10 kV 线路长 %s km（标准 ≤%s km）", numN(feeder, 1), num(lim)))
		}
		if okLV {
			lim := p.LVMaxM.Value
			if sc := gapLower(lv, lim, 2*lim); sc > best {
				best, value = sc, lv
				e4.Unit, e4.Threshold, e4.ThresholdSource = "m", lim, p.LVMaxM.Source
			}
			parts = append(parts, fmt.Sprintf("低压最远供电距离 %s m（标准 ≤%s m）", num(lv), num(lim)))
		}
		s.scored(&e4, value, best, strings.Join(parts, "，"))
	} else {
		s.noData(&e4, "暂无供电线路长度数据")
	}

	e5 := s.indicator("E5", "机井通电", DimGrid, "%", fixed(100), p.WeightE5.Value)
	if pct, ok := get(f.WellsElectrifiedPct); ok {
		pct = min(max(pct, 0), 100)
		s.scored(&e5, pct, 100-pct, fmt.Sprintf("机井通电率 %s%%，标准 100%%", numN(pct, 1)))
	} else {
		s.noData(&e5, "暂无机井数据")
	}

	return append(out, e1, e2, e3, e4, e5)
}

// pv scores 光伏 P1–P2 (domain.md §5).
//
// Attribution: 村级 and 户用 kW count in full. 集中式 kW count as the poor
// households they cover, centralised_kw_per_poor_household kW each (at most
// all of the village's poor households), and each such household as
// kw_per_poor_household kW, its village-station equivalent. P2 prices the
// same attributed kW at income_per_kw_yuan, so a centralised share earns
// what the village-station equivalent would.
func (s *scorer) pv(out []IndicatorScore) []IndicatorScore {
	f, p := s.f, s.p.PV
	p1 := s.indicator("P1", "贫困户户均光伏装机", DimPV, "kW/户", p.KWPerPoorHousehold, p.WeightP1.Value)
	p2 := s.indicator("P2", "贫困户户均光伏收益", DimPV, "元/户·年", p.IncomePerHouseholdYuan, p.WeightP2.Value)
	if f.PoorHouseholds == nil {
		s.noData(&p1, "建档立卡贫困户数未知")
		s.noData(&p2, "建档立卡贫困户数未知")
		return append(out, p1, p2)
	}
	n := *f.PoorHouseholds
	if n <= 0 {
		s.notApplicable(&p1, "无建档立卡贫困户，不适用")
		s.notApplicable(&p2, "无建档立卡贫困户，不适用")
		return append(out, p1, p2)
	}
	villageKW, okV := get(f.VillagePVKW)
	centralKW, okC := get(f.CentralisedPVKW)
	if !okV || !okC {
		// The county has no PV station data at all: "0 kW" would be a guess.
		s.noData(&p1, "暂无光伏电站数据")
		s.noData(&p2, "暂无光伏电站数据")
		return append(out, p1, p2)
	}
	poor := float64(n)
	perHH := p.KWPerPoorHousehold.Value
	village := max(villageKW, 0)
	central := max(centralKW, 0)
	centralHH := 0.0
	if c := p.CentralisedKWPerPoorHousehold.Value; c > 0 {
		centralHH = min(central/c, poor)
	}
	attributed := village + centralHH*perHH
	need := perHH * poor
	gap := max(0, need-attributed)
	raw := 0.0
	if need > 0 {
		raw = 100 * gap / need
	}
	s.scored(&p1, attributed/poor, raw, fmt.Sprintf(
		"%s建档立卡贫困户 %d 户，需光伏 %s kW（%s kW/户），已计入 %s kW（村级/户用 %s kW，集中式 %s kW 折 %s 户），缺口 %s kW",
		registerYear(f), n, num(need), num(perHH), num(attributed), num(village), num(central), numN(centralHH, 1), num(gap)))

	income := attributed * p.IncomePerKWYuan.Value / poor
	s.scored(&p2, income, gapHigher(income, p.IncomePerHouseholdYuan.Value, 0), fmt.Sprintf(
		"计入光伏 %s kW × %s 元/kW·年 ÷ %d 户 = 户均 %s 元/年，标准 ≥%s 元/户·年",
		num(attributed), num(p.IncomePerKWYuan.Value), n, numN(income, 0), num(p.IncomePerHouseholdYuan.Value)))
	return append(out, p1, p2)
}

// dimension combines indicator scores into G_d: the weighted mean over the
// indicators with data, 100 on a veto, plus bonus (capped at 100).
func dimension(name string, inds []IndicatorScore, bonus float64) DimensionScore {
	var all, missing, withData, sum float64
	veto, hasData := false, false
	for _, is := range inds {
		all += is.Weight
		veto = veto || is.Veto
		if is.Status == StatusNoData {
			missing += is.Weight
			continue
		}
		hasData = true
		withData += is.Weight
		sum += is.Weight * *is.Score
	}
	d := DimensionScore{Dimension: name, Veto: veto, Indicators: inds}
	g, ok := 0.0, true
	switch {
	case veto:
		g = 100
	case withData > 0:
		g = round(sum/withData, 10)
	case hasData && missing == 0:
		// Every indicator with data carries weight 0 (a county profile
		// may switch indicators off): nothing is missing, nothing is short.
	default:
		ok = false
	}
	if ok {
		g = min(100, g+bonus)
		d.Gap = &g
	}
	if all > 0 {
		d.MissingWeight = round(missing/all, 1000)
	}
	return d
}

// composite weighs the dimension gaps, renormalised over the dimensions with
// a gap, and reports the share of the weight resting on missing data.
func composite(dims []DimensionScore, weights []float64) (*float64, float64) {
	var all, withGap, sum, missing float64
	for i, d := range dims {
		w := weights[i]
		all += w
		if d.Gap == nil {
			missing += w
			continue
		}
		withGap += w
		sum += w * *d.Gap
		missing += w * d.MissingWeight
	}
	mw := 0.0
	if all > 0 {
		mw = round(missing/all, 1000)
	}
	if withGap <= 0 {
		return nil, mw
	}
	g := round(sum/withGap, 10)
	return &g, mw
}

// Exit checklist items (贫困村退出, domain.md §1), in display order.
const (
	ExitPoverty   = "贫困发生率"
	ExitRoad      = "通硬化路"
	ExitBus       = "通客车"
	ExitWater     = "安全饮水"
	ExitPower     = "生活生产用电"
	ExitBroadband = "宽带"
	ExitClinic    = "卫生室"
	ExitCulture   = "文化室"
)

// registerYear names where the 建档立卡 figures come from: "2019 年底" for a
// register year, "" for the village's own figures.
func registerYear(f Facts) string {
	if f.PoorYear == 0 {
		return ""
	}
	return fmt.Sprintf("%d 年底", f.PoorYear)
}

func (s *scorer) exit(dims []DimensionScore) []ExitItem {
	f := s.f
	maxPct := s.p.Exit.MaxPovertyIncidencePct.Value
	items := make([]ExitItem, 0, 8)

	poverty := ExitItem{Item: ExitPoverty, Status: StatusNoData, Note: "人口数暂无数据"}
	if f.PoorPopulation == nil {
		poverty.Note = "建档立卡贫困人口暂无数据"
	}
	if f.Population != nil && *f.Population > 0 && f.PoorPopulation != nil {
		pct := 100 * float64(*f.PoorPopulation) / float64(*f.Population)
		poverty.Status = StatusFail
		if pct < maxPct {
			poverty.Status = StatusPass
		}
		poverty.Note = fmt.Sprintf("贫困发生率 %s%%（%s建档立卡 %s 人 / 总人口 %s 人），标准 <%s%%",
			numN(pct, 2), registerYear(f), num(float64(*f.PoorPopulation)), num(float64(*f.Population)), num(maxPct))
	}
	items = append(items, poverty)

	road, water, grid := dims[0].Indicators, dims[1].Indicators, dims[2].Indicators
	items = append(items,
		ExitItem{Item: ExitRoad, Status: road[0].Status, Note: road[0].Note},
		ExitItem{Item: ExitBus, Status: road[3].Status, Note: road[3].Note},
		waterExit(water[:4]),
	)

	power := ExitItem{Item: ExitPower}
	e1, e2 := grid[0], grid[1]
	switch {
	case dims[2].Veto:
		power.Status, power.Note = StatusFail, e1.Note
	case e2.Status == StatusNoData:
		power.Status, power.Note = StatusNoData, e2.Note
	default:
		power.Status, power.Note = e2.Status, "已通电；"+e2.Note
	}
	items = append(items, power)

	for _, it := range []string{ExitBroadband, ExitClinic, ExitCulture} {
		items = append(items, ExitItem{Item: it, Status: StatusNoData, Note: "暂无数据"})
	}
	return items
}

// waterExit passes when W1–W4 all pass (T/CHES 18-2018: safe only if all
// four items meet the standard), fails when any fails, and otherwise has no
// data: a partly measured supply cannot be certified safe.
func waterExit(ws []IndicatorScore) ExitItem {
	var failed, missing, passed []string
	for _, w := range ws {
		switch w.Status {
		case StatusFail:
			failed = append(failed, w.ID+w.Name)
		case StatusNoData:
			missing = append(missing, w.ID+w.Name)
		default:
			passed = append(passed, w.ID+w.Name)
		}
	}
	it := ExitItem{Item: ExitWater}
	switch {
	case len(failed) > 0:
		it.Status, it.Note = StatusFail, strings.Join(failed, "、")+"未达标"
	case len(missing) > 0:
		it.Status, it.Note = StatusNoData, strings.Join(missing, "、")+"暂无数据"
		if len(passed) > 0 {
			it.Note = strings.Join(passed, "、") + "达标；" + it.Note
		}
	default:
		it.Status, it.Note = StatusPass, "水量、水质、用水方便、供水保证率均达标"
	}
	return it
}

// thresholdEps absorbs floating-point noise at a threshold: a value within
// one part in 10⁹ of its target meets it (35 L from 0.07 m³ × 1000 ÷ 2 must
// not fail).
const thresholdEps = 1e-9

// meets reports whether v ≤ limit, up to thresholdEps.
func meets(limit, v float64) bool {
	return v <= limit+thresholdEps*max(1, math.Abs(limit))
}

// gapHigher scores v where higher is better: 0 at or above target t, 100 at
// or below floor f, linear between.
func gapHigher(v, t, f float64) float64 {
	switch {
	case v >= t-thresholdEps*max(1, math.Abs(t)):
		return 0
	case v <= f || t <= f:
		return 100
	}
	return 100 * (t - v) / (t - f)
}

// gapLower scores v where lower is better: 0 at or below limit t, 100 at or
// above floor f, linear between.
func gapLower(v, t, f float64) float64 {
	switch {
	case meets(t, v):
		return 0
	case v >= f || f <= t:
		return 100
	}
	return 100 * (v - t) / (f - t)
}

func clamp01(v float64) float64 { return min(max(v, 0), 1) }

// displayScore rounds a raw score to 0.1; a failing score stays ≥ 0.1 so that
// it never reads as met.
func displayScore(raw float64) float64 {
	r := round(raw, 10)
	if raw > 0 && r < 0.1 {
		return 0.1
	}
	return r
}

func round(v, scale float64) float64 { return math.Round(v*scale) / scale }

// num formats v for a note with at most two decimals and thousands
// separators: 1200 → "1,200", 1.25 → "1.25", 2.0 → "2".
func num(v float64) string { return numN(v, 2) }

// numN is num with at most dec decimals.
func numN(v float64, dec int) string {
	s := strconv.FormatFloat(v, 'f', dec, 64)
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac := s, ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		intPart, frac = s[:i], s[i:]
	}
	if len(intPart) > 3 {
		var b strings.Builder
		pre := len(intPart) % 3
		if pre > 0 {
			b.WriteString(intPart[:pre])
		}
		for i := pre; i < len(intPart); i += 3 {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(intPart[i : i+3])
		}
		intPart = b.String()
	}
	if neg {
		intPart = "-" + intPart
	}
	return intPart + frac
}
