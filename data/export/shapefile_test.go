package export

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/data/gdaltest"
	"github.com/gapmap/gapmap/geo"
)

// unzipAll returns every entry of the zip at path by name.
func unzipAll(tb testing.TB, path string) map[string][]byte {
	tb.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer zr.Close()
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			tb.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			tb.Fatalf("%s: %v", f.Name, err)
		}
		out[f.Name] = b
	}
	return out
}

func zipNames(tb testing.TB, path string) []string {
	tb.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	return names
}

func TestShapefileZipEntries(t *testing.T) {
	tmp := t.TempDir()
	path := writeFile(t, "export.zip", func(w io.Writer) Writer {
		return NewShapefileZip(w, ShapefileOptions{TempDir: tmp})
	}, villages, mixed)
	set := func(base string) []string {
		return []string{base + ".shp", base + ".shx", base + ".dbf", base + ".prj", base + ".cpg"}
	}
	var want []string
	want = append(want, set("villages")...)
	want = append(want, "villages_fields.csv")
	want = append(want, set("mixed_point")...)
	want = append(want, set("mixed_line")...)
	want = append(want, set("mixed_polygon")...)
	want = append(want, "mixed_fields.csv", "README.txt")
	if got := zipNames(t, path); !slices.Equal(got, want) {
		t.Errorf("zip holds\n%v\nwant\n%v", got, want)
	}
	// Memory stays flat because records go to temporary files; none may
	// be left behind.
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("%d temporary files left in TempDir", len(left))
	}

	files := unzipAll(t, path)
	if got := string(files["villages.cpg"]); got != "UTF-8" {
		t.Errorf(".cpg = %q, want UTF-8", got)
	}
	if got := string(files["villages.prj"]); got != esri4490 {
		t.Errorf(".prj = %q, want the layer's PRJ", got)
	}
	wantFields := "\uFEFF短字段名,字段名,中文名,类型\r\n" +
		"name,name,名称,文本 C(21)\r\n" +
		"poor_popul,poor_population,贫困人口,\"整数 N(12,0)\"\r\n" +
		"poor_pop_1,poor_population_households,贫困户数,\"整数 N(9,0)\"\r\n" +
		"poverty_ra,poverty_rate,贫困发生率,\"小数 N(10,4)\"\r\n" +
		"electrifie,electrified,通电,是否 L(1)\r\n" +
		"surveyed,surveyed,调查日期,日期 D(8)\r\n" +
		"updated_at,updated_at,更新时间,日期时间（文本 yyyy-mm-dd hh:mm:ss）C(19)\r\n" +
		"note,note,备注,文本 C(252)\r\n"
	if got := string(files["villages_fields.csv"]); got != wantFields {
		t.Errorf("villages_fields.csv:\n%s\nwant\n%s", got, wantFields)
	}
	readme := string(files["README.txt"])
	wantContains(t, "README.txt", readme,
		"\uFEFF临湘市脱贫攻坚规划系统 — Shapefile 数据导出说明\r\n",
		"导出时间：2024-06-01 09:30", "数据版本：2024-06 普查", "坐标系：CGCS2000 经纬度（EPSG:4490）",
		"字符编码：UTF-8（.cpg 文件为 UTF-8）", "筛选条件：乡镇：羊楼司镇；年度：2024", "署名：© 临湘市乡村振兴局",
		"1. 村庄（villages）：点，4 个要素", "文件：villages.shp", "记录：点 4 条",
		"poor_popul → poor_population → 贫困人口 → 整数 N(12,0)",
		"字段“备注”有 1 个值超过 254 字节，已在完整字符处截断",
		"2. 混合（mixed）：混合几何，5 个要素", "文件：mixed_point.shp、mixed_line.shp、mixed_polygon.shp",
		"记录：点 3 条，线 1 条，面 2 条",
		"1 个要素没有几何，以空几何写在 mixed_point.shp 末尾",
		"1 个要素的几何集合含多种几何类型，已按类型分别写入各文件",
		"未导出（无数据）：roads、townships、empty",
	)
}

