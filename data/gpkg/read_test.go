package gpkg

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/data/gdaltest"
)

// villagesGeoJSON is what GDAL turns into the 村庄 layer: a point with Z,
// a multipolygon with a hole, a NULL geometry with NULL attributes and a
// line with Z, with Chinese names and values, a 12-digit code, a date, a
// date-time and a boolean for GDAL to type.
const villagesGeoJSON = `{"type": "FeatureCollection", "features": [
{"type": "Feature", "properties": {"名称": "临湘市羊楼司镇", "代码": 430682101201, "人口": 1234, "面积": 12.5,
  "建成": "2016-12-31", "更新": "2020-05-06T07:08:09Z", "通车": true},
 "geometry": {"type": "Point", "coordinates": [113.45, 29.48, 56.7]}},
{"type": "Feature", "properties": {"名称": "Tanzhou 坦渡", "代码": 1, "人口": 0, "面积": 0.25,
  "建成": "2020-02-29", "更新": "2021-01-01T00:00:00Z", "通车": false},
 "geometry": {"type": "MultiPolygon", "coordinates": [
  [[[113.0, 29.0], [113.4, 29.0], [113.4, 29.4], [113.0, 29.4], [113.0, 29.0]],
   [[113.1, 29.1], [113.1, 29.2], [113.2, 29.2], [113.2, 29.1], [113.1, 29.1]]],
  [[[113.5, 29.5], [113.6, 29.5], [113.6, 29.6], [113.5, 29.5]]]]}},
{"type": "Feature", "properties": {"名称": null, "代码": null, "人口": null, "面积": null, "建成": null, "更新": null, "通车": null},
 "geometry": null},
{"type": "Feature", "properties": {"名称": "詹桥镇", "代码": 2, "人口": 5, "面积": 1.0, "建成": "2001-02-03", "更新": null, "通车": true},
 "geometry": {"type": "LineString", "coordinates": [[113.1, 29.1, 1.0], [113.2, 29.2, 2.0]]}}
]}`

// plotsGeoJSON becomes the 地块 layer, reprojected by GDAL from CGCS2000
// degrees to the Gauss-Krüger projection EPSG:4546.
const plotsGeoJSON = `{"type": "FeatureCollection", "features": [
{"type": "Feature", "properties": {"编号": "A-1"}, "geometry": {"type": "Point", "coordinates": [113.45, 29.48]}},
{"type": "Feature", "properties": {"编号": "A-2"}, "geometry": {"type": "Point", "coordinates": [113.6, 29.6]}},
{"type": "Feature", "properties": {"编号": "A-3"}, "geometry": {"type": "Point", "coordinates": [113.2, 29.3]}}
]}`

// gdalPackage writes a GeoPackage with ogr2ogr from the two GeoJSON
// documents above and returns its path.
func gdalPackage(tb testing.TB) string {
	tb.Helper()
	gdaltest.Tool(tb, "ogr2ogr")
	dir := tb.TempDir()
	for name, text := range map[string]string{"村庄.geojson": villagesGeoJSON, "地块.geojson": plotsGeoJSON} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	path := filepath.Join(dir, "gdal.gpkg")
	run(tb, "ogr2ogr", "-f", "GPKG", path, filepath.Join(dir, "村庄.geojson"), "-a_srs", "EPSG:4490", "-nln", "村庄")
	run(tb, "ogr2ogr", "-f", "GPKG", "-update", path, filepath.Join(dir, "地块.geojson"),
		"-s_srs", "EPSG:4490", "-t_srs", "EPSG:4546", "-nln", "地块")
	return path
}

