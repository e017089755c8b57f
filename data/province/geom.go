package province

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/geo"
)

// Geometry is built in the degree plane, because that is where PostGIS
// computes the Voronoi cells and tests intersections; lengths and clearances
// are in metres through a local equirectangular scale (a county spans well
// under 1° of latitude, so the error is below 1%).

// metric converts degree differences to metres at one latitude.
type metric struct{ kx, ky float64 } // metres per degree of longitude and latitude

func metricAt(lat float64) metric {
	return metric{kx: 111320 * math.Cos(lat*math.Pi/180), ky: 110850}
}

// dist is the distance in metres between a and b.
func (m metric) dist(a, b orb.Point) float64 {
	return math.Hypot((a[0]-b[0])*m.kx, (a[1]-b[1])*m.ky)
}

// polar is the point d metres from p at angle ang (radians from east, CCW).
func (m metric) polar(p orb.Point, d, ang float64) orb.Point {
	return orb.Point{p[0] + d*math.Cos(ang)/m.kx, p[1] + d*math.Sin(ang)/m.ky}
}

// within reports whether any of pts is less than d metres from p.
func (m metric) within(p orb.Point, pts []orb.Point, d float64) bool {
	return slices.ContainsFunc(pts, func(q orb.Point) bool { return m.dist(p, q) < d })
}

// segDist is the distance in metres from p to the segment ab.
func (m metric) segDist(p, a, b orb.Point) float64 {
	ax, ay := (a[0]-p[0])*m.kx, (a[1]-p[1])*m.ky
	dx, dy := (b[0]-a[0])*m.kx, (b[1]-a[1])*m.ky
	t := 0.0
	if l2 := dx*dx + dy*dy; l2 > 0 {
		t = math.Max(0, math.Min(1, -(ax*dx+ay*dy)/l2))
	}
	return math.Hypot(ax+t*dx, ay+t*dy)
}

// segSegDist is the distance in metres between segments pq and rs that do
// not touch (callers test segmentsTouch first).
func (m metric) segSegDist(p, q, r, s orb.Point) float64 {
	return math.Min(math.Min(m.segDist(p, r, s), m.segDist(q, r, s)), math.Min(m.segDist(r, p, q), m.segDist(s, p, q)))
}

// angleAt is the angle in radians at o between the rays o→a and o→b,
// measured in metres (not degrees) so that it is the angle a map shows.
func (m metric) angleAt(o, a, b orb.Point) float64 {
	ax, ay := (a[0]-o[0])*m.kx, (a[1]-o[1])*m.ky
	bx, by := (b[0]-o[0])*m.kx, (b[1]-o[1])*m.ky
	return math.Abs(math.Atan2(ax*by-ay*bx, ax*bx+ay*by))
}

// convex is a convex polygon, counter-clockwise, with the inside tests the
// generator needs. Because it is convex, a straight line between two points
// inside it stays inside it: every straight road, feeder and main between
// generated points is inside the county without further checks.
type convex struct {
	ring  orb.Ring // closed, CCW
	m     metric
	bound orb.Bound
}

// depth is the distance in metres from p to the nearest edge line, negative
// outside. For a convex polygon and a point inside it, that is the distance
// to the boundary.
func (c convex) depth(p orb.Point) float64 {
	d := math.Inf(1)
	for i := 1; i < len(c.ring); i++ {
		a, b := c.ring[i-1], c.ring[i]
		ex, ey := (b[0]-a[0])*c.m.kx, (b[1]-a[1])*c.m.ky
		px, py := (p[0]-a[0])*c.m.kx, (p[1]-a[1])*c.m.ky
		d = math.Min(d, (ex*py-ey*px)/math.Hypot(ex, ey)) // left of a CCW edge is inside
	}
	return d
}

// inside reports whether p is inside at least marginM metres from the edge.
func (c convex) inside(p orb.Point, marginM float64) bool {
	return c.bound.Contains(p) && c.depth(p) >= marginM
}

// areaM2 is the polygon's area in square metres.
func (c convex) areaM2() float64 {
	return math.Abs(geo.RingArea(c.ring)) * c.m.kx * c.m.ky
}

// hull returns the convex hull of pts as a closed CCW ring (Andrew's
// monotone chain); collinear points are dropped.
func hull(pts []orb.Point) orb.Ring {
	pts = slices.Clone(pts)
	slices.SortFunc(pts, func(a, b orb.Point) int {
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		return cmp.Compare(a[1], b[1])
	})
	var h []orb.Point
	for pass := 0; pass < 2; pass++ {
		start := len(h)
		for _, p := range pts {
			for len(h) >= start+2 && geo.Orient(h[len(h)-2], h[len(h)-1], p) <= 0 {
				h = h[:len(h)-1]
			}
			h = append(h, p)
		}
		h = h[:len(h)-1]
		slices.Reverse(pts)
	}
	return append(orb.Ring(h), h[0])
}

// outlineIn draws a county outline inside the cell: a convex, slightly
// irregular superellipse filling 90% of the cell.
func outlineIn(r *rand.Rand, cell orb.Bound) convex {
	const n, p = 36, 2.6
	c := cell.Center()
	a, b := 0.45*(cell.Max[0]-cell.Min[0]), 0.45*(cell.Max[1]-cell.Min[1])
	phase := angle(r)
	pts := make([]orb.Point, n)
	for k := range pts {
		th := phase + 2*math.Pi*float64(k)/n
		ct, st := math.Cos(th), math.Sin(th)
		rad := math.Pow(math.Pow(math.Abs(ct), p)+math.Pow(math.Abs(st), p), -1/p) * uniform(r, 0.9, 1)
		pts[k] = orb.Point{c[0] + a*rad*ct, c[1] + b*rad*st}
	}
	ring := hull(pts)
	return convex{ring: ring, m: metricAt(c[1]), bound: ring.Bound()}
}

// line returns n+1 points from a to b, evenly spaced; the end points are a
// and b exactly, so that lines joining there share bit-identical vertices.
func line(a, b orb.Point, n int) []orb.Point {
	pts := make([]orb.Point, n+1)
	pts[0], pts[n] = a, b
	for j := 1; j < n; j++ {
		pts[j] = lerp(a, b, float64(j)/float64(n))
	}
	return pts
}

func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + r.Float64()*(hi-lo) }

// between returns an int in [lo, hi], both inclusive.
func between(r *rand.Rand, lo, hi int) int { return lo + r.IntN(hi-lo+1) }

func angle(r *rand.Rand) float64 { return r.Float64() * 2 * math.Pi }

// lerp is the point at share t of the way from a to b.
func lerp(a, b orb.Point, t float64) orb.Point {
	return orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
}

// near draws a point minM–maxM metres from c that is inside the outline
// (edgeMargin), on dry land, and accepted by ok when ok is not nil. After
// 200 failed draws it returns c: every centre passed in (a seat, an office,
// a transformer) is itself a valid site, so a layer never loses a feature.
func (g *county) near(r *rand.Rand, c orb.Point, minM, maxM float64, ok func(orb.Point) bool) orb.Point {
	for try := 0; try < 200; try++ {
		p := g.m.polar(c, uniform(r, minM, maxM), angle(r))
		if g.o.inside(p, edgeMargin) && g.dry(p) && (ok == nil || ok(p)) {
			return p
		}
	}
	return c
}
