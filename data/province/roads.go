package province

import (
	"fmt"
	"math/rand/v2"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/data/demo"
)

// planRoads gives every planned line its attributes: trunk roads (省道 from
// the county seat, 县道 between other seats, asphalt), access roads (村道
// 3.5 or 4.5 m, mostly 水泥; 社区 get a 6 m 乡道), and 通组路 (3.0 or 3.5 m,
// 20% 砂石/土). About 15% of poor and 6% of other 行政村 have an access
// road whose far end is 砂石/土, so that they are not reached by a hardened
// road (R1 gaps).
func (g *county) planRoads(r *rand.Rand) {
	town := func(t int) string { return shortName(g.in.towns[t].name) }
	nS, nX := 0, 0
	for _, e := range g.trunk {
		rd := demo.Road{Name: town(e[0]) + "—" + town(e[1]) + "公路", Surface: demo.SurfaceAsphalt, Year: between(r, 2003, 2015)}
		if e[0] == g.city || e[1] == g.city {
			nS++
			rd.Grade, rd.Ref, rd.WidthM = demo.GradeProvincial, fmt.Sprintf("S%d", 200+nS), 9
		} else {
			nX++
			rd.Grade, rd.Ref, rd.WidthM = demo.GradeCounty, fmt.Sprintf("X%03d", nX), 7
			if r.IntN(10) < 3 {
				rd.Surface = demo.SurfaceConcrete
			}
		}
		g.addStraight(g.seats[e[0]], g.seats[e[1]], rd)
	}
	for i, u := range g.units {
		v := g.c.Villages[i]
		name := shortName(v.Name)
		rd := demo.Road{Name: name + "通村路", Grade: demo.GradeVillage, Surface: demo.SurfaceConcrete, WidthM: 4.5,
			Year: between(r, 2008, 2016)}
		switch {
		case u.community:
			rd.Grade, rd.WidthM = demo.GradeTownship, 6
			if r.IntN(2) == 0 {
				rd.Surface = demo.SurfaceAsphalt
			}
		default:
			if r.Float64() < 0.4 {
				rd.WidthM = 3.5
			}
			if r.Float64() < 0.12 {
				rd.Surface = demo.SurfaceAsphalt
			}
			p := 0.06
			if v.IsPoor {
				p = 0.15
			}
			g.units[i].gap = r.Float64() < p
		}
		g.addStraight(g.seats[u.town], v.Office, rd)
		if g.units[i].gap {
			s := &g.roads[len(g.roads)-1]
			s.unhardenedFrom = uniform(r, 0, 0.7)
			s.rough, s.roughYear = demo.SurfaceGravel, between(r, 1998, 2008)
			if r.IntN(3) == 0 {
				s.rough = demo.SurfaceEarth
			}
		}
		for _, k := range u.groups {
			grp := g.c.Villages[k]
			rd := demo.Road{Name: name + grp.Name + "通组路", Grade: demo.GradeGroup, Surface: demo.SurfaceConcrete,
				WidthM: 3.5, Year: between(r, 2010, 2016)}
			if r.IntN(2) == 0 {
				rd.WidthM = 3.0
			}
			switch x := r.Float64(); {
			case x < 0.12:
				rd.Surface, rd.Year = demo.SurfaceGravel, between(r, 1998, 2010)
			case x < 0.2:
				rd.Surface, rd.Year = demo.SurfaceEarth, between(r, 1995, 2010)
			}
			g.addStraight(v.Office, grp.Office, rd)
		}
	}
}

func (g *county) addStraight(a, b orb.Point, rd demo.Road) {
	g.roads = append(g.roads, straight{a: a, b: b, lengthM: g.m.dist(a, b), road: rd, unhardenedFrom: 2})
}

// cut returns, for a line of lengthM, the number of edges (1 or 2) of each of
// its segments.
func cut(r *rand.Rand, lengthM, segLen float64) []uint8 {
	n := pieces(lengthM, segLen)
	out := make([]uint8, n)
	for k := range out {
		out[k] = uint8(1 + r.IntN(2))
	}
	return out
}

// slab cuts every line into segments: it returns, per line, the edges of
// each segment, and one backing array holding all vertices, so that a
// million segments cost one allocation instead of a million.
func slab(r *rand.Rand, lines []straight, segLen float64) ([][]uint8, []orb.Point) {
	cuts := make([][]uint8, len(lines))
	total := 0
	for i, s := range lines {
		cuts[i] = cut(r, s.lengthM, segLen)
		total++
		for _, e := range cuts[i] {
			total += int(e)
		}
	}
	pts := make([]orb.Point, 0, total)
	for i, s := range lines {
		edges := 0
		for _, e := range cuts[i] {
			edges += int(e)
		}
		pts = append(pts, line(s.a, s.b, edges)...)
	}
	return cuts, pts
}

// emitRoads cuts the planned roads into segments of about segLen metres,
// each its own Road. Consecutive segments share their end vertex (the same
// float64 values), as do roads that meet at a seat or an office.
func (g *county) emitRoads(segLen float64) {
	cuts, pts := slab(newRNG(g.in.code, streamRoads+100), g.roads, segLen)
	g.c.Roads = make([]demo.Road, 0, countPieces(cuts))
	g.roadStart = make([]int, 0, len(g.roads)+1)
	eachPiece(cuts, pts, func(i, k, n int, ls orb.LineString) {
		if k == 0 {
			g.roadStart = append(g.roadStart, len(g.c.Roads))
		}
		s := &g.roads[i]
		rd := s.road
		if float64(k+1)/float64(n) > s.unhardenedFrom {
			rd.Surface, rd.Year, rd.WidthM = s.rough, s.roughYear, 3.5
		}
		rd.Geom = ls
		g.c.Roads = append(g.c.Roads, rd)
	})
	g.roadStart = append(g.roadStart, len(g.c.Roads))
}

// countPieces is the number of segments slab's cuts make.
func countPieces(cuts [][]uint8) int {
	n := 0
	for _, c := range cuts {
		n += len(c)
	}
	return n
}

// eachPiece calls f for every segment that slab's cuts make, in order: the
// line i, the segment's index k of n on it, and its vertices, a capped
// slice of the shared array.
func eachPiece(cuts [][]uint8, pts []orb.Point, f func(i, k, n int, ls orb.LineString)) {
	off := 0
	for i, c := range cuts {
		for k, e := range c {
			end := off + int(e)
			f(i, k, len(c), orb.LineString(pts[off:end+1:end+1]))
			off = end
		}
		off++ // the next line starts on its own first vertex
	}
}
