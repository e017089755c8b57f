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

// kvaSizes are the standard 10/0.4 kV distribution transformer ratings, ascending.
var kvaSizes = []float64{50, 80, 100, 160, 200, 250, 315, 400}

// Shares of units that get each planted grid gap or upgrade, and the grid's
// density.
const (
	upgradeBudget      = 0.07 // extra transformers of upgraded villages, per unit: keeps ≈1 transformer a unit
	weakShare          = 0.12 // 行政村 whose one transformer is far too small (poor villages: weakSharePoor)
	weakSharePoor      = 0.22
	onePhaseShare      = 0.03 // 行政村 left on single-phase supply, 70% of them poor
	onePhaseClearM     = 520  // no other village's three-phase supply this near a single-phase office
	townsPerSubstation = 1.5  // Hunan has about 1,700 35/110 kV substations for 1,900 townships
)

// substation is a 35 or 110 kV station with the 10 kV bays it has left.
type substation struct {
	p    orb.Point
	bays int
}

// feeder is a 10 kV feeder being grown: its id (also its Feeder field),
// display name, length so far and the length past which a new village
// rather takes a free bay.
type feeder struct {
	id, name   string
	lenM, capM float64
}

// lvPlan is a low-voltage line before its phases are known.
type lvPlan struct {
	unit int
	a, b orb.Point
	name string
}

// planGrid lays the grid top-down: substations and the 35/110 kV lines
// between them, each unit's transformers and low-voltage lines, the
// single-phase villages, then the 10 kV feeder trees from the substations
// to every transformer. The feeders stay straight lines until emitPower;
// the other lines are final here.
func (g *county) planGrid(r *rand.Rand) {
	subs := g.placeSubstations(r)
	g.sizeTransformers(r)
	lv := g.planLowVoltage(r)
	g.chooseSinglePhase(r, lv)
	g.growFeeders(r, subs)
	g.addTransformers()

	pts := make([]orb.Point, 0, 2*len(lv)) // one backing array for every low-voltage line
	for _, l := range lv {
		pts = append(pts, l.a, l.b)
	}
	g.lv = make([]demo.PowerLine, len(lv))
	for k, l := range lv {
		u := g.units[l.unit]
		kv, phases := 0.4, 3
		if u.onePhase {
			kv, phases = 0.22, 1
		}
		g.lv[k] = demo.PowerLine{Name: l.name, VoltageKV: kv, Phases: phases, Feeder: u.feeder,
			Geom: orb.LineString(pts[2*k : 2*k+2 : 2*k+2])}
	}
}

// placeSubstations gives one substation to every townsPerSubstation
// townships, by the county seat and then by the seats farthest from those
// chosen so far, so that they spread. The first and every third after it
// are 110 kV, the rest 35 kV. The 110 kV stations are linked along their minimum spanning
// tree and each 35 kV one by a line from the nearest 110 kV one.
func (g *county) placeSubstations(r *rand.Rand) []substation {
	n := max(1, int(math.Round(float64(len(g.seats))/townsPerSubstation)))
	hosts := []int{g.city}
	gap := make([]float64, len(g.seats)) // metres from each seat to the nearest host
	for t := range gap {
		gap[t] = g.m.dist(g.seats[t], g.seats[g.city])
	}
	for len(hosts) < n {
		far := 0
		for t := range gap {
			if gap[t] > gap[far] {
				far = t
			}
		}
		hosts = append(hosts, far)
		for t := range gap {
			gap[t] = math.Min(gap[t], g.m.dist(g.seats[t], g.seats[far]))
		}
	}

	clear := func(p orb.Point) bool { return g.clearOfOffices(p, 200) }
	var high, low []int // indexes of 110 and 35 kV stations
	subs := make([]substation, len(hosts))
	initial := make([]string, len(hosts)) // first character of each place, for line names such as "110kV 聂临线"
	for k, t := range hosts {
		place := shortName(g.in.towns[t].name)
		if t == g.city {
			place = countyShort(g.in.name)
		}
		initial[k] = string([]rune(place)[:1])
		s := demo.Substation{VoltageKV: 35, SecondaryKV: 10, CapacityMVA: []float64{5, 6.3, 8, 10, 12.5, 16, 20}[r.IntN(7)],
			Geom: g.near(r, g.seats[t], 600, 1500, clear)}
		subs[k] = substation{p: s.Geom, bays: between(r, 6, 10)}
		if k%3 == 0 {
			s.VoltageKV, s.CapacityMVA = 110, []float64{40, 50, 63}[r.IntN(3)]
			subs[k].bays = between(r, 10, 16)
			high = append(high, k)
		} else {
			low = append(low, k)
		}
		s.Name = fmt.Sprintf("%gkV%s变电站", s.VoltageKV, place)
		g.c.Substations = append(g.c.Substations, s)
	}
	hv := func(kv float64, a, b int) {
		g.c.PowerLines = append(g.c.PowerLines, demo.PowerLine{Name: fmt.Sprintf("%gkV %s%s线", kv, initial[a], initial[b]),
			VoltageKV: kv, Phases: 3, Geom: orb.LineString{subs[a].p, subs[b].p}})
	}
	// Prim's algorithm over the 110 kV stations.
	in := []int{high[0]}
	for len(in) < len(high) {
		a, b, best := -1, -1, math.Inf(1)
		for _, x := range in {
			for _, y := range high {
				if d := g.m.dist(subs[x].p, subs[y].p); !slices.Contains(in, y) && d < best {
					a, b, best = x, y, d
				}
			}
		}
		hv(110, a, b)
		in = append(in, b)
	}
	for _, k := range low {
		from := high[0]
		for _, h := range high {
			if g.m.dist(subs[k].p, subs[h].p) < g.m.dist(subs[k].p, subs[from].p) {
				from = h
			}
		}
		hv(35, from, k)
		g.c.Substations[from].SecondaryKV = 35
	}
	return subs
}