// TestShapefileRecords reads the .shp and .dbf bytes back by hand to
// check what GDAL would silently repair: ring orientation, closed rings,
// header lengths and extents, dbf layout.
func TestShapefileRecords(t *testing.T) {
	path := writeFile(t, "export.zip", func(w io.Writer) Writer {
		return NewShapefileZip(w, ShapefileOptions{Encoding: EncodingGBK})
	}, townships)
	files := unzipAll(t, path)
	shp, shx, dbf := files["townships.shp"], files["townships.shx"], files["townships.dbf"]
	be, le := binary.BigEndian, binary.LittleEndian

	if got := int(be.Uint32(shp[24:])) * 2; got != len(shp) {
		t.Errorf(".shp header length %d, file is %d bytes", got, len(shp))
	}
	if got := int(be.Uint32(shx[24:])) * 2; got != len(shx) || got != 100+8*4 {
		t.Errorf(".shx header length %d, file is %d bytes, want %d", got, len(shx), 100+8*4)
	}
	if got := le.Uint32(shp[32:]); got != 5 {
		t.Errorf("shape type %d, want 5 (Polygon)", got)
	}
	var box [4]float64
	for i := range box {
		box[i] = math.Float64frombits(le.Uint64(shp[36+8*i:]))
	}
	if want := [4]float64{112, 28, 114.5, 29.6}; box != want {
		t.Errorf("header bbox %v, want %v", box, want)
	}

	// Each record: rings with their signed areas.
	type ringInfo struct {
		closed bool
		area   float64
	}
	var records [][]ringInfo
	for i := range 4 {
		off := int(be.Uint32(shx[100+8*i:])) * 2
		clen := int(be.Uint32(shx[100+8*i+4:])) * 2
		if got := int(be.Uint32(shp[off:])); got != i+1 {
			t.Errorf("record %d numbered %d", i+1, got)
		}
		c := shp[off+8 : off+8+clen]
		if le.Uint32(c) == 0 {
			records = append(records, nil) // null shape
			continue
		}
		nparts, npts := int(le.Uint32(c[36:])), int(le.Uint32(c[40:]))
		starts := make([]int, nparts+1)
		for p := range nparts {
			starts[p] = int(le.Uint32(c[44+4*p:]))
		}
		starts[nparts] = npts
		ptsAt := 44 + 4*nparts
		pt := func(k int) orb.Point {
			return orb.Point{math.Float64frombits(le.Uint64(c[ptsAt+16*k:])), math.Float64frombits(le.Uint64(c[ptsAt+16*k+8:]))}
		}
		var rings []ringInfo
		for p := range nparts {
			var r orb.Ring
			for k := starts[p]; k < starts[p+1]; k++ {
				r = append(r, pt(k))
			}
			rings = append(rings, ringInfo{closed: r[0] == r[len(r)-1], area: geo.RingArea(r)})
		}
		records = append(records, rings)
	}
	// Clockwise (negative area) exteriors, counter-clockwise holes, all
	// closed — whatever orientation and closure the input had.
	wantSigns := [][]int{{-1, 1}, {-1, -1, 1}, nil, {-1}}
	for i, rings := range records {
		if len(rings) != len(wantSigns[i]) {
			t.Errorf("record %d has %d rings, want %d", i+1, len(rings), len(wantSigns[i]))
			continue
		}
		for j, r := range rings {
			if !r.closed {
				t.Errorf("record %d ring %d is not closed", i+1, j)
			}
			if math.Signbit(r.area) != (wantSigns[i][j] < 0) {
				t.Errorf("record %d ring %d has signed area %g, want sign %d", i+1, j, r.area, wantSigns[i][j])
			}
		}
	}

	// dbf: dBASE III, GBK language byte, counts and lengths consistent.
	if dbf[0] != 0x03 || dbf[29] != 0x4D {
		t.Errorf("dbf version 0x%02X language 0x%02X, want 0x03 0x4D", dbf[0], dbf[29])
	}
	n, hlen, rlen := int(le.Uint32(dbf[4:])), int(le.Uint16(dbf[8:])), int(le.Uint16(dbf[10:]))
	if n != 4 || len(dbf) != hlen+n*rlen+1 || dbf[len(dbf)-1] != 0x1A || dbf[hlen-1] != 0x0D {
		t.Errorf("dbf: %d records, header %d, record %d, file %d bytes", n, hlen, rlen, len(dbf))
	}
	if got := string(files["townships.cpg"]); got != "936" {
		t.Errorf(".cpg = %q, want 936", got)
	}
}

