package province

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/data/demo"
)

// disc is a centre and a radius in metres.
type disc struct {
	c orb.Point
	r float64
}

// reservoirClass is one line of the register each county's reservoirs are
// drawn from, per unit: shares of 病险 and drinking sources, and the ranges
// of capacity (万m³) and radius (m) that grow together.
type reservoirClass struct {
	scale                  string
	perUnit                float64
	unsafe, drinking       float64
	capLo, capHi, rLo, rHi float64
}

// reservoirRegister gives Hunan's density, about 14,000 reservoirs for
// 29,534 units, mostly 小(2)型, with most small ones 病险 at the end of
// 2016 as the 小型水库除险加固 programme found them.
var reservoirRegister = []reservoirClass{
	{demo.ScaleMedium, 0.012, 0.5, 0.7, 1000, 8000, 600, 1000},
	{demo.ScaleSmall1, 0.06, 0.55, 0.3, 100, 1000, 200, 420},
	{demo.ScaleSmall2, 0.4, 0.7, 0.05, 10, 100, 60, 160},
}

// placeReservoirs draws the county's reservoirs, largest first, in the
// space the roads leave: each water surface keeps 60 m from every road,
// 250 m from every office and 村民组, and 100 m from the other reservoirs.
// A reservoir that finds no room in 60 draws is left out, so that crowded
// districts simply have fewer. Each is named after the unit nearest to it.
func (g *county) placeReservoirs(r *rand.Rand) {
	used := names{}
	for _, rc := range reservoirRegister {
		n := int(math.Round(rc.perUnit * float64(len(g.units)) * uniform(r, 0.7, 1.3)))
		for k := 0; k < n; k++ {
			f := r.Float64()
			rad := rc.rLo + f*(rc.rHi-rc.rLo)
			c, ok := g.reservoirSite(r, rad)
			if !ok {
				continue
			}
			res := demo.Reservoir{Scale: rc.scale, CapacityWanM3: math.Round(10*(rc.capLo+f*(rc.capHi-rc.capLo))) / 10,
				DrinkingSource: r.Float64() < rc.drinking, Safety: demo.SafetyFixed, SafetyYear: between(r, 2009, 2016),
				Geom: orb.Polygon{g.shore(r, c, rad)}}
			if r.Float64() < rc.unsafe {
				res.Safety, res.SafetyYear = demo.SafetyUnsafe, between(r, 2012, 2016)
			}
			res.Name = used.unique(shortName(g.c.Villages[g.nearestUnit(c)].Name), "水库")
			g.c.Reservoirs = append(g.c.Reservoirs, res)
			g.water = append(g.water, disc{c, rad})
		}
	}
}

// reservoirSite draws a centre for a water surface of radius rad.
func (g *county) reservoirSite(r *rand.Rand, rad float64) (orb.Point, bool) {
	degX, degY := (rad+250)/g.m.kx, (rad+250)/g.m.ky // the widest clearance, in degrees, for box tests
	for try := 0; try < 60; try++ {
		c := g.randomIn(r, g.o.bound)
		if !g.o.inside(c, rad+100) {
			continue
		}
		ok := true
		for _, w := range g.water {
			if g.m.dist(c, w.c) < rad+w.r+100 {
				ok = false
				break
			}
		}
		for k := 0; ok && k < len(g.c.Villages); k++ {
			p := g.c.Villages[k].Office
			ok = math.Abs(p[0]-c[0]) > degX || math.Abs(p[1]-c[1]) > degY || g.m.dist(p, c) >= rad+250
		}
		for k := 0; ok && k < len(g.roads); k++ {
			a, b := g.roads[k].a, g.roads[k].b
			ok = math.Min(a[0], b[0]) > c[0]+degX || math.Max(a[0], b[0]) < c[0]-degX ||
				math.Min(a[1], b[1]) > c[1]+degY || math.Max(a[1], b[1]) < c[1]-degY ||
				g.m.segDist(c, a, b) >= rad+60
		}
		if ok {
			return c, true
		}
	}
	return orb.Point{}, false
}

// shore is a closed counter-clockwise ring within rad metres of c: an
// ellipse of random axes and bearing with each vertex pulled in by up to
// 20%. Every vertex keeps its polar angle order about c, so the ring is
// star-shaped about c, hence simple.
func (g *county) shore(r *rand.Rand, c orb.Point, rad float64) orb.Ring {
	n := 12 + int(rad/60)
	a, b := rad, rad*uniform(r, 0.45, 0.9)
	rot := angle(r)
	ring := make(orb.Ring, 0, n+1)
	for k := 0; k < n; k++ {
		th := 2 * math.Pi * float64(k) / float64(n)
		x, y := a*math.Cos(th), b*math.Sin(th)
		pull := uniform(r, 0.8, 1)
		ring = append(ring, g.m.polar(c, pull*math.Hypot(x, y), math.Atan2(y, x)+rot))
	}
	return append(ring, ring[0])
}

