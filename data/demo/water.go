package demo

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/geo"
)

// placeReservoirs fills the register the county plan describes: 3 named 中型
// reservoirs (all drinking sources, all 病险), 14 小(1)型 (7 drinking
// sources) and 190 小(2)型 (7 drinking sources, 177 病险 — the ones the plan
// sets out to make safe).
func (g *gen) placeReservoirs() {
	r := newRNG(streamReservoirs)
	names := newNamer(r, "龙源水库", "团湾水库", "忠防水库")
	for _, m := range []struct {
		name string
		town int
	}{{"龙源水库", -1}, {"团湾水库", -1}, {"忠防水库", g.townIndex("430682101")}} {
		g.addReservoir(r, Reservoir{Name: m.name, Scale: ScaleMedium, CapacityWanM3: round1(uniform(r, 1000, 5000)),
			DrinkingSource: true, Safety: SafetyUnsafe, SafetyYear: 2015}, uniform(r, 1000, 1300), m.town)
	}
	small := func(scale string, n, drinking, unsafe int, capLo, capHi, radLo, radHi float64) {
		perm := r.Perm(n) // spreads the flags over the sizes
		for k := 0; k < n; k++ {
			f := r.Float64()
			res := Reservoir{Name: names.next("水库"), Scale: scale, CapacityWanM3: round1(capLo + f*(capHi-capLo)),
				DrinkingSource: perm[k] < drinking, Safety: SafetyUnsafe, SafetyYear: between(r, 2013, 2015)}
			if perm[k] >= unsafe {
				res.Safety, res.SafetyYear = SafetyFixed, between(r, 2012, 2015)
			}
			g.addReservoir(r, res, radLo+f*(radHi-radLo), -1)
		}
	}
	small(ScaleSmall1, 14, 7, 10, 100, 1000, 250, 450)
	small(ScaleSmall2, 190, 7, 177, 10, 100, 60, 150)
}

// addReservoir draws a water surface of about radiusM (in township t's cell
// when t ≥ 0) that stays inside the outline, 300 m from every office, clear
// of every road and of the other reservoirs.
func (g *gen) addReservoir(r *rand.Rand, res Reservoir, radiusM float64, t int) {
	b := g.o.ring.Bound()
	reach := 1.2 * radiusM // blob radii stay below 1.19× the nominal radius
	for try := 0; try < 40000; try++ {
		c := orb.Point{uniform(r, b.Min[0], b.Max[0]), uniform(r, b.Min[1], b.Max[1])}
		if !g.o.contains(c, 0.003) || (t >= 0 && !g.inCell(c, t)) || !g.clearOfWater(c, reach) {
			continue
		}
		ring := blob(r, c, radiusM, 10+int(radiusM/150))
		if g.ringFits(ring, t) {
			res.Geom = orb.Polygon{ring}
			g.c.Reservoirs = append(g.c.Reservoirs, res)
			g.resBounds = append(g.resBounds, ring.Bound())
			return
		}
	}
	panic("demo: no room for reservoir " + res.Name)
}

// clearOfWater reports whether a disc of radius reach round c keeps 300 m
// from every office and 100 m from every reservoir placed so far.
func (g *gen) clearOfWater(c orb.Point, reach float64) bool {
	for i := range g.units {
		if distM(c, g.c.Villages[i].Office) < reach+300 {
			return false
		}
	}
	for _, b := range g.resBounds {
		rr := distM(b.Min, b.Max) / 2 / math.Sqrt2 * 1.1
		if distM(c, b.Center()) < reach+rr+100 {
			return false
		}
	}
	return true
}

// ringFits checks a reservoir ring against the outline, the township cell
// and the road network (no road may touch or enter the water).
func (g *gen) ringFits(ring orb.Ring, t int) bool {
	for _, p := range ring {
		if !g.o.contains(p, 0.002) || (t >= 0 && !g.inCell(p, t)) {
			return false
		}
	}
	return !g.idx.visit(ring.Bound(), func(a, b orb.Point) bool {
		if ringContains(ring, a) || ringContains(ring, b) {
			return true
		}
		for k := 1; k < len(ring); k++ {
			if geo.SegmentsTouch(ring[k-1], ring[k], a, b) {
				return true
			}
		}
		return false
	})
}

// dry reports whether p is outside every reservoir.
func (g *gen) dry(p orb.Point) bool {
	for k, rs := range g.c.Reservoirs {
		if g.resBounds[k].Contains(p) && ringContains(rs.Geom[0], p) {
			return false
		}
	}
	return true
}

// waterPlan is a works under construction with the units it serves.
type waterPlan struct {
	w      WaterWorks
	served []int
}

