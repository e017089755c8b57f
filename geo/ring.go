package geo

import "github.com/paulmach/orb"

// RingArea returns the signed area of ring r in the plane, in square units
// of its coordinates: positive when r runs counter-clockwise (x east, y
// north), negative clockwise, 0 for fewer than three points or a flat
// ring. An open ring is read as closed.
//
// It is orb's [orb.Ring.Orientation] sum, kept as a number: the fan of
// triangles from the first point, which keeps the precision of lon/lat
// near 113° that the textbook shoelace over absolute coordinates loses.
// planar.Area gives the same number but computes the centroid as well,
// which takes three times as long (BenchmarkRingArea).
func RingArea(r orb.Ring) float64 {
	if len(r) < 3 {
		return 0
	}
	var s float64
	x0, y0 := r[0][0], r[0][1]
	for i := 1; i+1 < len(r); i++ {
		s += (r[i][0]-x0)*(r[i+1][1]-y0) - (r[i+1][0]-x0)*(r[i][1]-y0)
	}
	return s / 2
}
