package feature

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// checkFuzz holds the invariants no input may break besides panicking:
// errors are FormatErrors and attribute text is valid UTF-8 (GeoJSON text
// is decoded by encoding/json, which replaces bad bytes).
func checkFuzz(t *testing.T, err error, recs []Record) {
	t.Helper()
	var fe *FormatError
	if err != nil && !errors.As(err, &fe) {
		t.Fatalf("error %T %v is not a *FormatError", err, err)
	}
	for _, r := range recs {
		for k, v := range r.Attrs {
			s, _ := v.(string)
			if !utf8.ValidString(k) || !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 in %q: %q", k, s)
			}
		}
	}
}

func FuzzGeoJSON(f *testing.F) {
	f.Add(sampleFC)
	f.Add(toSeq(f))
	f.Add(`{"type":"Feature","geometry":{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]},null]}}`)
	f.Add(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"MultiLineString","coordinates":[[[0,0],[1,1]]]}}]}`)
	f.Add("\x1e{\"type\":\"Feature\"}\n\x1e[1,2]\n")
	f.Add(`{"features":[{"type":"Feature","properties":{"a":1e400,"b":{"c":[1,2]}}}]`)
	f.Fuzz(func(t *testing.T, src string) {
		r, err := OpenGeoJSON(strings.NewReader(src))
		if err != nil {
			checkFuzz(t, err, nil)
			return
		}
		var recs []Record
		for r.Next() {
			recs = append(recs, r.Record())
		}
		_ = r.Fields()
		_ = r.CRS()
		checkFuzz(t, r.Err(), recs)
	})
}

func FuzzCSV(f *testing.F) {
	f.Add("名称,经度,纬度\n羊楼司村,113.4,29.5\n", "", "")
	f.Add("\xEF\xBB\xBFid,wkt\n1,\"POLYGON((0 0,1 0,1 1,0 0))\"\n2,MULTIPOINT((1 2),(3 4))\n3,GEOMETRYCOLLECTION(POINT(1 2))\n", "", "")
	f.Add(gbk(f, "名称\t经度\t纬度\n坦渡村\t１１３\t29\n"), "", "")
	f.Add("a;b\n\"x\ny\";2\n1\n", "", "")
	f.Add("e,n\n1,2\n", "e", "n")
	f.Fuzz(func(t *testing.T, src, lon, lat string) {
		r, err := OpenCSV(strings.NewReader(src), CSVOptions{Lon: lon, Lat: lat})
		if err != nil {
			checkFuzz(t, err, nil)
			return
		}
		var recs []Record
		for r.Next() {
			recs = append(recs, r.Record())
		}
		checkFuzz(t, r.Err(), recs)
	})
}
