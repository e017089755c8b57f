package gpkg

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// bin builds bytes from byte, uint32 and float64 values in one byte order,
// to write geometry blobs by hand as other programs would.
func bin(order binary.AppendByteOrder, vals ...any) []byte {
	var b []byte
	for _, v := range vals {
		switch v := v.(type) {
		case byte:
			b = append(b, v)
		case int: // a uint32 field: type code, count, srs_id
			b = order.AppendUint32(b, uint32(v))
		case uint32:
			b = order.AppendUint32(b, v)
		case float64:
			b = order.AppendUint64(b, math.Float64bits(v))
		case []byte:
			b = append(b, v...)
		default:
			panic("bin: unsupported value")
		}
	}
	return b
}

func le(vals ...any) []byte { return bin(binary.LittleEndian, vals...) }
func be(vals ...any) []byte { return bin(binary.BigEndian, vals...) }

// gp is a little-endian GeoPackage header with envelope indicator env and
// extra flag bits, followed by the given envelope values and WKB.
func gp(env byte, extra byte, rest ...any) []byte {
	return le(append([]any{byte('G'), byte('P'), byte(0), byte(1 | env<<1 | extra), 4490}, rest...)...)
}

func TestDecodeGeometry(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		name string
		blob []byte
		want orb.Geometry
	}{
		{"point", gp(0, 0, byte(1), 1, 113.0, 29.0), orb.Point{113, 29}},
		{"big-endian header and WKB",
			be(byte('G'), byte('P'), byte(0), byte(0), 4490, byte(0), 1, 113.5, 29.5),
			orb.Point{113.5, 29.5}},
		{"mixed byte orders", append(be(byte('G'), byte('P'), byte(0), byte(2), 4490, 1.0, 2.0, 3.0, 4.0), le(byte(1), 2, 2, 1.0, 3.0, 2.0, 4.0)...),
			orb.LineString{{1, 3}, {2, 4}}},
		{"line with xy envelope", gp(1, 0, 1.0, 2.0, 3.0, 4.0, byte(1), 2, 2, 1.0, 3.0, 2.0, 4.0),
			orb.LineString{{1, 3}, {2, 4}}},
		{"polygon with xyz envelope", gp(2, 0, 0.0, 1.0, 0.0, 1.0, 5.0, 5.0,
			byte(1), 3, 1, 4, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0),
			orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}},
		{"point with xym envelope", gp(3, 0, 1.0, 1.0, 2.0, 2.0, 0.0, 0.0, byte(1), 1, 1.0, 2.0), orb.Point{1, 2}},
		{"point with xyzm envelope", gp(4, 0, 1.0, 1.0, 2.0, 2.0, 0.0, 0.0, 0.0, 0.0, byte(1), 1, 1.0, 2.0), orb.Point{1, 2}},
		{"ISO point Z", gp(0, 0, byte(1), 1001, 113.0, 29.0, 55.5), orb.Point{113, 29}},
		{"ISO line M", gp(0, 0, byte(1), 2002, 2, 1.0, 2.0, 9.0, 3.0, 4.0, 9.0), orb.LineString{{1, 2}, {3, 4}}},
		{"ISO multipolygon ZM", gp(0, 0, byte(1), 3006, 1,
			byte(1), 3003, 1, 4, 0.0, 0.0, 7.0, 8.0, 1.0, 0.0, 7.0, 8.0, 1.0, 1.0, 7.0, 8.0, 0.0, 0.0, 7.0, 8.0),
			orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}},
		{"EWKB point Z", gp(0, 0, byte(1), uint32(0x80000001), 1.0, 2.0, 3.0), orb.Point{1, 2}},
		{"EWKB line ZM with SRID", gp(0, 0, byte(1), uint32(0xE0000002), 4490, 1, 1.0, 2.0, 3.0, 4.0), orb.LineString{{1, 2}}},
		{"multipoint", gp(0, 0, byte(1), 4, 2, byte(1), 1, 1.0, 2.0, byte(0), []byte(be(1, 3.0, 4.0))),
			orb.MultiPoint{{1, 2}, {3, 4}}},
		{"multipoint drops empty members", gp(0, 0, byte(1), 4, 2, byte(1), 1, nan, nan, byte(1), 1, 3.0, 4.0),
			orb.MultiPoint{{3, 4}}},
		{"multilinestring", gp(1, 0, 0.0, 0.0, 0.0, 0.0, byte(1), 5, 2,
			byte(1), 2, 2, 0.0, 0.0, 1.0, 1.0, byte(1), 2, 2, 2.0, 2.0, 3.0, 3.0),
			orb.MultiLineString{{{0, 0}, {1, 1}}, {{2, 2}, {3, 3}}}},
		{"polygon with hole", gp(1, 0, 0.0, 0.0, 0.0, 0.0, byte(1), 3, 2,
			4, 0.0, 0.0, 4.0, 0.0, 4.0, 4.0, 0.0, 0.0,
			4, 1.0, 1.0, 2.0, 1.0, 2.0, 2.0, 1.0, 1.0),
			orb.Polygon{{{0, 0}, {4, 0}, {4, 4}, {0, 0}}, {{1, 1}, {2, 1}, {2, 2}, {1, 1}}}},
		{"collection", gp(1, 0, 0.0, 0.0, 0.0, 0.0, byte(1), 7, 2, byte(1), 1, 1.0, 2.0, byte(1), 2, 1, 3.0, 4.0),
			orb.Collection{orb.Point{1, 2}, orb.LineString{{3, 4}}}},
		{"trailing bytes ignored", gp(0, 0, byte(1), 1, 1.0, 2.0, byte(9), byte(9)), orb.Point{1, 2}},
		{"empty flag", gp(0, flagEmpty, byte(1), 1, nan, nan), nil},
		{"empty flag without WKB", gp(0, flagEmpty), nil},
		{"empty point", gp(0, 0, byte(1), 1, nan, nan), nil},
		{"empty line", gp(0, 0, byte(1), 2, 0), nil},
		{"empty polygon", gp(0, 0, byte(1), 3, 0), nil},
		{"polygon of empty rings", gp(0, 0, byte(1), 3, 2, 0, 0), nil},
		{"empty multipolygon", gp(0, 0, byte(1), 6, 0), nil},
		{"collection of empties", gp(0, 0, byte(1), 7, 2, byte(1), 1, nan, nan, byte(1), 5, 0), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := decodeGeometry(tc.blob)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestDecodeGeometryErrors(t *testing.T) {
	deep := le(byte(1), 1, 1.0, 2.0)
	for range maxDepth + 2 {
		deep = append(le(byte(1), 7, 1), deep...)
	}
	cases := []struct {
		name   string
		blob   []byte
		reason string // part of the Chinese message
	}{
		{"nil", nil, "只有 0 字节"},
		{"short header", []byte("GP\x00\x01"), "只有 4 字节"},
		{"not GP", le(byte('X'), byte('P'), byte(0), byte(1), 0, byte(1), 1, 1.0, 2.0), "应以“GP”开头"},
		{"WKB without header", le(byte(1), 1, 1.0, 2.0), "应以“GP”开头"},
		{"version 1", le(byte('G'), byte('P'), byte(1), byte(1), 0, byte(1), 1, 1.0, 2.0), "版本 1"},
		{"envelope indicator 5", gp(5, 0, byte(1), 1, 1.0, 2.0), "包络类型 5"},
		{"envelope indicator 7", gp(7, 0, byte(1), 1, 1.0, 2.0), "包络类型 7"},
		{"envelope cut", gp(1, 0, 1.0, 2.0), "包络处截断"},
		{"no WKB", gp(0, 0), "截断"},
		{"byte order 2", gp(0, 0, byte(2), 1, 1.0, 2.0), "字节序标志 2"},
		{"circular string", gp(0, 0, byte(1), 8, 0), "类型代码 8"},
		{"triangle Z", gp(0, 0, byte(1), 1017, 0), "类型代码 1017"},
		{"dimension code 4", gp(0, 0, byte(1), 4001, 1.0, 2.0), "类型代码 4001"},
		{"type 0", gp(0, 0, byte(1), 0), "类型代码 0"},
		{"point cut", gp(0, 0, byte(1), 1, 1.0), "截断"},
		{"point Z cut", gp(0, 0, byte(1), 1001, 1.0, 2.0), "截断"},
		{"EWKB SRID cut", gp(0, 0, byte(1), uint32(0x20000001)), "截断"},
		{"line count cut", gp(0, 0, byte(1), 2), "截断"},
		{"line count huge", gp(0, 0, byte(1), 2, uint32(0xffffffff), 1.0, 2.0), "截断"},
		{"line last point cut", gp(0, 0, byte(1), 2, 2, 1.0, 2.0, 3.0), "截断"},
		{"ring count huge", gp(0, 0, byte(1), 3, uint32(0x7fffffff), 0), "截断"},
		{"ring points huge", gp(0, 0, byte(1), 3, 1, uint32(0x10000000), 0.0, 0.0), "截断"},
		{"multipolygon count huge", gp(0, 0, byte(1), 6, uint32(0xffffffff), byte(1), 3, 0), "截断"},
		{"multipoint of lines", gp(0, 0, byte(1), 4, 1, byte(1), 2, 1, 1.0, 2.0), "类型 2 的成员"},
		{"multipolygon of points", gp(0, 0, byte(1), 6, 1, byte(1), 1, 1.0, 2.0), "类型 1 的成员"},
		{"collection member cut", gp(0, 0, byte(1), 7, 2, byte(1), 1, 1.0, 2.0, byte(1), 1, 1.0), "截断"},
		{"nested too deep", append(gp(0, 0), deep...), "嵌套超过"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, _, err := decodeGeometry(tc.blob)
			fe := formatError(t, err, ErrGeometry)
			if g != nil {
				t.Errorf("got geometry %v with the error", g)
			}
			if !strings.Contains(fe.Error(), tc.reason) {
				t.Errorf("got %q, want it to contain %q", fe.Error(), tc.reason)
			}
		})
	}
}

