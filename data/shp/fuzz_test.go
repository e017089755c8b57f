package shp

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/data/gdaltest"
)

var fuzzSeeds = flag.Bool("fuzzseeds", false, "rewrite testdata/fuzz seeds from ogr2ogr output")

// seedSets writes small sets with the tests' writer, one per shape
// family, including Z/M, null shapes, holes and a GBK dbf, and returns
// their paths without extension.
func seedSets(tb testing.TB) []string {
	tb.Helper()
	dir := tb.TempDir()
	geoms := []struct {
		typ ShapeType
		g   orb.Geometry
	}{
		{Point, orb.Point{113.4, 29.5}},
		{MultiPointZ, orb.MultiPoint{{1, 2}, {3, 4}}},
		{PolyLineM, orb.MultiLineString{{{0, 0}, {1, 1}}, {{2, 2}, {3, 3}}}},
		{Polygon, orb.MultiPolygon{{square(0, 0, 10, true), square(1, 1, 2, false)}, {square(20, 0, 5, true)}}},
	}
	var stems []string
	for i, c := range geoms {
		s := roadSet(tb, 2)
		s.typ = c.typ
		if i%2 == 1 {
			s.ldid = 0 // exercise the fallback's scan
		}
		base := s.record
		s.record = func(j int) (orb.Geometry, []string, bool) {
			_, v, _ := base(j)
			if j == 1 {
				return nil, v, false
			}
			return c.g, v, false
		}
		stem := filepath.Join(dir, fmt.Sprint(i))
		writeSet(tb, dir, fmt.Sprint(i), s)
		stems = append(stems, stem)
	}
	return stems
}

func readFile(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// fuzzRead reads a whole set from memory and checks the invariants no
// input may break: errors are FormatErrors, polygon rings are closed with
// at least 4 points, attributes have the documented types and text is
// valid UTF-8. A panic fails the fuzz target by itself.
func fuzzRead(t *testing.T, shp, dbf []byte) {
	r, err := OpenFS(fstest.MapFS{"a.shp": {Data: shp}, "a.dbf": {Data: dbf}}, "a.shp")
	if err != nil {
		checkFuzzErr(t, err)
		return
	}
	defer r.Close()
	for _, f := range r.Fields() {
		if !utf8.ValidString(f.Name) {
			t.Fatalf("field name %q is not UTF-8", f.Name)
		}
	}
	for r.Next() {
		rec := r.Record()
		checkGeometry(t, rec.Geometry)
		for k, v := range rec.Attrs {
			switch v := v.(type) {
			case nil, int64, float64, bool, time.Time:
			case string:
				if !utf8.ValidString(v) {
					t.Fatalf("%s = %q is not UTF-8", k, v)
				}
			default:
				t.Fatalf("%s has type %T", k, v)
			}
		}
	}
	if err := r.Err(); err != nil {
		checkFuzzErr(t, err)
	}
}

func checkFuzzErr(t *testing.T, err error) {
	var fe *FormatError
	if !errors.As(err, &fe) || !utf8.ValidString(err.Error()) {
		t.Fatalf("got %v (%T), want a *FormatError with a UTF-8 message", err, err)
	}
}

func checkGeometry(t *testing.T, g orb.Geometry) {
	var polys []orb.Polygon
	switch g := g.(type) {
	case orb.Polygon:
		polys = append(polys, g)
	case orb.MultiPolygon:
		polys = g
	}
	for _, p := range polys {
		for _, ring := range p {
			if len(ring) < 4 {
				t.Fatalf("ring %v has fewer than 4 points", ring)
			}
			// NaN never equals itself, so a ring starting at NaN stays open.
			first := ring[0]
			if first != ring[len(ring)-1] && !math.IsNaN(first[0]) && !math.IsNaN(first[1]) {
				t.Fatalf("ring %v is not closed", ring)
			}
		}
	}
}

// FuzzSHP feeds arbitrary .shp bytes to the record parser, to the end of
// the input, and through the whole Reader with a fixed dbf of two records.
func FuzzSHP(f *testing.F) {
	stems := seedSets(f)
	for _, stem := range stems {
		f.Add(readFile(f, stem+".shp"))
	}
	dbf := readFile(f, stems[0]+".dbf")
	f.Fuzz(func(t *testing.T, shp []byte) {
		if s, err := newSHPReader(bytes.NewReader(shp)); err != nil {
			checkFuzzErr(t, err)
		} else {
			for {
				g, err := s.next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					checkFuzzErr(t, err)
					break
				}
				checkGeometry(t, g)
			}
		}
		fuzzRead(t, shp, dbf)
	})
}

// FuzzDBF feeds arbitrary .dbf bytes, with a fixed .shp of 64 null
// records, through the whole Reader, fallback scan included when the
// language byte is not GBK's.
func FuzzDBF(f *testing.F) {
	stems := seedSets(f)
	for _, stem := range stems {
		f.Add(readFile(f, stem+".dbf"))
	}
	nulls := writeSet(f, f.TempDir(), "nulls", testSet{typ: Point, n: 64,
		record: func(int) (orb.Geometry, []string, bool) { return nil, nil, false }})
	shp := readFile(f, nulls)
	f.Fuzz(func(t *testing.T, dbf []byte) {
		fuzzRead(t, shp, dbf)
	})
}

// TestFuzzSeeds rewrites the GDAL-made seeds under testdata/fuzz when run
// with -fuzzseeds; go test then runs them as part of FuzzSHP and FuzzDBF:
//
//	go test ./data/shp -run FuzzSeeds -fuzzseeds
func TestFuzzSeeds(t *testing.T) {
	if !*fuzzSeeds {
		t.Skip("run with -fuzzseeds to rewrite the seeds")
	}
	gdaltest.Tool(t, "ogr2ogr")
	dir := t.TempDir()
	for _, layer := range gdalLayers {
		src := filepath.Join(dir, layer.name+".geojson")
		writeGeoJSON(t, src, layer.geom)
		for _, enc := range []string{"GBK", "UTF-8"} {
			shp := gdalSet(t, src, dir, layer.name+"-"+enc, "-lco", "ENCODING="+enc)
			writeSeed(t, "FuzzDBF", "gdal-"+layer.name+"-"+enc, readFile(t, shp[:len(shp)-4]+".dbf"))
			if enc == "GBK" { // the .shp does not depend on the encoding
				writeSeed(t, "FuzzSHP", "gdal-"+layer.name, readFile(t, shp))
			}
		}
	}
}

// writeSeed writes b in the go test fuzz v1 corpus format.
func writeSeed(t *testing.T, target, name string, b []byte) {
	t.Helper()
	dir := filepath.Join("testdata", "fuzz", target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
	if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
