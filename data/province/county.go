package province

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/data/demo"
	"github.com/gapmap/gapmap/geo"
)

// county is one county under construction: the output plus the plan the
// later layers need.
type county struct {
	in      *countyIn
	c       *demo.County
	o       convex
	m       metric
	spacing float64 // metres: typical distance between neighbouring offices

	seats []orb.Point
	city  int         // index of the township holding the county seat
	box   []orb.Bound // per township: the bounding box of its Voronoi cell
	trunk [][2]int    // township index pairs joined by a trunk road

	units []unit // parallel to c.Villages[:len(units)]

	roads     []straight       // every road as planned: straight lines, cut into segments later
	roadStart []int            // c.Roads index of each planned road's first segment, plus the total (filled by emitRoads)
	feeders   []straight       // every 10 kV line as planned
	lv        []demo.PowerLine // 0.4/0.22 kV lines, emitted after the feeders
	water     []disc           // reservoirs, for the dry-land test

	pendingGroups []demo.Village // 村民组 while placeGroups runs
}

// unit is the plan of one 行政村 or 社区.
type unit struct {
	town      int
	community bool
	remote    float64     // metres from the county seat
	groups    []int       // c.Villages indexes of its 村民组
	gap       bool        // its access road ends unhardened
	tx        orb.Point   // its first transformer, where its feeder ends
	extra     []orb.Point // its further transformers (upgraded villages)
	kva       []float64   // ratings of its transformers, the one at tx first
	feeder    string
	onePhase  bool   // single-phase supply only (E2 gap)
	upgraded  bool   // 农网改造 done: ≥2 kVA a household and a transformer at the groups
	unserved  bool   // no water works or main within reach (W gap)
	works     string // the works whose main reaches its office
}

// straight is a planned line from a to b with the attributes its pieces
// get. For roads, pieces from index unhardenedFrom on take surface rough.
type straight struct {
	a, b           orb.Point
	lengthM        float64
	road           demo.Road      // template for roads
	power          demo.PowerLine // template for 10 kV lines
	unhardenedFrom float64        // share of the length after which a road is unhardened; ≥1: none
	rough          string
	roughYear      int
}

// Spacing rules, as shares of the county's office spacing (sqrt of the area
// per unit, about 3 km in Hunan) and as hard floors in metres/degrees that
// keep the road network exactly noded and clear of the graph builder's 5 m
// tolerance.
const (
	officeMargin = 400.0 // metres: offices keep this far inside the outline
	groupMargin  = 150.0
	edgeMargin   = 30.0 // metres: every other point feature keeps this far inside
	minClearM    = 20.0 // no relaxation goes below this
	minRayAngle  = 0.25 * math.Pi / 180
	minJoinAngle = 5 * math.Pi / 180
	cellShrink   = 0.9 // a point of township t is ≤ 0.9× as far from seat t as from any other seat
)

// plan lays out one county: outline, seats, trunk roads, offices and
// village roads, 村民组 and their roads, people and poverty, reservoirs in
// the space the roads leave, then the grid, water, transport, PV and
// tourism. Roads and 10 kV lines stay straight lines until Generate has
// calibrated their segment lengths over the whole province.
func plan(in *countyIn, cell orb.Bound, poor int) (*county, error) {
	g := &county{in: in, c: &demo.County{Code: in.code, Name: in.name}}
	g.o = outlineIn(newRNG(in.code, streamSeats), cell)
	g.m = g.o.m
	g.c.Outline = orb.MultiPolygon{{g.o.ring}}
	g.spacing = math.Sqrt(g.o.areaM2() / float64(in.units))

	g.placeSeats(newRNG(in.code, streamSeats))
	g.buildTrunk()
	if err := g.placeOffices(newRNG(in.code, streamOffices)); err != nil {
		return nil, err
	}
	g.choosePoor(newRNG(in.code, streamPeople), poor)
	g.placeGroups(newRNG(in.code, streamGroups))
	g.planRoads(newRNG(in.code, streamRoads))
	g.placeReservoirs(newRNG(in.code, streamReservoirs))
	g.planGrid(newRNG(in.code, streamGrid))
	g.planWater(newRNG(in.code, streamWater))
	g.placeBusStops(newRNG(in.code, streamTransport))
	g.placePV(newRNG(in.code, streamPV))
	g.placeTourism(newRNG(in.code, streamTourism))
	return g, nil
}

