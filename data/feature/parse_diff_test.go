package feature

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// The tests here hold the hand-written parser to the encoding/json-based
// reader it replaced, kept in oracle_test.go: on any input both must give
// the same records, Fields and CRS, and fail at the same feature with the
// same sentinel and message.

// diffSeeds are single features and lines that probe the corners of
// JSON and of encoding/json's decoding.
var diffSeeds = []string{
	// ordinary
	`{"type":"Feature","properties":{"ext_id":"b12","name":"道路12","ref":"C0012","grade":"县道","surface":"水泥","width_m":4.3,"year":2012},"geometry":{"type":"LineString","coordinates":[[112.345678,27.123456],[112.346012,27.124001],[112.3467,27.1245],[112.3471,27.1251]]}}`,
	`{"type":"Feature","id":"a1","properties":{},"geometry":{"type":"MultiLineString","coordinates":[[[0,0],[1,1]],[[2,2],[3,3],[4,4]]]}}`,
	`{"type":"Feature","id":17,"geometry":{"type":"MultiPoint","coordinates":[[1,2],[3,4,5]]},"properties":null}`,
	`{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]],[[0.1,0.1],[0.2,0.1],[0.2,0.2],[0.1,0.1]]],[[[5,5],[6,5],[6,6],[5,5]]]]}}`,
	// strings: escapes, surrogates, invalid UTF-8
	`{"type":"Feature","properties":{"a":"\u00e9\ud83d\ude00 \ud800x \udc00\ud800\ud800\udc00 \\\"\/\b\f\n\r\t","\u540d\u79f0":"\u0000"}}`,
	"{\"type\":\"Feature\",\"properties\":{\"bad\xff\":\"x\xfey\xed\xa0\x80z\xc3\",\"ok\":\"\xe9\x81\x93\",\"mix\":\"\\n\xff\"}}",
	"{\"type\":\"Feature\",\"properties\":{\"n\":{\"x\":[\"\xff\xfe\", 1 , {\"y\" : \"\\u00e9\"}]},\"a\":[ ]}}",
	`{"type":"Feature\u0000"}`,
	"{\"type\":\"Feat\xffure\"}",
	// duplicate and case-folded members
	`{"type":"Feature","properties":{"a":1,"a":2,"b":3},"properties":{"c":true,"d":null,"c":false}}`,
	`{"TYPE":"Feature","Geometry":{"Type":"Point","COORDINATES":[1,2]},"propertieſ":{"a":1},"Id":7,"\u0069d":8}`,
	`{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"geometry":null}`,
	`{"type":"Feature","geometry":null,"geometry":{"type":"Point","coordinates":[1]}}`,
	`{"type":"Feature","type":null}`,
	`{"type":1,"type":"Feature"}`,
	`{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2],"type":"LineString"}}`,
	`{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2],"coordinates":[[1,2],[3,4]],"type":"LineString"}}`,
	`{"type":"Feature","geometry":{"type":"Point","type":null,"coordinates":[1,2]}}`,
	// numbers
	`{"type":"Feature","properties":{"z":-0,"e":1e400,"f":-1E-400,"g":1.5e+3,"h":0.1,"i":123456789012345678901234567890,"j":9007199254740993,"k":1e22,"l":1e23,"m":-0.0e-0,"n":0.30000000000000004,"o":1E-7,"p":4.3}}`,
	`{"type":"Feature","id":1e21}`,
	`{"type":"Feature","id":-0}`,
	`{"type":"Feature","id":1e400}`,
	`{"type":"Feature","id":[1, "x\xff"]}`,
	`{"type":"Feature","id":true}`,
	`{"type":"Feature","id":{"a" : 1}}`,
	`{"type":"Feature","id":"x","id":null}`,
	`{"type":"Feature","geometry":{"type":"Point","coordinates":[-0,1e-400]}}`,
	`{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2,1e400]}}`,
	`{"type":"Feature","geometry":{"type":"Point","coordinates":[112.34567890123456789,27.000000000000000001]}}`,
	// whitespace everywhere, members in any order, unknown members
	" \t\r\n{ \"geometry\" :\n{ \"coordinates\" : [ [ 1 , 2 ] ,\t[ 3 , 4 ] ] , \"type\" : \"LineString\" } ,\r\n\"properties\" : { \"a\" : [ 1 , { } ] } , \"type\" : \"Feature\" } \n",
	`{"bbox":[0,0,1,1],"crs":{"type":"name","properties":{"name":"EPSG:4326"}},"type":"Feature","geometry":{"bbox":[1],"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]],"foo":{"bar":[]}}}`,
	// GeometryCollection
	`{"type":"Feature","geometry":{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]},null,{"type":"GeometryCollection","geometries":[]},{"type":"MultiPoint","coordinates":[]}]}}`,
	`{"type":"Feature","geometry":{"geometries":[null,null],"type":"GeometryCollection","coordinates":"x"}}`,
	`{"type":"Feature","geometry":{"type":"GeometryCollection","geometries":[{"type":"LineString","coordinates":[[1,2]]}]}}`,
	`{"type":"Feature","geometry":{"type":"GeometryCollection","geometries":[1]}}`,
	`{"type":"Feature","geometry":{"type":"GeometryCollection","geometries":{}}}`,
	`{"type":"Feature","geometry":{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]}],"geometries":null}}`,
	`{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2],"geometries":5}}`,
	`{"type":"Feature","geometry":` + nestedGC(31) + `}`,
	`{"type":"Feature","geometry":` + nestedGC(33) + `}`,
	`{"type":"Feature","geometry":` + nestedGC(40) + `}`,
	// geometry faults
	`{"type":"Feature","geometry":{"type":"LineString","coordinates":[[1,null],null,[2]]}}`,
	`{"type":"Feature","geometry":{"type":"MultiLineString","coordinates":[[[1,2],[3,4]],[[1,2],[3]],[[1,2]]]}}`,
	`{"type":"Feature","geometry":{"type":"Point","coordinates":[null,null]}}`,
	`{"type":"Feature","geometry":{"type":"Point","coordinates":[]}}`,
	`{"type":"Feature","geometry":{"type":"Point","coordinates":null}}`,
	`{"type":"Feature","geometry":{"type":"MultiPoint","coordinates":[[1,2],null]}}`,
	`{"type":"Feature","geometry":{"type":"MultiPoint","coordinates":[]}}`,
	`{"type":"Feature","geometry":{"type":"MultiLineString","coordinates":[]}}`,
	`{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],null,[]]}}`,
	`{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[0,0],[1,0],[1,1],[0,1]]]]}}`,
	`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[]}}`,
	`{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[]}}`,
	`{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[null]}}`,
	`{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[1,2],[1,2],[1,2],[1]]]]}}`,
	`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]],null]}}`,
	`{"type":"Feature","properties":{"a":x}}`,
	`{"type":"Feature","properties":{"a":1,}}`,
	`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,-0]],[[0,0],[1,0],[0,0]]]}}`,
	`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1],[1,1],[0,0]]]}}`,
	`{"type":"Feature","geometry":{"type":"Point","coordinates":[1,"2"]}}`,
	`{"type":"Feature","geometry":{"type":"Point","coordinates":[[1,2]]}}`,
	`{"type":"Feature","geometry":{"type":"LineString","coordinates":[[1,2],{}]}}`,
	`{"type":"Feature","geometry":{"type":"Circle","coordinates":[0,0]}}`,
	`{"type":"Feature","geometry":{"coordinates":[1,2]}}`,
	`{"type":"Feature","geometry":{"type":"Point"}}`,
	`{"type":"Feature","geometry":{"type":3}}`,
	`{"type":"Feature","geometry":[1,2]}`,
	`{"type":"Feature","geometry":"Point"}`,
	`{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":"x"}`,
	`{"type":"Feature","geometry":{"type":"Point","coordinates":[1]},"properties":[1]}`,
	`{"type":"Topology"}`,
	`{"type":"Feature","type":"FeatureCollection"}`,
	`null`, `1`, `"x"`, `[]`, `true`, `{}`, ` {} `,
	// syntax
	`{"a":-}`, `{"a":1.}`, `{"a":1.e5}`, `{"a":1e}`, `{"a":1e+}`, `{"a":01}`, `{"a":-01}`, `{"a":.5}`, `{"a":+1}`,
	`{"a":tru}`, `{"a":nul}`, `{"a":fals}`, `{"a":True}`, `{"a":truex}`,
	`{"a":"\x"}`, `{"a":"\u12"}`, `{"a":"\u12G4"}`, "{\"a\":\"x\ny\"}", "{\"a\":\"x\x7fy\"}",
	`{"a" 1}`, `{"a":1 "b":2}`, `{,}`, `{"a":1,}`, `{1:2}`, `{"a":[1,]}`, `{"a":[1 2]}`, `{"a":]}`, `{"a":{]}`, `{"a":[}`,
	`{"type":"Feature"}x`, `{"type":"Feature"}{}`, `{"type":"Feature"`, `{"type":"Feature",`, `{"type"`, `{"type":`, `{`, ``, ` `,
	"\x1e{}", "{\"a\":1}\x00", "{'a':1}",
	`{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2}}`,
	`{"type":"Feature","properties":{"a":` + strings.Repeat("[", 9998) + strings.Repeat("]", 9998) + `}}`,
	`{"type":"Feature","properties":{"a":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}}`,
	`{"type":"Feature","properties":{"a":` + strings.Repeat(`{"b":`, 10000) + `1` + strings.Repeat("}", 10000) + `}}`,
	`{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}}`,
}

