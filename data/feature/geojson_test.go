package feature

import (
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

const sampleFC = `{"type":"FeatureCollection","name":"村点",
"crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4490"}},
"features":[
{"type":"Feature","properties":{"名称":"羊楼司村","人口":1203,"通路":true,"备注":null,"标签":["a","b"]},"geometry":{"type":"Point","coordinates":[113.4,29.5,12]}},
{"type":"Feature","properties":{"名称":"乡道"},"geometry":{"type":"LineString","coordinates":[[113,29],[113.1,29.1]]}},
{"type":"Feature","properties":{"名称":"村界"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}},
{"type":"Feature","properties":{"名称":"两块"},"geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]]]]}},
{"type":"Feature","properties":{"名称":"无位置"},"geometry":null}
]}`

var sampleWant = []Record{
	{Index: 0, Geometry: orb.Point{113.4, 29.5}, Attrs: map[string]any{"名称": "羊楼司村", "人口": 1203.0, "通路": true, "备注": nil, "标签": `["a","b"]`}},
	{Index: 1, Geometry: orb.LineString{{113, 29}, {113.1, 29.1}}, Attrs: map[string]any{"名称": "乡道"}},
	{Index: 2, Geometry: orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}, Attrs: map[string]any{"名称": "村界"}},
	{Index: 3, Geometry: orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}, {{{5, 5}, {6, 5}, {6, 6}, {5, 5}}}}, Attrs: map[string]any{"名称": "两块"}},
	{Index: 4, Geometry: nil, Attrs: map[string]any{"名称": "无位置"}},
}

// toSeq turns sampleFC's features into GeoJSONSeq lines, the first with
// an RS prefix, and a blank line in the middle.
func toSeq(tb testing.TB) string {
	tb.Helper()
	lines := strings.Split(sampleFC, "\n")
	var feats []string
	for _, l := range lines[3 : len(lines)-1] {
		feats = append(feats, strings.TrimSuffix(l, ","))
	}
	return "\x1e" + feats[0] + "\n" + feats[1] + "\r\n\n" + strings.Join(feats[2:], "\n") + "\n"
}

func readAllGeoJSON(tb testing.TB, src string) (*GeoJSONReader, []Record, error) {
	tb.Helper()
	r, err := OpenGeoJSON(strings.NewReader(src))
	if err != nil {
		return nil, nil, err
	}
	var got []Record
	for r.Next() {
		got = append(got, r.Record())
	}
	return r, got, r.Err()
}

func TestGeoJSON(t *testing.T) {
	seqWant := make([]Record, len(sampleWant))
	copy(seqWant, sampleWant)
	for i, line := range []int{1, 2, 4, 5, 6} {
		seqWant[i].Line = line
	}
	cases := []struct {
		name string
		src  string
		want []Record
		crs  string
	}{
		{"collection", sampleFC, sampleWant, "EPSG:4490"},
		{"collection with BOM", "\xEF\xBB\xBF" + sampleFC, sampleWant, "EPSG:4490"},
		{"seq", toSeq(t), seqWant, ""},
		{"empty collection", `{"features":[],"type":"FeatureCollection"}`, nil, ""},
		{"crs after features", `{"type":"FeatureCollection","features":[],"crs":{"type":"name","properties":{"name":"EPSG:4326"}}}`, nil, "EPSG:4326"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, got, err := readAllGeoJSON(t, tc.src)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
			if r.CRS() != tc.crs {
				t.Errorf("CRS() = %q, want %q", r.CRS(), tc.crs)
			}
		})
	}
	r, _, _ := readAllGeoJSON(t, sampleFC)
	if want := []string{"名称", "人口", "通路", "备注", "标签"}; !reflect.DeepEqual(r.Fields(), want) {
		t.Errorf("Fields() = %q, want %q", r.Fields(), want)
	}
}

