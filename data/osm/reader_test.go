package osm

import (
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// The fixtures: testdata/linxiang.osm is a small hand-made extract near
// 临湘市 (113.45E 29.47N) with one element per mapping rule. The PBF
// variants were made from it with osmium-tool 1.15 (Debian osmium-tool):
//
//	osmium cat linxiang.osm -o linxiang.osm.pbf --output-header=osmosis_replication_timestamp=2024-05-01T00:00:00Z
//	osmium cat linxiang.osm -o linxiang-nodense.osm.pbf -f pbf,pbf_dense_nodes=false
//	osmium cat linxiang.osm -o linxiang-raw.osm.pbf -f pbf,pbf_compression=none
//	bzip2 -k -9 linxiang.osm
//
// so the tests need no osmium. osmium writes one block per element type:
// block 1 OSMHeader, 2 nodes, 3 ways, 4 relations.
const fixture = "testdata/linxiang.osm"

// readAll reads every feature of path.
func readAll(tb testing.TB, path string, opts ...Option) ([]Feature, Stats, error) {
	tb.Helper()
	r, err := Open(path, opts...)
	if err != nil {
		return nil, Stats{}, err
	}
	defer r.Close()
	var fs []Feature
	for r.Next() {
		fs = append(fs, r.Feature())
	}
	return fs, r.Stats(), r.Err()
}

// readBytes reads every feature of an extract held in memory, through
// the same format sniffing as Open.
func readBytes(tb testing.TB, name string, data []byte, opts ...Option) ([]Feature, Stats, error) {
	tb.Helper()
	reopen := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	r, err := newReader(name, bytes.NewReader(data), int64(len(data)), nil, reopen, opts)
	if err != nil {
		return nil, Stats{}, err
	}
	defer r.Close()
	var fs []Feature
	for r.Next() {
		fs = append(fs, r.Feature())
	}
	return fs, r.Stats(), r.Err()
}

func mustReadAll(tb testing.TB, path string, opts ...Option) ([]Feature, Stats) {
	tb.Helper()
	fs, st, err := readAll(tb, path, opts...)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return fs, st
}

type wantFeature struct {
	layer Layer
	id    string
	attrs map[string]any
}

// wantFixture lists the fixture's features in the order they come out:
// nodes, then ways, then relations, each in file order.
var wantFixture = []wantFeature{
	{Substations, "node/301", map[string]any{"name": "羊楼司110kV变电站", "voltage_kv": 110.0, "secondary_kv": 35.0}},
	{Transformers, "node/303", map[string]any{"name": "桃林村配电站", "primary_kv": 10.0}},
	{Substations, "node/305", map[string]any{"name": "未命名变电站（OSM node/305）", "voltage_kv": 220.0, "secondary_kv": 110.0}},
	{Transformers, "node/311", map[string]any{"name": "白羊田村3号台变", "kva": 200.0, "primary_kv": 10.0, "secondary_kv": 0.4}},
	{Transformers, "node/312", map[string]any{"kva": 100.0}},
	{Villages, "node/601", map[string]any{"name": "白羊田村", "kind": "行政村", "code": "430682101201"}},
	{Villages, "node/602", map[string]any{"name": "李家组", "kind": "自然村"}},
	{Villages, "node/603", map[string]any{"name": "桃林村", "kind": "自然村"}},
	{Villages, "node/604", map[string]any{"name": "刘家屋场", "kind": "自然村"}},
	{Villages, "node/607", map[string]any{"name": "黄盖湖村", "kind": "自然村"}},
	{Villages, "node/608", map[string]any{"name": "石门村", "kind": "自然村"}},
	{TourismSites, "node/608", map[string]any{"name": "石门村", "kind": "景点"}},
	{TourismSites, "node/701", map[string]any{"name": "龙窖山", "kind": "景点"}},
	{TourismSites, "node/702", map[string]any{"name": "黄盖湖观景台", "kind": "观景点"}},
	{TourismSites, "node/704", map[string]any{"name": "桃林农家乐", "kind": "民宿"}},
	{Roads, "way/101", map[string]any{"grade": "县道", "name": "临湘至聂市公路", "ref": "X021", "surface": "沥青", "width_m": 6.5}},
	{Roads, "way/102", map[string]any{"grade": "乡道", "name": "白羊田至金坑公路", "ref": "Y005", "surface": "水泥", "width_m": 4.5}},
	{Roads, "way/103", map[string]any{"grade": "村道", "name": "桃林村道", "ref": "C123", "surface": "水泥"}},
	{Roads, "way/104", map[string]any{"grade": "通组路", "name": "李家组通组路", "surface": "水泥"}},
	{Roads, "way/109", map[string]any{"grade": "专用", "name": "临湘水泥厂专用线", "surface": "砂石"}},
	{Roads, "way/110", map[string]any{"grade": "国道", "name": "107国道", "ref": "G107", "surface": "沥青", "width_m": 12.0}},
	{Roads, "way/111", map[string]any{"grade": "高速", "name": "京港澳高速", "ref": "G4"}},
	{Roads, "way/112", map[string]any{"grade": "省道", "name": "长安路", "surface": "砂石"}},
	{Roads, "way/113", map[string]any{"grade": "省道", "name": "306省道", "ref": "S306"}},
	{Roads, "way/114", map[string]any{"grade": "县道", "surface": "土"}},
	{Roads, "way/115", map[string]any{"grade": "通组路"}},
	{Roads, "way/117", map[string]any{"grade": "村道", "name": "金坑村道", "ref": "C045"}},
	{PowerLines, "way/201", map[string]any{"name": "白羊田村低压线", "voltage_kv": 0.4}},
	{PowerLines, "way/202", map[string]any{"name": "10kV桃林线", "voltage_kv": 10.0}},
	{PowerLines, "way/203", map[string]any{"name": "110kV羊临线", "voltage_kv": 110.0, "phases": int64(3)}},
	{PowerLines, "way/204", map[string]any{}}, // no voltage anywhere: unknown
	{PowerLines, "way/206", map[string]any{"voltage_kv": 0.4, "phases": int64(3)}},
	{PowerLines, "way/207", map[string]any{"voltage_kv": 0.22, "phases": int64(1)}},
	{Substations, "way/302", map[string]any{"name": "聂市35kV变电站", "voltage_kv": 35.0, "secondary_kv": 10.0}},
	{Reservoirs, "way/401", map[string]any{"name": "忠防水库", "capacity_wan_m3": 125.0, "scale": "小(1)型", "is_drinking_source": true}},
	{Reservoirs, "way/402", map[string]any{"name": "未命名水库（OSM way/402）"}},
	{TourismSites, "way/705", map[string]any{"name": "龙窖山营地", "kind": "营地"}},
	{Reservoirs, "relation/501", map[string]any{"name": "龙源水库", "scale": "中型"}},
}

var wantFixtureSkipped = map[string]int64{
	"highway=construction 未建成或已废弃":                            1, // way/116
	"highway=footway 不是公路":                                    1, // way/107
	"highway=service service=driveway 是入户道或场内通道":              1, // way/108
	"highway=track tracktype=grade3 是机耕道或田间道":                 1, // way/105
	"highway=track 未标 tracktype（可能是通组路，也可能是机耕道）":              1, // way/106
	"place=neighbourhood 不是村":                                 1, // node/605
	"place=village 没有名称":                                      1, // node/606
	"power=line 电压 66 kV 不在 0.22/0.4/10/35/110/220/500 kV 之列": 1, // way/205
	"power=substation 未标电压，无法区分变电站与配变":                        1, // node/304
	"power=transformer transformer=main 不是配变":                 1, // node/313
	"reservoir_type=tailings 不是水库":                            1, // way/414
	"tourism=attraction 没有名称":                                 1, // node/706
	"tourism=information 不是旅游点":                               1, // node/703
	"水库的 way 未闭合，不是水面":                                        1, // way/403
}

func TestFixture(t *testing.T) {
	fs, st := mustReadAll(t, fixture)
	if len(fs) != len(wantFixture) {
		for _, f := range fs {
			t.Logf("%s %s %v", f.Layer, f.ID, f.Attrs)
		}
		t.Fatalf("got %d features, want %d", len(fs), len(wantFixture))
	}
	for i, w := range wantFixture {
		f := fs[i]
		if f.Layer != w.layer || f.ID != w.id || !reflect.DeepEqual(f.Attrs, w.attrs) {
			t.Errorf("feature %d: got %s %s %v, want %s %s %v", i, f.Layer, f.ID, f.Attrs, w.layer, w.id, w.attrs)
		}
	}
	if !reflect.DeepEqual(st.Skipped, wantFixtureSkipped) {
		t.Errorf("Skipped:\n got %v\nwant %v", st.Skipped, wantFixtureSkipped)
	}
	wantNotes := map[string]int64{
		"power=line 未标电压（名称和编号中也没有），按电压未知导入": 1, // way/204
		"没有名称，已命名为“未命名变电站（OSM …）”":           1, // node/305
		"没有名称，已命名为“未命名水库（OSM …）”":            1, // way/402
	}
	if !reflect.DeepEqual(st.Notes, wantNotes) {
		t.Errorf("Notes:\n got %v\nwant %v", st.Notes, wantNotes)
	}
	if got := st.Samples["highway=footway 不是公路"]; !slices.Equal(got, []string{"way/107"}) {
		t.Errorf("footway samples = %v, want [way/107]", got)
	}
	if st.Nodes != 92 || st.Ways != 33 || st.Relations != 1 {
		t.Errorf("counted %d nodes, %d ways, %d relations; want 92, 33, 1", st.Nodes, st.Ways, st.Relations)
	}
	perLayer := map[Layer]int64{}
	for _, w := range wantFixture {
		perLayer[w.layer]++
	}
	if !reflect.DeepEqual(st.Features, perLayer) {
		t.Errorf("Features = %v, want %v", st.Features, perLayer)
	}
	// Raw tags travel with the feature, for the importer's report.
	if tags := fs[0].Tags; tags["operator"] != "国网湖南省电力有限公司" || tags["power"] != "substation" {
		t.Errorf("node/301 tags = %v", tags)
	}
	for _, f := range fs {
		if !validGeometry(f) {
			t.Errorf("%s %s: geometry %T %v is not what the layer takes", f.Layer, f.ID, f.Geometry, f.Geometry)
		}
	}
}

// validGeometry checks the geometry type per layer and the schema's
// validity rules that can be checked without PostGIS.
func validGeometry(f Feature) bool {
	switch g := f.Geometry.(type) {
	case orb.LineString:
		return (f.Layer == Roads || f.Layer == PowerLines) && len(g) >= 2 && planar.Length(g) > 0
	case orb.Polygon:
		return f.Layer == Reservoirs && validPolygon(g)
	case orb.MultiPolygon:
		for _, p := range g {
			if !validPolygon(p) {
				return false
			}
		}
		return f.Layer == Reservoirs && len(g) > 1
	case orb.Point:
		return f.Layer != Roads && f.Layer != PowerLines && f.Layer != Reservoirs
	}
	return false
}

func validPolygon(p orb.Polygon) bool {
	for i, r := range p {
		if len(r) < 4 || !r.Closed() || planar.Area(r) == 0 || (r.Orientation() == orb.CCW) != (i == 0) {
			return false
		}
	}
	return len(p) > 0
}

// gzipped writes a gzip copy of path in a temporary directory.
func gzipped(tb testing.TB, path string) string {
	tb.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(src)
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	out := filepath.Join(tb.TempDir(), filepath.Base(path)+".gz")
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
	return out
}

// copyAs copies path to a temporary file of another name.
func copyAs(tb testing.TB, path, name string) string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	out := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(out, b, 0o644); err != nil {
		tb.Fatal(err)
	}
	return out
}