// nestedGC is a Point inside n GeometryCollections.
func nestedGC(n int) string {
	return strings.Repeat(`{"type":"GeometryCollection","geometries":[`, n) + `{"type":"Point","coordinates":[1,2]}` + strings.Repeat("]}", n)
}

// dump shows a record with every detail that matters: types, nil against
// empty, the sign of zero.
func dump(v any) string {
	s := fmt.Sprintf("%#v", v)
	return s
}

// sameFloats reports whether two geometries or attribute maps hold the
// same numbers down to the sign of zero, which %#v shows but DeepEqual
// ignores; dump catches the rest.
func signs(v any) string {
	var sb strings.Builder
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case float64:
			fmt.Fprintf(&sb, "%x ", math.Float64bits(v))
		case orb.Point:
			fmt.Fprintf(&sb, "%x %x ", math.Float64bits(v[0]), math.Float64bits(v[1]))
		case orb.MultiPoint:
			for _, p := range v {
				walk(p)
			}
		case orb.LineString:
			for _, p := range v {
				walk(p)
			}
		case orb.Ring:
			for _, p := range v {
				walk(p)
			}
		case orb.MultiLineString:
			for _, p := range v {
				walk(p)
			}
		case orb.Polygon:
			for _, p := range v {
				walk(p)
			}
		case orb.MultiPolygon:
			for _, p := range v {
				walk(p)
			}
		case orb.Collection:
			for _, p := range v {
				walk(p)
			}
		}
	}
	walk(v)
	return sb.String()
}