// clearOfOffices reports whether p is at least m metres from every office.
func (g *county) clearOfOffices(p orb.Point, m float64) bool {
	for i := range g.units {
		if g.m.dist(p, g.c.Villages[i].Office) < m {
			return false
		}
	}
	return true
}

// sizeTransformers sites each unit's first transformer by its office and
// sizes its transformers. Most units have one, sized at 0.45–0.95 kVA a
// household (capped at 400 kVA, so large units fall lower): the E1 gap of
// the 2016 baseline. The weak ones get 0.12–0.4. Upgraded villages —
// non-poor 行政村 nearest the county seat, within upgradeBudget extra
// transformers — get 2.05–2.4 kVA a household over several transformers,
// which pass E1.
func (g *county) sizeTransformers(r *rand.Rand) {
	budget := int(upgradeBudget * float64(len(g.units)))
	for _, i := range g.ranked(r, func(i int) bool { return !g.units[i].community && !g.c.Villages[i].IsPoor },
		func(i int) float64 { return g.units[i].remote }) {
		need := float64(g.c.Villages[i].Households) * uniform(r, 2.05, 2.4)
		n := int(math.Ceil(need / 400))
		if n-1 > budget {
			continue
		}
		budget -= n - 1
		g.units[i].upgraded = true
		g.units[i].kva = slices.Repeat([]float64{ratingAtLeast(need / float64(n))}, n)
	}
	for i := range g.units {
		u, v := &g.units[i], g.c.Villages[i]
		u.tx = g.near(r, v.Office, 20, 150, nil)
		if u.upgraded {
			continue
		}
		share := weakShare
		if v.IsPoor {
			share = weakSharePoor
		}
		perHH := uniform(r, 0.45, 0.95)
		if !u.community && r.Float64() < share {
			perHH = uniform(r, 0.12, 0.4) // weak: far too small for its households
		}
		u.kva = []float64{ratingAtMost(perHH * float64(v.Households))}
	}
}

// ratingAtMost is the largest standard rating not above kva (at least the
// smallest rating); ratingAtLeast the smallest not below it (at most the
// largest).
func ratingAtMost(kva float64) float64 {
	k, _ := slices.BinarySearch(kvaSizes, kva+1e-9)
	return kvaSizes[max(0, k-1)]
}

func ratingAtLeast(kva float64) float64 {
	k, _ := slices.BinarySearch(kvaSizes, kva-1e-9)
	return kvaSizes[min(len(kvaSizes)-1, k)]
}

