package demo

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/paulmach/orb"
)

// kvaSizes are the standard 10/0.4 kV distribution transformer ratings used.
var kvaSizes = []float64{50, 100, 160, 200, 315, 400}

// buildGrid lays the grid top-down: substations, the 110 kV chain, 35 kV
// spurs, 10 kV feeder trees to every village, then the 台区 (transformers
// and 0.4/0.22 kV lines).
func (g *gen) buildGrid() {
	r := newRNG(streamPower)
	subs := g.placeSubstations(r)
	tx0 := make([]orb.Point, len(g.units)) // each village's first transformer, where its feeder ends
	lv := make([][]orb.LineString, len(g.units))
	for i := range g.units {
		office := g.c.Villages[i].Office
		tx0[i] = g.pointNear(r, office, 20, 150, -1, nil)
		end := g.pointNear(r, tx0[i], 250, 450, -1, g.dry) // 台区 main line past the office
		lv[i] = append(lv[i], wigglePath(r, g.o, tx0[i], end, 150, 20))
		for _, k := range g.units[i].groups {
			lv[i] = append(lv[i], wigglePath(r, g.o, tx0[i], g.c.Villages[k].Office, 300, 30))
		}
	}
	g.chooseSinglePhase(lv)
	g.buildFeeders(r, subs, tx0)
	g.placeTransformers(r, tx0)
	for i, lines := range lv {
		v, u := g.c.Villages[i], g.units[i]
		kv, phases := 0.4, 3
		if u.onePhase {
			kv, phases = 0.22, 1
		}
		for k, ls := range lines {
			name := v.Name + "低压干线"
			if k > 0 {
				name = v.Name + g.c.Villages[u.groups[k-1]].Name + "低压线"
			}
			g.c.PowerLines = append(g.c.PowerLines, PowerLine{Name: name, VoltageKV: kv, Phases: phases, Feeder: u.feeder, Geom: ls})
		}
	}
}

// placeSubstations sites four 110 kV and eight 35 kV substations near the
// seats that would have them, links the 110 kV ones in a chain and feeds
// each 35 kV one from the nearest 110 kV one.
func (g *gen) placeSubstations(r *rand.Rand) []Substation {
	specs := []struct {
		town      string
		kv, secKV float64
	}{ // 110 kV in chain order: north, city, south, east
		{"430682103", 110, 35}, {"430682001", 110, 10}, {"430682107", 110, 10}, {"430682114", 110, 35},
		{"430682105", 35, 10}, {"430682113", 35, 10}, {"430682115", 35, 10}, {"430682101", 35, 10},
		{"430682108", 35, 10}, {"430682109", 35, 10}, {"430682110", 35, 10}, {"430682004", 35, 10},
	}
	var subs []Substation
	var initial []string // first character of each place, for line names such as "110kV 聂临线"
	clearOfOffices := func(p orb.Point) bool {
		for i := range g.units {
			if distM(p, g.c.Villages[i].Office) < 200 {
				return false
			}
		}
		return g.dry(p)
	}
	for _, s := range specs {
		t := g.townIndex(s.town)
		place := short(g.c.Townships[t].Name)
		if t == g.city {
			place = "临湘"
		}
		mva := []float64{40, 50, 63}[r.IntN(3)]
		if s.kv == 35 {
			mva = []float64{5, 6.3, 8, 10, 12.5, 16, 20}[r.IntN(7)]
		}
		subs = append(subs, Substation{Name: fmt.Sprintf("%gkV%s变电站", s.kv, place), VoltageKV: s.kv, SecondaryKV: s.secKV,
			CapacityMVA: mva, Geom: g.pointNear(r, g.seats[t], 600, 1500, t, clearOfOffices)})
		initial = append(initial, string([]rune(place)[0]))
	}
	g.c.Substations = subs
	line := func(kv float64, a, b int) {
		g.c.PowerLines = append(g.c.PowerLines, PowerLine{Name: fmt.Sprintf("%gkV %s%s线", kv, initial[a], initial[b]),
			VoltageKV: kv, Phases: 3, Geom: wigglePath(r, g.o, subs[a].Geom, subs[b].Geom, 2000, 150)})
	}
	for k := 1; k < 4; k++ {
		line(110, k-1, k)
	}
	for k := 4; k < len(subs); k++ {
		best := 0
		for j := 1; j < 4; j++ {
			if distM(subs[k].Geom, subs[j].Geom) < distM(subs[k].Geom, subs[best].Geom) {
				best = j
			}
		}
		line(35, best, k)
	}
	return subs
}

// chooseSinglePhase picks about 10 行政村 (7 of them poor) still on
// single-phase supply. A village qualifies only if no other village's 0.4 kV
// line comes within 500 m of its office, so that it really has no 动力电.
func (g *gen) chooseSinglePhase(lv [][]orb.LineString) {
	isolated := func(i int) bool {
		for j, lines := range lv {
			for _, ls := range lines {
				if j != i && lineDistM(g.c.Villages[i].Office, ls) < 520 {
					return false
				}
			}
		}
		return true
	}
	for _, want := range []struct {
		poor bool
		n    int
	}{{true, 7}, {false, 3}} {
		for _, i := range g.remoteFirst(func(i int) bool {
			return g.c.Villages[i].IsPoor == want.poor && !g.units[i].community
		}) {
			if want.n > 0 && isolated(i) {
				g.units[i].onePhase = true
				want.n--
			}
		}
	}
}

