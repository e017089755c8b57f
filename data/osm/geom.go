package osm

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/gapmap/gapmap/geo"
)

// nodeIndex holds the coordinates of the nodes that features need, and
// nothing else: the sorted IDs and two parallel arrays of 1e-7 degrees,
// 16 bytes a node. A province extract has tens of millions of nodes of
// which a map keyed by ID would cost ~50 bytes each; here only the nodes
// of mapped ways are kept.
type nodeIndex struct {
	ids      []int64
	lon, lat []int32
	cursor   int // where the last lookup ended, for sorted node streams
}

// missing marks a needed node not (yet) found in the file.
const missing = math.MinInt32

// build sorts and deduplicates ids and allocates the coordinate arrays.
// ids held every node reference of the mapped ways, shared nodes
// repeatedly, with append's slack: it is copied to its exact size so the
// larger array can be freed (slices.Clip would keep it).
func (x *nodeIndex) build(ids []int64) {
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if cap(ids) > len(ids)+len(ids)/8 {
		ids = slices.Clone(ids)
	}
	x.ids = ids
	x.lon = make([]int32, len(x.ids))
	x.lat = make([]int32, len(x.ids))
	for i := range x.lon {
		x.lon[i] = missing
	}
}

// seek finds id for the node pass. Files sort nodes by ID (osmium and
// every planet dump do), so it first walks forward from the last hit,
// which makes the whole pass linear; an out-of-order ID falls back to
// binary search.
func (x *nodeIndex) seek(id int64) (int, bool) {
	i := x.cursor
	if i > len(x.ids) || (i > 0 && x.ids[i-1] > id) {
		i = 0
	}
	for steps := 0; i < len(x.ids) && x.ids[i] < id; steps++ {
		if steps == 16 {
			j, _ := slices.BinarySearch(x.ids[i:], id)
			i += j
			break
		}
		i++
	}
	x.cursor = i
	return i, i < len(x.ids) && x.ids[i] == id
}

func (x *nodeIndex) set(id int64, lon, lat int32) {
	if i, ok := x.seek(id); ok {
		x.lon[i], x.lat[i] = lon, lat
	}
}

// point returns the location of node id, if it was found.
func (x *nodeIndex) point(id int64) (orb.Point, bool) {
	i, ok := slices.BinarySearch(x.ids, id)
	if !ok || x.lon[i] == missing {
		return orb.Point{}, false
	}
	return orb.Point{degrees(x.lon[i]), degrees(x.lat[i])}, true
}

// Geometry skip reasons.
const (
	reasonMissingNodes = "引用的节点不在文件中（数据按范围裁切时常见）"
	reasonShortLine    = "几何无效：少于两个不同的点"
	reasonFlatArea     = "几何无效：面积为零"
	reasonOpenRing     = "多边形的环未闭合"
	reasonMissingWays  = "多边形的成员 way 不在文件中"
	reasonStrayInner   = "多边形的内环不在任何外环内"
)

func (x *nodeIndex) line(refs []int64) (orb.LineString, string) {
	ls := make(orb.LineString, len(refs))
	distinct := false
	for i, ref := range refs {
		p, ok := x.point(ref)
		if !ok {
			return nil, reasonMissingNodes
		}
		ls[i] = p
		distinct = distinct || p != ls[0]
	}
	if !distinct {
		return nil, reasonShortLine
	}
	return ls, ""
}

// ring returns the ring of a closed node list, counter-clockwise for an
// outer ring and clockwise for an inner one (RFC 7946; PostGIS accepts
// either, but consistent rings make GeoJSON exports valid).
func (x *nodeIndex) ring(refs []int64, outer bool) (orb.Ring, string) {
	ls, reason := x.line(refs)
	if reason != "" {
		return nil, reason
	}
	r := orb.Ring(ls)
	a := geo.RingArea(r)
	if a == 0 {
		return nil, reasonFlatArea
	}
	if (a > 0) != outer {
		r.Reverse()
	}
	return r, ""
}

