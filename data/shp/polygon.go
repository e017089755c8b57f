package shp

import (
	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/geo"
)

// assemble groups the rings of one Polygon record into polygons. The spec
// draws outer rings clockwise and holes counter-clockwise but stores them
// in any order, so each hole goes to the smallest outer ring that contains
// it. A hole no outer ring contains is taken as an outer ring a writer
// drew the wrong way round, as GDAL and pyshp do. Vertex order is kept as
// stored, except for such promoted holes, which are reversed so that every
// outer ring the caller sees runs clockwise.
//
// It returns an orb.Polygon when one outer ring results and an
// orb.MultiPolygon otherwise.
func assemble(rings []orb.Ring) orb.Geometry {
	if len(rings) == 1 {
		return orb.Polygon{rings[0]}
	}
	type outer struct {
		poly  orb.Polygon
		bound orb.Bound
		area  float64 // absolute, in square file units
	}
	var outers []*outer
	var holes []orb.Ring
	for _, r := range rings {
		// Zero-area rings count as outer: they cannot contain a hole.
		if a := geo.RingArea(r); a <= 0 {
			outers = append(outers, &outer{poly: orb.Polygon{r}, bound: r.Bound(), area: -a})
		} else {
			holes = append(holes, r)
		}
	}
	if len(outers) == 0 {
		// Every ring runs counter-clockwise: the writer ignored the
		// orientation rule, so each ring is a polygon of its own.
		mp := make(orb.MultiPolygon, len(rings))
		for i, r := range rings {
			mp[i] = orb.Polygon{r}
		}
		return mp
	}
	var promoted []orb.Polygon
	for _, h := range holes {
		hb := h.Bound()
		var best *outer
		for _, o := range outers {
			if (best == nil || o.area < best.area) && boundCovers(o.bound, hb) && ringInRing(h, o.poly[0]) {
				best = o
			}
		}
		if best == nil {
			promoted = append(promoted, orb.Polygon{reversed(h)})
			continue
		}
		best.poly = append(best.poly, h)
	}
	if len(outers) == 1 && len(promoted) == 0 {
		return outers[0].poly
	}
	mp := make(orb.MultiPolygon, 0, len(outers)+len(promoted))
	for _, o := range outers {
		mp = append(mp, o.poly)
	}
	return append(mp, promoted...)
}

func boundCovers(o, in orb.Bound) bool {
	return o.Min[0] <= in.Min[0] && o.Min[1] <= in.Min[1] && in.Max[0] <= o.Max[0] && in.Max[1] <= o.Max[1]
}

// ringInRing reports whether hole lies inside outer, judged by the first
// vertex of hole that is not on outer's boundary: valid shapefiles let a
// hole touch its outer ring at single points.
func ringInRing(hole, outer orb.Ring) bool {
	for _, p := range hole {
		switch pointInRing(outer, p) {
		case 1:
			return true
		case -1:
			return false
		}
	}
	return true // every vertex on the boundary: coincident rings
}

// pointInRing returns 1 when p is inside r, 0 on its boundary, -1 outside,
// by ray casting. NaN coordinates compare false everywhere and land
// outside, which is as good an answer as any.
func pointInRing(r orb.Ring, p orb.Point) int {
	in := false
	for i := 1; i < len(r); i++ {
		a, b := r[i-1], r[i]
		if geo.OnSegment(a, b, p) {
			return 0
		}
		if (a[1] > p[1]) != (b[1] > p[1]) {
			x := a[0] + (p[1]-a[1])*(b[0]-a[0])/(b[1]-a[1])
			if p[0] < x {
				in = !in
			}
		}
	}
	if in {
		return 1
	}
	return -1
}

func reversed(r orb.Ring) orb.Ring {
	out := make(orb.Ring, len(r))
	for i, p := range r {
		out[len(r)-1-i] = p
	}
	return out
}