// TestFormatsAgree reads the same data as XML (plain, gzip, bzip2) and as
// PBF (dense and plain nodes, zlib and uncompressed blocks) and requires
// identical features — geometry to the bit, attributes and raw tags — and
// identical statistics. The format is told by content: a PBF named .osm
// and XML named .pbf read the same.
func TestFormatsAgree(t *testing.T) {
	want, wantStats := mustReadAll(t, fixture)
	files := []string{
		"testdata/linxiang.osm.bz2",
		gzipped(t, fixture),
		"testdata/linxiang.osm.pbf",
		"testdata/linxiang-nodense.osm.pbf",
		"testdata/linxiang-raw.osm.pbf",
		copyAs(t, "testdata/linxiang.osm.pbf", "misnamed.osm"),
		copyAs(t, fixture, "misnamed.osm.pbf"),
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			got, stats := mustReadAll(t, path)
			if len(got) != len(want) {
				t.Fatalf("got %d features, want %d", len(got), len(want))
			}
			for i := range want {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Errorf("feature %d:\n got %+v\nwant %+v", i, got[i], want[i])
				}
			}
			if !reflect.DeepEqual(stats, wantStats) {
				t.Errorf("stats:\n got %+v\nwant %+v", stats, wantStats)
			}
		})
	}
}

