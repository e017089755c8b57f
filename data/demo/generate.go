package demo

import (
	"bytes"
	"cmp"
	_ "embed"
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

//go:embed linxiang_townships_2023.csv
var townshipsCSV []byte

//go:embed linxiang_villages_2023.csv
var villagesCSV []byte

// profileJSON is 临湘's own profile: its 十三五 plan's targets (seed 000).
//
//go:embed profile.json
var profileJSON []byte

const (
	countyCode = "430682"
	countyName = "临湘市"
	seatTown   = "430682001" // 长安街道 holds the county seat

	poorVillages   = 26
	poorPopulation = 14895 // 建档立卡 poor people in the 26 poor villages

	rngSeed = 0x6761706d6170 // "gapmap"
)

// RNG streams: each layer draws from its own PCG stream, so that tuning one
// layer does not reshuffle the layers after it.
const (
	streamVillages = iota + 1
	streamPoor
	streamRoads
	streamGroups
	streamBridges
	streamBusStops
	streamReservoirs
	streamWater
	streamPower
	streamPV
	streamTourism
)

func newRNG(stream uint64) *rand.Rand { return rand.New(rand.NewPCG(rngSeed, stream)) }

// seatLayout places each township seat roughly where the real one lies: the
// four 街道 round the city in the middle-west, 江南 and 黄盖 by the Yangtze in
// the north, 羊楼司 and 詹桥 in the east and south-east, 桃林 and 白羊田 in
// the south, 忠防 in the south-west and 坦渡 in the west.
var seatLayout = map[string]orb.Point{
	"430682001": {113.455, 29.475}, // 长安街道, county seat
	"430682003": {113.428, 29.458}, // 桃矿街道
	"430682004": {113.488, 29.497}, // 五里牌街道
	"430682005": {113.433, 29.503}, // 云湖街道
	"430682101": {113.432, 29.360}, // 忠防镇
	"430682103": {113.565, 29.662}, // 聂市镇
	"430682105": {113.520, 29.772}, // 江南镇
	"430682107": {113.510, 29.272}, // 桃林镇
	"430682108": {113.628, 29.535}, // 长塘镇
	"430682109": {113.548, 29.388}, // 白羊田镇
	"430682110": {113.618, 29.322}, // 詹桥镇
	"430682113": {113.432, 29.732}, // 黄盖镇
	"430682114": {113.668, 29.432}, // 羊楼司镇
	"430682115": {113.412, 29.600}, // 坦渡镇
}

// expresswayGuide is the alignment of G4 through the west of the county,
// between the two points where it leaves the outline. Villages keep clear of
// it on its east side, so no village road ever has to cross it.
var expresswayGuide = []orb.Point{
	{113.386, 29.700}, {113.369, 29.600}, {113.366, 29.500}, {113.378, 29.400}, {113.404, 29.300},
}

// Generate returns the demo county. It is deterministic: every call returns
// a deeply equal value.
func Generate() *County {
	g := newGen()
	g.placeVillages()
	g.buildRoads()
	g.placeGroups()
	g.placeBridges()
	g.placeBusStops()
	g.placeReservoirs()
	g.buildWater()
	g.buildGrid()
	g.placePV()
	g.placeTourism()
	g.c.Profile = profileJSON
	return g.c
}

// gen carries the county under construction plus the bookkeeping that later
// layers need but the output types do not hold.
type gen struct {
	c         *County
	o         outline
	seats     []orb.Point
	city      int          // township index of the county seat
	units     []unit       // one per 行政村/社区, parallel to c.Villages[:len(units)]
	exwy      []orb.Point  // expressway guide including its two end points
	idx       *segIndex    // every road segment
	trunk     []orb.Point  // vertices of hardened trunk roads (not the expressway)
	groupOf   map[int]bool // c.Villages indexes that are 村民组 (filled by placeGroups)
	resBounds []orb.Bound  // bounds of c.Reservoirs, for quick point tests
}

// unit is the bookkeeping for one 行政村 or 社区.
type unit struct {
	town      int
	community bool
	remote    float64     // metres from its township seat
	verts     []orb.Point // own road vertices (office included) that 通组路 may join
	access    []int       // c.Roads indexes of its access road, join side first
	groups    []int       // c.Villages indexes of its 村民组
	gap       bool        // access only over 砂石/土
	noStop    bool        // kept ≥1 km from any bus stop
	farStop   bool        // nearest bus stop 1–1.5 km away
	unserved  bool        // no water works and no main within 2 km
	feeder    string
	onePhase  bool
}

func newGen() *gen {
	g := &gen{c: &County{Code: countyCode, Name: countyName}, groupOf: map[int]bool{}}
	ring := countyRing()
	g.c.Outline = orb.MultiPolygon{{ring}}
	g.o = newOutline(ring)
	g.idx = newSegIndex(ring.Bound())
	for _, row := range readCSV(townshipsCSV) {
		seat, ok := seatLayout[row[0]]
		if !ok {
			panic("demo: no seat layout for township " + row[0])
		}
		if row[0] == seatTown {
			g.city = len(g.seats)
		}
		g.c.Townships = append(g.c.Townships, Township{Code: row[0], Name: row[1], Seat: seat})
		g.seats = append(g.seats, seat)
	}
	first, last := expresswayGuide[0], expresswayGuide[len(expresswayGuide)-1]
	g.exwy = append([]orb.Point{g.o.exit(expresswayGuide[1], first, 300)}, expresswayGuide...)
	g.exwy = append(g.exwy, g.o.exit(expresswayGuide[len(expresswayGuide)-2], last, 300))
	return g
}

// countyRing is the synthetic outline: a superellipse (rounder than an
// ellipse, so the corners hold townships) whose radius is modulated by two
// sines of at most 8.5% so it does not look machine-made. It is star-shaped
// about the centre, hence simple, and its vertices run counter-clockwise.
func countyRing() orb.Ring {
	const n, a, b, p = 60, 0.19, 0.29, 2.6
	centre := orb.Point{113.525, 29.52}
	ring := make(orb.Ring, 0, n+1)
	for k := 0; k < n; k++ {
		th := 2 * math.Pi * float64(k) / n
		c, s := math.Cos(th), math.Sin(th)
		r := math.Pow(math.Pow(math.Abs(c/a), p)+math.Pow(math.Abs(s/b), p), -1/p)
		r *= 1 + 0.05*math.Sin(3*th+2.2) + 0.035*math.Sin(5*th+0.4)
		ring = append(ring, orb.Point{centre[0] + r*c, centre[1] + r*s})
	}
	return append(ring, ring[0])
}

func readCSV(b []byte) [][]string {
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		panic("demo: embedded CSV: " + err.Error())
	}
	return rows[1:] // drop the header
}

