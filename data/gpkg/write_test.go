package gpkg

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/data/gdaltest"
)

func day(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

// villageColumns covers every column type GDAL must recognise.
var villageColumns = []Column{
	{Name: "名称", Type: "TEXT"},
	{Name: "人口", Type: "integer", Description: "常住人口（人）"},
	{Name: "面积", Type: "REAL"},
	{Name: "建成", Type: "DATE"},
	{Name: "更新", Type: "DATETIME"},
	{Name: "通车", Type: "BOOLEAN"},
}

var beijing = time.FixedZone("CST", 8*3600)

// villages are the features of the 村点 layer: Chinese text, a NULL
// geometry, an all-NULL row, a DATETIME given in Beijing time.
var villages = []struct {
	geom orb.Geometry
	vals []any
}{
	{orb.Point{113.45, 29.48}, []any{"临湘市羊楼司镇", 1234, 12.5, day(2016, 12, 31),
		time.Date(2020, 5, 6, 7, 8, 9, 123e6, time.UTC), true}},
	{orb.Point{113.6, 29.6}, []any{"Tanzhou 坦渡", int64(0), 0.25, day(2020, 2, 29),
		time.Date(2021, 1, 1, 8, 0, 0, 0, beijing), false}},
	{nil, []any{nil, nil, nil, nil, nil, nil}},
	{orb.Point{113.2, 29.3}, []any{`詹桥镇 "引号" 'x'`, uint16(7), math.NaN(), "2001-02-03", nil, nil}},
}

// samplePoints returns n points scattered over a box around Linxiang,
// for the spatial-index checks.
func samplePoints(n int) []orb.Point {
	rng := rand.New(rand.NewPCG(7, 8))
	ps := make([]orb.Point, n)
	for i := range ps {
		ps[i] = orb.Point{113.0 + rng.Float64(), 29.0 + rng.Float64()}
	}
	return ps
}

const nSamples = 3000 // 59 leaves of 51: a two-level R-tree

// writeCounty writes the test "county package": five layers of every
// geometry type in EPSG:4490, two metadata rows, and a column comment.
func writeCounty(tb testing.TB, path string) {
	tb.Helper()
	w, err := Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer w.Abort()
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	vl, err := w.CreateLayer("村点", "贫困村", "临湘市贫困村位置", "POINT", SRSCGCS2000, villageColumns)
	must(err)
	for _, v := range villages {
		must(vl.Insert(v.geom, v.vals))
	}
	rl, err := w.CreateLayer("道路", "", "", "LINESTRING", SRSCGCS2000, []Column{{Name: "名称", Type: "TEXT"}, {Name: "宽度", Type: "REAL"}})
	must(err)
	must(rl.Insert(orb.LineString{{113.1, 29.1}, {113.2, 29.25}, {113.3, 29.2}}, []any{"村道", 4.5}))
	must(rl.Insert(orb.LineString{{113.0, 29.0}, {113.1, 29.05}}, []any{"机耕道", nil}))
	bl, err := w.CreateLayer("村界", "", "", "POLYGON", SRSCGCS2000, []Column{{Name: "村名", Type: "TEXT"}})
	must(err)
	must(bl.Insert(orb.Polygon{{{113.0, 29.0}, {113.0, 29.1}, {113.1, 29.1}, {113.1, 29.0}, {113.0, 29.0}}}, []any{"羊楼司村"}))
	tl, err := w.CreateLayer("乡镇", "", "", "MULTIPOLYGON", SRSCGCS2000, []Column{{Name: "乡镇", Type: "TEXT"}})
	must(err)
	must(tl.Insert(orb.MultiPolygon{
		{{{113.0, 29.0}, {113.0, 29.4}, {113.4, 29.4}, {113.4, 29.0}, {113.0, 29.0}},
			{{113.1, 29.1}, {113.2, 29.1}, {113.2, 29.2}, {113.1, 29.2}, {113.1, 29.1}}},
		{{{113.5, 29.5}, {113.5, 29.6}, {113.6, 29.6}, {113.5, 29.5}}},
	}, []any{"羊楼司镇"}))
	must(tl.Insert(orb.Polygon{{{113.7, 29.7}, {113.7, 29.8}, {113.8, 29.8}, {113.7, 29.7}}}, []any{"詹桥镇"})) // promoted
	sl, err := w.CreateLayer("样点", "", "", "POINT", SRSCGCS2000, []Column{{Name: "序号", Type: "INTEGER"}})
	must(err)
	for i, p := range samplePoints(nSamples) {
		must(sl.Insert(p, []any{i}))
	}
	must(w.AddMetadata("", "text/plain", "临湘市 2024 年贫困村数据包"))
	must(w.AddMetadata("村点", "", "<gmd:MD_Metadata>村点</gmd:MD_Metadata>"))
	must(w.Close())
}

// ogrSummary splits `ogrinfo -so` output into one block per layer.
func ogrLayers(out string) map[string]string {
	blocks := map[string]string{}
	parts := strings.Split(out, "\nLayer name: ")
	for _, p := range parts[1:] {
		name, _, _ := strings.Cut(p, "\n")
		blocks[name] = p
	}
	return blocks
}

func TestWriteGDAL(t *testing.T) {
	gdaltest.Tool(t, "ogrinfo")
	path := filepath.Join(t.TempDir(), "临湘市.gpkg")
	writeCounty(t, path)
	validate(t, path)

	layers := ogrLayers(run(t, "ogrinfo", "-ro", "-al", "-so", path))
	want := []struct {
		name, geom string
		count      int
		extent     string
		fields     []string
	}{
		{"村点", "Point", 4, "(113.200000, 29.300000) - (113.600000, 29.600000)", []string{
			"名称: String (0.0)", "人口: Integer64 (0.0)", "面积: Real (0.0)", "建成: Date (0.0)",
			"更新: DateTime (0.0)", "通车: Integer(Boolean) (0.0)"}},
		{"道路", "Line String", 2, "(113.000000, 29.000000) - (113.300000, 29.250000)", []string{"名称: String (0.0)", "宽度: Real (0.0)"}},
		{"村界", "Polygon", 1, "(113.000000, 29.000000) - (113.100000, 29.100000)", []string{"村名: String (0.0)"}},
		{"乡镇", "Multi Polygon", 2, "(113.000000, 29.000000) - (113.800000, 29.800000)", []string{"乡镇: String (0.0)"}},
		{"样点", "Point", nSamples, "", []string{"序号: Integer64 (0.0)"}},
	}
	if len(layers) != len(want) {
		t.Errorf("ogrinfo lists %d layers, want %d", len(layers), len(want))
	}
	for _, w := range want {
		block, ok := layers[w.name]
		if !ok {
			t.Errorf("ogrinfo lists no layer %s", w.name)
			continue
		}
		lines := []string{
			"Geometry: " + w.geom,
			fmt.Sprintf("Feature Count: %d", w.count),
			`ID["EPSG",4490]`,
			"FID Column = fid",
			"Geometry Column = geom",
		}
		if w.extent != "" {
			lines = append(lines, "Extent: "+w.extent)
		}
		for _, l := range append(lines, w.fields...) {
			if !strings.Contains(block, l+"\n") && !strings.Contains(block, l+"]") {
				t.Errorf("layer %s: ogrinfo -so lacks %q:\n%s", w.name, l, block)
			}
		}
	}

	full := run(t, "ogrinfo", "-ro", "-al", path, "村点")
	for _, l := range []string{
		"GPKG_METADATA_ITEM_1=临湘市 2024 年贫困村数据包",
		"DESCRIPTION=临湘市贫困村位置",
		"IDENTIFIER=贫困村",
		"OGRFeature(村点):1\n  名称 (String) = 临湘市羊楼司镇\n  人口 (Integer64) = 1234\n  面积 (Real) = 12.5\n" +
			"  建成 (Date) = 2016/12/31\n  更新 (DateTime) = 2020/05/06 07:08:09.123+00\n  通车 (Integer(Boolean)) = 1\n  POINT (113.45 29.48)\n",
		"OGRFeature(村点):2\n  名称 (String) = Tanzhou 坦渡\n  人口 (Integer64) = 0\n  面积 (Real) = 0.25\n" +
			"  建成 (Date) = 2020/02/29\n  更新 (DateTime) = 2021/01/01 00:00:00+00\n  通车 (Integer(Boolean)) = 0\n  POINT (113.6 29.6)\n",
		"OGRFeature(村点):3\n  名称 (String) = (null)\n  人口 (Integer64) = (null)\n  面积 (Real) = (null)\n" +
			"  建成 (Date) = (null)\n  更新 (DateTime) = (null)\n  通车 (Integer(Boolean)) = (null)\n\n",
		"OGRFeature(村点):4\n  名称 (String) = 詹桥镇 \"引号\" 'x'\n  人口 (Integer64) = 7\n  面积 (Real) = (null)\n" +
			"  建成 (Date) = 2001/02/03\n",
	} {
		if !strings.Contains(full, l) {
			t.Errorf("ogrinfo -al 村点 lacks\n%s\nin\n%s", l, full)
		}
	}
	full = run(t, "ogrinfo", "-ro", "-al", "-q", path, "乡镇")
	for _, l := range []string{
		"MULTIPOLYGON (((113 29,113.0 29.4,113.4 29.4,113.4 29.0,113 29),(113.1 29.1,113.2 29.1,113.2 29.2,113.1 29.2,113.1 29.1)),((113.5 29.5,113.5 29.6,113.6 29.6,113.5 29.5)))",
		"MULTIPOLYGON (((113.7 29.7,113.7 29.8,113.8 29.8,113.7 29.7)))",
	} {
		if !strings.Contains(strings.ReplaceAll(full, ".0 ", " "), strings.ReplaceAll(l, ".0 ", " ")) {
			t.Errorf("ogrinfo -al 乡镇 lacks %s in\n%s", l, full)
		}
	}

	// The R-tree: GDAL sees it, its own SQLite finds it sound, and a
	// spatial filter returns exactly the points inside the window.
	// One ogrinfo run for all layers: GDAL takes seconds to start.
	var cols []string
	names := []string{"村点", "道路", "村界", "乡镇", "样点"}
	for i, name := range names {
		cols = append(cols, fmt.Sprintf("HasSpatialIndex('%s', 'geom') AS has%d, rtreecheck('rtree_%s_geom') AS chk%d", name, i, name, i))
	}
	out := run(t, "ogrinfo", "-ro", "-q", path, "-sql", "SELECT "+strings.Join(cols, ", "))
	for i, name := range names {
		if !strings.Contains(out, fmt.Sprintf("has%d (Integer) = 1\n", i)) {
			t.Errorf("HasSpatialIndex('%s', 'geom') is not 1:\n%s", name, out)
		}
		if !strings.Contains(out, fmt.Sprintf("chk%d (String) = ok\n", i)) {
			t.Errorf("rtreecheck('rtree_%s_geom') in GDAL's SQLite is not ok:\n%s", name, out)
		}
	}
	window := orb.Bound{Min: orb.Point{113.3, 29.2}, Max: orb.Point{113.45, 29.6}}
	var wantFIDs []int
	for i, p := range samplePoints(nSamples) {
		if window.Contains(p) {
			wantFIDs = append(wantFIDs, i+1)
		}
	}
	out, debug := gdaltest.Output(t, "ogrinfo", "-ro", "-q", "--debug", "on", path, "样点", "-spat", "113.3", "29.2", "113.45", "29.6")
	if !strings.Contains(debug, `JOIN "rtree_样点_geom"`) {
		t.Errorf("ogrinfo -spat did not use the R-tree:\n%s", debug)
	}
	var gotFIDs []int
	for _, m := range regexp.MustCompile(`OGRFeature\(样点\):(\d+)`).FindAllStringSubmatch(out, -1) {
		fid, _ := strconv.Atoi(m[1])
		gotFIDs = append(gotFIDs, fid)
	}
	slices.Sort(gotFIDs)
	if !slices.Equal(gotFIDs, wantFIDs) {
		t.Errorf("ogrinfo -spat returned %d features, want %d (%v…)", len(gotFIDs), len(wantFIDs), wantFIDs[:min(5, len(wantFIDs))])
	}
	t.Logf("spatial filter: %d of %d sample points", len(gotFIDs), nSamples)
}

// TestRTree checks the bulk-loaded R-tree with SQLite's own rtreecheck
// and against brute force, at the sizes where its shape changes: empty, a
// root leaf, a full root leaf, two levels, a full two levels, three
// levels. NULL and empty geometries, which the index leaves out, are
// mixed in.
func TestRTree(t *testing.T) {
	cases := []struct{ n, depth int }{{0, 0}, {1, 0}, {51, 0}, {52, 1}, {51 * 51, 1}, {51*51 + 1, 2}, {7000, 2}}
	for _, tc := range cases {
		n := tc.n
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.gpkg")
			w, err := Create(path)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abort()
			lw, err := w.CreateLayer("线", "", "", "GEOMETRY", SRSWGS84, nil)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(uint64(n), 9))
			var boxes []orb.Bound // by fid-1; Min > Max for NULL or empty geometries
			none := orb.Bound{Min: orb.Point{1, 1}, Max: orb.Point{0, 0}}
			for i := range n {
				var g orb.Geometry
				if i%2 == 0 {
					g = orb.Point{rng.Float64()*360 - 180, rng.Float64()*180 - 90}
				} else {
					x, y := rng.Float64()*360-180, rng.Float64()*180-90
					g = orb.LineString{{x, y}, {x + rng.Float64(), y - rng.Float64()}}
				}
				if err := lw.Insert(g, nil); err != nil {
					t.Fatal(err)
				}
				boxes = append(boxes, g.Bound())
				switch i % 10 {
				case 3:
					err = lw.Insert(nil, nil)
				case 7:
					err = lw.Insert(orb.LineString{}, nil)
				default:
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				boxes = append(boxes, none)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			db := rawDB(t, path)
			var check string
			if err := db.QueryRow(`SELECT rtreecheck('rtree_线_geom')`).Scan(&check); err != nil {
				t.Fatal(err)
			}
			if check != "ok" {
				t.Fatalf("rtreecheck: %s", check)
			}
			var count int
			var root []byte
			if err := db.QueryRow(`SELECT count(*) FROM "rtree_线_geom"`).Scan(&count); err != nil {
				t.Fatal(err)
			}
			if err := db.QueryRow(`SELECT data FROM "rtree_线_geom_node" WHERE nodeno = 1`).Scan(&root); err != nil {
				t.Fatal(err)
			}
			if count != n {
				t.Errorf("R-tree holds %d entries, want %d", count, n)
			}
			if depth := int(root[0])<<8 | int(root[1]); depth != tc.depth {
				t.Errorf("depth %d, want %d", depth, tc.depth)
			}
			for q := range 20 {
				x, y := rng.Float64()*360-180, rng.Float64()*180-90
				win := orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + float64(q)*3, y + float64(q)*2}}
				rows, err := db.Query(`SELECT id FROM "rtree_线_geom" WHERE maxx >= ? AND minx <= ? AND maxy >= ? AND miny <= ? ORDER BY id`,
					win.Min[0], win.Max[0], win.Min[1], win.Max[1])
				if err != nil {
					t.Fatal(err)
				}
				var got []int
				for rows.Next() {
					var id int
					rows.Scan(&id)
					got = append(got, id)
				}
				rows.Close()
				var want []int
				for i, b := range boxes {
					if b.Min[0] <= b.Max[0] && b.Intersects(win) {
						want = append(want, i+1)
					}
				}
				// The R-tree rounds outward to float32, so it may return a
				// box that only touches the window; it must never miss one.
				if len(got) < len(want) || !subset(want, got) {
					t.Fatalf("window %v: R-tree gave %v, want %v", win, got, want)
				}
				if len(got) > len(want)+2 {
					t.Errorf("window %v: R-tree gave %d ids, brute force %d", win, len(got), len(want))
				}
			}
		})
	}
}

