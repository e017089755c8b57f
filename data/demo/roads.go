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

// The road network is built so that it can be noded exactly: a road joins
// another only at an existing vertex of it, with bit-identical coordinates,
// and no two segments cross anywhere else (fits enforces both). Village
// access is a tree per township, each office joining once, so that a
// 砂石/土 access road really is the only way in.

// fits reports whether ls can join the network: every vertex well inside the
// outline, no segment touching the outline, and no segment meeting an
// existing or earlier segment except at a shared end point.
func (g *gen) fits(ls orb.LineString) bool {
	for k, p := range ls {
		if !g.o.contains(p, innerMargin) {
			return false
		}
		if k == 0 {
			continue
		}
		a := ls[k-1]
		if g.o.crosses(a, p) || g.idx.conflicts(a, p) {
			return false
		}
		for j := 1; j <= k-2; j++ {
			if geo.SegmentsTouch(ls[j-1], ls[j], a, p) {
				return false
			}
		}
	}
	return true
}

// addRoad appends rd to the county and indexes its segments.
func (g *gen) addRoad(rd Road) int {
	for k := 1; k < len(rd.Geom); k++ {
		g.idx.add(rd.Geom[k-1], rd.Geom[k])
	}
	g.c.Roads = append(g.c.Roads, rd)
	return len(g.c.Roads) - 1
}

// route draws a wiggly path through the given points (bit-identical at
// each), retrying the wiggle until it fits the network.
func (g *gen) route(r *rand.Rand, via []orb.Point, stepM, wiggleM float64) orb.LineString {
	for try := 0; try < 40; try++ {
		w := wiggleM
		if try >= 30 {
			w = 0 // a straight path is the last resort
		}
		ls := orb.LineString{via[0]}
		for k := 1; k < len(via); k++ {
			ls = append(ls, wigglePath(r, g.o, via[k-1], via[k], stepM, w)[1:]...)
		}
		if g.fits(ls) {
			return ls
		}
	}
	panic(fmt.Sprintf("demo: no crossing-free route through %v", via))
}

// connect joins the new point to the nearest of cands that it can reach
// without crossing anything, returning the path from the join vertex to to.
func (g *gen) connect(r *rand.Rand, cands []orb.Point, to orb.Point, stepM, wiggleM float64) (orb.LineString, bool) {
	cands = slices.Clone(cands)
	slices.SortStableFunc(cands, func(a, b orb.Point) int { return cmp.Compare(distM(a, to), distM(b, to)) })
	for k := 0; k < len(cands) && k < 40; k++ {
		for try := 0; try < 3; try++ {
			w := wiggleM
			if try == 2 {
				w = 0
			}
			if ls := wigglePath(r, g.o, cands[k], to, stepM, w); g.fits(ls) {
				return ls, true
			}
		}
	}
	return nil, false
}

// buildRoads lays the trunk network (G4, G107, 省道, 县道) and then every
// village's access road.
func (g *gen) buildRoads() {
	r := newRNG(streamRoads)
	seat := func(code string) orb.Point { return g.seats[g.townIndex(code)] }
	cs := g.seats[g.city]
	jn, tl := seat("430682105"), seat("430682107")
	road := func(name, ref, grade, surface string, width float64, via ...orb.Point) Road {
		return Road{Name: name, Ref: ref, Grade: grade, Surface: surface, WidthM: width, Year: between(r, 2000, 2015),
			Geom: g.route(r, via, 1000, 150)}
	}
	g.addRoad(Road{Name: "京港澳高速", Ref: "G4", Grade: GradeExpressway, Surface: SurfaceAsphalt, WidthM: 26,
		Year: 2002, Geom: g.route(r, g.exwy, 1200, 80)})
	// Each road is routed against those already added, so they go one by
	// one. G107 and the 省道 pass through the seats they serve.
	g.addRoad(road("107国道", "G107", GradeNational, SurfaceAsphalt, 12,
		g.o.exit(jn, offsetM(jn, 1500, 8000), 400), jn, cs, tl, g.o.exit(tl, offsetM(tl, 800, -8000), 400)))
	g.addRoad(road("301省道", "S301", GradeProvincial, SurfaceAsphalt, 9, cs, seat("430682004"), seat("430682108"), seat("430682114")))
	g.addRoad(road("210省道", "S210", GradeProvincial, SurfaceAsphalt, 9, cs, seat("430682109"), seat("430682110")))
	g.addRoad(road("209省道", "S209", GradeProvincial, SurfaceAsphalt, 9, cs, seat("430682005"), seat("430682115"), seat("430682113")))
	// 县道 give the seats off the trunk roads (桃矿, 聂市, 忠防) a hardened
	// link to the county seat, and close a few loops.
	for _, x := range []struct{ ref, from, to string }{
		{"X011", "430682001", "430682003"}, {"X021", "430682105", "430682103"}, {"X022", "430682103", "430682108"},
		{"X031", "430682003", "430682101"}, {"X032", "430682101", "430682107"}, {"X041", "430682114", "430682110"},
	} {
		a, b := g.townIndex(x.from), g.townIndex(x.to)
		surface := SurfaceAsphalt
		if r.IntN(2) == 0 {
			surface = SurfaceConcrete
		}
		name := short(g.c.Townships[a].Name) + "—" + short(g.c.Townships[b].Name) + "公路"
		g.addRoad(road(name, x.ref, GradeCounty, surface, 7, g.seats[a], g.seats[b]))
	}
	g.trunk = roadVertices(g.c.Roads[1:])
	g.addInterchange(r)
	g.trunk = roadVertices(g.c.Roads[1:])
	g.buildAccess(r)
}

