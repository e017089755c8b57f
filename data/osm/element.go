package osm

import "math"

// elemType is an OSM element type.
type elemType uint8

const (
	nodeType elemType = iota
	wayType
	relationType
)

func (t elemType) String() string {
	switch t {
	case nodeType:
		return "node"
	case wayType:
		return "way"
	default:
		return "relation"
	}
}

// kindSet is a set of element types, one bit each.
type kindSet uint8

const (
	nodes     kindSet = 1 << nodeType
	ways      kindSet = 1 << wayType
	relations kindSet = 1 << relationType
)

func (k kindSet) has(t elemType) bool { return k&(1<<t) != 0 }

type tag struct{ key, value string }

// tags is an element's tag list; elements have few tags, so a linear
// search beats building a map for each of millions of elements.
type tags []tag

// get returns the value of key, or "".
func (ts tags) get(key string) string {
	for _, t := range ts {
		if t.key == key {
			return t.value
		}
	}
	return ""
}

func (ts tags) toMap() map[string]string {
	m := make(map[string]string, len(ts))
	for _, t := range ts {
		m[t.key] = t.value
	}
	return m
}

type member struct {
	typ  elemType
	ref  int64
	role string
}

// element is one decoded node, way or relation. Decoders reuse one
// element and its slices: a visitor must copy what it keeps.
type element struct {
	typ     elemType
	id      int64
	lon     int32 // nodes: 1e-7 degrees, OSM's native precision
	lat     int32
	coords  bool // the node has a location (not so in some XML exports)
	tags    tags
	refs    []int64  // way node IDs
	members []member // relation members
	line    int      // XML line of the start tag, 0 in PBF
}

func (e *element) reset(t elemType) {
	e.typ = t
	e.id, e.lon, e.lat, e.coords, e.line = 0, 0, 0, false, 0
	e.tags = e.tags[:0]
	e.refs = e.refs[:0]
	e.members = e.members[:0]
}

// source is an opened extract that can be read several times, once per
// pass, because features need coordinates of nodes that come before
// them in the file and no extract fits in memory as a node map.
type source interface {
	// pass starts reading the file from the beginning for elements of the
	// kinds in want.
	pass(want kindSet) (pass, error)
	close() error
}

// pass is one read through a source.
type pass interface {
	// batch decodes the next block (PBF) or run of elements (XML) and
	// calls fn for each element of the pass's kinds, in file order. It
	// returns io.EOF after the last one and a *FormatError on a fault.
	batch(fn func(*element)) error
	// counts returns how many elements of each type the pass has seen,
	// including those of kinds it does not hand to fn.
	counts() [3]int64
	close() error
}

// e7 converts degrees to OSM's 1e-7 degree integers; callers check the
// range first.
func e7(deg float64) int32 { return int32(math.Round(deg * 1e7)) }

// degrees converts back. Dividing the exact integer by the exact 1e7
// gives the double nearest the decimal, the same as parsing the 7-digit
// decimal text, so XML and PBF yield bit-identical coordinates.
func degrees(v int32) float64 { return float64(v) / 1e7 }
