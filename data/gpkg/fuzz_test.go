package gpkg

import (
	"bytes"
	"math"
	"testing"

	"github.com/paulmach/orb"
)

// FuzzGeometry feeds arbitrary blobs to the geometry decoder. It must
// never panic or allocate out of proportion to the input; what it accepts
// must survive a re-encode, and its errors must be FormatErrors wrapping
// ErrGeometry.
//
//	go test ./data/gpkg -run '^$' -fuzz FuzzGeometry -fuzztime 20s
func FuzzGeometry(f *testing.F) {
	var e encoder
	for _, g := range []orb.Geometry{
		orb.Point{113.45, 29.48},
		orb.LineString{{1, 2}, {3, 4}, {5, 6}},
		orb.Polygon{{{0, 0}, {4, 0}, {4, 4}, {0, 0}}, {{1, 1}, {2, 1}, {2, 2}, {1, 1}}},
		orb.MultiPoint{{1, 2}, {3, 4}},
		orb.MultiLineString{{{0, 0}, {1, 1}}, {{2, 2}, {3, 3}}},
		orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}},
		orb.Collection{orb.Point{1, 2}, orb.Collection{orb.LineString{{3, 4}}}},
		orb.LineString{},
	} {
		blob, _ := e.encode(g, 4490)
		f.Add(bytes.Clone(blob))
	}
	nan := math.NaN()
	for _, blob := range [][]byte{
		gp(0, 0, byte(1), 1001, 113.0, 29.0, 55.5),
		gp(2, 0, 0.0, 1.0, 0.0, 1.0, 5.0, 5.0, byte(1), 1002, 2, 1.0, 2.0, 9.0, 3.0, 4.0, 9.0),
		gp(0, 0, byte(1), 3006, 1, byte(1), 3003, 1, 4, 0.0, 0.0, 7.0, 8.0, 1.0, 0.0, 7.0, 8.0, 1.0, 1.0, 7.0, 8.0, 0.0, 0.0, 7.0, 8.0),
		gp(0, 0, byte(1), uint32(0xE0000002), 4490, 1, 1.0, 2.0, 3.0, 4.0),
		be(byte('G'), byte('P'), byte(0), byte(0), 4490, byte(0), 1, 113.5, 29.5),
		gp(0, flagEmpty, byte(1), 1, nan, nan),
		gp(0, 0, byte(1), 4, 2, byte(1), 1, nan, nan, byte(1), 1, 3.0, 4.0),
		gp(0, 0, byte(1), 2, uint32(0xffffffff), 1.0, 2.0),
		gp(5, 0),
		[]byte("GP"),
	} {
		f.Add(blob)
	}
	f.Fuzz(func(t *testing.T, blob []byte) {
		g, _, err := decodeGeometry(blob)
		if err != nil {
			formatError(t, err, ErrGeometry)
			if g != nil {
				t.Fatalf("geometry %v returned with error %v", g, err)
			}
			return
		}
		if g == nil {
			return
		}
		var e1, e2 encoder
		b1, empty := e1.encode(g, 0)
		if empty {
			t.Fatalf("decoded geometry %v encodes as empty", g)
		}
		g2, _, err := decodeGeometry(b1)
		if err != nil {
			t.Fatalf("re-encoded %v does not decode: %v", g, err)
		}
		if b2, _ := e2.encode(g2, 0); !bytes.Equal(b1, b2) {
			t.Fatalf("round trip changed %v into %v", g, g2)
		}
	})
}