// osmDoc is an independent reading of an OSM XML file, with
// encoding/xml's struct decoding, for checking geometry.
type osmDoc struct {
	Nodes []struct {
		ID  int64  `xml:"id,attr"`
		Lat string `xml:"lat,attr"`
		Lon string `xml:"lon,attr"`
	} `xml:"node"`
	Ways []struct {
		ID  int64 `xml:"id,attr"`
		Nds []struct {
			Ref int64 `xml:"ref,attr"`
		} `xml:"nd"`
	} `xml:"way"`
}

func loadDoc(tb testing.TB, path string) (nodes map[int64]orb.Point, ways map[int64][]int64) {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var doc osmDoc
	if err := xml.Unmarshal(b, &doc); err != nil {
		tb.Fatal(err)
	}
	nodes = make(map[int64]orb.Point)
	for _, n := range doc.Nodes {
		lon, err1 := strconv.ParseFloat(n.Lon, 64)
		lat, err2 := strconv.ParseFloat(n.Lat, 64)
		if err1 != nil || err2 != nil {
			tb.Fatalf("node %d: %v %v", n.ID, err1, err2)
		}
		nodes[n.ID] = orb.Point{lon, lat}
	}
	ways = make(map[int64][]int64)
	for _, w := range doc.Ways {
		for _, nd := range w.Nds {
			ways[w.ID] = append(ways[w.ID], nd.Ref)
		}
	}
	return nodes, ways
}

