package shp

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/geo"
)

// readAll opens path and reads every record, failing tb on any error.
func readAll(tb testing.TB, path string) (*Reader, []Record) {
	tb.Helper()
	r, err := Open(path)
	if err != nil {
		tb.Fatalf("Open(%s): %v", path, err)
	}
	tb.Cleanup(func() { r.Close() })
	var recs []Record
	for r.Next() {
		recs = append(recs, r.Record())
	}
	if err := r.Err(); err != nil {
		tb.Fatalf("reading %s: %v", path, err)
	}
	return r, recs
}

// readErr opens path and reads to the end, returning the first error from
// Open or from reading, and how many records came before it.
func readErr(tb testing.TB, path string) (int, error) {
	tb.Helper()
	r, err := Open(path)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	n := 0
	for r.Next() {
		n++
	}
	return n, r.Err()
}

// wantFormatError checks that err is a *FormatError wrapping sentinel
// whose message contains every one of parts.
func wantFormatError(tb testing.TB, err, sentinel error, parts ...string) *FormatError {
	tb.Helper()
	var fe *FormatError
	if !errors.As(err, &fe) {
		tb.Fatalf("got error %v (%T), want a *FormatError", err, err)
	}
	if !errors.Is(err, sentinel) {
		tb.Errorf("got %v, want it to wrap %v", err, sentinel)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			tb.Errorf("got message %q, want it to contain %q", err.Error(), p)
		}
	}
	return fe
}

// canon returns g with polygon rings turned to RFC 7946 orientation (outer
// counter-clockwise, holes clockwise), so that geometries that differ only
// in winding compare equal.
func canon(g orb.Geometry) orb.Geometry {
	orient := func(p orb.Polygon) orb.Polygon {
		out := make(orb.Polygon, len(p))
		for i, r := range p {
			ccw := geo.RingArea(r) > 0
			if (i == 0) != ccw {
				r = reversed(r)
			}
			out[i] = r
		}
		return out
	}
	switch g := g.(type) {
	case orb.Polygon:
		return orient(g)
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(g))
		for i, p := range g {
			out[i] = orient(p)
		}
		return out
	}
	return g
}

// geomEqual compares two geometries of the same orb type point by point
// within eps, returning a description of the first difference or "".
func geomEqual(got, want orb.Geometry, eps float64) string {
	if got == nil || want == nil {
		if got == nil && want == nil {
			return ""
		}
		return fmt.Sprintf("got %#v, want %#v", got, want)
	}
	if fmt.Sprintf("%T", got) != fmt.Sprintf("%T", want) {
		return fmt.Sprintf("got a %T, want a %T", got, want)
	}
	got, want = canon(got), canon(want)
	var flat func(g orb.Geometry) [][]orb.Point
	flat = func(g orb.Geometry) [][]orb.Point {
		switch g := g.(type) {
		case orb.Point:
			return [][]orb.Point{{g}}
		case orb.MultiPoint:
			return [][]orb.Point{g}
		case orb.LineString:
			return [][]orb.Point{g}
		case orb.Ring:
			return [][]orb.Point{g}
		case orb.MultiLineString:
			var out [][]orb.Point
			for _, l := range g {
				out = append(out, flat(l)...)
			}
			return out
		case orb.Polygon:
			out := [][]orb.Point{{{float64(len(g)), 0}}} // ring count, so that nesting matters
			for _, r := range g {
				out = append(out, r)
			}
			return out
		case orb.MultiPolygon:
			var out [][]orb.Point
			for _, p := range g {
				out = append(out, flat(p)...)
			}
			return out
		}
		return nil
	}
	a, b := flat(got), flat(want)
	if len(a) != len(b) {
		return fmt.Sprintf("got %v, want %v", got, want)
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return fmt.Sprintf("part %d: got %v, want %v", i, a[i], b[i])
		}
		for j := range a[i] {
			if math.Abs(a[i][j][0]-b[i][j][0]) > eps || math.Abs(a[i][j][1]-b[i][j][1]) > eps {
				return fmt.Sprintf("part %d point %d: got %v, want %v", i, j, a[i][j], b[i][j])
			}
		}
	}
	return ""
}

// attrsEqual compares attribute maps, floats within eps.
func attrsEqual(got, want map[string]any, eps float64) string {
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var diffs []string
	for _, k := range keys {
		g, ok := got[k]
		w := want[k]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("%s missing", k))
		case w == nil || g == nil:
			if w != g {
				diffs = append(diffs, fmt.Sprintf("%s: got %#v, want %#v", k, g, w))
			}
		default:
			switch wv := w.(type) {
			case float64:
				gv, ok := g.(float64)
				if !ok || math.Abs(gv-wv) > eps {
					diffs = append(diffs, fmt.Sprintf("%s: got %#v, want %#v", k, g, w))
				}
			case time.Time:
				gv, ok := g.(time.Time)
				if !ok || !gv.Equal(wv) {
					diffs = append(diffs, fmt.Sprintf("%s: got %v, want %v", k, g, w))
				}
			default:
				if g != w {
					diffs = append(diffs, fmt.Sprintf("%s: got %#v, want %#v", k, g, w))
				}
			}
		}
	}
	if len(got) != len(want) {
		diffs = append(diffs, fmt.Sprintf("got %d attributes, want %d", len(got), len(want)))
	}
	return strings.Join(diffs, "; ")
}