// planLowVoltage sites the upgraded villages' further transformers at their
// largest 村民组 (the rest, if any, by the office) and draws every unit's
// 0.4 kV lines: a main from the first transformer out past the office, and
// a line to each 村民组 from the village's transformer nearest to it.
func (g *county) planLowVoltage(r *rand.Rand) []lvPlan {
	lv := make([]lvPlan, 0, len(g.c.Villages))
	for i := range g.units {
		u, v := &g.units[i], g.c.Villages[i]
		name := shortName(v.Name)
		groups := slices.Clone(u.groups)
		slices.SortStableFunc(groups, func(a, b int) int { return g.c.Villages[b].Households - g.c.Villages[a].Households })
		for k := 1; k < len(u.kva); k++ {
			at, minM, maxM := v.Office, 150.0, 400.0
			if k-1 < len(groups) {
				at, minM, maxM = g.c.Villages[groups[k-1]].Office, 20, 80
			}
			u.extra = append(u.extra, g.near(r, at, minM, maxM, nil))
		}
		lv = append(lv, lvPlan{unit: i, a: u.tx, b: g.near(r, u.tx, 250, 450, nil), name: name + "低压干线"})
		for _, k := range u.groups {
			grp := g.c.Villages[k]
			from := u.tx
			for _, p := range u.extra {
				if g.m.dist(p, grp.Office) < g.m.dist(from, grp.Office) {
					from = p
				}
			}
			lv = append(lv, lvPlan{unit: i, a: from, b: grp.Office, name: name + grp.Name + "低压线"})
		}
	}
	return lv
}

// chooseSinglePhase leaves about onePhaseShare of the 行政村, the remote ones
// and 70% of them poor, on single-phase supply with one small transformer.
// A village qualifies only if no other village's three-phase transformer or
// line comes within onePhaseClearM of its office, so that it really has no
// 动力电 (E2).
func (g *county) chooseSinglePhase(r *rand.Rand, lv []lvPlan) {
	admin := 0
	for _, u := range g.units {
		if !u.community {
			admin++
		}
	}
	target := int(math.Round(onePhaseShare * float64(admin)))
	isolated := func(i int) bool {
		o := g.c.Villages[i].Office
		for _, l := range lv {
			if l.unit != i && !g.units[l.unit].onePhase && g.m.segDist(o, l.a, l.b) < onePhaseClearM {
				return false
			}
		}
		for _, u := range g.units { // transformers by an office need not end a line
			for _, p := range u.extra {
				if g.m.dist(o, p) < onePhaseClearM {
					return false
				}
			}
		}
		return true
	}
	for _, want := range []struct {
		poor bool
		n    int
	}{{true, int(math.Round(0.7 * float64(target)))}, {false, target - int(math.Round(0.7*float64(target)))}} {
		for _, i := range g.ranked(nil, func(i int) bool {
			u := g.units[i]
			return !u.community && !u.upgraded && g.c.Villages[i].IsPoor == want.poor
		}, func(i int) float64 { return -g.units[i].remote }) {
			if want.n == 0 {
				break
			}
			if isolated(i) {
				g.units[i].onePhase = true
				g.units[i].kva = []float64{kvaSizes[r.IntN(2)]}
				want.n--
			}
		}
	}
}

