package province

import (
	"math"
	"math/rand/v2"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/data/demo"
)

// Bus service shares: the units with a 招呼站 on their access road. The
// others are served only if a trunk-road stop or a neighbour's stop lies
// within reach, which leaves the remote ones with the R4 (通客车) gap.
const (
	stopShareCommunity = 0.95
	stopShareVillage   = 0.75
	stopSharePoor      = 0.6
	trunkStopEveryM    = 2000.0
)

// placeBusStops puts a 汽车站 on every township seat, a 招呼站 about every
// 2 km along the trunk roads, and a 招呼站 on the access road of most units,
// 30–300 m short of the office.
func (g *county) placeBusStops(r *rand.Rand) {
	county := countyShort(g.in.name)
	route := func(t int) string {
		if t == g.city {
			return county + "城区公交"
		}
		return county + "—" + shortName(g.in.towns[t].name)
	}
	for t, tw := range g.in.towns {
		s := demo.BusStop{Name: shortName(tw.name) + "汽车站", Routes: []string{route(t)}, Geom: g.seats[t]}
		if t == g.city {
			s.Name = county + "汽车站"
			for k := range g.in.towns {
				if k != g.city {
					s.Routes = append(s.Routes, route(k))
				}
			}
		}
		g.c.BusStops = append(g.c.BusStops, s)
	}
	for _, e := range g.trunk {
		a, b := g.seats[e[0]], g.seats[e[1]]
		t := e[0]
		if t == g.city {
			t = e[1]
		}
		n := int(g.m.dist(a, b) / trunkStopEveryM)
		for k := 1; k < n; k++ {
			p := lerp(a, b, float64(k)/float64(n))
			g.c.BusStops = append(g.c.BusStops, demo.BusStop{Name: shortName(g.c.Villages[g.nearestUnit(p)].Name) + "路口站",
				Routes: []string{route(t)}, Geom: p})
		}
	}
	for i, u := range g.units {
		v := g.c.Villages[i]
		share := stopShareVillage
		switch {
		case u.community:
			share = stopShareCommunity
		case v.IsPoor:
			share = stopSharePoor
		}
		if r.Float64() >= share {
			continue
		}
		seat := g.seats[u.town]
		d := uniform(r, 30, 300)
		p := lerp(v.Office, seat, math.Min(1, d/g.m.dist(v.Office, seat)))
		g.c.BusStops = append(g.c.BusStops, demo.BusStop{Name: shortName(v.Name) + "招呼站",
			Routes: []string{route(u.town), shortName(g.in.towns[u.town].name) + "—" + shortName(v.Name)}, Geom: p})
	}
}

// Bridge densities: one bridge about every 5 km of trunk road, on a quarter
// of the access roads and 5% of the 通组路. 10% are 危桥 (class 4–5), 20% on
// the roads of poor villages.
const (
	bridgeEveryTrunkM  = 5000.0
	bridgeShareAccess  = 0.25
	bridgeShareGroup   = 0.05
	dangerousShare     = 0.1
	dangerousSharePoor = 0.2
)

// placeBridges puts bridges on interior vertices of the emitted roads, so
// that each lies exactly on its road; a bridge is named after the unit the
// road serves (or, on a trunk road, the nearest one). It runs after
// emitRoads.
func (g *county) placeBridges(r *rand.Rand) {
	owner := make([]int, len(g.roads)) // unit each road serves; -1 for the trunk
	k := 0
	for range g.trunk {
		owner[k] = -1
		k++
	}
	for i, u := range g.units {
		for range 1 + len(u.groups) {
			owner[k] = i
			k++
		}
	}
	used := names{}
	for li, s := range g.roads {
		n, i := 0, owner[li]
		switch {
		case i < 0:
			n = int(math.Round(s.lengthM / bridgeEveryTrunkM * uniform(r, 0.5, 1.5)))
		case g.c.Villages[i].Office == s.b && r.Float64() < bridgeShareAccess,
			g.c.Villages[i].Office == s.a && r.Float64() < bridgeShareGroup:
			n = 1
		}
		first, last := g.roadStart[li], g.roadStart[li+1]
		for b := 0; b < n; b++ {
			// One bridge in each of n equal runs of the road's segments, on
			// the start vertex of a segment or the middle vertex of a
			// two-edge one, never on the road's end points.
			lo := first + b*(last-first)/n
			hi := first + (b+1)*(last-first)/n
			seg := lo + r.IntN(max(1, hi-lo))
			ls := g.c.Roads[seg].Geom
			var p orb.Point
			switch {
			case len(ls) == 3 && (seg == first || r.IntN(2) == 0):
				p = ls[1]
			case seg > first:
				p = ls[0]
			default:
				continue // a one-edge first segment has no vertex of its own
			}
			rd := g.c.Roads[seg]
			stem := i
			if stem < 0 {
				stem = g.nearestUnit(p)
			}
			danger := dangerousShare
			if i >= 0 && g.c.Villages[i].IsPoor {
				danger = dangerousSharePoor
			}
			class := between(r, 1, 3)
			if r.Float64() < danger {
				class = between(r, 4, 5)
			}
			ref := rd.Ref
			if ref == "" {
				ref = rd.Name
			}
			x := r.Float64() // squared: most bridges are short
			g.c.Bridges = append(g.c.Bridges, demo.Bridge{Name: used.unique(shortName(g.c.Villages[stem].Name), "桥"),
				RoadRef: ref, LengthM: math.Round(8 + 190*x*x), ConditionClass: class,
				Dangerous: class >= 4, Geom: p})
		}
	}
}