// TestGeometry checks every feature's coordinates against the nodes of
// the XML as parsed independently: lines and rings equal their nodes
// exactly (rings possibly reversed to orient them), points of nodes equal
// the node, centroids of closed ways lie inside the way.
func TestGeometry(t *testing.T) {
	nodes, ways := loadDoc(t, fixture)
	for _, path := range []string{fixture, "testdata/linxiang.osm.pbf"} {
		fs, _ := mustReadAll(t, path)
		for _, f := range fs {
			kind, idText, _ := strings.Cut(f.ID, "/")
			id, _ := strconv.ParseInt(idText, 10, 64)
			var want []orb.Point
			switch kind {
			case "node":
				want = []orb.Point{nodes[id]}
			case "way":
				for _, ref := range ways[id] {
					want = append(want, nodes[ref])
				}
			default:
				continue // the relation is checked in TestMultipolygon
			}
			switch g := f.Geometry.(type) {
			case orb.LineString:
				if !slices.Equal([]orb.Point(g), want) {
					t.Errorf("%s %s: line %v, want nodes %v", path, f.ID, g, want)
				}
			case orb.Polygon:
				ring := []orb.Point(g[0])
				rev := slices.Clone(want)
				slices.Reverse(rev)
				if len(g) != 1 || (!slices.Equal(ring, want) && !slices.Equal(ring, rev)) {
					t.Errorf("%s %s: polygon %v, want ring of nodes %v", path, f.ID, g, want)
				}
			case orb.Point:
				if kind == "node" && g != want[0] {
					t.Errorf("%s %s: point %v, want node %v", path, f.ID, g, want[0])
				}
				if kind == "way" && !planar.RingContains(orb.Ring(want), g) {
					t.Errorf("%s %s: centroid %v not inside %v", path, f.ID, g, want)
				}
			}
		}
	}
}