// dry reports whether p lies outside every reservoir's disc.
func (g *county) dry(p orb.Point) bool {
	for _, w := range g.water {
		if math.Abs(p[1]-w.c[1])*g.m.ky <= w.r && g.m.dist(p, w.c) <= w.r {
			return false
		}
	}
	return true
}

// nearestUnit is the index of the 行政村/社区 whose office is nearest to p.
func (g *county) nearestUnit(p orb.Point) int {
	best := 0
	for i := range g.units {
		if d2(p, g.c.Villages[i].Office) < d2(p, g.c.Villages[best].Office) {
			best = i
		}
	}
	return best
}

// Water works kinds.
const (
	worksUrban   = "城镇水厂"
	worksTown    = "乡镇水厂"
	worksVillage = "单村供水"
)

// Planted water gaps.
const (
	unservedShare   = 0.04 // 行政村 outside the 街道 with no works or main within reach
	unservedClearM  = 260  // mains and works keep this far from their offices (main_radius_m is 200)
	ownSupplyShare  = 0.5  // of the units far from their 乡镇水厂, those that run their own 单村供水
	overloadedShare = 0.12 // rural works supplying under 35 L a head and day (W1)
)

// works is a water works under construction with the units it serves.
type works struct {
	w      demo.WaterWorks
	served []int
}

// planWater sites the works — 城镇水厂 for the county seat's township and
// the 街道, a 乡镇水厂 for most other townships, 单村供水 where there is none
// or the town works is far — and lays the mains: a transmission tree from
// each works to the offices it serves, and in most units a distribution
// main on to its 村民组. About unservedShare of the 行政村 get nothing
// within reach.
func (g *county) planWater(r *rand.Rand) {
	g.chooseUnserved(r)
	var unserved []orb.Point
	for i, u := range g.units {
		if u.unserved {
			unserved = append(unserved, g.c.Villages[i].Office)
		}
	}
	clear := func(a, b orb.Point) bool {
		for _, o := range unserved {
			if g.m.segDist(o, a, b) < unservedClearM {
				return false
			}
		}
		return true
	}
	site := func(c orb.Point, minM, maxM float64) orb.Point {
		return g.near(r, c, minM, maxM, func(p orb.Point) bool { return clear(p, p) })
	}

	used := names{}
	cs := g.seats[g.city]
	plans := []*works{{w: demo.WaterWorks{Name: used.unique(countyShort(g.in.name)+"城区", "水厂"), Kind: worksUrban,
		Geom: site(cs, 1000, 3000)}}}
	town := make([]*works, len(g.seats))
	for t, tw := range g.in.towns {
		switch {
		case t == g.city || street(tw.code):
			town[t] = plans[0]
		case r.Float64() < 0.85:
			town[t] = &works{w: demo.WaterWorks{Name: used.unique(shortName(tw.name), "水厂"), Kind: worksTown,
				Geom: site(g.seats[t], 400, 1500)}}
			plans = append(plans, town[t])
		}
	}
	var own []int // units that get a 单村供水
	for i, u := range g.units {
		p := town[u.town]
		switch {
		case u.unserved:
		case p == nil || p.w.Kind == worksTown && g.m.dist(g.c.Villages[i].Office, p.w.Geom) > 2.2*g.spacing &&
			r.Float64() < ownSupplyShare:
			own = append(own, i)
		default:
			p.served = append(p.served, i)
		}
	}
	for _, p := range plans {
		own = append(own, g.layMains(r, p, clear)...)
	}
	slices.Sort(own)
	for _, i := range own {
		v := g.c.Villages[i]
		p := &works{w: demo.WaterWorks{Name: used.unique(shortName(g.in.towns[g.units[i].town].name)+shortName(v.Name), "供水站"),
			Kind: worksVillage, Geom: site(v.Office, 100, 250)}, served: []int{i}}
		g.layMains(r, p, clear)
		plans = append(plans, p)
	}
	for i, u := range g.units {
		if u.works != "" && len(u.groups) > 0 {
			g.distribute(r, i, clear)
		}
	}
	g.finishWorks(r, plans)
}

// street reports whether a township code is a 街道 (type digit 0).
func street(code string) bool { return code[6] == '0' }

// chooseUnserved marks unservedShare of the 行政村 outside the 街道 as having
// no supply, the remote ones first and poor ones half again as likely.
func (g *county) chooseUnserved(r *rand.Rand) {
	cands := g.ranked(r, func(i int) bool {
		return !g.units[i].community && !street(g.in.towns[g.units[i].town].code)
	}, func(i int) float64 {
		if g.c.Villages[i].IsPoor {
			return -1.5 * g.units[i].remote
		}
		return -g.units[i].remote
	})
	for _, i := range cands[:int(math.Round(unservedShare*float64(len(cands))))] {
		g.units[i].unserved = true
	}
}

