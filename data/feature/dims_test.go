package feature

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/data/gdaltest"
	"github.com/gapmap/gapmap/geo"
)

// surveyFeatures are survey geometries with heights (metres), as WKT for
// GDAL, and the XY the reader must give. The heights are far from the XY,
// so that a parser that took one for a coordinate is caught by the exact
// comparison.
var surveyFeatures = []struct {
	wkt  string // "%s" where " Z" goes, "~%d" where each height goes
	want orb.Geometry
}{
	{"POINT%s (113.45 29.48~1)", orb.Point{113.45, 29.48}},
	{"LINESTRING%s (113.1 29.1~1,113.2 29.25~2,113.3 29.2~3)", orb.LineString{{113.1, 29.1}, {113.2, 29.25}, {113.3, 29.2}}},
	{"POLYGON%s ((113.0 29.0~1,113.4 29.0~2,113.4 29.3~3,113.0 29.3~4,113.0 29.0~1),(113.1 29.1~5,113.1 29.2~6,113.2 29.2~7,113.2 29.1~8,113.1 29.1~5))",
		orb.Polygon{
			{{113.0, 29.0}, {113.4, 29.0}, {113.4, 29.3}, {113.0, 29.3}, {113.0, 29.0}},
			{{113.1, 29.1}, {113.1, 29.2}, {113.2, 29.2}, {113.2, 29.1}, {113.1, 29.1}},
		}},
	{"MULTIPOINT%s ((113.1 29.1~1),(113.2 29.2~2))", orb.MultiPoint{{113.1, 29.1}, {113.2, 29.2}}},
	{"MULTILINESTRING%s ((113.0 29.0~1,113.1 29.05~2),(113.2 29.0~3,113.25 29.1~4))",
		orb.MultiLineString{{{113.0, 29.0}, {113.1, 29.05}}, {{113.2, 29.0}, {113.25, 29.1}}}},
	{"MULTIPOLYGON%s (((113.5 29.5~1,113.6 29.5~2,113.6 29.6~3,113.5 29.5~1)),((114.0 29.0~4,114.5 29.0~5,114.5 29.5~6,114.0 29.0~4)))",
		orb.MultiPolygon{
			{{{113.5, 29.5}, {113.6, 29.5}, {113.6, 29.6}, {113.5, 29.5}}},
			{{{114.0, 29.0}, {114.5, 29.0}, {114.5, 29.5}, {114.0, 29.0}}},
		}},
}

// surveyWKT is feature i's WKT with heights 30+1.25n, or 2D.
func surveyWKT(i int, z bool) string {
	tag, s := "", surveyFeatures[i].wkt
	if z {
		tag = " Z"
	}
	s = strings.Replace(s, "%s", tag, 1)
	var b strings.Builder
	for {
		j := strings.IndexByte(s, '~')
		if j < 0 {
			return b.String() + s
		}
		b.WriteString(s[:j])
		var n int
		fmt.Sscanf(s[j+1:], "%d", &n)
		if z {
			fmt.Fprintf(&b, " %g", 30+1.25*float64(n))
		}
		s = strings.TrimLeft(s[j+1:], "0123456789")
	}
}

