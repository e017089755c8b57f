package shp

import (
	"archive/zip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/paulmach/orb"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// square returns a closed ring with corner (x, y) and side s, clockwise
// (a shapefile outer ring) or counter-clockwise (a hole).
func square(x, y, s float64, clockwise bool) orb.Ring {
	r := orb.Ring{{x, y}, {x + s, y}, {x + s, y + s}, {x, y + s}, {x, y}}
	if clockwise {
		r = reversed(r)
	}
	return r
}

// roadFields are the columns of roadSet: GBK names, as county data has.
var roadFields = []Field{
	{Name: "名称", Type: 'C', Length: 30},
	{Name: "宽度", Type: 'N', Length: 8, Decimals: 2},
	{Name: "代码", Type: 'N', Length: 12},
	{Name: "日期", Type: 'D', Length: 8},
	{Name: "通车", Type: 'L', Length: 1},
}

// roadSet is a Polygon set of n squares with GBK attributes and the GBK
// language byte; tests change it through the returned value.
func roadSet(tb testing.TB, n int) testSet {
	tb.Helper()
	fields := make([]Field, len(roadFields))
	for i, f := range roadFields {
		f.Name = gbk(tb, f.Name)
		fields[i] = f
	}
	return testSet{
		typ: Polygon, fields: fields, ldid: 0x4D, n: n,
		record: func(i int) (orb.Geometry, []string, bool) {
			g := orb.Polygon{square(float64(i), 0, 1, true)}
			return g, []string{gbk(tb, fmt.Sprintf("羊楼司镇第%d路", i)), "4.50", "430682101201", "20161231", "T"}, false
		},
	}
}

// roadAttrs is what roadSet's record i reads as.
func roadAttrs(i int) map[string]any {
	return map[string]any{"名称": fmt.Sprintf("羊楼司镇第%d路", i), "宽度": 4.5, "代码": int64(430682101201), "日期": day(2016, 12, 31), "通车": true}
}

func TestRead(t *testing.T) {
	dir := t.TempDir()
	s := roadSet(t, 3)
	base := s.record
	s.record = func(i int) (orb.Geometry, []string, bool) {
		g, v, _ := base(i)
		return g, v, i == 1 // deleted rows are skipped but keep their index
	}
	r, recs := readAll(t, writeSet(t, dir, "roads", s))
	if name, source := r.Encoding(); name != EncodingGBK || source != "dbf language byte 0x4D" {
		t.Errorf("Encoding() = %q, %q", name, source)
	}
	if r.Len() != 3 || r.ShapeType() != Polygon || r.PRJ() != "" {
		t.Errorf("Len, ShapeType, PRJ = %d, %v, %q", r.Len(), r.ShapeType(), r.PRJ())
	}
	if got := []int{recs[0].Index, recs[1].Index}; len(recs) != 2 || got[1] != 2 {
		t.Fatalf("got %d records with indexes %v, want 0 and 2", len(recs), got)
	}
	for _, rec := range recs {
		if d := attrsEqual(rec.Attrs, roadAttrs(rec.Index), 0); d != "" {
			t.Errorf("record %d: %s", rec.Index, d)
		}
		if d := geomEqual(rec.Geometry, orb.Polygon{square(float64(rec.Index), 0, 1, true)}, 0); d != "" {
			t.Errorf("record %d: %s", rec.Index, d)
		}
	}
}

// TestShapeTypes writes every readable type, Z and M included, and reads
// it back as 2D.
func TestShapeTypes(t *testing.T) {
	poly := orb.Polygon{square(0, 0, 10, true), square(1, 1, 2, false)}
	cases := []struct {
		typ  ShapeType
		in   orb.Geometry
		want orb.Geometry
	}{
		{Point, orb.Point{1, 2}, orb.Point{1, 2}},
		{PointZ, orb.Point{1, 2}, orb.Point{1, 2}},
		{PointM, orb.Point{1, 2}, orb.Point{1, 2}},
		{MultiPoint, orb.MultiPoint{{1, 2}, {3, 4}}, orb.MultiPoint{{1, 2}, {3, 4}}},
		{MultiPointZ, orb.MultiPoint{{1, 2}}, orb.MultiPoint{{1, 2}}},
		{MultiPointM, orb.MultiPoint{{1, 2}}, orb.MultiPoint{{1, 2}}},
		{PolyLine, orb.LineString{{0, 0}, {1, 1}}, orb.LineString{{0, 0}, {1, 1}}},
		{PolyLineZ, orb.MultiLineString{{{0, 0}, {1, 1}}, {{2, 2}, {3, 3}}}, orb.MultiLineString{{{0, 0}, {1, 1}}, {{2, 2}, {3, 3}}}},
		{PolyLineM, orb.LineString{{0, 0}, {1, 1}}, orb.LineString{{0, 0}, {1, 1}}},
		{Polygon, poly, poly},
		{PolygonZ, poly, poly},
		{PolygonM, poly, poly},
		{Polygon, nil, nil},
		// An empty shape reads as nil, like a null one.
		{Polygon, orb.Polygon{}, nil},
		{MultiPoint, orb.MultiPoint{}, nil},
		// A ring a writer left open is closed.
		{Polygon, orb.Polygon{{{0, 0}, {0, 1}, {1, 1}, {1, 0}}}, orb.Polygon{{{0, 0}, {0, 1}, {1, 1}, {1, 0}, {0, 0}}}},
	}
	for i, tc := range cases {
		t.Run(fmt.Sprintf("%d-%v", i, tc.typ), func(t *testing.T) {
			path := writeSet(t, t.TempDir(), "g", testSet{typ: tc.typ, n: 1,
				record: func(int) (orb.Geometry, []string, bool) { return tc.in, nil, false }})
			r, recs := readAll(t, path)
			if r.ShapeType() != tc.typ || len(recs) != 1 {
				t.Fatalf("ShapeType() = %v with %d records", r.ShapeType(), len(recs))
			}
			if !reflect.DeepEqual(recs[0].Geometry, tc.want) {
				t.Errorf("got %#v, want %#v", recs[0].Geometry, tc.want)
			}
		})
	}
}

// TestSiblings: sets copied from Windows have upper-case extensions, and
// the .shx is optional.
func TestSiblings(t *testing.T) {
	dir := t.TempDir()
	s := roadSet(t, 2)
	s.ldid, s.cpg = 0, ptr("936")
	writeSet(t, dir, "roads", s)
	for _, ext := range []string{".shp", ".dbf", ".cpg"} {
		if err := os.Rename(filepath.Join(dir, "roads"+ext), filepath.Join(dir, "ROADS"+strings.ToUpper(ext))); err != nil {
			t.Fatal(err)
		}
	}
	os.Remove(filepath.Join(dir, "roads.shx"))
	r, recs := readAll(t, filepath.Join(dir, "ROADS.SHP"))
	if len(recs) != 2 {
		t.Fatalf("got %d records, want 2", len(recs))
	}
	if name, source := r.Encoding(); name != EncodingGBK || source != `.cpg "936"` {
		t.Errorf("Encoding() = %q, %q", name, source)
	}
	if d := attrsEqual(recs[1].Attrs, roadAttrs(1), 0); d != "" {
		t.Error(d)
	}
}

// zipSet zips the files of dir under prefix, naming entries in GBK
// without the UTF-8 flag when gbkNames is set, as Windows does on Chinese
// systems.
func zipSet(t *testing.T, zipPath, dir, prefix string, gbkNames bool, extra ...string) {
	t.Helper()
	f, err := os.Create(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		name := prefix + de.Name()
		if gbkNames {
			name = gbk(t, name)
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, NonUTF8: gbkNames})
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	for _, name := range extra {
		w, _ := zw.Create(name)
		w.Write([]byte("junk"))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestZip(t *testing.T) {
	setDir, out := t.TempDir(), t.TempDir()
	s := roadSet(t, 12)
	base := s.record
	s.record = func(i int) (orb.Geometry, []string, bool) {
		g, v, _ := base(i)
		if i == 11 {
			v[1] = "abc"
		}
		return g, v, false
	}
	writeSet(t, setDir, "村界", s)

	t.Run("gbk names", func(t *testing.T) {
		zipPath := filepath.Join(out, "临湘.zip")
		zipSet(t, zipPath, setDir, "数据/", true, "__MACOSX/数据/._村界.shp")
		n, err := readErr(t, zipPath)
		if n != 11 {
			t.Errorf("read %d records before the error, want 11", n)
		}
		// The message names the entry by its decoded path in the zip.
		want := `数据/村界.dbf：第 12 条记录（FID 11）字段 宽度 的值 "abc" 不是数字`
		fe := wantFormatError(t, err, ErrValue)
		if err.Error() != want {
			t.Errorf("got %q, want %q", err.Error(), want)
		}
		if fe.Record != 11 || fe.Field != "宽度" {
			t.Errorf("Record, Field = %d, %q", fe.Record, fe.Field)
		}
	})
	t.Run("several sets", func(t *testing.T) {
		zipPath := filepath.Join(out, "two.zip")
		f, _ := os.Create(zipPath)
		zw := zip.NewWriter(f)
		for _, n := range []string{"a/roads.shp", "a/roads.dbf", "b/村.SHP", "b/村.dbf"} {
			zw.Create(n)
		}
		zw.Close()
		f.Close()
		_, err := Open(zipPath)
		wantFormatError(t, err, ErrSeveralSets, "two.zip", "2 套", "a/roads.shp", "b/村.SHP")
	})
	t.Run("no set", func(t *testing.T) {
		zipPath := filepath.Join(out, "none.zip")
		f, _ := os.Create(zipPath)
		zw := zip.NewWriter(f)
		zw.Create("readme.txt")
		zw.Close()
		f.Close()
		_, err := Open(zipPath)
		wantFormatError(t, err, ErrMissingFile, "没有 .shp")
	})
	t.Run("not a zip", func(t *testing.T) {
		zipPath := filepath.Join(out, "bad.zip")
		os.WriteFile(zipPath, []byte("PK not really"), 0o644)
		_, err := Open(zipPath)
		var fe *FormatError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), "不是有效的 zip 文件") {
			t.Errorf("got %v", err)
		}
	})
}

func TestOpenFS(t *testing.T) {
	dir := t.TempDir()
	writeSet(t, dir, "roads", roadSet(t, 2))
	fsys := fstest.MapFS{}
	for _, ext := range []string{".shp", ".shx", ".dbf"} {
		b, err := os.ReadFile(filepath.Join(dir, "roads"+ext))
		if err != nil {
			t.Fatal(err)
		}
		fsys["in/roads"+ext] = &fstest.MapFile{Data: b}
	}
	fsys["in/roads.prj"] = &fstest.MapFile{Data: []byte("\ufeffGEOGCS[\"China Geodetic Coordinate System 2000\"]\r\n")}
	r, err := OpenFS(fsys, "in/roads.shp")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	for r.Next() {
		n++
	}
	if r.Err() != nil || n != 2 {
		t.Errorf("read %d records, err %v", n, r.Err())
	}
	if r.PRJ() != `GEOGCS["China Geodetic Coordinate System 2000"]` {
		t.Errorf("PRJ() = %q", r.PRJ())
	}
	_, err = OpenFS(fsys, "in/other.shp")
	wantFormatError(t, err, ErrMissingFile, "in/other.shp")
}

// patch rewrites the file at path through f.
func patch(tb testing.TB, path string, f func(b []byte) []byte) {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, f(b), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// recordOffset returns the byte offset of .shp record i from the .shx.
func recordOffset(tb testing.TB, shpPath string, i int) int {
	tb.Helper()
	shx, err := os.ReadFile(strings.TrimSuffix(shpPath, ".shp") + ".shx")
	if err != nil {
		tb.Fatal(err)
	}
	return int(binary.BigEndian.Uint32(shx[100+8*i:])) * 2
}

func TestErrors(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	cases := []struct {
		name     string
		set      func(s *testSet)
		mutate   func(t *testing.T, shp string)
		sentinel error
		records  int // read before the error
		parts    []string
	}{
		{
			name:     "missing dbf",
			mutate:   func(t *testing.T, shp string) { os.Remove(strings.TrimSuffix(shp, ".shp") + ".dbf") },
			sentinel: ErrMissingFile, parts: []string{"roads.dbf：文件不存在"},
		},
		{
			name:     "missing shp",
			mutate:   func(t *testing.T, shp string) { os.Remove(shp) },
			sentinel: ErrMissingFile, parts: []string{"roads.shp：文件不存在"},
		},
		{
			name: "truncated shp",
			mutate: func(t *testing.T, shp string) {
				patch(t, shp, func(b []byte) []byte { return b[:len(b)-10] })
			},
			sentinel: ErrTruncated, records: 2, parts: []string{"roads.shp：第 3 条记录（FID 2）", "超出文件末尾"},
		},
		{
			name: "truncated record header",
			mutate: func(t *testing.T, shp string) {
				off := recordOffset(t, shp, 2)
				patch(t, shp, func(b []byte) []byte { return b[:off+5] })
			},
			sentinel: ErrTruncated, records: 2, parts: []string{"第 3 条记录", "记录头不完整"},
		},
		{
			name: "record length past the end",
			mutate: func(t *testing.T, shp string) {
				off := recordOffset(t, shp, 1)
				patch(t, shp, func(b []byte) []byte { be.PutUint32(b[off+4:], 0x00100000); return b })
			},
			sentinel: ErrTruncated, records: 1, parts: []string{"第 2 条记录", "2097152 字节"},
		},
		{
			name: "record length over the limit",
			mutate: func(t *testing.T, shp string) {
				off := recordOffset(t, shp, 1)
				patch(t, shp, func(b []byte) []byte { be.PutUint32(b[off+4:], 0x7FFFFFFF); return b })
			},
			sentinel: ErrTooLarge, records: 1, parts: []string{"第 2 条记录", "4095 MiB 超过上限 256 MiB"},
		},
		{
			name: "record length too short",
			mutate: func(t *testing.T, shp string) {
				off := recordOffset(t, shp, 1)
				patch(t, shp, func(b []byte) []byte { be.PutUint32(b[off+4:], be.Uint32(b[off+4:])-8); return b })
			},
			sentinel: ErrCorrupt, records: 1, parts: []string{"第 2 条记录", "需要"},
		},
		{
			name: "negative record length",
			mutate: func(t *testing.T, shp string) {
				off := recordOffset(t, shp, 0)
				patch(t, shp, func(b []byte) []byte { be.PutUint32(b[off+4:], 0xFFFFFFF0); return b })
			},
			sentinel: ErrCorrupt, parts: []string{"第 1 条记录", "记录长度 -32 字节无效"},
		},
		{
			name: "dbf has fewer records, shx agrees with shp",
			mutate: func(t *testing.T, shp string) {
				patch(t, strings.TrimSuffix(shp, ".shp")+".dbf", func(b []byte) []byte { le.PutUint32(b[4:], 2); return b })
			},
			sentinel: ErrCountMismatch, parts: []string{"roads.shx：索引记载 3 条记录，而 roads.dbf 有 2 条"},
		},
		{
			name: "dbf has fewer records, no shx",
			set:  func(s *testSet) { s.noSHX = true },
			mutate: func(t *testing.T, shp string) {
				patch(t, strings.TrimSuffix(shp, ".shp")+".dbf", func(b []byte) []byte { le.PutUint32(b[4:], 2); return b })
			},
			sentinel: ErrCountMismatch, records: 2, parts: []string{"roads.shp：在第 2 条之后还有记录，而 roads.dbf 只有 2 条"},
		},
		{
			name: "shp has fewer records",
			mutate: func(t *testing.T, shp string) {
				off := recordOffset(t, shp, 2)
				os.Remove(strings.TrimSuffix(shp, ".shp") + ".shx")
				patch(t, shp, func(b []byte) []byte {
					// Drop the last record and fix the header length.
					b = b[:off]
					be.PutUint32(b[24:], uint32(len(b)/2))
					return b
				})
			},
			sentinel: ErrCountMismatch, records: 2, parts: []string{"roads.shp：只有 2 条记录，而 roads.dbf 有 3 条"},
		},
		{
			name: "truncated dbf",
			mutate: func(t *testing.T, shp string) {
				patch(t, strings.TrimSuffix(shp, ".shp")+".dbf", func(b []byte) []byte { return b[:len(b)-20] })
			},
			sentinel: ErrTruncated, records: 2, parts: []string{"roads.dbf：第 3 条记录（FID 2）", "文件头声明有 3 条记录"},
		},
		{
			name: "bad header shape type",
			mutate: func(t *testing.T, shp string) {
				patch(t, shp, func(b []byte) []byte { le.PutUint32(b[32:], 99); return b })
			},
			sentinel: ErrShapeType, parts: []string{"roads.shp：文件头的形状类型 99"},
		},
		{
			name: "multipatch",
			mutate: func(t *testing.T, shp string) {
				patch(t, shp, func(b []byte) []byte { le.PutUint32(b[32:], 31); return b })
			},
			sentinel: ErrShapeType, parts: []string{"MultiPatch"},
		},
		{
			name: "bad record shape type",
			mutate: func(t *testing.T, shp string) {
				off := recordOffset(t, shp, 1)
				patch(t, shp, func(b []byte) []byte { le.PutUint32(b[off+8:], 7); return b })
			},
			sentinel: ErrShapeType, records: 1, parts: []string{"第 2 条记录（FID 1）形状类型 7 无效"},
		},
		{
			name: "record of another type",
			mutate: func(t *testing.T, shp string) {
				off := recordOffset(t, shp, 1)
				patch(t, shp, func(b []byte) []byte { le.PutUint32(b[off+8:], uint32(PolyLine)); return b })
			},
			sentinel: ErrShapeType, records: 1, parts: []string{"PolyLine 与文件头的 Polygon 不一致"},
		},
		{
			name: "ring with 3 points",
			set: func(s *testSet) {
				base := s.record
				s.record = func(i int) (orb.Geometry, []string, bool) {
					_, v, _ := base(i)
					return orb.Polygon{square(0, 0, 1, true), {{0, 0}, {0, 1}, {0, 0}}}, v, false
				}
			},
			sentinel: ErrRing, parts: []string{"第 1 条记录（FID 0）第 2 个环只有 3 个点"},
		},
		{
			name: "part index out of range",
			mutate: func(t *testing.T, shp string) {
				off := recordOffset(t, shp, 0)
				// The first part must start at point 0.
				patch(t, shp, func(b []byte) []byte { le.PutUint32(b[off+8+44:], 3); return b })
			},
			sentinel: ErrCorrupt, parts: []string{"第 1 个部分的起止点序号 3–5 无效"},
		},
		{
			name: "not a shp",
			mutate: func(t *testing.T, shp string) {
				patch(t, shp, func(b []byte) []byte { return []byte("GEOGCS[...]" + strings.Repeat(" ", 100)) })
			},
			sentinel: ErrCorrupt, parts: []string{"不是 shp 文件"},
		},
		{
			name:     "empty shp",
			mutate:   func(t *testing.T, shp string) { patch(t, shp, func([]byte) []byte { return nil }) },
			sentinel: ErrTruncated, parts: []string{"文件头不完整（只有 0 字节"},
		},
		{
			name: "field widths beyond the record",
			mutate: func(t *testing.T, shp string) {
				patch(t, strings.TrimSuffix(shp, ".shp")+".dbf", func(b []byte) []byte { le.PutUint16(b[10:], 20); return b })
			},
			sentinel: ErrCorrupt, parts: []string{"roads.dbf：各字段宽度之和为 59 字节"},
		},
		{
			name: "dbf shorter than its header",
			mutate: func(t *testing.T, shp string) {
				patch(t, strings.TrimSuffix(shp, ".shp")+".dbf", func(b []byte) []byte { return b[:10] })
			},
			sentinel: ErrTruncated, parts: []string{"roads.dbf：文件头不完整（只有 10 字节"},
		},
		{
			name: "dbf header length too small",
			mutate: func(t *testing.T, shp string) {
				patch(t, strings.TrimSuffix(shp, ".shp")+".dbf", func(b []byte) []byte { le.PutUint16(b[8:], 20); return b })
			},
			sentinel: ErrCorrupt, parts: []string{"roads.dbf：文件头长度 20"},
		},
		{
			name: "bad date",
			set: func(s *testSet) {
				base := s.record
				s.record = func(i int) (orb.Geometry, []string, bool) {
					g, v, _ := base(i)
					v[3] = "20230230"
					return g, v, false
				}
			},
			sentinel: ErrValue, parts: []string{`字段 日期 的值 "20230230" 不是日期`},
		},
		{
			name: "bad logical",
			set: func(s *testSet) {
				base := s.record
				s.record = func(i int) (orb.Geometry, []string, bool) {
					g, v, _ := base(i)
					v[4] = "是"[:1]
					return g, v, false
				}
			},
			sentinel: ErrValue, parts: []string{`字段 通车 的值 "E6" 不是逻辑值`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := roadSet(t, 3)
			if tc.set != nil {
				tc.set(&s)
			}
			path := writeSet(t, t.TempDir(), "roads", s)
			if tc.mutate != nil {
				tc.mutate(t, path)
			}
			n, err := readErr(t, path)
			wantFormatError(t, err, tc.sentinel, tc.parts...)
			if n != tc.records {
				t.Errorf("read %d records before the error, want %d", n, tc.records)
			}
		})
	}
}

func TestOpenNotShp(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "roads.dbf"))
	wantFormatError(t, err, ErrMissingFile, "roads.dbf：不是 .shp 或 .zip 文件")
}