// TestMultipolygon checks relation/501: two outer ways, the second drawn
// backwards, joined into one counter-clockwise ring, with the island way
// as a clockwise hole.
func TestMultipolygon(t *testing.T) {
	fs, _ := mustReadAll(t, fixture, Only(Reservoirs))
	i := slices.IndexFunc(fs, func(f Feature) bool { return f.ID == "relation/501" })
	if i < 0 {
		t.Fatal("relation/501 missing")
	}
	want := orb.Polygon{
		{{113.6, 29.62}, {113.62, 29.62}, {113.62, 29.64}, {113.6, 29.64}, {113.6, 29.62}},
		{{113.605, 29.625}, {113.61, 29.63}, {113.61, 29.625}, {113.605, 29.625}},
	}
	if got := fs[i].Geometry; !reflect.DeepEqual(got, want) {
		t.Errorf("relation/501 = %v, want %v", got, want)
	}
}

func TestJoinRings(t *testing.T) {
	cases := []struct {
		name string
		ways [][]int64
		want [][]int64 // nil: fails
	}{
		{"closed way", [][]int64{{1, 2, 3, 1}}, [][]int64{{1, 2, 3, 1}}},
		{"two halves", [][]int64{{1, 2, 3}, {3, 4, 1}}, [][]int64{{1, 2, 3, 4, 1}}},
		{"reversed half", [][]int64{{1, 2, 3}, {1, 4, 3}}, [][]int64{{1, 2, 3, 4, 1}}},
		{"three pieces out of order", [][]int64{{1, 2}, {3, 4, 1}, {2, 3}}, [][]int64{{1, 2, 3, 4, 1}}},
		{"two rings", [][]int64{{1, 2, 3, 1}, {5, 6}, {6, 7, 5}}, [][]int64{{1, 2, 3, 1}, {5, 6, 7, 5}}},
		{"gap", [][]int64{{1, 2, 3}, {4, 5, 1}}, nil},
		{"one-node way", [][]int64{{1}}, nil},
		{"degenerate closed way", [][]int64{{1, 2, 1}}, nil},
		{"none", nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := joinRings(tc.ways)
			if tc.want == nil && len(tc.ways) == 0 {
				if !ok || len(got) != 0 {
					t.Errorf("got %v, %v; want no rings", got, ok)
				}
				return
			}
			if ok != (tc.want != nil) || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, %v; want %v", got, ok, tc.want)
			}
		})
	}
}