func TestGeoJSONErrors(t *testing.T) {
	cases := []struct {
		name    string
		src     string
		atOpen  bool
		sent    error
		message string
	}{
		{"not json", "村名,经度\n", true, ErrSyntax, "不是 GeoJSON：文件应以 { 开头"},
		{"empty", " \n", true, ErrSyntax, "文件是空的"},
		{"not a collection", `{"type":"Topology","objects":{}}`, true, ErrStructure, `不是 FeatureCollection：type 是 "Topology"`},
		{"no features", `{"type":"FeatureCollection","features":{}}`, true, ErrStructure, "features 不是数组"},
		{"truncated", sampleFC[:len(sampleFC)/2], false, ErrSyntax, "第 2 个要素：文件意外结束，可能没有下载或复制完整"},
		{"truncated seq", toSeq(t)[:60], false, ErrSyntax, "第 1 行（第 1 个要素）：不是有效的 JSON：unexpected end of JSON input"},
		{"not a feature", `{"type":"FeatureCollection","features":[{"type":"Point","coordinates":[1,2]}]}`, false, ErrStructure, `第 1 个要素：不是 Feature：type 是 "Point"`},
		{"feature is a number", `{"type":"FeatureCollection","features":[1]}`, false, ErrStructure, `第 1 个要素：不是 Feature 对象`},
		{"properties wrong type", `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null,"properties":[1]}]}`, false, ErrStructure, `第 1 个要素：properties 不是对象`},
		{"short point", `{"type":"Feature","geometry":{"type":"Point","coordinates":[1]},"properties":{}}`, false, ErrGeometry, "第 1 行（第 1 个要素）：几何无效：坐标 [1] 少于两个数"},
		{"coordinates wrong type", `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[1,2]]}}]}`, false, ErrGeometry, "第 1 个要素：几何无效：Polygon 的 coordinates 层次或类型不对"},
		{"open ring", `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}}`, false, ErrGeometry, "第 1 行（第 1 个要素）：几何无效：第 1 个环没有闭合（首尾坐标不同）"},
		{"unknown type", `{"type":"Feature","geometry":{"type":"Circle","coordinates":[0,0]}}`, false, ErrGeometry, `第 1 行（第 1 个要素）：几何无效：未知的几何类型 "Circle"`},
		{"second line bad", "{\"type\":\"Feature\",\"geometry\":null}\n{\"type\":\"Feature\",\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[0,0]]}}\n", false, ErrGeometry, "第 2 行（第 2 个要素）：几何无效：只有 1 个点，至少需要 2 个"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := OpenGeoJSON(strings.NewReader(tc.src))
			if (err != nil) != tc.atOpen {
				t.Fatalf("OpenGeoJSON error = %v, want error: %v", err, tc.atOpen)
			}
			if err == nil {
				for r.Next() {
				}
				err = r.Err()
			}
			var fe *FormatError
			if !errors.As(err, &fe) || !errors.Is(err, tc.sent) {
				t.Fatalf("got %#v, want a FormatError wrapping %v", err, tc.sent)
			}
			if err.Error() != tc.message {
				t.Errorf("got %q\nwant %q", err.Error(), tc.message)
			}
		})
	}
}

// TestGeoJSONRealFile reads the 临湘市 boundary from geo's fixtures: one
// MultiPolygon of one 498-vertex ring.
func TestGeoJSONRealFile(t *testing.T) {
	f, err := os.Open("../../geo/testdata/linxiang_boundary_wgs84.geojson")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := OpenGeoJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for r.Next() {
		n++
		rec := r.Record()
		mp, ok := rec.Geometry.(orb.MultiPolygon)
		if !ok {
			t.Fatalf("geometry is %T, want orb.MultiPolygon", rec.Geometry)
		}
		if len(mp) != 1 || len(mp[0]) != 1 || len(mp[0][0]) != 498 {
			t.Errorf("got %d polygons, first ring %d points; want 1 polygon, 498 points", len(mp), len(mp[0][0]))
		}
		if rec.Attrs["name"] != "临湘市" || rec.Attrs["adcode"] != "430682" {
			t.Errorf("attrs = %v", rec.Attrs)
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("got %d features, want 1", n)
	}
}

// writeFC writes a FeatureCollection of n village points.
func writeFC(w io.Writer, n int) error {
	if _, err := io.WriteString(w, `{"type":"FeatureCollection","features":[`); err != nil {
		return err
	}
	for i := range n {
		sep := ","
		if i == n-1 {
			sep = ""
		}
		_, err := fmt.Fprintf(w, `{"type":"Feature","properties":{"名称":"临湘市羊楼司镇第%d村","代码":"%d","人口":%d},"geometry":{"type":"Point","coordinates":[%.6f,%.6f]}}%s`+"\n",
			i, 430682100000+i, i%5000, 113+float64(i%1000)/1000, 29+float64(i/1000)/1000, sep)
		if err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "]}")
	return err
}

// TestGeoJSONStreaming reads 200,000 features (about 30 MB) through a pipe
// and checks the heap never holds the file.
func TestGeoJSONStreaming(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	const n = 200_000
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeFC(pw, n)) }()
	r, err := OpenGeoJSON(pr)
	if err != nil {
		t.Fatal(err)
	}
	var count int
	var peak uint64
	var ms runtime.MemStats
	for r.Next() {
		if count%20_000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
		count++
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if count != n {
		t.Errorf("got %d features, want %d", count, n)
	}
	if peak > 20<<20 {
		t.Errorf("heap reached %d MiB while reading, want under 20", peak>>20)
	}
	t.Logf("peak live heap %.1f MiB", float64(peak)/(1<<20))
}

// BenchmarkGeoJSONSeq reads simple LineString features line by line.
func BenchmarkGeoJSONSeq(b *testing.B) {
	const n = 10_000
	var sb strings.Builder
	for i := range n {
		fmt.Fprintf(&sb, `{"type":"Feature","properties":{"名称":"乡道%d","路面":"水泥"},"geometry":{"type":"LineString","coordinates":[[113.1,29.1],[113.2,29.2],[113.3,29.25]]}}`+"\n", i)
	}
	src := sb.String()
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		r, err := OpenGeoJSON(strings.NewReader(src))
		if err != nil {
			b.Fatal(err)
		}
		for r.Next() {
		}
		if err := r.Err(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/feature")
}