func TestClose(t *testing.T) {
	path := writeSet(t, t.TempDir(), "roads", roadSet(t, 3))
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Next() {
		t.Fatal(r.Err())
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if r.Next() {
		t.Error("Next after Close returned true")
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestDBFValues covers each field type's parsing through the dbf reader.
func TestDBFValues(t *testing.T) {
	d := &dbfReader{text: newTextDecoder(0x4D, "", false)}
	cases := []struct {
		f    Field
		raw  string
		want any
		err  string
	}{
		{Field{Type: 'C', Length: 10}, "  abc \x00\x00", "abc", ""},
		{Field{Type: 'C', Length: 10}, "          ", nil, ""},
		{Field{Type: 'C', Length: 10}, gbk(t, "水泥") + "      ", "水泥", ""},
		{Field{Type: 'N', Length: 12}, " 430682101201", int64(430682101201), ""},
		{Field{Type: 'N', Length: 20}, "9223372036854775808", 9223372036854775808.0, ""}, // beyond int64
		{Field{Type: 'N', Length: 8}, "   12.5", 12.5, ""},                               // a point in an integer column
		{Field{Type: 'N', Length: 8, Decimals: 2}, "   -4.50", -4.5, ""},
		{Field{Type: 'N', Length: 8, Decimals: 2}, "  1.5e3", 1500.0, ""},
		{Field{Type: 'F', Length: 8}, "      3", 3.0, ""},
		{Field{Type: 'N', Length: 8}, "        ", nil, ""},
		{Field{Type: 'N', Length: 8}, "********", nil, ""},
		{Field{Type: 'N', Length: 8}, "     abc", nil, `的值 "abc" 不是数字`},
		{Field{Type: 'N', Length: 8}, "     NaN", nil, "不是数字"},
		{Field{Type: 'N', Length: 8}, "    0x10", nil, "不是数字"},
		{Field{Type: 'N', Length: 8}, "    1e", nil, "不是数字"},
		{Field{Type: 'N', Length: 8}, "1,5", nil, "不是数字"},
		{Field{Type: 'L', Length: 1}, "T", true, ""},
		{Field{Type: 'L', Length: 1}, "y", true, ""},
		{Field{Type: 'L', Length: 1}, "F", false, ""},
		{Field{Type: 'L', Length: 1}, "n", false, ""},
		{Field{Type: 'L', Length: 1}, "?", nil, ""},
		{Field{Type: 'L', Length: 1}, " ", nil, ""},
		{Field{Type: 'L', Length: 1}, "X", nil, "不是逻辑值"},
		{Field{Type: 'D', Length: 8}, "20200229", day(2020, 2, 29), ""},
		{Field{Type: 'D', Length: 8}, "00000000", nil, ""},
		{Field{Type: 'D', Length: 8}, "        ", nil, ""},
		{Field{Type: 'D', Length: 8}, "20190229", nil, "不是日期"},
		{Field{Type: 'D', Length: 8}, "2019-1-1", nil, "不是日期"},
		{Field{Type: 'M', Length: 10}, "0000000012", "0000000012", ""}, // unknown types read as text
	}
	for _, tc := range cases {
		got, err := d.value(&tc.f, []byte(tc.raw))
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrValue) {
				t.Errorf("%c %q: got %#v, %v; want error %q", tc.f.Type, tc.raw, got, err, tc.err)
			}
		case err != nil:
			t.Errorf("%c %q: %v", tc.f.Type, tc.raw, err)
		case !reflect.DeepEqual(got, tc.want):
			t.Errorf("%c %q: got %#v, want %#v", tc.f.Type, tc.raw, got, tc.want)
		}
	}
}

// TestFieldNames: names are decoded, repeated names made unique, and
// wide text fields use the decimals byte as the high byte of the width.
func TestFieldNames(t *testing.T) {
	s := testSet{typ: Point, ldid: 0x4D, n: 1, fields: []Field{
		{Name: gbk(t, "名称"), Type: 'C', Length: 4},
		{Name: gbk(t, "名称"), Type: 'C', Length: 4},
		{Name: "", Type: 'N', Length: 3},
	}, record: func(int) (orb.Geometry, []string, bool) {
		return orb.Point{1, 1}, []string{"a", "b", "7"}, false
	}}
	r, recs := readAll(t, writeSet(t, t.TempDir(), "n", s))
	want := []Field{{"名称", 'C', 4, 0}, {"名称_2", 'C', 4, 0}, {"FIELD_3", 'N', 3, 0}}
	if !reflect.DeepEqual(r.Fields(), want) {
		t.Errorf("Fields() = %+v, want %+v", r.Fields(), want)
	}
	if d := attrsEqual(recs[0].Attrs, map[string]any{"名称": "a", "名称_2": "b", "FIELD_3": int64(7)}, 0); d != "" {
		t.Error(d)
	}
	_, f := descriptor(append(append([]byte("LONG\x00\x00\x00\x00\x00\x00\x00C"), make([]byte, 4)...), 0x2C, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
	if f.Length != 300 || f.Decimals != 0 {
		t.Errorf("wide C field: Length, Decimals = %d, %d; want 300, 0", f.Length, f.Decimals)
	}
}

func TestEncodingRules(t *testing.T) {
	cases := []struct {
		ldid         byte
		cpg          *string
		name, source string
	}{
		{0x4D, ptr("UTF-8"), EncodingGBK, "dbf language byte 0x4D"}, // the language byte wins
		{0x7A, nil, EncodingGBK, "dbf language byte 0x7A"},
		{0x57, ptr("936\r\n"), EncodingGBK, `.cpg "936"`},
		{0x00, ptr("cp936"), EncodingGBK, `.cpg "cp936"`},
		{0x00, ptr("gb2312"), EncodingGBK, `.cpg "gb2312"`},
		{0x03, ptr("GB18030"), EncodingGB18030, `.cpg "GB18030"`},
		{0x00, ptr("\ufeffutf8"), EncodingUTF8, `.cpg "utf8"`},
		{0x00, ptr("65001"), EncodingUTF8, `.cpg "65001"`},
		{0x57, ptr("1252"), EncodingFallback, `default (.cpg "1252" is not a Chinese or UTF-8 encoding)`},
		{0x57, nil, EncodingFallback, "default (no language byte or .cpg)"},
		{0x00, nil, EncodingFallback, "default (no language byte or .cpg)"},
	}
	for _, tc := range cases {
		cpg := ""
		if tc.cpg != nil {
			cpg = *tc.cpg
		}
		d := newTextDecoder(tc.ldid, cpg, tc.cpg != nil)
		if d.name != tc.name || d.source != tc.source {
			t.Errorf("LDID 0x%02X, .cpg %v: got %q, %q; want %q, %q", tc.ldid, tc.cpg, d.name, d.source, tc.name, tc.source)
		}
	}
}

// TestFallback covers the per-value fallback, including values that are
// valid in both encodings and those cut at the field width.
func TestFallback(t *testing.T) {
	utf8Lin := "临湘"        // e4 b8 b4 e6 b9 98
	gbkLin := gbk(t, "临湘") // c1 d9 cf e6
	// U+20000 takes four bytes in GB18030.
	gbkRare, err := simplifiedchinese.GB18030.NewEncoder().String("𠀀路")
	if err != nil || len(gbkRare) != 6 {
		t.Fatalf("GB18030 of 𠀀路: % x, %v", gbkRare, err)
	}
	cases := []struct {
		name                string
		cpg                 string // "" for none
		gbkVotes, utf8Votes int
		raw, want           string
	}{
		{"utf-8", "", 0, 0, utf8Lin + "  ", "临湘"},
		{"gbk", "", 0, 0, gbkLin + "  ", "临湘"},
		{"ascii", "", 0, 0, " abc ", "abc"},
		{"gbk valid as utf-8, no majority", "", 0, 0, gbk(t, "砂石"), "砂石"},
		{"gbk valid as utf-8, gbk majority", "", 5, 1, gbk(t, "3楼"), "3楼"},
		{"utf-8 latin, utf-8 majority", "", 1, 5, "m²", "m²"},
		// The price of the fallback: ambiguous values follow the file.
		{"utf-8 latin, gbk majority", "", 5, 1, "m²", "m虏"},
		{"utf-8 latin, declared utf-8", "UTF-8", 5, 1, "m²", "m²"},
		{"gbk, declared utf-8", "UTF-8", 0, 0, gbkLin, "临湘"},
		{"utf-8 chinese, gbk majority", "", 5, 1, "面积m²", "面积m²"},
		{"utf-8 cut at the field width", "", 0, 0, utf8Lin[:5], "临"},
		{"utf-8 partial tail with padding is gbk", "", 0, 0, gbk(t, "砂") + "\xe4 ", "砂"},
		{"gbk cut at the field width", "", 0, 0, gbkLin[:3], "临"},
		{"gb18030 four-byte", "", 0, 0, gbkRare, "𠀀路"},
		{"invalid in both", "", 0, 0, "\xffA", "\uFFFDA"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := newTextDecoder(0, tc.cpg, tc.cpg != "")
			d.gbkVotes, d.utf8Votes = tc.gbkVotes, tc.utf8Votes
			if got := d.decode([]byte(tc.raw)); got != tc.want {
				t.Errorf("decode(% x) = %q, want %q", tc.raw, got, tc.want)
			}
		})
	}
}

// TestFallbackFile reads a set with no encoding hints whose values mix
// UTF-8 and GBK, as when a GBK file is edited with a UTF-8 tool, and
// checks that the ambiguous "砂石" follows the file's GBK majority even
// though it comes first.
func TestFallbackFile(t *testing.T) {
	values := []string{gbk(t, "砂石"), "临湘市", gbk(t, "羊楼司镇"), gbk(t, "水泥路"), gbk(t, "坦渡乡")}
	want := []string{"砂石", "临湘市", "羊楼司镇", "水泥路", "坦渡乡"}
	s := testSet{typ: Point, n: len(values), fields: []Field{{Name: "NAME", Type: 'C', Length: 20}},
		record: func(i int) (orb.Geometry, []string, bool) { return orb.Point{0, 0}, []string{values[i]}, false }}
	r, recs := readAll(t, writeSet(t, t.TempDir(), "mixed", s))
	if name, source := r.Encoding(); name != EncodingFallback || source != "default (no language byte or .cpg)" {
		t.Errorf("Encoding() = %q, %q", name, source)
	}
	for i, rec := range recs {
		if rec.Attrs["NAME"] != want[i] {
			t.Errorf("record %d: got %q, want %q", i, rec.Attrs["NAME"], want[i])
		}
	}
}

func TestAssemble(t *testing.T) {
	outerA := square(0, 0, 10, true)
	holeA := square(1, 1, 2, false)
	outerB := square(20, 0, 10, true)
	holeB := square(21, 1, 2, false)
	// A hole with an island in it, and a pond on the island.
	big := square(0, 0, 100, true)
	lake := square(10, 10, 80, false)
	island := square(20, 20, 60, true)
	pond := square(30, 30, 10, false)
	// A hole touching its outer ring at a corner.
	touching := orb.Ring{{0, 0}, {2, 1}, {1, 2}, {0, 0}}
	cases := []struct {
		name  string
		rings []orb.Ring
		want  orb.Geometry
	}{
		{"one ring", []orb.Ring{outerA}, orb.Polygon{outerA}},
		{"outer and hole", []orb.Ring{outerA, holeA}, orb.Polygon{outerA, holeA}},
		{"holes first, in the other order", []orb.Ring{holeB, holeA, outerA, outerB},
			orb.MultiPolygon{{outerA, holeA}, {outerB, holeB}}},
		{"island in a lake", []orb.Ring{big, lake, island, pond},
			orb.MultiPolygon{{big, lake}, {island, pond}}},
		{"hole outside every outer", []orb.Ring{outerA, holeB},
			orb.MultiPolygon{{outerA}, {reversed(holeB)}}},
		{"all counter-clockwise", []orb.Ring{reversed(outerA), reversed(outerB)},
			orb.MultiPolygon{{reversed(outerA)}, {reversed(outerB)}}},
		{"hole touching at a vertex", []orb.Ring{outerA, touching}, orb.Polygon{outerA, touching}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := assemble(tc.rings); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestReadError: an I/O error in the middle of the .dbf surfaces as a
// FormatError naming the file, not as a panic or a silent end.
func TestReadError(t *testing.T) {
	dir := t.TempDir()
	writeSet(t, dir, "roads", roadSet(t, 3))
	fsys := fstest.MapFS{}
	for _, ext := range []string{".shp", ".dbf"} {
		b, _ := os.ReadFile(filepath.Join(dir, "roads"+ext))
		fsys["roads"+ext] = &fstest.MapFile{Data: b}
	}
	r, err := OpenFS(failingFS{fsys}, "roads.shp")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for r.Next() {
	}
	wantFormatError(t, r.Err(), errBoom, "roads.dbf：第 1 条记录（FID 0）读取失败")
}

var errBoom = errors.New("disk on fire")

type fsFile = fs.File

// failingFS serves .dbf files that fail after their header.
type failingFS struct{ fstest.MapFS }

func (f failingFS) Open(name string) (fsFile, error) {
	file, err := f.MapFS.Open(name)
	if err != nil || !strings.HasSuffix(name, ".dbf") {
		return file, err
	}
	return &failingFile{fsFile: file, left: 32 + 32*len(roadFields) + 1}, nil
}

type failingFile struct {
	fsFile
	left int
}

func (f *failingFile) Read(p []byte) (int, error) {
	if f.left <= 0 {
		return 0, errBoom
	}
	if len(p) > f.left {
		p = p[:f.left]
	}
	n, err := f.fsFile.Read(p)
	f.left -= n
	return n, err
}

var _ io.Reader = (*failingFile)(nil)