// placeSeats puts the county seat (the first township in code order, most
// often a 街道) at the centre and spreads the other seats by best-candidate
// sampling: of 40 random points inside the outline, the one farthest from
// the seats so far.
func (g *county) placeSeats(r *rand.Rand) {
	n := len(g.in.towns)
	g.seats = make([]orb.Point, 0, n)
	g.seats = append(g.seats, g.o.bound.Center())
	margin := 0.12 * math.Sqrt(g.o.areaM2()/math.Pi)
	for len(g.seats) < n {
		var best orb.Point
		bestD := -1.0
		for k := 0; k < 40; k++ {
			p := g.randomIn(r, g.o.bound)
			if !g.o.inside(p, margin) {
				k--
				continue
			}
			d := math.Inf(1)
			for _, s := range g.seats {
				d = math.Min(d, g.m.dist(p, s))
			}
			if d > bestD {
				best, bestD = p, d
			}
		}
		g.seats = append(g.seats, best)
	}
	for t, tw := range g.in.towns {
		g.c.Townships = append(g.c.Townships, demo.Township{Code: tw.code, Name: tw.name, Seat: g.seats[t]})
	}
	g.city = 0

	// The bounding box of each township's cell, from a grid of samples, so
	// that offices are drawn where they can be accepted.
	const steps = 64
	g.box = make([]orb.Bound, n)
	for t := range g.box {
		g.box[t] = orb.Bound{Min: g.seats[t], Max: g.seats[t]}
	}
	b := g.o.bound
	dx, dy := (b.Max[0]-b.Min[0])/steps, (b.Max[1]-b.Min[1])/steps
	for i := 0; i <= steps; i++ {
		for j := 0; j <= steps; j++ {
			p := orb.Point{b.Min[0] + float64(i)*dx, b.Min[1] + float64(j)*dy}
			if !g.o.inside(p, 0) {
				continue
			}
			g.box[g.nearestSeat(p)] = g.box[g.nearestSeat(p)].Extend(p)
		}
	}
	for t := range g.box {
		g.box[t] = orb.Bound{Min: orb.Point{g.box[t].Min[0] - dx, g.box[t].Min[1] - dy},
			Max: orb.Point{g.box[t].Max[0] + dx, g.box[t].Max[1] + dy}}
	}
}

func (g *county) randomIn(r *rand.Rand, b orb.Bound) orb.Point {
	return orb.Point{uniform(r, b.Min[0], b.Max[0]), uniform(r, b.Min[1], b.Max[1])}
}

func d2(a, b orb.Point) float64 {
	dx, dy := a[0]-b[0], a[1]-b[1]
	return dx*dx + dy*dy
}

func (g *county) nearestSeat(p orb.Point) int {
	best := 0
	for s := 1; s < len(g.seats); s++ {
		if d2(p, g.seats[s]) < d2(p, g.seats[best]) {
			best = s
		}
	}
	return best
}

// inCell reports whether p is well inside township t's Voronoi cell as
// PostGIS computes it (degree plane): at most cellShrink times as far from
// seat t as from any other seat. These shrunk cells are convex (each is an
// intersection of discs) and pairwise disjoint, so straight roads drawn
// between points of one township never meet those of another.
func (g *county) inCell(p orb.Point, t int) bool {
	dt := d2(p, g.seats[t])
	for s := range g.seats {
		if s != t && dt > cellShrink*cellShrink*d2(p, g.seats[s]) {
			return false
		}
	}
	return true
}

// buildTrunk joins the seats by the Gabriel graph (an edge where the disc
// on it as diameter holds no other seat) plus the minimum spanning tree, so
// the trunk is connected and planar, and each edge runs through the cells of
// its own two seats only.
func (g *county) buildTrunk() {
	n := len(g.seats)
	type edge struct {
		a, b int
		d    float64
	}
	var edges []edge
	for a := 0; a < n; a++ {
		for b := a + 1; b < n; b++ {
			edges = append(edges, edge{a, b, g.m.dist(g.seats[a], g.seats[b])})
		}
	}
	slices.SortStableFunc(edges, func(x, y edge) int { return cmp.Compare(x.d, y.d) })
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		if parent[i] != i {
			parent[i] = find(parent[i])
		}
		return parent[i]
	}
	for _, e := range edges {
		sa, sb := g.seats[e.a], g.seats[e.b]
		mid := orb.Point{(sa[0] + sb[0]) / 2, (sa[1] + sb[1]) / 2}
		r2 := d2(sa, sb) / 4
		gabriel := true
		for k := range g.seats {
			if k != e.a && k != e.b && d2(g.seats[k], mid) <= r2*1.0001 {
				gabriel = false
				break
			}
		}
		ra, rb := find(e.a), find(e.b)
		if gabriel || ra != rb {
			g.trunk = append(g.trunk, [2]int{e.a, e.b})
			parent[ra] = rb
		}
	}
}