func recordText(r Record) string {
	s := dump(r) + signs(r.Geometry)
	for _, k := range sortedKeys(r.Attrs) {
		s += k + "=" + signs(r.Attrs[k])
	}
	return s
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if keys[j] < keys[i] {
				keys[i], keys[j] = keys[j], keys[i]
			}
		}
	}
	return keys
}

// checkLine parses one GeoJSONSeq line with both parsers and compares.
func checkLine(t *testing.T, line string) {
	t.Helper()
	jsonLimits(t) // the oracle knows only encoding/json's limits
	raw := []byte(line)
	old := &oldGeoJSONReader{seq: true, line: 1}
	wantRec, wantErr := old.parse(raw)
	var wantFields []string
	if wantErr == nil {
		wantFields = oldFieldsOf(raw)
	}
	g := &GeoJSONReader{seq: true, line: 1}
	res := g.p.parseFeature(raw, true, true)
	gotRec, gotErr := g.record(res)

	valid := json.Valid(raw)
	if !valid && !errors.Is(gotErr, ErrSyntax) {
		t.Fatalf("%q: encoding/json rejects it, the parser gives %v", line, gotErr)
	}
	if valid && errors.Is(gotErr, ErrSyntax) {
		t.Fatalf("%q: encoding/json accepts it, the parser gives %v", line, gotErr)
	}
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("%q:\n got error %v\nwant error %v", line, gotErr, wantErr)
	}
	if gotErr != nil {
		if gotErr.Error() != wantErr.Error() || !sameSentinel(gotErr, wantErr) {
			t.Fatalf("%q:\n got %v (%v)\nwant %v (%v)", line, gotErr, errors.Unwrap(gotErr), wantErr, errors.Unwrap(wantErr))
		}
		return
	}
	if got, want := recordText(gotRec), recordText(wantRec); got != want {
		t.Fatalf("%q:\n got %s\nwant %s", line, got, want)
	}
	if got, want := dump(res.fields), dump(wantFields); got != want {
		t.Fatalf("%q: fields\n got %s\nwant %s", line, got, want)
	}
}