func TestEncodeGeometry(t *testing.T) {
	cases := []struct {
		name     string
		geom     orb.Geometry
		want     orb.Geometry // after a round trip; nil for empty
		envelope []float64    // minx maxx miny maxy in the header; nil for none
	}{
		{"point", orb.Point{113.25, 29.5}, orb.Point{113.25, 29.5}, nil},
		{"line", orb.LineString{{1, 5}, {3, 2}, {2, 8}}, orb.LineString{{1, 5}, {3, 2}, {2, 8}}, []float64{1, 3, 2, 8}},
		{"polygon with hole",
			orb.Polygon{{{0, 0}, {4, 0}, {4, 4}, {0, 0}}, {{1, 1}, {2, 1}, {2, 2}, {1, 1}}},
			orb.Polygon{{{0, 0}, {4, 0}, {4, 4}, {0, 0}}, {{1, 1}, {2, 1}, {2, 2}, {1, 1}}}, []float64{0, 4, 0, 4}},
		{"multipoint", orb.MultiPoint{{-1, -2}, {3, 4}}, orb.MultiPoint{{-1, -2}, {3, 4}}, []float64{-1, 3, -2, 4}},
		{"multilinestring", orb.MultiLineString{{{0, 0}, {1, 1}}, {{5, -5}, {6, 6}}},
			orb.MultiLineString{{{0, 0}, {1, 1}}, {{5, -5}, {6, 6}}}, []float64{0, 6, -5, 6}},
		{"multipolygon", orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}, {{{10, 10}, {11, 10}, {11, 11}, {10, 10}}}},
			orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}, {{{10, 10}, {11, 10}, {11, 11}, {10, 10}}}}, []float64{0, 11, 0, 11}},
		{"ring as polygon", orb.Ring{{0, 0}, {1, 0}, {1, 1}, {0, 0}}, orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}, []float64{0, 1, 0, 1}},
		{"bound as polygon", orb.Bound{Min: orb.Point{1, 2}, Max: orb.Point{3, 4}},
			orb.Polygon{{{1, 2}, {3, 2}, {3, 4}, {1, 4}, {1, 2}}}, []float64{1, 3, 2, 4}},
		{"collection", orb.Collection{orb.Point{1, 2}, orb.LineString{{3, 4}, {5, 6}}},
			orb.Collection{orb.Point{1, 2}, orb.LineString{{3, 4}, {5, 6}}}, []float64{1, 5, 2, 6}},
		{"empty line", orb.LineString{}, nil, nil},
		{"empty multipolygon", orb.MultiPolygon{}, nil, nil},
		{"empty point", orb.Point{math.NaN(), math.NaN()}, nil, nil},
	}
	var e encoder // shared, as a LayerWriter shares it
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			blob, empty := e.encode(tc.geom, 4490)
			if empty != (tc.want == nil) {
				t.Errorf("empty = %v", empty)
			}
			if string(blob[:3]) != "GP\x00" || binary.LittleEndian.Uint32(blob[4:]) != 4490 {
				t.Errorf("header % x", blob[:8])
			}
			if got := blob[3]&flagEmpty != 0; got != empty {
				t.Errorf("empty flag %v, want %v", got, empty)
			}
			env := int(blob[3]&flagEnvelopeMask) >> 1
			switch {
			case tc.envelope == nil && env != 0:
				t.Errorf("envelope indicator %d, want none", env)
			case tc.envelope != nil && env != 1:
				t.Errorf("envelope indicator %d, want 1 (xy)", env)
			case tc.envelope != nil:
				var got []float64
				for i := range 4 {
					got = append(got, math.Float64frombits(binary.LittleEndian.Uint64(blob[8+8*i:])))
				}
				if !slices.Equal(got, tc.envelope) {
					t.Errorf("envelope %v, want %v", got, tc.envelope)
				}
			}
			g, _, err := decodeGeometry(blob)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(g, tc.want) {
				t.Errorf("round trip gave %#v, want %#v", g, tc.want)
			}
		})
	}
}

