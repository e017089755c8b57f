package demo

import (
	"math"
	"math/rand/v2"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/gapmap/gapmap/geo"
)

// The county spans 0.65° of latitude, so an equirectangular projection at
// its mid latitude is accurate to well under 1%: plenty for spacing rules of
// hundreds of metres, and far cheaper than great-circle maths.
const (
	refLat     = 29.52
	mPerDegLat = 110850.0

	// innerMargin (degrees, ≈100 m) keeps generated vertices strictly inside
	// the outline rather than on it.
	innerMargin = 0.001
	// minJoinAngle stops a new line leaving a shared vertex almost along an
	// existing one, which would look like an overlap.
	minJoinAngle = 8 * math.Pi / 180
)

var mPerDegLon = 111320.0 * math.Cos(refLat*math.Pi/180)

func distM(a, b orb.Point) float64 {
	return math.Hypot((a[0]-b[0])*mPerDegLon, (a[1]-b[1])*mPerDegLat)
}

func offsetM(p orb.Point, dx, dy float64) orb.Point {
	return orb.Point{p[0] + dx/mPerDegLon, p[1] + dy/mPerDegLat}
}

// polarM is the point d metres from p at angle ang (radians from east, CCW).
func polarM(p orb.Point, d, ang float64) orb.Point {
	return offsetM(p, d*math.Cos(ang), d*math.Sin(ang))
}

func lengthM(ls orb.LineString) float64 {
	s := 0.0
	for i := 1; i < len(ls); i++ {
		s += distM(ls[i-1], ls[i])
	}
	return s
}

// segDistM is the distance in metres from p to the segment ab.
func segDistM(p, a, b orb.Point) float64 {
	ax, ay := (a[0]-p[0])*mPerDegLon, (a[1]-p[1])*mPerDegLat
	dx, dy := (b[0]-a[0])*mPerDegLon, (b[1]-a[1])*mPerDegLat
	t := 0.0
	if l2 := dx*dx + dy*dy; l2 > 0 {
		t = math.Max(0, math.Min(1, -(ax*dx+ay*dy)/l2))
	}
	return math.Hypot(ax+t*dx, ay+t*dy)
}

// lineDistM is the distance in metres from p to the polyline ls.
func lineDistM(p orb.Point, ls orb.LineString) float64 {
	d := math.Inf(1)
	for i := 1; i < len(ls); i++ {
		d = math.Min(d, segDistM(p, ls[i-1], ls[i]))
	}
	return d
}

func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + r.Float64()*(hi-lo) }

// between returns an int in [lo, hi], both inclusive.
func between(r *rand.Rand, lo, hi int) int { return lo + r.IntN(hi-lo+1) }

func angle(r *rand.Rand) float64 { return r.Float64() * 2 * math.Pi }

func round1(x float64) float64 { return math.Round(x*10) / 10 }

// joinAngle is the angle at o between the rays o→a and o→b, in metric space.
func joinAngle(o, a, b orb.Point) float64 {
	ax, ay := (a[0]-o[0])*mPerDegLon, (a[1]-o[1])*mPerDegLat
	bx, by := (b[0]-o[0])*mPerDegLon, (b[1]-o[1])*mPerDegLat
	return math.Abs(math.Atan2(ax*by-ay*bx, ax*bx+ay*by))
}

// segmentsConflict reports whether segment pq may not coexist with rs in a
// noded network: they may meet only at one bit-identical end point, and then
// at a clear angle (two segments leaving one point at different angles
// cannot meet again).
func segmentsConflict(p, q, r, s orb.Point) bool {
	switch {
	case p == r:
		return joinAngle(p, q, s) < minJoinAngle
	case p == s:
		return joinAngle(p, q, r) < minJoinAngle
	case q == r:
		return joinAngle(q, p, s) < minJoinAngle
	case q == s:
		return joinAngle(q, p, r) < minJoinAngle
	}
	return geo.SegmentsTouch(p, q, r, s)
}

// outline wraps the county ring with the inside tests every layer needs.
type outline struct {
	ring  orb.Ring
	bound orb.Bound
}

func newOutline(ring orb.Ring) outline { return outline{ring, ring.Bound()} }

// edgeDist is the planar distance in degrees from p to the outline ring.
func (o outline) edgeDist(p orb.Point) float64 {
	d := math.Inf(1)
	for i := 1; i < len(o.ring); i++ {
		d = math.Min(d, planar.DistanceFromSegment(o.ring[i-1], o.ring[i], p))
	}
	return d
}

// contains reports whether p is inside the outline at least margin degrees
// from its edge.
func (o outline) contains(p orb.Point, margin float64) bool {
	return o.bound.Contains(p) && ringContains(o.ring, p) && o.edgeDist(p) >= margin
}

// ringContains is the even-odd point-in-ring test. Unlike
// planar.RingContains it does not recompute the ring's bound on every call,
// which made it the generator's hottest function; callers test a cached
// bound first. Points exactly on an edge may go either way, so callers keep
// a margin.
func ringContains(r orb.Ring, p orb.Point) bool {
	in := false
	for i := 1; i < len(r); i++ {
		a, b := r[i-1], r[i]
		if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < a[0]+(p[1]-a[1])/(b[1]-a[1])*(b[0]-a[0]) {
			in = !in
		}
	}
	return in
}

// crosses reports whether segment ab touches the outline ring.
func (o outline) crosses(a, b orb.Point) bool {
	for i := 1; i < len(o.ring); i++ {
		if geo.SegmentsTouch(a, b, o.ring[i-1], o.ring[i]) {
			return true
		}
	}
	return false
}