// townRoads is the set of straight lines a new line in one township is
// checked against: the trunk and the township's own lines.
type townRoads struct {
	segs [][2]orb.Point
}

// fits reports whether the segment from join to p may be added: it may meet
// another line only at join, at a clear angle, and must otherwise keep
// clearM away.
func (g *county) fits(tr *townRoads, join, p orb.Point, clearM, joinAngle float64) bool {
	for _, s := range tr.segs {
		switch {
		case s[0] == join:
			if g.m.angleAt(join, s[1], p) < joinAngle {
				return false
			}
			if g.m.segDist(s[1], join, p) < clearM || g.m.segDist(p, s[0], s[1]) < clearM {
				return false
			}
		case s[1] == join:
			if g.m.angleAt(join, s[0], p) < joinAngle {
				return false
			}
			if g.m.segDist(s[0], join, p) < clearM || g.m.segDist(p, s[0], s[1]) < clearM {
				return false
			}
		default:
			if geo.SegmentsTouch(join, p, s[0], s[1]) || g.m.segSegDist(join, p, s[0], s[1]) < clearM {
				return false
			}
		}
	}
	return true
}

// trunkRoads returns the trunk segments, the start of every township's set.
func (g *county) trunkRoads() townRoads {
	var tr townRoads
	for _, e := range g.trunk {
		tr.segs = append(tr.segs, [2]orb.Point{g.seats[e[0]], g.seats[e[1]]})
	}
	return tr
}

// placeOffices draws every 村委会/居委会 in its township's shrunk cell, 400 m
// inside the outline, and lays its access road straight from the township
// seat. Roads from one point cannot cross; the rules keep offices apart, off
// other roads, and the roads at distinct angles. The rules relax step by
// step where a township is crowded, down to hard floors.
func (g *county) placeOffices(r *rand.Rand) error {
	s := g.spacing
	trunk := g.trunkRoads()
	for t, tw := range g.in.towns {
		tr := townRoads{segs: slices.Clone(trunk.segs)}
		seat := g.seats[t]
		var offices []orb.Point
		for _, v := range tw.villages {
			f, placed := 1.0, false
			for try := 0; try < 4000 && !placed; try++ {
				if try%300 == 299 {
					f *= 0.7
				}
				p := g.randomIn(r, g.box[t])
				if !g.o.inside(p, officeMargin) || !g.inCell(p, t) || g.m.dist(p, seat) < math.Max(0.3*s*f, 100) {
					continue
				}
				if g.m.within(p, offices, math.Max(0.45*s*f, 2*minClearM)) ||
					!g.fits(&tr, seat, p, math.Max(0.1*s*f, minClearM), math.Max(2*math.Pi/180*f, minRayAngle)) {
					continue
				}
				offices = append(offices, p)
				tr.segs = append(tr.segs, [2]orb.Point{seat, p})
				g.c.Villages = append(g.c.Villages, demo.Village{Code: v.code, Name: v.name, TownshipCode: tw.code,
					Kind: v.kind, Office: p})
				g.units = append(g.units, unit{town: t, community: v.kind == demo.KindCommunity,
					remote: g.m.dist(p, g.seats[g.city])})
				placed = true
			}
			if !placed {
				return errLayout(g.in, fmt.Sprintf("village %s %s in township %s", v.code, v.name, tw.name))
			}
		}
	}
	return nil
}

// choosePoor marks quota 行政村 as poor, the remote ones first (distance to
// the county seat with ±40% jitter), and draws every unit's people: 行政村
// 1,000–3,600, 社区 2,000–8,000, 3.2 people a household; a poor village has
// 12–28% of its people 建档立卡, 2.9 to a household.
func (g *county) choosePoor(r *rand.Rand, quota int) {
	type cand struct {
		i     int
		score float64
	}
	var cands []cand
	for i, u := range g.units {
		if !u.community {
			cands = append(cands, cand{i, u.remote * uniform(r, 0.6, 1.4)})
		}
	}
	slices.SortStableFunc(cands, func(a, b cand) int { return -cmp.Compare(a.score, b.score) })
	for _, c := range cands[:min(quota, len(cands))] {
		g.c.Villages[c.i].IsPoor = true
	}
	for i := range g.units {
		v := &g.c.Villages[i]
		switch {
		case g.units[i].community:
			v.Population = between(r, 2000, 8000)
		case v.IsPoor:
			v.Population = between(r, 1000, 3000)
		default:
			v.Population = between(r, 1200, 3600)
		}
		v.Households = int(math.Round(float64(v.Population) / 3.2))
		if v.IsPoor {
			v.PoorPopulation = int(math.Round(float64(v.Population) * uniform(r, 0.12, 0.28)))
			v.PoorHouseholds = max(1, int(math.Round(float64(v.PoorPopulation)/2.9)))
		}
	}
}