// Water works kinds.
const (
	worksUrban   = "城镇水厂"
	worksTown    = "乡镇水厂"
	worksVillage = "单村供水"
)

// buildWater sites the works, decides whom each serves, and lays the mains.
// About 20 行政村 are left with no works and no main within 2 km (the 饮水
// gap); a few works are overloaded (under 35 L per person per day).
func (g *gen) buildWater() {
	r := newRNG(streamWater)
	g.chooseUnserved()
	dryAndClear := func(p orb.Point) bool { return g.dry(p) && g.waterClear(p, p) }
	cs := g.seats[g.city]
	urban := []*waterPlan{
		{w: WaterWorks{Name: "幸福水厂", Kind: worksUrban, Geom: g.pointNear(r, cs, 1000, 2000, -1,
			func(p orb.Point) bool { return p[0] > cs[0] && dryAndClear(p) })}},
		{w: WaterWorks{Name: "城西水厂", Kind: worksUrban, Geom: g.pointNear(r, cs, 1500, 3000, -1,
			func(p orb.Point) bool { return p[0] < cs[0]-0.01 && dryAndClear(p) })}},
	}
	town := map[int]*waterPlan{}
	var plans []*waterPlan
	plans = append(plans, urban...)
	for t, tw := range g.c.Townships {
		if g.isTown(t) && tw.Code != "430682109" { // 白羊田镇 has no works of its own
			town[t] = &waterPlan{w: WaterWorks{Name: tw.Name + "水厂", Kind: worksTown,
				Geom: g.pointNear(r, tw.Seat, 500, 1500, t, dryAndClear)}}
			plans = append(plans, town[t])
		}
	}
	var single []int
	for i, u := range g.units {
		office := g.c.Villages[i].Office
		switch {
		case u.unserved:
		case !g.isTown(u.town):
			p := urban[0]
			if distM(office, urban[1].w.Geom) < distM(office, p.w.Geom) {
				p = urban[1]
			}
			p.served = append(p.served, i)
		case town[u.town] != nil:
			town[u.town].served = append(town[u.town].served, i)
		default:
			single = append(single, i)
		}
	}
	// The villages farthest from their 乡镇水厂 run their own 单村供水.
	far := g.unitsBy(func(i int) bool { p := town[g.units[i].town]; return p != nil && slices.Contains(p.served, i) },
		func(i int) float64 { return -distM(g.c.Villages[i].Office, town[g.units[i].town].w.Geom) })
	for _, i := range far[:max(0, 15-len(single))] {
		p := town[g.units[i].town]
		p.served = slices.DeleteFunc(p.served, func(j int) bool { return j == i })
		single = append(single, i)
	}
	for _, p := range plans {
		single = append(single, g.layMains(r, p)...)
	}
	slices.Sort(single)
	for _, i := range single {
		v := g.c.Villages[i]
		p := &waterPlan{w: WaterWorks{Name: v.Name + "供水站", Kind: worksVillage,
			Geom: g.pointNear(r, v.Office, 100, 250, g.units[i].town, g.dry)}, served: []int{i}}
		g.layMains(r, p)
		plans = append(plans, p)
	}
	g.finishWorks(r, plans)
}

// chooseUnserved marks about 20 remote 行政村 of the 镇 as having no water
// supply. A village joins only with every village within 2.4 km of it, so
// that no served village — and hence no main — comes within 2 km.
func (g *gen) chooseUnserved() {
	poor := g.remoteFirst(func(i int) bool { return g.c.Villages[i].IsPoor && g.isTown(g.units[i].town) })
	rich := g.remoteFirst(func(i int) bool {
		return !g.c.Villages[i].IsPoor && !g.units[i].community && g.isTown(g.units[i].town)
	})
	n := 0
	for _, c := range append(append(poor[:9:9], rich...), poor[9:]...) {
		if n >= 20 {
			return
		}
		if g.units[c].unserved {
			continue
		}
		cluster := []int{c}
		for k := 0; k < len(cluster) && cluster != nil; k++ {
			for j, u := range g.units {
				if slices.Contains(cluster, j) || u.unserved ||
					distM(g.c.Villages[j].Office, g.c.Villages[cluster[k]].Office) >= 2400 {
					continue
				}
				if u.community || !g.isTown(u.town) {
					cluster = nil
					break
				}
				cluster = append(cluster, j)
			}
		}
		if cluster == nil || n+len(cluster) > 21 {
			continue
		}
		for _, j := range cluster {
			g.units[j].unserved = true
		}
		n += len(cluster)
	}
}