// subset reports whether every element of a (sorted) is in b (sorted).
func subset(a, b []int) bool {
	for _, x := range a {
		if _, ok := slices.BinarySearch(b, x); !ok {
			return false
		}
	}
	return true
}

// TestGDALEditsOurFile appends to a layer written here with ogr2ogr: the
// R-tree triggers must fire with GDAL's ST_* functions and keep the index
// sound, which shows the bulk-loaded tree is one SQLite can go on
// updating.
func TestGDALEditsOurFile(t *testing.T) {
	gdaltest.Tool(t, "ogr2ogr")
	dir := t.TempDir()
	path := filepath.Join(dir, "县.gpkg")
	writeCounty(t, path)
	extra := filepath.Join(dir, "extra.geojson")
	if err := os.WriteFile(extra, []byte(`{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"序号":9001},"geometry":{"type":"Point","coordinates":[113.41,29.41]}},
{"type":"Feature","properties":{"序号":9002},"geometry":{"type":"Point","coordinates":[120.0,40.0]}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, "ogr2ogr", "-update", "-append", "-nln", "样点", path, extra)
	// Move the first sample point onto the appended one at (120, 40).
	run(t, "ogrinfo", path, "-sql", `UPDATE "样点" SET geom = (SELECT geom FROM "样点" WHERE "序号" = 9002) WHERE "序号" = 0`)
	run(t, "ogrinfo", path, "-sql", `DELETE FROM "样点" WHERE "序号" = 1`)
	validate(t, path)
	db := rawDB(t, path)
	var check string
	var n int
	if err := db.QueryRow(`SELECT rtreecheck('rtree_样点_geom'), (SELECT count(*) FROM "rtree_样点_geom")`).Scan(&check, &n); err != nil {
		t.Fatal(err)
	}
	if check != "ok" || n != nSamples+1 {
		t.Errorf("after GDAL's edits: rtreecheck %q, %d entries, want ok and %d", check, n, nSamples+1)
	}
	var ids []int64
	rows, err := db.Query(`SELECT id FROM "rtree_样点_geom" WHERE minx <= 120.5 AND maxx >= 119.5 ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	if want := []int64{1, nSamples + 2}; !slices.Equal(ids, want) {
		t.Errorf("R-tree finds fids %v for the moved and the appended point, want %v", ids, want)
	}
}

// TestWriteRoundTrip writes every value and geometry kind the Writer
// takes and reads them back with the Reader.
func TestWriteRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rt.gpkg")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if err := w.AddSRS(SRS{ID: 4546, Name: "CGCS2000 / 3-degree Gauss-Kruger CM 111E", Organization: "EPSG", OrgID: 4546,
		Definition: "PROJCS[\"CGCS2000 / 3-degree Gauss-Kruger CM 111E\"]"}); err != nil {
		t.Fatal(err)
	}
	if err := w.AddSRS(SRS{ID: 4546, Name: "ignored", Organization: "X", Definition: "ignored"}); err != nil {
		t.Fatal(err) // idempotent: the first definition stays
	}
	cols := []Column{{Name: "t", Type: "TEXT"}, {Name: "i", Type: "INTEGER"}, {Name: "r", Type: "REAL"}, {Name: "b", Type: "BOOLEAN"},
		{Name: "d", Type: "DATE"}, {Name: "dt", Type: "DATETIME"}, {Name: "blob", Type: "BLOB"}}
	lw, err := w.CreateLayer("混合", "", "", "GEOMETRY", 4546, cols)
	if err != nil {
		t.Fatal(err)
	}
	mp, err := w.CreateLayer(`面 "A"`, "", "", "MULTIPOLYGON", SRSCGCS2000, nil) // quotes in a name

	if err != nil {
		t.Fatal(err)
	}
	in := []struct {
		geom  orb.Geometry
		vals  []any
		want  orb.Geometry
		attrs []any
	}{
		{orb.Point{500000.5, 3300000.25}, []any{"临湘", int8(-3), float32(1.5), true, day(2024, 3, 1), time.Date(2024, 3, 1, 20, 30, 0, 456789e3, beijing), []byte{0, 1, 2}},
			orb.Point{500000.5, 3300000.25}, []any{"临湘", int64(-3), 1.5, true, day(2024, 3, 1), time.Date(2024, 3, 1, 12, 30, 0, 456e6, time.UTC), []byte{0, 1, 2}}},
		{orb.LineString{{1, 2}, {3, 4}}, []any{sql.NullString{String: "valuer", Valid: true}, uint64(math.MaxInt64), 7, false, "1999-12-31", nil, []byte{}},
			orb.LineString{{1, 2}, {3, 4}}, []any{"valuer", int64(math.MaxInt64), 7.0, false, day(1999, 12, 31), nil, []byte{}}},
		{orb.Collection{orb.Point{1, 1}, orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}, []any{sql.NullString{}, sql.NullInt64{Int64: 5, Valid: true}, math.NaN(), nil, nil, nil, nil},
			orb.Collection{orb.Point{1, 1}, orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}, []any{nil, int64(5), nil, nil, nil, nil, nil}},
		{orb.MultiLineString{}, []any{"", 0, math.Inf(1), nil, nil, nil, nil},
			nil, []any{"", int64(0), math.Inf(1), nil, nil, nil, nil}},
		{orb.Bound{Min: orb.Point{1, 2}, Max: orb.Point{3, 4}}, make([]any, 7),
			orb.Polygon{{{1, 2}, {3, 2}, {3, 4}, {1, 4}, {1, 2}}}, make([]any, 7)},
	}
	for _, f := range in {
		if err := lw.Insert(f.geom, f.vals); err != nil {
			t.Fatal(err)
		}
	}
	square := orb.Polygon{{{0, 0}, {0, 1}, {1, 1}, {1, 0}, {0, 0}}}
	for _, g := range []orb.Geometry{square, orb.MultiPolygon{square, square}, orb.Ring(square[0])} {
		if err := mp.Insert(g, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil { // after Close: a no-op
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("Abort after Close removed the file: %v", err)
	}

	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ls, err := f.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 2 || ls[0].Name != "混合" || ls[0].SRSID != 4546 || ls[0].OrgCoordsysID != 4546 || ls[0].Organization != "EPSG" ||
		ls[0].GeometryType != "GEOMETRY" || ls[0].Count != int64(len(in)) || !strings.Contains(ls[0].Definition, "Gauss-Kruger CM 111E") ||
		ls[1].Name != `面 "A"` || ls[1].Count != 3 || ls[1].GeometryType != "MULTIPOLYGON" {
		t.Fatalf("Layers() = %+v", ls)
	}
	fields, recs := readAll(t, path, "混合")
	if want := []string{"t", "i", "r", "b", "d", "dt", "blob"}; !slices.Equal(fields, want) {
		t.Errorf("Fields() = %v, want %v", fields, want)
	}
	if len(recs) != len(in) {
		t.Fatalf("read %d records, want %d", len(recs), len(in))
	}
	for i, rec := range recs {
		if rec.Index != i || rec.FID != int64(i+1) {
			t.Errorf("record %d: Index %d FID %d", i, rec.Index, rec.FID)
		}
		if !sameGeometry(rec.Geometry, in[i].want, 0) {
			t.Errorf("record %d: geometry %v, want %v", i, rec.Geometry, in[i].want)
		}
		for j, c := range cols {
			got, want := rec.Attrs[c.Name], in[i].attrs[j]
			if gt, ok := got.(time.Time); ok {
				if wt, ok := want.(time.Time); !ok || !gt.Equal(wt) {
					t.Errorf("record %d %s: got %v, want %v", i, c.Name, got, want)
				}
				continue
			}
			if fmt.Sprintf("%T %v", got, got) != fmt.Sprintf("%T %v", want, want) {
				t.Errorf("record %d %s: got %T %v, want %T %v", i, c.Name, got, got, want, want)
			}
		}
	}
	_, recs = readAll(t, path, `面 "A"`)
	for i, rec := range recs {
		if _, ok := rec.Geometry.(orb.MultiPolygon); !ok {
			t.Errorf("面 %d: %T, want orb.MultiPolygon (promoted)", i, rec.Geometry)
		}
	}
	db := rawDB(t, path)
	var check string
	if err := db.QueryRow(`SELECT rtreecheck('rtree_面 "A"_geom')`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("rtreecheck: %q %v", check, err)
	}
	var triggers int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?`, `面 "A"`).Scan(&triggers); err != nil || triggers != 6 {
		t.Errorf("%d R-tree triggers on 面 \"A\", want 6 (%v)", triggers, err)
	}
}

// TestWriteErrors checks that every request the Writer refuses gets a
// FormatError naming the layer, feature and field, and that the Writer
// stays usable after a refused feature.
func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "err.gpkg")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	lw, err := w.CreateLayer("道路", "", "", "LINESTRING", SRSCGCS2000, []Column{{Name: "名称", Type: "TEXT"}, {Name: "人口", Type: "INTEGER"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := lw.Insert(orb.LineString{{1, 2}, {3, 4}}, []any{"a", 1}); err != nil {
		t.Fatal(err)
	}
	line := orb.LineString{{1, 2}, {3, 4}}
	inserts := []struct {
		name   string
		geom   orb.Geometry
		vals   []any
		field  string
		reason string
	}{
		{"too few values", line, []any{"a"}, "", "有 1 个属性值，而图层有 2 个字段"},
		{"wrong geometry type", orb.Point{1, 2}, []any{"a", 1}, "geom", "几何类型 Point 与图层的几何类型 LINESTRING 不符"},
		{"NaN coordinate", orb.LineString{{1, 2}, {math.NaN(), 4}}, []any{"a", 1}, "geom", "NaN 或无穷大"},
		{"text into INTEGER", line, []any{"a", "12"}, "人口", "string 类型的值不能写入 INTEGER 字段"},
		{"float into INTEGER", line, []any{"a", 1.5}, "人口", "float64 类型的值不能写入 INTEGER 字段"},
		{"uint64 overflow", line, []any{"a", uint64(math.MaxUint64)}, "人口", "超出 64 位范围"},
		{"int into TEXT", line, []any{1, 1}, "名称", "int 类型的值不能写入 TEXT 字段"},
		{"invalid UTF-8", line, []any{"\xff\xfe", 1}, "名称", "不是有效的 UTF-8"},
		{"nil in collection", orb.Collection{nil}, []any{"a", 1}, "geom", "空（nil）成员"},
	}
	for _, tc := range inserts {
		t.Run(tc.name, func(t *testing.T) {
			err := lw.Insert(tc.geom, tc.vals)
			fe := formatError(t, err, ErrInvalid)
			if fe.File != "err.gpkg" || fe.Layer != "道路" || fe.Index != 1 || fe.FID != 2 || fe.Field != tc.field {
				t.Errorf("got %+v", fe)
			}
			want := "err.gpkg：图层 道路 第 2 个要素（FID 2）"
			if tc.field != "" {
				want += "字段 " + tc.field + " "
			}
			if msg := err.Error(); !strings.HasPrefix(msg, want) || !strings.Contains(msg, tc.reason) {
				t.Errorf("got %q, want %q…%q", msg, want, tc.reason)
			}
		})
	}
	if err := lw.Insert(line, []any{"b", 2}); err != nil { // still usable, next fid 2
		t.Fatal(err)
	}
	if _, err := os.Create(filepath.Join(dir, "exists.gpkg")); err != nil {
		t.Fatal(err)
	}
	_, err = Create(filepath.Join(dir, "exists.gpkg"))
	if fe := formatError(t, err, fs.ErrExist); !strings.Contains(fe.Error(), "文件已存在") {
		t.Errorf("got %q", fe.Error())
	}
	_, err = Create(filepath.Join(dir, "no", "such", "dir.gpkg"))
	formatError(t, err, fs.ErrNotExist)

	layers := []struct {
		name, layer, geomType string
		srs                   int
		cols                  []Column
		reason                string
	}{
		{"reserved name", "gpkg_x", "POINT", 4326, nil, "不能以 gpkg_ 开头"},
		{"rtree name", "RTREE_x", "POINT", 4326, nil, "不能以 rtree_ 开头"},
		{"duplicate layer", "道路", "POINT", 4326, nil, "图层已存在"},
		{"duplicate layer, other case", "Roads", "POINT", 4326, nil, ""},
		{"empty name", " ", "POINT", 4326, nil, "图层表名不能为空"},
		{"unknown geometry type", "x", "CIRCULARSTRING", 4326, nil, "几何类型 \"CIRCULARSTRING\" 不受支持"},
		{"unknown SRS", "x", "POINT", 4546, nil, "空间参考 4546 未定义"},
		{"fid column", "x", "POINT", 4326, []Column{{Name: "FID", Type: "INTEGER"}}, "与 fid、geom 冲突"},
		{"duplicate column", "x", "POINT", 4326, []Column{{Name: "a", Type: "TEXT"}, {Name: "A", Type: "TEXT"}}, "字段名 A 重复"},
		{"bad column type", "x", "POINT", 4326, []Column{{Name: "a", Type: "VARCHAR"}}, "类型 \"VARCHAR\" 不受支持"},
		{"NUL in column name", "x", "POINT", 4326, []Column{{Name: "a\x00b", Type: "TEXT"}}, "NUL"},
	}
	if _, err := w.CreateLayer("Roads", "", "", "POINT", 4326, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range layers {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.CreateLayer(tc.layer, "", "", tc.geomType, tc.srs, tc.cols)
			if fe := formatError(t, err, ErrInvalid); !strings.Contains(fe.Error(), tc.reason) {
				t.Errorf("got %q, want %q", fe.Error(), tc.reason)
			}
		})
	}
	if _, err := w.CreateLayer("另一个", "道路", "", "POINT", 4326, nil); err == nil { // identifier taken
		t.Error("a second layer titled 道路 was accepted")
	}
	formatError(t, w.AddMetadata("没有", "", "x"), ErrInvalid)
	formatError(t, w.AddSRS(SRS{ID: 9, Name: "x", Organization: "x"}), ErrInvalid)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	formatError(t, lw.Insert(line, []any{"c", 3}), ErrInvalid)
	_, recs := readAll(t, path, "道路")
	if len(recs) != 2 || recs[1].FID != 2 || recs[1].Attrs["名称"] != "b" {
		t.Errorf("after refused inserts the layer holds %+v", recs)
	}
}

func TestAbort(t *testing.T) {
	path := filepath.Join(t.TempDir(), "abort.gpkg")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	lw, err := w.CreateLayer("点", "", "", "POINT", SRSWGS84, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		if err := lw.Insert(orb.Point{float64(i), 0}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after Abort: %v, want the file gone", err)
	}
	formatError(t, w.Close(), ErrInvalid)
	formatError(t, lw.Insert(orb.Point{1, 1}, nil), ErrInvalid)
	if err := w.Abort(); err != nil {
		t.Errorf("second Abort: %v", err)
	}
}

// TestWriteMemoryFlat checks that the Go heap does not grow with the
// number of features written: the live heap after 300,000 lines must be
// within 2 MiB of the heap after 50,000.
func TestWriteMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 300,000 features")
	}
	path := filepath.Join(t.TempDir(), "flat.gpkg")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	lw, err := w.CreateLayer("道路", "", "", "LINESTRING", SRSCGCS2000, lineColumns)
	if err != nil {
		t.Fatal(err)
	}
	src := newLineSource()
	live := func() uint64 {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	var at50k uint64
	for i := range 300000 {
		if i == 50000 {
			at50k = live()
		}
		g, vals := src.next(i)
		if err := lw.Insert(g, vals); err != nil {
			t.Fatal(err)
		}
	}
	at300k := live()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("live heap: %d KiB after 50,000 lines, %d KiB after 300,000", at50k>>10, at300k>>10)
	if at300k > at50k+2<<20 {
		t.Errorf("heap grew from %d KiB to %d KiB", at50k>>10, at300k>>10)
	}
}