func TestReadGDAL(t *testing.T) {
	path := gdalPackage(t)
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ls, err := f.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 2 {
		t.Fatalf("Layers() = %+v, want 2", ls)
	}
	plots, villages := ls[0], ls[1] // ordered by name
	if villages.Name != "村庄" || villages.GeomColumn != "geom" || villages.GeometryType != "GEOMETRY" || villages.SRSID != 4490 ||
		villages.Organization != "EPSG" || villages.OrgCoordsysID != 4490 || villages.Count != 4 ||
		!strings.Contains(villages.Definition, `AUTHORITY["EPSG","4490"]`) {
		t.Errorf("村庄: %+v", villages)
	}
	if plots.Name != "地块" || plots.GeometryType != "POINT" || plots.SRSID != 4546 || plots.OrgCoordsysID != 4546 || plots.Count != 3 ||
		!strings.Contains(plots.Definition, "Gauss-Kruger CM 111E") {
		t.Errorf("地块: %+v", plots)
	}

	_, err = f.Read("")
	if fe := formatError(t, err, ErrSeveralLayers); !strings.Contains(fe.Error(), "地块、村庄") {
		t.Errorf("got %q, want the layers listed", fe.Error())
	}
	_, err = f.Read("道路")
	if fe := formatError(t, err, ErrNoLayer); fe.Error() != `gdal.gpkg：没有名为 "道路" 的要素图层；文件中的图层有：地块、村庄` {
		t.Errorf("got %q", fe.Error())
	}

	fields, recs := readAll(t, path, "村庄")
	if want := "名称 代码 人口 面积 建成 更新 通车"; strings.Join(fields, " ") != want {
		t.Errorf("Fields() = %v, want %s", fields, want)
	}
	want := []Record{
		{0, 1, orb.Point{113.45, 29.48}, map[string]any{"名称": "临湘市羊楼司镇", "代码": int64(430682101201), "人口": int64(1234), "面积": 12.5,
			"建成": day(2016, 12, 31), "更新": time.Date(2020, 5, 6, 7, 8, 9, 0, time.UTC), "通车": true}},
		{1, 2, orb.MultiPolygon{
			{{{113.0, 29.0}, {113.4, 29.0}, {113.4, 29.4}, {113.0, 29.4}, {113.0, 29.0}},
				{{113.1, 29.1}, {113.1, 29.2}, {113.2, 29.2}, {113.2, 29.1}, {113.1, 29.1}}},
			{{{113.5, 29.5}, {113.6, 29.5}, {113.6, 29.6}, {113.5, 29.5}}}},
			map[string]any{"名称": "Tanzhou 坦渡", "代码": int64(1), "人口": int64(0), "面积": 0.25,
				"建成": day(2020, 2, 29), "更新": time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC), "通车": false}},
		{2, 3, nil, map[string]any{"名称": nil, "代码": nil, "人口": nil, "面积": nil, "建成": nil, "更新": nil, "通车": nil}},
		{3, 4, orb.LineString{{113.1, 29.1}, {113.2, 29.2}},
			map[string]any{"名称": "詹桥镇", "代码": int64(2), "人口": int64(5), "面积": 1.0, "建成": day(2001, 2, 3), "更新": nil, "通车": true}},
	}
	compareRecords(t, recs, want, 0)

	// Coordinates GDAL projected: compare with gdaltransform's.
	out := run2stdin(t, "113.45 29.48\n113.6 29.6\n113.2 29.3\n", "gdaltransform", "-s_srs", "EPSG:4490", "-t_srs", "EPSG:4546", "-output_xy")
	var pts []orb.Point
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var p orb.Point
		if _, err := fmt.Sscan(line, &p[0], &p[1]); err != nil {
			t.Fatalf("gdaltransform output %q: %v", line, err)
		}
		pts = append(pts, p)
	}
	_, recs = readAll(t, path, "地块")
	if len(recs) != 3 {
		t.Fatalf("地块: %d records", len(recs))
	}
	for i, rec := range recs {
		if !sameGeometry(rec.Geometry, pts[i], 1e-6) || rec.Attrs["编号"] != "A-"+strconv.Itoa(i+1) {
			t.Errorf("地块 %d: %v %v, want %v (gdaltransform)", i, rec.Geometry, rec.Attrs, pts[i])
		}
	}

	// FIDs with a gap: the Record keeps the file's fid.
	run(t, "ogrinfo", path, "-sql", `DELETE FROM "地块" WHERE fid = 2`)
	_, recs = readAll(t, path, "地块")
	if len(recs) != 2 || recs[1].Index != 1 || recs[1].FID != 3 {
		t.Errorf("after deleting fid 2: %+v", recs)
	}
}

// run2stdin runs a GDAL tool with input on its standard input.
func run2stdin(tb testing.TB, stdin, tool string, args ...string) string {
	tb.Helper()
	cmd := exec.Command(gdaltest.Tool(tb, tool), args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("%s: %v", tool, err)
	}
	return string(out)
}