// waterClear reports whether segment ab keeps 2,050 m from every unserved
// office.
func (g *gen) waterClear(a, b orb.Point) bool {
	for i, u := range g.units {
		if u.unserved && segDistM(g.c.Villages[i].Office, a, b) < 2050 {
			return false
		}
	}
	return true
}

// layMains grows a tree of mains from the works to each served office,
// nearest first, each joining the nearest tree vertex it can reach without
// passing near an unserved village. Villages it cannot reach are returned
// (they get a 单村供水 instead).
func (g *gen) layMains(r *rand.Rand, p *waterPlan) (dropped []int) {
	nodes := []orb.Point{p.w.Geom}
	from := func(i int) float64 { return distM(g.c.Villages[i].Office, p.w.Geom) }
	order := slices.Clone(p.served)
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(from(a), from(b)) })
	for _, i := range order {
		office := g.c.Villages[i].Office
		cands := slices.Clone(nodes)
		slices.SortStableFunc(cands, func(a, b orb.Point) int { return cmp.Compare(distM(a, office), distM(b, office)) })
		var main orb.LineString
		for _, c := range cands[:min(len(cands), 12)] {
			ls := wigglePath(r, g.o, c, office, 1000, 80)
			ok := true
			for k := 1; k < len(ls) && ok; k++ {
				ok = g.waterClear(ls[k-1], ls[k])
			}
			if ok {
				main = ls
				break
			}
		}
		if main == nil {
			p.served = slices.DeleteFunc(p.served, func(j int) bool { return j == i })
			dropped = append(dropped, i)
			continue
		}
		dia := []int{63, 75, 90, 110}[r.IntN(4)]
		switch {
		case main[0] == p.w.Geom && p.w.Kind == worksUrban:
			dia = []int{200, 250, 300, 400}[r.IntN(4)]
		case main[0] == p.w.Geom:
			dia = []int{100, 125, 150, 200}[r.IntN(4)]
		}
		g.c.WaterMains = append(g.c.WaterMains, WaterMain{WorksName: p.w.Name, DiameterMM: dia, Geom: main})
		nodes = append(nodes, main[1:]...)
	}
	return dropped
}

// finishWorks fills in capacity, population served and the quality record.
// The two busiest 乡镇水厂 and the two busiest 单村供水 are overloaded; of the
// rural works' quality records, 2 were never tested, 3 are stale (before
// 2015-07) and 3 failed. plans must start with the two urban works.
func (g *gen) finishWorks(r *rand.Rand, plans []*waterPlan) {
	for _, p := range plans {
		for _, i := range p.served {
			p.w.PopulationServed += g.c.Villages[i].Population
		}
	}
	overloaded := map[*waterPlan]bool{}
	for _, kind := range []string{worksTown, worksVillage} {
		var ps []*waterPlan
		for _, p := range plans {
			if p.w.Kind == kind {
				ps = append(ps, p)
			}
		}
		slices.SortStableFunc(ps, func(a, b *waterPlan) int { return b.w.PopulationServed - a.w.PopulationServed })
		overloaded[ps[0]], overloaded[ps[1]] = true, true
	}
	// Quality records: the urban works test monthly, so the never-tested,
	// stale and failed records go to the rural works (status < 8).
	status := append([]int{100, 100}, r.Perm(len(plans)-2)...)
	for k, p := range plans {
		w := &p.w
		pop := float64(w.PopulationServed)
		perHead := uniform(r, 0.08, 0.14) // m³ per person per day
		if overloaded[p] {
			perHead = uniform(r, 0.024, 0.032)
		}
		switch w.Kind {
		case worksUrban:
			w.DesignM3PerDay = float64(between(r, 30, 60) * 1000)
		case worksTown:
			w.DesignM3PerDay = math.Round(math.Max(1000, math.Min(5000, pop*perHead)))
		default:
			w.DesignM3PerDay = math.Round(math.Max(50, math.Min(300, pop*perHead)))
		}
		w.GuaranteePct = round1(uniform(r, 80, 99))
		w.LastTestPassed = true
		switch s := status[k]; {
		case s < 2:
			w.LastTestPassed = false // never tested
		case s < 5:
			w.LastTestDate = fmt.Sprintf("%d-%02d-%02d", between(r, 2013, 2014), between(r, 1, 12), between(r, 1, 28))
		case s < 8:
			w.LastTestDate = fmt.Sprintf("2016-%02d-%02d", between(r, 1, 6), between(r, 1, 28))
			w.LastTestPassed = false
		default:
			w.LastTestDate = fmt.Sprintf("2016-%02d-%02d", between(r, 1, 6), between(r, 1, 28))
		}
		g.c.WaterWorks = append(g.c.WaterWorks, *w)
	}
}