func sameSentinel(a, b error) bool {
	for _, s := range []error{ErrSyntax, ErrStructure, ErrGeometry} {
		if errors.Is(a, s) != errors.Is(b, s) {
			return false
		}
	}
	return true
}

// FuzzFeatureDiff compares the parser with encoding/json on single
// features: same acceptance, same records, same errors.
func FuzzFeatureDiff(f *testing.F) {
	for _, s := range diffSeeds {
		f.Add(s)
	}
	for _, l := range strings.Split(toSeq(f), "\n") {
		f.Add(strings.TrimLeft(strings.TrimSpace(l), "\x1e"))
	}
	// a sample feature cut off at every byte
	sample := `{"type":"Feature","id":-1.5e3,"properties":{"a":"x\u00e9\"","b":[1,{"c":null}],"t":true,"f":false},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0.5],[1,1],[0,0]]]}}`
	for i := range len(sample) {
		f.Add(sample[:i])
	}
	f.Fuzz(func(t *testing.T, line string) {
		checkLine(t, line)
	})
}

var offsetRE = regexp.MustCompile(`（第 -?\d+ 字节附近）`)

// FuzzReaderDiff compares whole files, FeatureCollections and GeoJSONSeq,
// read by the reader and by its encoding/json predecessor. Byte offsets in
// messages about malformed FeatureCollections may differ: the old ones
// came from encoding/json's internal counters, the new are file offsets.
func FuzzReaderDiff(f *testing.F) {
	f.Add(sampleFC)
	f.Add(toSeq(f))
	f.Add(roadsFC(3))
	f.Add(roadsSeq(3))
	for _, s := range diffSeeds[:20] {
		f.Add(`{"type":"FeatureCollection","features":[` + s + `]}`)
		f.Add(s + "\n" + s)
	}
	for _, s := range []string{
		`{"features":[],"type":"FeatureCollection"}`,
		`{"type":"FeatureCollection","features":[],"crs":{"type":"name","properties":{"name":"EPSG:4326"}}}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature"}],"features":[1,2],"crs":{"properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}}}`,
		`{"type":"FeatureCollection","features":[1x]}`,
		`{"type":"FeatureCollection","features":[-x]}`,
		`{"type":"FeatureCollection","features":[-]`,
		`{"type":"FeatureCollection","features":[tru]}`,
		`{"type":"FeatureCollection","features":["a\x"]}`,
		`{"type":"FeatureCollection","features":[null]}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature"} {"type":"Feature"}]}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature"}x]}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature"},]}`,
		`{"type":"FeatureCollection","features":[,]}`,
		`{"type":"FeatureCollection","features":[}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature"}}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature"},`,
		`{"type":"FeatureCollection","features":[{"type":"Feature"}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature"}]`,
		`{"type":"FeatureCollection","features":[{"type":"Feature"}],`,
		`{"type":"FeatureCollection","features":[{"type":"Feature"}],"x":tru}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature"}] "x":1}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature"}]}garbage`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]}},{"type":"Feature","geometry":{"type":"Point","coordinates":[1]}}]}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"a":1e400}}, 12345]}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"a":` + strings.Repeat("[", 10001) + `]}`,
		"\xEF\xBB\xBF{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\"}]}",
		"\x1e{\"type\":\"Feature\"}\n\x1e[1,2]\n",
		"{\"type\":\"Feature\"}\n\n  \n{\"type\":\"Feature\",\"id\":2}\r\n{\"type\":\"Feature\"",
		`{"features":[{"type":"Feature","properties":{"a":1e400,"b":{"c":[1,2]}}}]`,
	} {
		f.Add(s)
	}
	full := sampleFC
	for i := 0; i < len(full); i += 7 {
		f.Add(full[:i])
	}
	f.Fuzz(func(t *testing.T, src string) {
		checkFile(t, src, func(s string) io.Reader { return strings.NewReader(s) })
		// A FeatureCollection whose features arrive a few bytes at a
		// time: a member longer than the look-ahead comes first, so the
		// features array starts with almost nothing buffered, and the
		// reader must parse features cut off by the end of what it has
		// read and parse them again with more.
		if doc := strings.TrimLeft(src, " \t\r\n"); strings.HasPrefix(doc, "{") && strings.Contains(doc, "features") {
			checkFile(t, `{"pad":"`+strings.Repeat("x", peekSize+100)+`",`+doc[1:], trickle)
		}
	})
}

// trickle reads s in pieces of 1 to 13 bytes.
func trickle(s string) io.Reader { return &trickleReader{s: s} }

type trickleReader struct {
	s string
	n int
}

func (r *trickleReader) Read(p []byte) (int, error) {
	if len(r.s) == 0 {
		return 0, io.EOF
	}
	r.n = r.n%13 + 1
	n := copy(p[:min(len(p), r.n)], r.s)
	r.s = r.s[n:]
	return n, nil
}

// checkFile reads src with both readers and compares all they report.
func checkFile(t *testing.T, src string, reader func(string) io.Reader) {
	t.Helper()
	jsonLimits(t) // the oracle knows only encoding/json's limits
	old, oerr := oldOpenGeoJSON(reader(src))
	g, gerr := OpenGeoJSON(reader(src))
	if !sameError(gerr, oerr) {
		t.Fatalf("OpenGeoJSON(%q):\n got %v\nwant %v", src, gerr, oerr)
	}
	if gerr != nil {
		return
	}
	if got, want := dump(g.Fields()), dump(old.Fields()); got != want {
		t.Fatalf("%q: Fields\n got %s\nwant %s", src, got, want)
	}
	for i := 0; ; i++ {
		on, gn := old.Next(), g.Next()
		if on != gn {
			t.Fatalf("%q: feature %d: Next() = %v, want %v (err %v, want %v)", src, i, gn, on, g.Err(), old.Err())
		}
		if !gn {
			break
		}
		if got, want := recordText(g.Record()), recordText(old.Record()); got != want {
			t.Fatalf("%q: feature %d:\n got %s\nwant %s", src, i, got, want)
		}
	}
	if !sameError(g.Err(), old.Err()) {
		t.Fatalf("%q: Err()\n got %v\nwant %v", src, g.Err(), old.Err())
	}
	if g.CRS() != old.CRS() {
		t.Fatalf("%q: CRS() = %q, want %q", src, g.CRS(), old.CRS())
	}
}

// sameError compares FormatErrors field by field, the byte offsets in
// messages aside.
func sameError(got, want error) bool {
	if (got == nil) != (want == nil) {
		return false
	}
	if got == nil {
		return true
	}
	var g, w *FormatError
	if !errors.As(got, &g) || !errors.As(want, &w) {
		return false
	}
	return g.Feature == w.Feature && g.Line == w.Line && g.Column == w.Column && sameSentinel(got, want) &&
		offsetRE.ReplaceAllString(g.Reason, "（第 N 字节附近）") == offsetRE.ReplaceAllString(w.Reason, "（第 N 字节附近）")
}

// TestReaderDiffBig compares the readers on files larger than their
// buffers: thousands of roads, and features far larger than the
// look-ahead, read whole and a few bytes at a time.
func TestReaderDiffBig(t *testing.T) {
	var ring strings.Builder
	ring.WriteString(`{"type":"Feature","properties":{"note":"`)
	ring.WriteString(strings.Repeat("长", 40_000))
	ring.WriteString(`","n":12345678901234567890},"geometry":{"type":"Polygon","coordinates":[[`)
	for i := range 20_000 {
		fmt.Fprintf(&ring, "[%d.123456,%d.654321],", 100+i%50, 20+i%30)
	}
	ring.WriteString(`[100.123456,20.654321]]]}}`)
	big := ring.String()
	var seq strings.Builder
	seq.WriteString(roadsSeq(3000))
	seq.WriteString(big + "\n")
	seq.WriteString(roadsSeq(10))
	cases := map[string]string{
		"collection":         roadsFC(3000),
		"big feature":        `{"type":"FeatureCollection","features":[` + big + `,` + big + `]}`,
		"big feature cut":    `{"type":"FeatureCollection","features":[` + big + `,` + big[:len(big)-3],
		"big feature broken": `{"type":"FeatureCollection","features":[` + big + `,` + big[:len(big)/2] + `x` + big[len(big)/2:] + `]}`,
		"seq":                seq.String(),
	}
	readers := map[string]func(string) io.Reader{
		"whole":   func(s string) io.Reader { return strings.NewReader(s) },
		"trickle": trickle,
	}
	for name, src := range cases {
		for rname, reader := range readers {
			t.Run(name+"/"+rname, func(t *testing.T) {
				checkFile(t, src, reader)
			})
		}
	}
}