func TestShortNames(t *testing.T) {
	cases := []struct {
		name  string
		gbk   bool
		names []string
		want  []string
	}{
		{"ascii", false, []string{"name", "poor_population", "poverty_rate"}, []string{"name", "poor_popul", "poverty_ra"}},
		{"collisions", false, []string{"poor_population", "poor_population_households", "poor_popul_x", "poor_pop_1"},
			[]string{"poor_popul", "poor_pop_1", "poor_pop_2", "poor_pop_3"}},
		{"case-insensitive", false, []string{"Name", "NAME", "name"}, []string{"Name", "NAME_1", "name_2"}},
		{"utf-8 chinese", false, []string{"贫困人口数量"}, []string{"贫困人"}}, // 3 bytes each
		{"gbk chinese", true, []string{"贫困人口数量"}, []string{"贫困人口数"}},  // 2 bytes each
		{"gbk chinese collision", true, []string{"贫困人口数量", "贫困人口数目"}, []string{"贫困人口数", "贫困人口_1"}},
		{"mixed bytes", true, []string{"a贫困人口数量"}, []string{"a贫困人口"}}, // never half a character
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			enc := newTextEncoder(tc.gbk)
			fields := make([]Field, len(tc.names))
			for i, n := range tc.names {
				fields[i] = Field{Name: n}
			}
			var got []string
			for _, b := range shortNames(enc, fields) {
				if len(b) > 10 {
					t.Errorf("name %q is %d bytes", b, len(b))
				}
				got = append(got, enc.decode(b))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTextCut(t *testing.T) {
	for _, gbk := range []bool{false, true} {
		enc := newTextEncoder(gbk)
		for _, s := range []string{"a柘庄村", "柘庄村", "ab", "柘a柘b柘c"} {
			full := enc.append(nil, s)
			for n := 0; n <= len(full); n++ {
				got := enc.decode(enc.cut(full, n))
				if !strings.HasPrefix(s, got) || strings.ContainsRune(got, '\uFFFD') {
					t.Errorf("gbk=%v cut(%q, %d) = %q: not a prefix of whole characters", gbk, s, n, got)
				}
			}
		}
	}
	enc := newTextEncoder(true)
	if got := enc.decode(enc.append(nil, "坦渡乡 🌾")); got != "坦渡乡 ?" || enc.replaced != 1 {
		t.Errorf("GBK of an emoji: %q, %d replaced; want %q, 1", got, enc.replaced, "坦渡乡 ?")
	}
}

// TestShapefileFieldWidths checks the widths taken from the data and the
// float form GDAL reads back exactly.
func TestShapefileFieldWidths(t *testing.T) {
	enc := newTextEncoder(false)
	tbl := newDBFTable(enc, []Field{{Name: "f", Type: Float}, {Name: "i", Type: Int}, {Name: "s", Type: String}, {Name: "d", Type: DateTime}})
	a, b := 0.1, 0.2
	for _, row := range [][]cell{
		{{f: 36.31}, {i: 7}, {s: "柘"}, {null: true}},
		{{f: a + b}, {i: math.MinInt64}, {s: ""}, {null: true}},
		{{f: 1e300}, {null: true}, {null: true}, {null: true}},
	} {
		tbl.appendRow(nil, row)
	}
	f, i, s, d := &tbl.fields[0], &tbl.fields[1], &tbl.fields[2], &tbl.fields[3]
	if got := appendDBFFloat(nil, a+b); string(got) != "0.30000000000000004" {
		t.Errorf("0.1+0.2 written %s", got)
	}
	if got := appendDBFFloat(nil, 1e300); string(got) != "1e+300" {
		t.Errorf("1e300 written %s", got)
	}
	if f.width() != 19 || f.decimals() != 15 {
		t.Errorf("float N(%d,%d), want N(19,15)", f.width(), f.decimals())
	}
	if i.width() != 20 || s.width() != 3 || d.width() != 19 {
		t.Errorf("int width %d (want 20), text %d (want 3), datetime %d (want 19)", i.width(), s.width(), d.width())
	}
}

func TestShapefileLimits(t *testing.T) {
	saved := shpMaxFile
	t.Cleanup(func() { shpMaxFile = saved })
	shpMaxFile = 400 // bytes: the header and a few records

	bare := roads.layer
	bare.Fields = nil // a dbf of 1-byte records: the .shp fills first
	cases := []struct {
		name   string
		layer  Layer
		values []any
		want   string
	}{
		{"shp", bare, nil, "图层“道路”的线几何（.shp）文件大小超过 Shapefile 格式的上限（单个文件 2 GB），请缩小导出范围，或改用 GeoPackage 格式导出"},
		{"dbf", roads.layer, testRows[0], "图层“道路”的属性表（.dbf）文件大小超过 Shapefile 格式的上限（单个文件 2 GB）"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := NewShapefileZip(io.Discard, ShapefileOptions{TempDir: t.TempDir()})
			if err := w.BeginLayer(tc.layer); err != nil {
				t.Fatal(err)
			}
			var err error
			for i := 0; i < 100 && err == nil; i++ {
				err = w.Write(roads.geoms[0], tc.values)
			}
			var le *LimitError
			if !errors.As(err, &le) || !errors.Is(err, ErrTooLarge) {
				t.Fatalf("got %v, want a *LimitError matching ErrTooLarge", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("message %q lacks %q", err, tc.want)
			}
			if err := w.Write(roads.geoms[0], tc.values); err != le {
				t.Errorf("after the limit Write returned %v, want the same error", err)
			}
			if err := w.Close(testMeta); err != le {
				t.Errorf("Close after the limit returned %v, want the same error", err)
			}
		})
	}
}

// TestShapefileLayers covers the edge layers: empty, without geometry,
// a MultiPoint layer, and a declared Point layer that receives lines.
func TestShapefileLayers(t *testing.T) {
	base := Layer{SRID: 4490, PRJ: esri4490, Fields: []Field{{Name: "name", Type: String}}}
	layer := func(name, geom string) Layer {
		l := base
		l.Name, l.Geometry = name, geom
		return l
	}
	path := filepath.Join(t.TempDir(), "edge.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := NewShapefileZip(f, ShapefileOptions{})
	write := func(l Layer, geoms ...orb.Geometry) {
		t.Helper()
		if err := w.BeginLayer(l); err != nil {
			t.Fatal(err)
		}
		for _, g := range geoms {
			if err := w.Write(g, []any{"x"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.EndLayer(); err != nil {
			t.Fatal(err)
		}
	}
	write(layer("empty", GeomPolygon))
	write(layer("empty_mixed", GeomGeometry))
	write(layer("nogeom", GeomGeometry), nil, orb.LineString{})
	write(layer("multipoints", GeomMultiPoint), orb.Point{1, 2}, orb.MultiPoint{{1, 2}, {3, 4}})
	write(layer("surprise", GeomPoint), orb.Point{1, 2}, orb.LineString{{1, 2}, {3, 4}})
	if err := w.Close(Meta{}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	names := zipNames(t, path)
	for _, want := range []string{"empty.shp", "nogeom.shp", "multipoints.shp", "surprise_point.shp", "surprise_line.shp"} {
		if !slices.Contains(names, want) {
			t.Errorf("zip lacks %s: %v", want, names)
		}
	}
	if slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "empty_mixed") && !strings.HasSuffix(n, ".csv") }) {
		t.Errorf("an empty mixed layer wrote files: %v", names)
	}
	files := unzipAll(t, path)
	for name, typ := range map[string]uint32{"empty.shp": 5, "nogeom.shp": 0, "multipoints.shp": 8, "surprise_point.shp": 1, "surprise_line.shp": 3} {
		if got := binary.LittleEndian.Uint32(files[name][32:]); got != typ {
			t.Errorf("%s shape type %d, want %d", name, got, typ)
		}
	}
	if len(files["empty.shp"]) != 100 {
		t.Errorf("empty.shp is %d bytes, want a bare header", len(files["empty.shp"]))
	}
	wantContains(t, "README.txt", string(files["README.txt"]), "无要素，未生成文件", "记录：无几何 2 条")

	if gdaltest.Optional("ogrinfo") {
		out := gdal(t, "ogrinfo", "-ro", "-so", "-al", "/vsizip/"+path)
		wantContains(t, "ogrinfo", out, "Layer name: empty\n", "Layer name: nogeom\n", "Feature Count: 2", "Geometry: Multi Point")
	}
}

func TestShapefileBadOptions(t *testing.T) {
	w := NewShapefileZip(io.Discard, ShapefileOptions{Encoding: "latin1"})
	if err := w.BeginLayer(villages.layer); err == nil || !strings.Contains(err.Error(), "latin1") {
		t.Errorf("BeginLayer with encoding latin1: %v, want an error naming it", err)
	}
	var buf bytes.Buffer
	w = NewShapefileZip(&buf, ShapefileOptions{})
	for _, l := range []Layer{villages.layer, villages.layer} {
		err := w.BeginLayer(l)
		if err == nil {
			err = w.EndLayer()
			continue
		}
		var ile *InvalidLayerError
		if !errors.As(err, &ile) {
			t.Errorf("second layer of the same name: %v, want *InvalidLayerError", err)
		}
	}
	_ = w.Close(Meta{})
}