// exit returns the point backM metres inside the outline on the ray from
// `from` through `toward`: where a road leaving the county is cut off.
func (o outline) exit(from, toward orb.Point, backM float64) orb.Point {
	d := distM(from, toward)
	far := orb.Point{from[0] + (toward[0]-from[0])*100000/d, from[1] + (toward[1]-from[1])*100000/d}
	best, hit := math.Inf(1), from
	for i := 1; i < len(o.ring); i++ {
		a, b := o.ring[i-1], o.ring[i]
		den := (far[0]-from[0])*(b[1]-a[1]) - (far[1]-from[1])*(b[0]-a[0])
		if den == 0 {
			continue
		}
		t := ((a[0]-from[0])*(b[1]-a[1]) - (a[1]-from[1])*(b[0]-a[0])) / den
		u := ((a[0]-from[0])*(far[1]-from[1]) - (a[1]-from[1])*(far[0]-from[0])) / den
		if t > 0 && u >= 0 && u <= 1 && t < best {
			best = t
			hit = orb.Point{from[0] + t*(far[0]-from[0]), from[1] + t*(far[1]-from[1])}
		}
	}
	f := backM / distM(from, hit)
	return orb.Point{hit[0] + f*(from[0]-hit[0]), hit[1] + f*(from[1]-hit[1])}
}

// wigglePath returns a polyline from a to b with a vertex roughly every
// stepM metres, each pushed sideways by up to wiggleM so that lines do not
// look ruler-drawn and offer attachment points along their length. a and b
// are kept bit-identical so that the path can start or end on existing
// vertices.
func wigglePath(r *rand.Rand, o outline, a, b orb.Point, stepM, wiggleM float64) orb.LineString {
	d := distM(a, b)
	n := max(1, int(math.Round(d/stepM)))
	nx, ny := -(b[1]-a[1])*mPerDegLat/d, (b[0]-a[0])*mPerDegLon/d
	ls := orb.LineString{a}
	for k := 1; k < n; k++ {
		t := (float64(k) + uniform(r, -0.2, 0.2)) / float64(n)
		base := orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
		w := uniform(r, -wiggleM, wiggleM)
		p := offsetM(base, w*nx, w*ny)
		if !o.contains(p, innerMargin) {
			p = base
		}
		ls = append(ls, p)
	}
	return append(ls, b)
}

// blob returns a closed counter-clockwise ring round c whose radius varies
// smoothly about radiusM. It is star-shaped about c, hence simple and valid.
func blob(r *rand.Rand, c orb.Point, radiusM float64, n int) orb.Ring {
	p1, p2 := angle(r), angle(r)
	a1, a2 := uniform(r, 0.05, 0.12), uniform(r, 0.03, 0.07)
	ring := make(orb.Ring, 0, n+1)
	for k := 0; k < n; k++ {
		th := 2 * math.Pi * float64(k) / float64(n)
		ring = append(ring, polarM(c, radiusM*(1+a1*math.Sin(2*th+p1)+a2*math.Sin(3*th+p2)), th))
	}
	return append(ring, ring[0])
}

// segIndex is a uniform grid over the county holding line segments, so that
// the crossing test for a new road looks only at nearby segments.
type segIndex struct {
	x0, y0 float64
	nx, ny int
	cells  [][]int32
	segs   [][2]orb.Point
	seen   []uint32
	epoch  uint32
}

const idxCell = 0.01 // degrees, ≈1 km

func newSegIndex(b orb.Bound) *segIndex {
	nx := int((b.Max[0]-b.Min[0])/idxCell) + 1
	ny := int((b.Max[1]-b.Min[1])/idxCell) + 1
	return &segIndex{x0: b.Min[0], y0: b.Min[1], nx: nx, ny: ny, cells: make([][]int32, nx*ny)}
}

func (s *segIndex) cellRange(b orb.Bound) (i0, i1, j0, j1 int) {
	clamp := func(v, n int) int { return max(0, min(n-1, v)) }
	return clamp(int((b.Min[0]-s.x0)/idxCell), s.nx), clamp(int((b.Max[0]-s.x0)/idxCell), s.nx),
		clamp(int((b.Min[1]-s.y0)/idxCell), s.ny), clamp(int((b.Max[1]-s.y0)/idxCell), s.ny)
}

func (s *segIndex) add(a, b orb.Point) {
	id := int32(len(s.segs))
	s.segs = append(s.segs, [2]orb.Point{a, b})
	s.seen = append(s.seen, 0)
	i0, i1, j0, j1 := s.cellRange(orb.MultiPoint{a, b}.Bound())
	for j := j0; j <= j1; j++ {
		for i := i0; i <= i1; i++ {
			s.cells[j*s.nx+i] = append(s.cells[j*s.nx+i], id)
		}
	}
}

// visit calls f once for every segment whose cells overlap b, stopping
// early when f returns true; it reports whether f did.
func (s *segIndex) visit(b orb.Bound, f func(a, c orb.Point) bool) bool {
	s.epoch++
	i0, i1, j0, j1 := s.cellRange(b)
	for j := j0; j <= j1; j++ {
		for i := i0; i <= i1; i++ {
			for _, id := range s.cells[j*s.nx+i] {
				if s.seen[id] == s.epoch {
					continue
				}
				s.seen[id] = s.epoch
				if f(s.segs[id][0], s.segs[id][1]) {
					return true
				}
			}
		}
	}
	return false
}

// conflicts reports whether segment pq conflicts with any indexed segment.
func (s *segIndex) conflicts(p, q orb.Point) bool {
	return s.visit(orb.MultiPoint{p, q}.Bound(), func(r, t orb.Point) bool {
		return segmentsConflict(p, q, r, t)
	})
}