func TestOnly(t *testing.T) {
	for _, path := range []string{fixture, "testdata/linxiang.osm.pbf"} {
		fs, st := mustReadAll(t, path, Only(Roads))
		if len(fs) != 12 || st.Features[Roads] != 12 || len(st.Features) != 1 {
			t.Errorf("%s: Only(Roads) gave %d features, stats %v", path, len(fs), st.Features)
		}
		for reason := range st.Skipped {
			if !strings.HasPrefix(reason, "highway=") {
				t.Errorf("%s: Only(Roads) counted a non-road skip %q", path, reason)
			}
		}
		fs, _ = mustReadAll(t, path, Only(Villages, TourismSites))
		var ids []string
		for _, f := range fs {
			ids = append(ids, string(f.Layer)+" "+f.ID)
		}
		want := []string{"villages node/601", "villages node/602", "villages node/603", "villages node/604",
			"villages node/607", "villages node/608", "tourism_sites node/608", "tourism_sites node/701",
			"tourism_sites node/702", "tourism_sites node/704", "tourism_sites way/705"}
		if !slices.Equal(ids, want) {
			t.Errorf("%s: Only(Villages, TourismSites) = %v, want %v", path, ids, want)
		}
	}
	all, _ := mustReadAll(t, fixture, Only())
	if len(all) != len(wantFixture) {
		t.Errorf("Only() gave %d features, want all %d", len(all), len(wantFixture))
	}
	_, err := Open(fixture, Only("roadz"))
	if !errors.Is(err, ErrLayer) || !strings.Contains(err.Error(), `"roadz"`) {
		t.Errorf("Only(roadz): %v, want ErrLayer naming it", err)
	}
}

// TestMissingNodes reads a box cut whose ways and relations reference
// nodes and ways outside it: they are skipped with reasons and samples,
// not errors, and the complete way comes out.
func TestMissingNodes(t *testing.T) {
	fs, st, err := readAll(t, "testdata/missing_node.osm")
	if err != nil {
		t.Fatalf("error %v, want none", err)
	}
	if len(fs) != 1 || fs[0].ID != "way/11" {
		t.Fatalf("features %+v, want only way/11", fs)
	}
	want := map[string]int64{reasonMissingNodes: 2, reasonMissingWays: 1}
	if !reflect.DeepEqual(st.Skipped, want) {
		t.Errorf("Skipped = %v, want %v", st.Skipped, want)
	}
	if got := st.Samples[reasonMissingNodes]; !slices.Equal(got, []string{"way/10", "relation/30"}) {
		t.Errorf("samples = %v, want [way/10 relation/30]", got)
	}
	if got := st.Samples[reasonMissingWays]; !slices.Equal(got, []string{"relation/31"}) {
		t.Errorf("samples = %v, want [relation/31]", got)
	}
	if st.Ways != 3 {
		t.Errorf("counted %d ways, want 3 (the JOSM-deleted way/12 is not in the data)", st.Ways)
	}
}

func TestTimestamp(t *testing.T) {
	r, err := Open("testdata/linxiang.osm.pbf")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if want := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC); !r.Timestamp().Equal(want) {
		t.Errorf("Timestamp = %v, want %v", r.Timestamp(), want)
	}
	x, err := Open(fixture)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if !x.Timestamp().IsZero() {
		t.Errorf("XML Timestamp = %v, want zero", x.Timestamp())
	}
}

func TestCloseStops(t *testing.T) {
	r, err := Open("testdata/linxiang.osm.pbf")
	if err != nil {
		t.Fatal(err)
	}
	if !r.Next() {
		t.Fatal(r.Err())
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if r.Next() {
		t.Errorf("Next after Close returned %s", r.Feature().ID)
	}
	if r.Err() != nil {
		t.Errorf("Err after Close = %v", r.Err())
	}
}

func TestAttribution(t *testing.T) {
	if got := Attribution(); got != "© OpenStreetMap contributors (ODbL 1.0)" {
		t.Errorf("Attribution() = %q", got)
	}
}

func ExampleOpen() {
	r, err := Open("testdata/linxiang.osm.pbf", Only(Roads))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	for r.Next() {
		f := r.Feature()
		if f.Attrs["grade"] == "县道" {
			fmt.Println(f.ID, f.Attrs["ref"], f.Attrs["name"], f.Attrs["surface"])
		}
	}
	if err := r.Err(); err != nil {
		fmt.Println(err)
	}
	st := r.Stats()
	fmt.Println(st.Features[Roads], "条道路；跳过", st.Skipped["highway=footway 不是公路"], "条步道")
	// Output:
	// way/101 X021 临湘至聂市公路 沥青
	// way/114 <nil> <nil> 土
	// 12 条道路；跳过 1 条步道
}