// layMains grows a tree of transmission mains from the works to each office
// it serves, nearest first: each joins the nearest of the six nearest tree
// vertices whose straight main keeps clear. Units it cannot reach are
// dropped from p and returned (they get a 单村供水).
func (g *county) layMains(r *rand.Rand, p *works, clear func(a, b orb.Point) bool) (dropped []int) {
	nodes := []orb.Point{p.w.Geom}
	office := func(i int) orb.Point { return g.c.Villages[i].Office }
	slices.SortStableFunc(p.served, func(a, b int) int {
		return cmp.Compare(g.m.dist(office(a), p.w.Geom), g.m.dist(office(b), p.w.Geom))
	})
	kept := p.served[:0]
	for _, i := range p.served {
		o := office(i)
		cands := slices.Clone(nodes)
		slices.SortStableFunc(cands, func(a, b orb.Point) int { return cmp.Compare(g.m.dist(a, o), g.m.dist(b, o)) })
		k := slices.IndexFunc(cands[:min(len(cands), 6)], func(c orb.Point) bool { return clear(c, o) })
		if k < 0 {
			dropped = append(dropped, i)
			continue
		}
		dia := []int{63, 75, 90, 110}[r.IntN(4)]
		switch {
		case cands[k] == p.w.Geom && p.w.Kind == worksUrban:
			dia = []int{200, 250, 300, 400}[r.IntN(4)]
		case cands[k] == p.w.Geom:
			dia = []int{100, 125, 150, 200}[r.IntN(4)]
		}
		g.c.WaterMains = append(g.c.WaterMains, demo.WaterMain{WorksName: p.w.Name, DiameterMM: dia,
			Geom: orb.LineString{cands[k], o}})
		g.units[i].works = p.w.Name
		nodes = append(nodes, o)
		kept = append(kept, i)
	}
	p.served = kept
	return dropped
}

// distribute lays unit i's distribution main from its office on to its
// 村民组 in turn round the office: in 80% of units to all of them (W5
// passes), else to the first half, and never past a leg that would come
// near an unserved office.
func (g *county) distribute(r *rand.Rand, i int, clear func(a, b orb.Point) bool) {
	u, o := g.units[i], g.c.Villages[i].Office
	groups := slices.Clone(u.groups)
	bearing := func(k int) float64 {
		p := g.c.Villages[k].Office
		return math.Atan2((p[1]-o[1])*g.m.ky, (p[0]-o[0])*g.m.kx)
	}
	slices.SortStableFunc(groups, func(a, b int) int { return cmp.Compare(bearing(a), bearing(b)) })
	if r.Float64() >= 0.8 {
		groups = groups[:len(groups)/2]
	}
	ls := orb.LineString{o}
	for _, k := range groups {
		p := g.c.Villages[k].Office
		if !clear(ls[len(ls)-1], p) {
			break
		}
		ls = append(ls, p)
	}
	if len(ls) > 1 {
		g.c.WaterMains = append(g.c.WaterMains, demo.WaterMain{WorksName: u.works, DiameterMM: []int{32, 40, 50, 63}[r.IntN(4)], Geom: ls})
	}
}

// finishWorks fills in each works' capacity, population served and
// records. overloadedShare of the rural works supply 22–33 L a head and
// day; of their quality records 5% were never tested, 8% are stale (before
// 2016) and 6% failed; their 供水保证率 spans 75–99.5%. The urban works
// pass everything.
func (g *county) finishWorks(r *rand.Rand, plans []*works) {
	for _, p := range plans {
		w := &p.w
		for _, i := range p.served {
			w.PopulationServed += g.c.Villages[i].Population
		}
		pop := float64(w.PopulationServed)
		perHead := uniform(r, 0.06, 0.12) // m³ a person and day
		if r.Float64() < overloadedShare {
			perHead = uniform(r, 0.022, 0.033)
		}
		w.LastTestPassed = true
		w.LastTestDate = fmt.Sprintf("2016-%02d-%02d", between(r, 2, 12), between(r, 1, 28))
		switch w.Kind {
		case worksUrban:
			w.DesignM3PerDay = 1000 * math.Round(math.Max(10, pop*uniform(r, 0.25, 0.4)/1000))
			w.GuaranteePct = math.Round(uniform(r, 970, 995)) / 10
			g.c.WaterWorks = append(g.c.WaterWorks, *w)
			continue
		case worksTown:
			w.DesignM3PerDay = 10 * math.Round(math.Max(200, pop*perHead)/10)
			w.GuaranteePct = math.Round(uniform(r, 840, 995)) / 10
		default:
			w.DesignM3PerDay = 10 * math.Round(math.Max(20, pop*perHead)/10)
			w.GuaranteePct = math.Round(uniform(r, 750, 980)) / 10
		}
		switch x := r.Float64(); {
		case x < 0.05:
			w.LastTestDate, w.LastTestPassed = "", false
		case x < 0.13:
			w.LastTestDate = fmt.Sprintf("%d-%02d-%02d", between(r, 2013, 2015), between(r, 1, 12), between(r, 1, 28))
		case x < 0.19:
			w.LastTestPassed = false
		}
		g.c.WaterWorks = append(g.c.WaterWorks, *w)
	}
}