var groupNames = []string{"一组", "二组", "三组", "四组", "五组"}

// placeGroups gives every 行政村 2–5 村民组, each at the end of a straight
// 通组路 from its office, in the township's shrunk cell. A group that cannot
// be placed after the rules have relaxed is left out (rare; counted in the
// tests).
func (g *county) placeGroups(r *rand.Rand) {
	s := g.spacing
	trunk := g.trunkRoads()
	first := 0
	for t := range g.in.towns {
		last := first
		for last < len(g.units) && g.units[last].town == t {
			last++
		}
		tr := townRoads{segs: slices.Clone(trunk.segs)}
		var pts []orb.Point // offices and groups of the township
		for i := first; i < last; i++ {
			tr.segs = append(tr.segs, [2]orb.Point{g.seats[t], g.c.Villages[i].Office})
			pts = append(pts, g.c.Villages[i].Office)
		}
		for i := first; i < last; i++ {
			if g.units[i].community {
				continue
			}
			parent := g.c.Villages[i]
			n := between(r, 2, 5)
			left := parent.Households
			for k := 0; k < n; k++ {
				p, ok := g.groupSite(r, &tr, pts, parent.Office, t, s)
				if !ok {
					continue
				}
				hh := max(10, min(between(r, 25, 90), left-25*(n-k-1)))
				left -= hh
				pts = append(pts, p)
				tr.segs = append(tr.segs, [2]orb.Point{parent.Office, p})
				g.units[i].groups = append(g.units[i].groups, -1-len(g.units[i].groups)) // indexes fixed below
				g.pendingGroups = append(g.pendingGroups, demo.Village{Name: groupNames[len(g.units[i].groups)-1],
					TownshipCode: parent.TownshipCode, Kind: demo.KindGroup, ParentCode: parent.Code, Office: p,
					Households: hh, Population: int(math.Round(3.3 * float64(hh)))})
			}
		}
		first = last
	}
	// 村民组 go after every 行政村/社区.
	base := len(g.c.Villages)
	k := 0
	for i := range g.units {
		for j := range g.units[i].groups {
			g.units[i].groups[j] = base + k
			k++
		}
	}
	g.c.Villages = append(g.c.Villages, g.pendingGroups...)
	g.pendingGroups = nil
}

// groupSite draws a 村民组 point 0.12–0.45 spacings from the office with a
// road from the office that fits.
func (g *county) groupSite(r *rand.Rand, tr *townRoads, pts []orb.Point, office orb.Point, t int, s float64) (orb.Point, bool) {
	f := 1.0
	for try := 0; try < 600; try++ {
		if try%100 == 99 {
			f *= 0.7
		}
		p := g.m.polar(office, uniform(r, 0.12, 0.45)*s*math.Max(f, 0.3), angle(r))
		if !g.o.inside(p, groupMargin) || !g.inCell(p, t) {
			continue
		}
		if g.m.within(p, pts, math.Max(0.1*s*f, 2*minClearM)) ||
			!g.fits(tr, office, p, math.Max(0.04*s*f, minClearM), math.Max(25*math.Pi/180*f, minJoinAngle)) {
			continue
		}
		return p, true
	}
	return orb.Point{}, false
}

// ranked returns the units for which keep is true, sorted by key ascending;
// with r, each key is first scaled by a random 0.6–1.4, so that a ranking
// by remoteness leans towards the remote units without being strict.
func (g *county) ranked(r *rand.Rand, keep func(i int) bool, key func(i int) float64) []int {
	var out []int
	keys := make([]float64, len(g.units))
	for i := range g.units {
		if keep(i) {
			out = append(out, i)
			keys[i] = key(i)
			if r != nil {
				keys[i] *= uniform(r, 0.6, 1.4)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b int) int { return cmp.Compare(keys[a], keys[b]) })
	return out
}