// addInterchange links G4 to the nearest trunk vertex by a short 县道 — the
// only place where the expressway meets the rest of the network.
func (g *gen) addInterchange(r *rand.Rand) {
	ex := g.c.Roads[0].Geom
	type pair struct {
		e, v orb.Point
		d    float64
	}
	var pairs []pair
	for _, e := range ex[1 : len(ex)-1] {
		for _, v := range g.trunk {
			pairs = append(pairs, pair{e, v, distM(e, v)})
		}
	}
	slices.SortStableFunc(pairs, func(a, b pair) int { return cmp.Compare(a.d, b.d) })
	for _, p := range pairs[:min(len(pairs), 200)] {
		if ls := wigglePath(r, g.o, p.e, p.v, 800, 60); g.fits(ls) {
			g.addRoad(Road{Name: "临湘互通连接线", Ref: "X001", Grade: GradeCounty, Surface: SurfaceAsphalt,
				WidthM: 7, Year: 2002, Geom: ls})
			return
		}
	}
	panic("demo: cannot link the expressway to the network")
}

// roadVertices lists the distinct vertices of roads in first-seen order.
func roadVertices(roads []Road) []orb.Point {
	seen := map[orb.Point]bool{}
	var out []orb.Point
	for _, rd := range roads {
		for _, p := range rd.Geom {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// chooseGaps picks the villages whose access stays unhardened: the 11 most
// remote poor villages and the 3 most remote non-poor 行政村 of the 镇.
func (g *gen) chooseGaps() {
	poor := g.remoteFirst(func(i int) bool { return g.c.Villages[i].IsPoor })
	rich := g.remoteFirst(func(i int) bool {
		return !g.c.Villages[i].IsPoor && !g.units[i].community && g.isTown(g.units[i].town)
	})
	for _, i := range append(poor[:11], rich[:3]...) {
		g.units[i].gap = true
	}
}

// isTown reports whether township t is a 镇 (codes 1xx) rather than a 街道.
func (g *gen) isTown(t int) bool { return g.c.Townships[t].Code[6] == '1' }

// buildAccess grows, per township, a tree of 乡道/村道 from the trunk to
// every office, nearest office first. Gap villages are leaves: nothing else
// joins their road, so their 砂石/土 segment is their only way in.
func (g *gen) buildAccess(r *rand.Rand) {
	g.chooseGaps()
	trunkSet := map[orb.Point]bool{}
	for _, p := range g.trunk {
		trunkSet[p] = true
	}
	nGap, yRef := 0, 0
	for t := range g.c.Townships {
		var pool []orb.Point
		order := g.unitsBy(func(i int) bool { return g.units[i].town == t }, func(i int) float64 { return g.units[i].remote })
		for _, i := range order {
			v, u := g.c.Villages[i], &g.units[i]
			ls, ok := g.connect(r, append(slices.Clone(g.trunk), pool...), v.Office, 900, 120)
			if !ok {
				panic("demo: no access road for " + v.Name)
			}
			u.verts = ls[1:]
			name, year := v.Name+"通村路", between(r, 2006, 2015)
			switch {
			case u.gap:
				nGap++
				if k := len(ls) / 2; nGap%2 == 0 && len(ls) >= 3 {
					// A hardened stretch from the join, then the unhardened
					// rest of known length into the village.
					u.access = append(u.access, g.addRoad(Road{Name: name, Grade: GradeVillage, Surface: SurfaceConcrete,
						WidthM: 3.5, Year: year, Geom: slices.Clone(ls[:k+1])}))
					ls = slices.Clone(ls[k:])
				}
				surface := SurfaceGravel
				if r.IntN(5) < 2 {
					surface = SurfaceEarth
				}
				u.access = append(u.access, g.addRoad(Road{Name: name, Grade: GradeVillage, Surface: surface,
					WidthM: 3.5, Year: between(r, 2000, 2008), Geom: ls}))
			case trunkSet[ls[0]] && lengthM(ls) > 2500:
				yRef++
				surface := SurfaceConcrete
				if r.IntN(10) < 3 {
					surface = SurfaceAsphalt
				}
				u.access = append(u.access, g.addRoad(Road{Name: name, Ref: fmt.Sprintf("Y%03d", yRef), Grade: GradeTownship,
					Surface: surface, WidthM: float64(between(r, 0, 2)) + 4.5, Year: year, Geom: ls}))
				pool = append(pool, ls[1:]...)
			default:
				width, surface := 4.5, SurfaceConcrete
				if r.Float64() < 0.33 {
					width = 3.5 // 窄路; with the gap roads about 40% of 村道
				}
				if r.IntN(10) == 0 {
					surface = SurfaceAsphalt
				}
				u.access = append(u.access, g.addRoad(Road{Name: name, Grade: GradeVillage, Surface: surface,
					WidthM: width, Year: year, Geom: ls}))
				pool = append(pool, ls[1:]...)
			}
		}
	}
}

var groupNames = []string{"一组", "二组", "三组", "四组", "五组", "六组", "七组"}

// placeGroups adds 3–7 村民组 to every 行政村, each at the end of a 通组路
// that joins its village's own road or office. A group site is drawn
// together with its road — a site the network cannot reach without a
// crossing is redrawn — which is why groups are placed after the roads.
func (g *gen) placeGroups() {
	r := newRNG(streamGroups)
	for i := range g.units {
		if g.units[i].community {
			continue
		}
		parent := g.c.Villages[i]
		n := between(r, 3, 7)
		left := parent.Households
		for k := 0; k < n; k++ {
			p, ls := g.groupSite(r, i)
			hh := min(between(r, 20, 70), left-20*(n-k-1))
			left -= hh
			g.units[i].groups = append(g.units[i].groups, len(g.c.Villages))
			g.groupOf[len(g.c.Villages)] = true
			g.c.Villages = append(g.c.Villages, Village{Name: groupNames[k], TownshipCode: parent.TownshipCode,
				Kind: KindGroup, ParentCode: parent.Code, Office: p, Households: hh,
				Population: int(math.Round(3.3 * float64(hh)))})
			width, surface := 3.5, SurfaceConcrete
			if r.IntN(2) == 0 {
				width = 3.0
			}
			if x := r.Float64(); x < 0.18 {
				surface = SurfaceGravel
			} else if x < 0.3 {
				surface = SurfaceEarth
			}
			g.addRoad(Road{Name: parent.Name + groupNames[k] + "通组路", Grade: GradeGroup, Surface: surface,
				WidthM: width, Year: between(r, 2005, 2015), Geom: ls})
		}
	}
}

// groupSite draws a 村民组 point 0.4–2 km from the office of unit i, in the
// same township cell, 200 m from other groups and 300 m from other offices,
// and returns it with a crossing-free road from the village's own network.
func (g *gen) groupSite(r *rand.Rand, i int) (orb.Point, orb.LineString) {
	u := g.units[i]
	office := g.c.Villages[i].Office
	for try := 0; try < 500; try++ {
		p := polarM(office, uniform(r, 400, 2000), angle(r))
		if !g.settleable(p, u.town) {
			continue
		}
		ok := true
		for j, v := range g.c.Villages {
			need := 300.0 // from other offices
			if g.groupOf[j] {
				need = 200
			} else if j == i {
				need = 0 // the 0.4 km draw already keeps it off its own office
			}
			if distM(p, v.Office) < need {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		if ls, ok := g.connect(r, u.verts, p, 600, 50); ok {
			return p, ls
		}
	}
	panic("demo: cannot place a 村民组 of " + g.c.Villages[i].Name)
}