// centroid returns the area centroid of a closed way, the length-weighted
// centroid of an open one, or the node itself for a one-node way.
func (x *nodeIndex) centroid(refs []int64) (orb.Point, string) {
	ls := make(orb.LineString, len(refs))
	for i, ref := range refs {
		p, ok := x.point(ref)
		if !ok {
			return orb.Point{}, reasonMissingNodes
		}
		ls[i] = p
	}
	if len(ls) == 0 {
		return orb.Point{}, reasonShortLine
	}
	var g orb.Geometry = ls
	if closed(refs) && geo.RingArea(orb.Ring(ls)) != 0 {
		g = orb.Polygon{orb.Ring(ls)}
	}
	c, _ := planar.CentroidArea(g)
	if math.IsNaN(c[0]) || math.IsNaN(c[1]) {
		c = ls[0]
	}
	return c, ""
}

// closed reports whether a way is a closed ring of at least 3 nodes.
func closed(refs []int64) bool {
	return len(refs) >= 4 && refs[0] == refs[len(refs)-1]
}

// multipolygon builds a relation's geometry from its member ways: ways
// are joined end to end into rings (OSM splits long shores into many
// ways), each inner ring goes to the outer ring containing it. Members
// with roles other than outer, inner and "" (outer by default) are
// ignored, as osmium does.
func (x *nodeIndex) multipolygon(members []member, wayRefs map[int64][]int64) (orb.Geometry, string) {
	var outerWays, innerWays [][]int64
	for _, m := range members {
		if m.typ != wayType || (m.role != "outer" && m.role != "inner" && m.role != "") {
			continue
		}
		refs, ok := wayRefs[m.ref]
		if !ok {
			return nil, reasonMissingWays
		}
		if m.role == "inner" {
			innerWays = append(innerWays, refs)
		} else {
			outerWays = append(outerWays, refs)
		}
	}
	outers, ok := joinRings(outerWays)
	if !ok || len(outers) == 0 {
		return nil, reasonOpenRing
	}
	inners, ok := joinRings(innerWays)
	if !ok {
		return nil, reasonOpenRing
	}
	mp := make(orb.MultiPolygon, 0, len(outers))
	for _, refs := range outers {
		r, reason := x.ring(refs, true)
		if reason != "" {
			return nil, reason
		}
		mp = append(mp, orb.Polygon{r})
	}
	for _, refs := range inners {
		r, reason := x.ring(refs, false)
		if reason != "" {
			return nil, reason
		}
		placed := false
		for i := range mp {
			if planar.RingContains(mp[i][0], r[0]) {
				mp[i] = append(mp[i], r)
				placed = true
				break
			}
		}
		if !placed {
			return nil, reasonStrayInner
		}
	}
	if len(mp) == 1 {
		return mp[0], ""
	}
	return mp, ""
}

// joinRings joins ways sharing end nodes into closed rings, reversing
// ways as needed. It fails if any ring cannot be closed.
func joinRings(ways [][]int64) ([][]int64, bool) {
	used := make([]bool, len(ways))
	var rings [][]int64
	for i := range ways {
		if used[i] {
			continue
		}
		used[i] = true
		ring := slices.Clone(ways[i])
		if len(ring) < 2 {
			return nil, false
		}
		for !closed(ring) {
			grown := false
			for j, w := range ways {
				if used[j] || len(w) < 2 {
					continue
				}
				switch end := ring[len(ring)-1]; end {
				case w[0]:
					ring = append(ring, w[1:]...)
				case w[len(w)-1]:
					for k := len(w) - 2; k >= 0; k-- {
						ring = append(ring, w[k])
					}
				default:
					continue
				}
				used[j], grown = true, true
				break
			}
			if !grown {
				return nil, false
			}
		}
		rings = append(rings, ring)
	}
	return rings, true
}