func TestEncodeNotFinite(t *testing.T) {
	var e encoder
	for _, g := range []orb.Geometry{
		orb.Point{math.Inf(1), 2},
		orb.LineString{{1, 2}, {math.NaN(), 3}},
		orb.Point{1, math.NaN()}, // one NaN is not the empty point
	} {
		if e.encode(g, 0); e.finite {
			t.Errorf("%v: finite", g)
		}
	}
	if e.encode(orb.LineString{{1, 2}, {3, 4}}, 0); !e.finite {
		t.Error("finite line reported not finite")
	}
}

func TestSortable(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	vals := []float32{float32(math.Inf(-1)), -1e30, -2, -1, -1e-30, 0, 1e-30, 1, 2, 113.25, 1e30, float32(math.Inf(1))}
	for range 1000 {
		vals = append(vals, float32((rng.Float64()-0.5)*1e7))
	}
	slices.Sort(vals)
	for i := 1; i < len(vals); i++ {
		if vals[i] > vals[i-1] && sortable(vals[i]) <= sortable(vals[i-1]) {
			t.Fatalf("sortable(%g) = %d <= sortable(%g) = %d", vals[i], sortable(vals[i]), vals[i-1], sortable(vals[i-1]))
		}
	}
}

// TestHilbert checks the curve on a small grid: the distances of the 2^k
// × 2^k cells in the top-left corner of the full grid are a permutation
// of 0..4^k-1, each step moves to a neighbouring cell.
func TestHilbert(t *testing.T) {
	const k = 4
	const n = 1 << k
	// Cells at the scale of the full 2^32 grid's last 2k bits.
	seen := map[uint64][2]uint32{}
	for x := range uint32(n) {
		for y := range uint32(n) {
			d := hilbert(x, y)
			if d >= n*n {
				t.Fatalf("hilbert(%d, %d) = %d, want < %d", x, y, d, n*n)
			}
			seen[d] = [2]uint32{x, y}
		}
	}
	if len(seen) != n*n {
		t.Fatalf("%d distinct distances, want %d", len(seen), n*n)
	}
	for d := uint64(1); d < n*n; d++ {
		a, b := seen[d-1], seen[d]
		dx, dy := int(a[0])-int(b[0]), int(a[1])-int(b[1])
		if dx*dx+dy*dy != 1 {
			t.Fatalf("step %d: %v to %v is not to a neighbour", d, a, b)
		}
	}
}