// growFeeders grows a 10 kV tree from each substation over the units whose
// first transformer is nearest to it, nearest first. A unit joins the
// nearest transformer already fed, unless a bay is free and the substation
// is about as near, or the feeder there has reached its cap; then it starts
// a new feeder from a bay. Caps are 6–13 km for most feeders and 16–32 km
// for a quarter of them, and a substation out of bays loads its feeders
// past their caps, so that E4 (feeder ≤15 km) fails for a realistic share:
// about a third of the units in the whole province.
// Each feeder is named after the first unit it reaches.
func (g *county) growFeeders(r *rand.Rand, subs []substation) {
	served := make([][]int, len(subs))
	for i, u := range g.units {
		best := 0
		for k := range subs {
			if g.m.dist(u.tx, subs[k].p) < g.m.dist(u.tx, subs[best].p) {
				best = k
			}
		}
		served[best] = append(served[best], i)
	}
	used := names{}
	var fs []feeder
	for k, s := range subs {
		type node struct {
			p orb.Point
			f int
		}
		var nodes []node
		slices.SortStableFunc(served[k], func(a, b int) int {
			return cmp.Compare(g.m.dist(g.units[a].tx, s.p), g.m.dist(g.units[b].tx, s.p))
		})
		for _, i := range served[k] {
			u := &g.units[i]
			// The nearest fed transformer, and the nearest one whose feeder
			// stays within its cap.
			near, within := -1, -1
			for k, n := range nodes {
				d := g.m.dist(n.p, u.tx)
				if near < 0 || d < g.m.dist(nodes[near].p, u.tx) {
					near = k
				}
				if fs[n.f].lenM+d <= fs[n.f].capM && (within < 0 || d < g.m.dist(nodes[within].p, u.tx)) {
					within = k
				}
			}
			from, f := s.p, -1
			switch {
			case within >= 0 && (near == within || g.m.dist(nodes[within].p, u.tx) < 1.6*g.m.dist(nodes[near].p, u.tx)):
				from, f = nodes[within].p, nodes[within].f
			case near >= 0 && s.bays <= 0:
				from, f = nodes[near].p, nodes[near].f
			}
			if f < 0 || s.bays > 0 && g.m.dist(s.p, u.tx) < 0.8*g.m.dist(from, u.tx) {
				s.bays--
				name := used.unique("10kV "+shortName(g.c.Villages[i].Name), "线")
				capM := uniform(r, 6000, 13000)
				if r.IntN(4) == 0 {
					capM = uniform(r, 16000, 32000)
				}
				// The county code keeps feeder ids unique across counties: E4
				// sums a feeder's lines by this id over the whole database.
				fs = append(fs, feeder{id: g.in.code + " " + name, name: name, capM: capM})
				from, f = s.p, len(fs)-1
			}
			u.feeder = fs[f].id
			g.addFeederLine(&fs[f], from, u.tx)
			nodes = append(nodes, node{u.tx, f})
			for _, p := range u.extra {
				g.addFeederLine(&fs[f], u.tx, p)
			}
		}
	}
}

func (g *county) addFeederLine(f *feeder, a, b orb.Point) {
	d := g.m.dist(a, b)
	f.lenM += d
	g.feeders = append(g.feeders, straight{a: a, b: b, lengthM: d,
		power: demo.PowerLine{Name: f.name, VoltageKV: 10, Phases: 3, Feeder: f.id}})
}

// addTransformers writes each unit's transformers, sharing its households
// among them by capacity.
func (g *county) addTransformers() {
	for i, u := range g.units {
		v := g.c.Villages[i]
		total := 0.0
		for _, s := range u.kva {
			total += s
		}
		shares := make([]float64, len(u.kva))
		for k, s := range u.kva {
			shares[k] = s / total * float64(v.Households)
		}
		served := demo.Apportion(shares, v.Households)
		for k, s := range u.kva {
			t := demo.Transformer{Name: fmt.Sprintf("%s%d#配变", shortName(v.Name), k+1), KVA: s, PrimaryKV: 10,
				SecondaryKV: 0.4, Phases: 3, HouseholdsServed: served[k], Feeder: u.feeder, VillageCode: v.Code, Geom: u.tx}
			if k > 0 {
				t.Geom = u.extra[k-1]
			}
			if u.onePhase {
				t.SecondaryKV, t.Phases = 0.22, 1
			}
			g.c.Transformers = append(g.c.Transformers, t)
		}
	}
}

// fixedPowerRows is the number of power-line rows whose count does not
// depend on the feeder segment length: the 35/110 kV and low-voltage lines.
func (g *county) fixedPowerRows() int { return len(g.c.PowerLines) + len(g.lv) }

// emitPower cuts the 10 kV lines into segments of about segLen metres and
// writes them after the 35/110 kV lines, followed by the low-voltage lines.
func (g *county) emitPower(segLen float64) {
	cuts, pts := slab(newRNG(g.in.code, streamGrid+100), g.feeders, segLen)
	out := slices.Grow(g.c.PowerLines, countPieces(cuts)+len(g.lv))
	eachPiece(cuts, pts, func(i, _, _ int, ls orb.LineString) {
		l := g.feeders[i].power
		l.Geom = ls
		out = append(out, l)
	})
	g.c.PowerLines = append(out, g.lv...)
}