func (g *gen) townIndex(code string) int {
	for i, t := range g.c.Townships {
		if t.Code == code {
			return i
		}
	}
	panic("demo: unknown township " + code)
}

// short drops the administrative suffix: "聂市镇" → "聂市", "梅池村" → "梅池".
func short(name string) string {
	for _, suf := range []string{"街道", "社区", "镇", "村"} {
		if s, ok := strings.CutSuffix(name, suf); ok {
			return s
		}
	}
	return name
}

// inCell applies the loader's township rule with a safety factor: p must be
// at least 10% nearer (in degree space, as PostGIS computes the Voronoi
// cells) to seat t than to any other seat.
func (g *gen) inCell(p orb.Point, t int) bool {
	d := planar.Distance(p, g.seats[t])
	for j, s := range g.seats {
		if j != t && d >= 0.9*planar.Distance(p, s) {
			return false
		}
	}
	return true
}

// settleable reports whether a village or 村民组 may sit at p in township t:
// well inside the outline, in its own cell, and east of the expressway.
func (g *gen) settleable(p orb.Point, t int) bool {
	if !g.o.contains(p, 0.005) || !g.inCell(p, t) || lineDistM(p, g.exwy) < 900 {
		return false
	}
	for i := 1; i < len(g.exwy); i++ { // west of the expressway?
		a, b := g.exwy[i-1], g.exwy[i]
		if (a[1]-p[1])*(b[1]-p[1]) <= 0 {
			return p[0] > a[0]+(p[1]-a[1])/(b[1]-a[1])*(b[0]-a[0])
		}
	}
	return true
}

// placeVillages places every 行政村/社区 of the code list in its township
// cell, then picks the poor villages and sets the population figures.
func (g *gen) placeVillages() {
	r := newRNG(streamVillages)
	for _, row := range readCSV(villagesCSV) {
		t := g.townIndex(row[2])
		kind := KindAdministrative
		if strings.HasSuffix(row[1], "社区") {
			kind = KindCommunity
		}
		office := g.sampleOffice(r, t, kind == KindCommunity, row[1])
		g.c.Villages = append(g.c.Villages, Village{
			Code: row[0], Name: row[1], TownshipCode: row[2], Kind: kind, Office: office,
		})
		g.units = append(g.units, unit{town: t, community: kind == KindCommunity, remote: distM(office, g.seats[t])})
	}
	g.choosePoor(newRNG(streamPoor))
	for i := range g.units {
		v := &g.c.Villages[i]
		switch {
		case g.units[i].community:
			v.Population = between(r, 3000, 9000)
		case v.IsPoor:
			v.Population = between(r, 1800, 3600)
		default:
			v.Population = between(r, 1500, 4000)
		}
		v.Households = int(math.Round(float64(v.Population) / 3.2))
	}
}