// TestDimsGDAL reads GeoJSON and GeoJSONSeq that GDAL's ogr2ogr, an
// independent writer, wrote from survey geometries with and without
// heights: the reader must give the XY exactly and report the heights in
// Dims.
func TestDimsGDAL(t *testing.T) {
	dir := t.TempDir()
	for _, z := range []bool{false, true} {
		var csv strings.Builder
		csv.WriteString("WKT,n\n")
		for i := range surveyFeatures {
			fmt.Fprintf(&csv, "\"%s\",%d\n", surveyWKT(i, z), i)
		}
		dim, want := "XY", geo.Dims(0)
		if z {
			dim, want = "XYZ", geo.DimZ
		}
		src := filepath.Join(dir, dim+".csv")
		if err := os.WriteFile(src, []byte(csv.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, driver := range []string{"GeoJSON", "GeoJSONSeq"} {
			t.Run(dim+"/"+driver, func(t *testing.T) {
				path := filepath.Join(dir, dim+"."+strings.ToLower(driver))
				gdaltest.Run(t, "ogr2ogr", "-f", driver, path, src, "-dim", dim)
				text, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				// The first feature is the point: GDAL wrote its height, or not.
				var first []float64
				at := strings.Index(string(text), `"coordinates":`)
				if at < 0 || json.NewDecoder(strings.NewReader(string(text[at+len(`"coordinates":`):]))).Decode(&first) != nil ||
					len(first) != map[bool]int{false: 2, true: 3}[z] {
					t.Fatalf("GDAL's %s does not start with the %s point:\n%s", driver, dim, text)
				}
				r, recs, err := readAllGeoJSON(t, string(text))
				if err != nil {
					t.Fatal(err)
				}
				if len(recs) != len(surveyFeatures) {
					t.Fatalf("read %d features, want %d", len(recs), len(surveyFeatures))
				}
				for i, rec := range recs {
					if !reflect.DeepEqual(rec.Geometry, surveyFeatures[i].want) {
						t.Errorf("feature %d: got %v, want %v", i, rec.Geometry, surveyFeatures[i].want)
					}
				}
				if r.Dims() != want {
					t.Errorf("Dims() = %v, want %v", r.Dims(), want)
				}
			})
		}
	}
}

// TestDims covers the parser's paths to a position: a height in a later
// feature only, in a GeometryCollection member, with "type" after
// "coordinates", a fourth number, and in a feature the reader rejects.
func TestDims(t *testing.T) {
	feature := func(geom string) string {
		return `{"type":"Feature","properties":{},"geometry":` + geom + `}`
	}
	flat := feature(`{"type":"Point","coordinates":[113.45,29.48]}`)
	cases := []struct {
		name  string
		feats []string
		each  []geo.Dims // Dims after each Next
	}{
		{"2D", []string{flat, flat}, []geo.Dims{0, 0}},
		{"height in the third feature", []string{flat, flat, feature(`{"type":"Point","coordinates":[113.45,29.48,35.25]}`), flat},
			[]geo.Dims{0, 0, geo.DimZ, geo.DimZ}},
		{"one height of a line", []string{feature(`{"type":"LineString","coordinates":[[113.1,29.1],[113.2,29.2,41.5]]}`)},
			[]geo.Dims{geo.DimZ}},
		{"collection member", []string{feature(`{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]},` +
			`{"type":"MultiPolygon","coordinates":[[[[0,0,5],[1,0,5],[1,1,5],[0,0,5]]]]}]}`)},
			[]geo.Dims{geo.DimZ}},
		{"type after coordinates", []string{feature(`{"coordinates":[[113.1,29.1,7],[113.2,29.2,8]],"type":"LineString"}`)},
			[]geo.Dims{geo.DimZ}},
		{"coordinates of null", []string{feature(`{"type":"Point","coordinates":[113.45,29.48,null]}`)},
			[]geo.Dims{geo.DimZ}},
		{"fourth number", []string{feature(`{"type":"Point","coordinates":[113.45,29.48,35.25,1200]}`)},
			[]geo.Dims{geo.DimZ}},
		{"null geometry", []string{feature(`null`)}, []geo.Dims{0}},
	}
	for _, c := range cases {
		for _, seq := range []bool{false, true} {
			src := `{"type":"FeatureCollection","features":[` + strings.Join(c.feats, ",") + `]}`
			if seq {
				src = strings.Join(c.feats, "\n") + "\n"
			}
			r, err := OpenGeoJSON(strings.NewReader(src))
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			var got []geo.Dims
			for r.Next() {
				if p, ok := r.Record().Geometry.(orb.Point); ok && p != (orb.Point{113.45, 29.48}) && p != (orb.Point{1, 2}) {
					t.Errorf("%s: point %v", c.name, p)
				}
				got = append(got, r.Dims())
			}
			if err := r.Err(); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			// Open reads the first feature ahead, so Dims may know it
			// before the first Next: only the values after Next count.
			if !reflect.DeepEqual(got, c.each) {
				t.Errorf("%s (seq %v): Dims() after each Next = %v, want %v", c.name, seq, got, c.each)
			}
		}
	}

	// A rejected feature's height does not count: the reader stops there.
	r, err := OpenGeoJSON(strings.NewReader(flat + "\n" + feature(`{"type":"LineString","coordinates":[[1,2,3]]}`) + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
	}
	if !errors.Is(r.Err(), ErrGeometry) || r.Dims() != 0 {
		t.Errorf("a one-point line with a height: Err() = %v, Dims() = %v; want ErrGeometry, XY", r.Err(), r.Dims())
	}
}

// TestCSVWKTWithZ: a CSV's WKT with Z or M is refused rather than read as
// 2D, so the CSV reader has no dimensions to report.
func TestCSVWKTWithZ(t *testing.T) {
	for _, w := range []string{"POINT Z (113.45 29.48 35.25)", "POINT M (113.45 29.48 1200)", "POINT ZM (1 2 3 4)", "POINT (113.45 29.48 35.25)"} {
		_, _, err := readAllCSV(t, "名称,WKT\na,\""+w+"\"\n", CSVOptions{})
		if !errors.Is(err, ErrGeometry) {
			t.Errorf("WKT %s: got %v, want ErrGeometry", w, err)
		}
	}
}
