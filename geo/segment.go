package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// Orient is twice the signed area of the triangle abc in plane coordinates:
// positive when c lies left of the line a→b, negative right, zero on it.
func Orient(a, b, c orb.Point) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

// OnSegment reports whether p lies on the closed segment ab, exactly: on
// the line through a and b and within their bounding box. A NaN anywhere
// makes it false.
func OnSegment(a, b, p orb.Point) bool {
	return Orient(a, b, p) == 0 && inBox(a, b, p)
}

// inBox reports whether p lies in the bounding box of segment ab.
func inBox(a, b, p orb.Point) bool {
	return math.Min(a[0], b[0]) <= p[0] && p[0] <= math.Max(a[0], b[0]) &&
		math.Min(a[1], b[1]) <= p[1] && p[1] <= math.Max(a[1], b[1])
}

// SegmentsTouch reports whether the closed segments pq and rs share a point
// (crossing, touching at an end, or overlapping when collinear).
func SegmentsTouch(p, q, r, s orb.Point) bool {
	d1, d2 := Orient(r, s, p), Orient(r, s, q)
	d3, d4 := Orient(p, q, r), Orient(p, q, s)
	if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
		return true
	}
	return (d1 == 0 && inBox(r, s, p)) || (d2 == 0 && inBox(r, s, q)) ||
		(d3 == 0 && inBox(p, q, r)) || (d4 == 0 && inBox(p, q, s))
}