// sampleOffice draws 村委会 points that satisfy the township rule and keep
// 700 m from other offices (300 m between two 社区). 社区 stay within 3 km of
// the seat; a 行政村 takes the best of six valid draws 1–14 km out — the one
// farthest from the offices so far — which spreads villages over the
// township the way fields and hamlets are, instead of in random clumps.
func (g *gen) sampleOffice(r *rand.Rand, t int, community bool, name string) orb.Point {
	var best orb.Point
	bestGap, found := -1.0, 0
	for try := 0; try < 50000; try++ {
		var p orb.Point
		if community {
			p = polarM(g.seats[t], uniform(r, 400, 2800), angle(r))
		} else {
			p = polarM(g.seats[t], math.Sqrt(uniform(r, 1.2e6, 196e6)), angle(r))
		}
		if !g.settleable(p, t) {
			continue
		}
		gap := math.Inf(1)
		for i, v := range g.c.Villages {
			need, d := 700.0, distM(p, v.Office)
			if community && g.units[i].community {
				need = 300
			}
			if d < need {
				gap = -1
				break
			}
			gap = math.Min(gap, d)
		}
		if gap < 0 {
			continue
		}
		if gap > bestGap {
			best, bestGap = p, gap
		}
		if found++; community || found == 6 {
			return best
		}
	}
	panic(fmt.Sprintf("demo: cannot place %s in %s", name, g.c.Townships[t].Name))
}

// choosePoor marks exactly 26 行政村 as poor: the most remote 行政村 of each
// eligible township first (so every one has a poor village), then the rest
// by remoteness with random jitter. 黄盖镇 and 桃矿街道 have none, as in the
// county plan. Poor populations are drawn in 350–800 and nudged to sum to
// exactly 14,895.
func (g *gen) choosePoor(r *rand.Rand) {
	excluded := map[string]bool{"430682113": true, "430682003": true}
	var picked, rest []int
	score := make([]float64, len(g.units))
	for t, tw := range g.c.Townships {
		if excluded[tw.Code] {
			continue
		}
		best := -1
		for i, u := range g.units {
			if u.town != t || u.community {
				continue
			}
			score[i] = u.remote * uniform(r, 0.6, 1.4)
			if best < 0 || u.remote > g.units[best].remote {
				best = i
			}
			rest = append(rest, i)
		}
		picked = append(picked, best)
	}
	rest = slices.DeleteFunc(rest, func(i int) bool { return slices.Contains(picked, i) })
	slices.SortStableFunc(rest, func(a, b int) int { return -cmp.Compare(score[a], score[b]) })
	picked = append(picked, rest[:poorVillages-len(picked)]...)
	slices.Sort(picked)

	pops := make([]int, len(picked))
	for k := range pops {
		pops[k] = between(r, 350, 800)
	}
	nudgeSum(pops, poorPopulation, 350, 800)
	for k, i := range picked {
		v := &g.c.Villages[i]
		v.IsPoor = true
		v.PoorPopulation = pops[k]
		v.PoorHouseholds = int(math.Round(float64(pops[k]) / 2.8))
	}
}

// nudgeSum moves the values of xs one unit at a time, round-robin and within
// [lo, hi], until they sum to target.
func nudgeSum(xs []int, target, lo, hi int) {
	sum := 0
	for _, x := range xs {
		sum += x
	}
	for k := 0; sum != target; k = (k + 1) % len(xs) {
		switch {
		case sum < target && xs[k] < hi:
			xs[k]++
			sum++
		case sum > target && xs[k] > lo:
			xs[k]--
			sum--
		}
	}
}

// unitsBy returns the unit indexes for which keep is true, sorted by key
// ascending (ties keep code order).
func (g *gen) unitsBy(keep func(i int) bool, key func(i int) float64) []int {
	var out []int
	for i := range g.units {
		if keep(i) {
			out = append(out, i)
		}
	}
	slices.SortStableFunc(out, func(a, b int) int { return cmp.Compare(key(a), key(b)) })
	return out
}

// remoteFirst returns the units for which keep is true, farthest from their
// seat first: gaps are planted in the remote villages, as in reality.
func (g *gen) remoteFirst(keep func(i int) bool) []int {
	return g.unitsBy(keep, func(i int) float64 { return -g.units[i].remote })
}

// pointNear draws a point minM–maxM metres from c that is inside the outline
// and, when t ≥ 0, in township t's cell; ok rejects further candidates.
func (g *gen) pointNear(r *rand.Rand, c orb.Point, minM, maxM float64, t int, ok func(orb.Point) bool) orb.Point {
	for try := 0; try < 5000; try++ {
		p := polarM(c, uniform(r, minM, maxM), angle(r))
		if g.o.contains(p, 0.002) && (t < 0 || g.inCell(p, t)) && (ok == nil || ok(p)) {
			return p
		}
	}
	panic(fmt.Sprintf("demo: no point %.0f–%.0f m from %v", minM, maxM, c))
}