// buildFeeders grows one 10 kV tree per substation over the villages nearest
// to it, nearest first. A village takes a free bay of the substation unless
// the tree is much nearer; each line from a bay starts a feeder named after
// the first village it reaches. With only 4–6 bays the outer villages hang
// off existing feeders, so a few feeders exceed 15 km.
func (g *gen) buildFeeders(r *rand.Rand, subs []Substation, tx0 []orb.Point) {
	nearest := func(i int) int {
		best := 0
		for k := range subs {
			if distM(tx0[i], subs[k].Geom) < distM(tx0[i], subs[best].Geom) {
				best = k
			}
		}
		return best
	}
	used := map[string]bool{}
	for k, s := range subs {
		type node struct {
			p      orb.Point
			feeder string
		}
		nodes, bays := []node{{s.Geom, ""}}, 4
		if s.VoltageKV == 110 {
			bays = 6
		}
		for _, i := range g.unitsBy(func(i int) bool { return nearest(i) == k },
			func(i int) float64 { return distM(tx0[i], s.Geom) }) {
			cands := slices.Clone(nodes[1:])
			slices.SortStableFunc(cands, func(a, b node) int { return cmp.Compare(distM(a.p, tx0[i]), distM(b.p, tx0[i])) })
			// A free bay takes the village unless the tree is much nearer.
			from := nodes[0]
			if len(cands) > 0 && (bays == 0 || distM(s.Geom, tx0[i]) > 3*distM(cands[0].p, tx0[i])) {
				from = cands[0]
			}
			if from.feeder == "" {
				bays--
				from.feeder = "10kV " + short(g.c.Villages[i].Name) + "线"
				for used[from.feeder] {
					from.feeder = from.feeder[:len(from.feeder)-len("线")] + "二线"
				}
				used[from.feeder] = true
			}
			ls := wigglePath(r, g.o, from.p, tx0[i], 800, 60)
			g.c.PowerLines = append(g.c.PowerLines, PowerLine{Name: from.feeder, VoltageKV: 10, Phases: 3,
				Feeder: from.feeder, Geom: ls})
			g.units[i].feeder = from.feeder
			for _, p := range ls[1:] {
				nodes = append(nodes, node{p, from.feeder})
			}
		}
	}
}

// placeTransformers gives every village its 配变 near the office. Most get
// enough capacity for 2.05–2.6 kVA per household; 8 three-phase 行政村 get
// only 1.2–1.9 (the E1 gap), and the single-phase villages one to three
// small single-phase units. Households are shared out by capacity.
func (g *gen) placeTransformers(r *rand.Rand, tx0 []orb.Point) {
	e1 := map[int]bool{}
	for _, i := range g.remoteFirst(func(i int) bool { return !g.units[i].community && !g.units[i].onePhase })[:8] {
		e1[i] = true
	}
	for i, u := range g.units {
		v := g.c.Villages[i]
		hh := float64(v.Households)
		var sizes []float64
		switch {
		case u.onePhase:
			for k := between(r, 1, 3); k > 0; k-- {
				sizes = append(sizes, kvaSizes[r.IntN(2)])
			}
		case e1[i]:
			sizes = fillKVA(hh*uniform(r, 1.2, 1.9), false)
		default:
			sizes = fillKVA(hh*uniform(r, 2.05, 2.6), true)
		}
		total := 0.0
		for _, s := range sizes {
			total += s
		}
		shares := make([]float64, len(sizes))
		for k, s := range sizes {
			shares[k] = s / total * hh
		}
		served := Apportion(shares, v.Households)
		for k, s := range sizes {
			tr := Transformer{Name: v.Name + strconv.Itoa(k+1) + "#配变", KVA: s, PrimaryKV: 10, SecondaryKV: 0.4, Phases: 3,
				HouseholdsServed: served[k], Feeder: u.feeder, VillageCode: v.Code, Geom: tx0[i]}
			if k > 0 {
				tr.Geom = g.pointNear(r, v.Office, 20, 150, -1, nil)
			}
			if u.onePhase {
				tr.SecondaryKV, tr.Phases = 0.22, 1
			}
			g.c.Transformers = append(g.c.Transformers, tr)
		}
	}
}

// fillKVA picks standard ratings summing to at least target (up) or at most
// target (down, never below one 50 kVA unit): 400 kVA units, then the
// smallest (up) or largest (down) rating for the rest.
func fillKVA(target float64, up bool) []float64 {
	var out []float64
	for target >= 400 {
		out = append(out, 400)
		target -= 400
	}
	var last float64
	for _, s := range kvaSizes {
		if up && s >= target && last == 0 {
			last = s
		}
		if !up && s <= target {
			last = s
		}
	}
	if last > 0 && (up || target >= 50) {
		out = append(out, last)
	}
	if len(out) == 0 {
		out = append(out, 50)
	}
	return out
}

// Apportion rounds shares to integers summing to total (largest remainder,
// ties to the lower index).
func Apportion(shares []float64, total int) []int {
	out := make([]int, len(shares))
	left := total
	for k, s := range shares {
		out[k] = int(math.Floor(s))
		left -= out[k]
	}
	order := make([]int, len(shares))
	for k := range order {
		order[k] = k
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return -cmp.Compare(shares[a]-math.Floor(shares[a]), shares[b]-math.Floor(shares[b]))
	})
	for k := 0; left > 0 && len(order) > 0; k = (k + 1) % len(order) {
		out[order[k]]++
		left--
	}
	return out
}