// compareRecords compares records field by field, geometries within tol.
func compareRecords(tb testing.TB, got, want []Record, tol float64) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("got %d records, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Index != w.Index || g.FID != w.FID {
			tb.Errorf("record %d: Index %d FID %d, want %d %d", i, g.Index, g.FID, w.Index, w.FID)
		}
		if !sameGeometry(g.Geometry, w.Geometry, tol) {
			tb.Errorf("record %d: geometry %#v, want %#v", i, g.Geometry, w.Geometry)
		}
		if len(g.Attrs) != len(w.Attrs) {
			tb.Errorf("record %d: attrs %v, want %v", i, g.Attrs, w.Attrs)
		}
		for k, wv := range w.Attrs {
			gv := g.Attrs[k]
			if wt, ok := wv.(time.Time); ok {
				if gt, ok := gv.(time.Time); !ok || !gt.Equal(wt) {
					tb.Errorf("record %d %s: got %T %v, want %v", i, k, gv, gv, wv)
				}
				continue
			}
			if fmt.Sprintf("%T %v", gv, gv) != fmt.Sprintf("%T %v", wv, wv) {
				tb.Errorf("record %d %s: got %T %v, want %T %v", i, k, gv, gv, wv, wv)
			}
		}
	}
}

func TestReadBadFiles(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.gpkg")
	writeCounty(t, good)
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sqliteFile := func(name string, stmts ...string) string {
		p := filepath.Join(dir, name)
		db, err := sql.Open("sqlite", p)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		mustExec(t, db, stmts...)
		return p
	}
	cases := []struct {
		name     string
		path     string
		sentinel error
		message  string
	}{
		{"text file", write("说明.gpkg", []byte("这不是 GeoPackage，是说明文字。\n")), ErrNotGeoPackage,
			"说明.gpkg：不是 SQLite 数据库文件，因而不是 GeoPackage（.gpkg）"},
		{"shapefile renamed", write("村界.gpkg", append([]byte{0, 0, 0x27, 0x0a}, make([]byte, 96)...)), ErrNotGeoPackage, "不是 SQLite 数据库文件"},
		{"empty file", write("empty.gpkg", nil), ErrNotGeoPackage, "empty.gpkg：文件是空的"},
		{"cut in the header", write("header.gpkg", data[:50]), ErrTruncated, "header.gpkg：文件不完整：只有 50 字节"},
		{"cut in half", write("half.gpkg", data[:len(data)/2]), ErrTruncated, fmt.Sprintf("half.gpkg：文件不完整：应有 %d 字节，实际只有 %d 字节", len(data), len(data)/2)},
		{"cut mid-page", write("mid.gpkg", data[:len(data)-100]), ErrTruncated, "不完整"},
		{"SQLite without gpkg_contents", sqliteFile("plain.gpkg", "CREATE TABLE villages (id INTEGER PRIMARY KEY, name TEXT)"),
			ErrNotGeoPackage, "plain.gpkg：是 SQLite 数据库但不是 GeoPackage：缺少 gpkg_contents 表"},
		{"MBTiles", sqliteFile("tiles.gpkg", "PRAGMA application_id = 0x4d504258", "CREATE TABLE metadata (name TEXT, value TEXT)"),
			ErrNotGeoPackage, "application_id 为 0x4d504258"},
		{"missing", filepath.Join(dir, "没有.gpkg"), fs.ErrNotExist, "没有.gpkg：无法打开文件"},
		{"directory", dir, ErrNotGeoPackage, "是目录"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Open(tc.path)
			if err == nil {
				f.Close()
			}
			fe := formatError(t, err, tc.sentinel)
			if !strings.Contains(fe.Error(), tc.message) {
				t.Errorf("got %q, want %q", fe.Error(), tc.message)
			}
		})
	}
}

// TestApplicationID checks which SQLite application ids Open takes: the
// three GeoPackage ones, and 0, which some older tools leave.
func TestApplicationID(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.gpkg")
	writeCounty(t, good)
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"GPKG", "GP10", "GP11", "\x00\x00\x00\x00", "XXXX"} {
		path := filepath.Join(dir, "app"+strconv.Quote(id)+".gpkg")
		b := append([]byte(nil), data...)
		copy(b[68:72], id)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := Open(path)
		if id == "XXXX" {
			formatError(t, err, ErrNotGeoPackage)
			continue
		}
		if err != nil {
			t.Errorf("application_id %q: %v", id, err)
			continue
		}
		f.Close()
	}
}

// damage copies the county package and changes it with SQL, dropping the
// R-tree triggers first: they call GDAL's ST_* functions, which plain
// SQLite does not have.
func damage(tb testing.TB, layer string, stmts ...string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "damaged.gpkg")
	writeCounty(tb, path)
	db := rawDB(tb, path)
	for _, s := range []string{"insert", "update1", "update2", "update3", "update4", "delete"} {
		mustExec(tb, db, fmt.Sprintf(`DROP TRIGGER "rtree_%s_geom_%s"`, layer, s))
	}
	mustExec(tb, db, stmts...)
	db.Close()
	return path
}

