package demo

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/paulmach/orb"
)

// namer hands out unique synthetic place names ("石冲水库", "枫湾桥") from a
// syllable stock; a counter takes over should the stock run short.
type namer struct {
	r    *rand.Rand
	used map[string]bool
	n    int
}

var (
	nameHeads = []rune("龙凤石竹桃枫松柏杨梅金银青白黄红马牛鹿鹤花茶桐荷兰泉云月星")
	nameTails = []rune("山冲湾塘坪岭垅坡溪港畈洞坳源家口湖田")
)

func newNamer(r *rand.Rand, reserved ...string) *namer {
	n := &namer{r: r, used: map[string]bool{}}
	for _, s := range reserved {
		n.used[s] = true
	}
	return n
}

func (n *namer) next(suffix string) string {
	for try := 0; ; try++ {
		name := string(nameHeads[n.r.IntN(len(nameHeads))]) + string(nameTails[n.r.IntN(len(nameTails))])
		if try >= 20 {
			n.n++
			name = fmt.Sprintf("%s%d号", name, n.n)
		}
		if !n.used[name+suffix] {
			n.used[name+suffix] = true
			return name + suffix
		}
	}
}

// placeBridges puts about 40 bridges on interior road vertices: 6 on poor
// villages' access roads (3 of them 危桥) and 34 elsewhere (5 危桥).
func (g *gen) placeBridges() {
	r := newRNG(streamBridges)
	owner := map[int]int{} // access road → unit
	for i, u := range g.units {
		for _, ri := range u.access {
			owner[ri] = i
		}
	}
	type site struct{ road, vert int }
	var poor, other []site
	for ri, rd := range g.c.Roads {
		if rd.Grade == GradeGroup {
			continue
		}
		for k := 1; k < len(rd.Geom)-1; k++ {
			if i, ok := owner[ri]; ok && g.c.Villages[i].IsPoor {
				poor = append(poor, site{ri, k})
			} else {
				other = append(other, site{ri, k})
			}
		}
	}
	names, used := newNamer(r), map[orb.Point]bool{}
	take := func(sites []site, n, dangerous int) {
		r.Shuffle(len(sites), func(a, b int) { sites[a], sites[b] = sites[b], sites[a] })
		for _, s := range sites {
			rd := g.c.Roads[s.road]
			p := rd.Geom[s.vert]
			if n == 0 {
				return
			}
			if used[p] {
				continue
			}
			used[p] = true
			class := between(r, 1, 3)
			if dangerous > 0 {
				class = between(r, 4, 5)
				dangerous--
			}
			ref := rd.Ref
			if ref == "" {
				ref = rd.Name
			}
			x := r.Float64() // squared below: most bridges are short
			g.c.Bridges = append(g.c.Bridges, Bridge{Name: names.next("桥"), RoadRef: ref,
				LengthM: math.Round(10 + 190*x*x), ConditionClass: class, Dangerous: class >= 4, Geom: p})
			n--
		}
	}
	take(poor, 6, 3)
	take(other, 34, 5)
}

// townRoute is the bus route serving township t: a 城区 line for the 街道,
// 临湘—X for a 镇.
func (g *gen) townRoute(t int) string {
	if !g.isTown(t) {
		return fmt.Sprintf("城区%d路", t+1)
	}
	return "临湘—" + short(g.c.Townships[t].Name)
}

// placeBusStops puts a 客运站 on every township seat and 招呼站 on road
// vertices near every 社区 and about 65% of the 行政村. To make the 通客车
// gap real, 8 remote poor villages are kept more than 1 km from every stop,
// and 4 remote villages get their only stop 1.05–1.45 km away.
func (g *gen) placeBusStops() {
	r := newRNG(streamBusStops)
	onExpressway := map[orb.Point]bool{}
	for _, p := range g.c.Roads[0].Geom {
		onExpressway[p] = true
	}
	var verts []orb.Point
	for _, p := range roadVertices(g.c.Roads) {
		if !onExpressway[p] {
			verts = append(verts, p)
		}
	}
	var kept []orb.Point // offices no stop may come within 1,050 m of
	for _, i := range g.remoteFirst(func(i int) bool { return g.c.Villages[i].IsPoor && g.units[i].remote > 3000 })[:8] {
		g.units[i].noStop = true
		kept = append(kept, g.c.Villages[i].Office)
	}
	farFromKept := func(p orb.Point) bool {
		for _, o := range kept {
			if distM(p, o) < 1050 {
				return false
			}
		}
		return true
	}
	within := func(c orb.Point, lo, hi float64) []orb.Point {
		var out []orb.Point
		for _, p := range verts {
			if d := distM(p, c); d >= lo && d <= hi && farFromKept(p) {
				out = append(out, p)
			}
		}
		return out
	}
	stop := func(i int, p orb.Point) {
		v, t := g.c.Villages[i], g.units[i].town
		routes := []string{g.townRoute(t)}
		if g.isTown(t) && r.IntN(2) == 0 {
			routes = append(routes, short(g.c.Townships[t].Name)+"—"+short(v.Name))
		}
		g.c.BusStops = append(g.c.BusStops, BusStop{Name: v.Name + "招呼站", Routes: routes, Geom: p})
	}

	for t, tw := range g.c.Townships {
		name, routes := short(tw.Name)+"客运站", []string{g.townRoute(t)}
		switch {
		case t == g.city:
			name = "临湘汽车站"
			routes = nil
			for k := range g.c.Townships {
				if g.isTown(k) {
					routes = append(routes, g.townRoute(k))
				}
			}
		case !g.isTown(t):
			routes = append(routes, g.townRoute(g.city))
		default:
			routes = append(routes, short(tw.Name)+"—"+short(g.c.Townships[g.nearestTown(t)].Name))
		}
		g.c.BusStops = append(g.c.BusStops, BusStop{Name: name, Routes: routes, Geom: tw.Seat})
	}

	nFar := 0
	for _, i := range g.remoteFirst(func(i int) bool {
		return !g.c.Villages[i].IsPoor && !g.units[i].community && g.units[i].remote > 3000
	}) {
		office := g.c.Villages[i].Office
		if nFar == 4 || !farFromKept(office) || g.nearestStopM(office) < 1050 {
			continue
		}
		kept = append(kept, office)
		if c := within(office, 1080, 1420); len(c) > 0 {
			g.units[i].farStop = true
			stop(i, c[r.IntN(len(c))])
			nFar++
		} else {
			kept = kept[:len(kept)-1]
		}
	}

	// Town 社区 all lie on a bus line; about 74% of the remaining 行政村 do.
	for i, u := range g.units {
		if u.noStop || u.farStop || !u.community && r.Float64() > 0.74 {
			continue
		}
		if c := within(g.c.Villages[i].Office, 0, 900); len(c) > 0 {
			stop(i, c[r.IntN(len(c))])
		}
	}
}

// nearestTown is the other 镇 whose seat is nearest to township t's seat.
func (g *gen) nearestTown(t int) int {
	best := -1
	for k := range g.seats {
		if k != t && g.isTown(k) && (best < 0 || distM(g.seats[t], g.seats[k]) < distM(g.seats[t], g.seats[best])) {
			best = k
		}
	}
	return best
}

// nearestStopM is the distance in metres from p to the nearest bus stop so far.
func (g *gen) nearestStopM(p orb.Point) float64 {
	d := math.Inf(1)
	for _, s := range g.c.BusStops {
		d = math.Min(d, distM(p, s.Geom))
	}
	return d
}