func TestReadBadFeatures(t *testing.T) {
	cases := []struct {
		name     string
		set      string // SQL assignment for fid 2 of 村点
		field    string
		sentinel error
		reason   string
	}{
		{"not a GeoPackage blob", "geom = X'0101000000000000000000F03F0000000000000040'", "geom", ErrGeometry, "应以“GP”开头"},
		{"truncated WKB", "geom = substr(geom, 1, length(geom) - 4)", "geom", ErrGeometry, "截断"},
		{"bad envelope flag", "geom = X'4750000B' || substr(geom, 5)", "geom", ErrGeometry, "包络类型 5"},
		{"curve", "geom = X'47500001C2110000' || X'0108000000' || X'00000000'", "geom", ErrGeometry, "类型代码 8"},
		{"text in the geometry column", "geom = 'POINT (1 2)'", "geom", ErrGeometry, "应以“GP”开头"},
		{"bad date", `"建成" = 'yesterday'`, "建成", ErrValue, `的值 "yesterday" 不是日期或时间`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := damage(t, "村点", `UPDATE "村点" SET `+tc.set+` WHERE fid = 2`)
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			r, err := f.Read("村点")
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			n := 0
			for r.Next() {
				n++
			}
			if n != 1 {
				t.Errorf("read %d records before the fault, want 1", n)
			}
			fe := formatError(t, r.Err(), tc.sentinel)
			if fe.Layer != "村点" || fe.Index != 1 || fe.FID != 2 || fe.Field != tc.field {
				t.Errorf("got %+v", fe)
			}
			prefix := "damaged.gpkg：图层 村点 第 2 个要素（FID 2）字段 " + tc.field + " "
			if msg := fe.Error(); !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, tc.reason) {
				t.Errorf("got %q, want %q…%q", msg, prefix, tc.reason)
			}
			if r.Next() {
				t.Error("Next after an error returned true")
			}
		})
	}
}

func TestReadCorruptPage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "corrupt.gpkg")
	writeCounty(t, path)
	db := rawDB(t, path)
	var root, pageSize int
	if err := db.QueryRow(`SELECT rootpage, (SELECT page_size FROM pragma_page_size) FROM sqlite_master WHERE name = '样点'`).Scan(&root, &pageSize); err != nil {
		t.Fatal(err)
	}
	db.Close()
	file, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	garbage := []byte(strings.Repeat("\xde\xad\xbe\xef", pageSize/4))
	if _, err := file.WriteAt(garbage, int64(root-1)*int64(pageSize)); err != nil {
		t.Fatal(err)
	}
	file.Close()

	f, err := Open(path)
	if err != nil {
		t.Fatal(err) // the schema on page 1 is intact
	}
	defer f.Close()
	_, err = f.Layers()
	if fe := formatError(t, err, ErrCorrupt); fe.Layer != "样点" || !strings.Contains(fe.Error(), "corrupt.gpkg：图层 样点 文件已损坏") {
		t.Errorf("Layers: got %q", fe.Error())
	}
	err = nil
	if r, rerr := f.Read("样点"); rerr != nil {
		err = rerr
	} else {
		for r.Next() {
		}
		err = r.Err()
		r.Close()
	}
	formatError(t, err, ErrCorrupt)
	// The other layers still read.
	if _, recs := readAll(t, path, "道路"); len(recs) != 2 {
		t.Errorf("道路: %d records", len(recs))
	}
}

func TestReaderClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.gpkg")
	writeCounty(t, path)
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.Read("样点")
	if err != nil {
		t.Fatal(err)
	}
	if !r.Next() || r.Record().FID != 1 {
		t.Fatal("no first record")
	}
	if err := f.Close(); err != nil { // closes r too
		t.Fatal(err)
	}
	if r.Next() {
		t.Error("Next after File.Close returned true")
	}
	if err := r.Close(); err != nil {
		t.Errorf("Reader.Close after File.Close: %v", err)
	}
	if _, err := f.Read("样点"); err == nil {
		t.Error("Read after Close succeeded")
	}
}

// TestOpenDoesNotCreate checks that Open of a missing file leaves no file
// behind (SQLite would create one if asked read-write).
func TestOpenDoesNotCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x?mode=rw#1.gpkg")
	if _, err := Open(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open created %s", path)
	}
	writeCounty(t, path) // odd characters in the path are no URI parameters
	if _, recs := readAll(t, path, "道路"); len(recs) != 2 {
		t.Errorf("read %d records", len(recs))
	}
}
