package export

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/xuri/excelize/v2"

	"github.com/gapmap/gapmap/geo"
)

// writers are the constructors under test, by name.
var writers = []struct {
	name   string
	new    func(io.Writer) Writer
	single bool // one layer only
	wgs84  bool // refuses other SRIDs
}{
	{"geojson", NewGeoJSON, true, true},
	{"csv", NewCSV, true, false},
	{"kml", NewKML, false, true},
	{"xlsx", NewXLSX, false, false},
	{"shapefile", func(w io.Writer) Writer { return NewShapefileZip(w, ShapefileOptions{}) }, false, false},
}

func TestCallOrder(t *testing.T) {
	l := wgs84(villages).layer
	for _, wc := range writers {
		t.Run(wc.name, func(t *testing.T) {
			w := wc.new(io.Discard)
			if err := w.Write(nil, nil); !errors.Is(err, ErrCallOrder) {
				t.Errorf("Write before BeginLayer: %v, want ErrCallOrder", err)
			}
			if err := w.EndLayer(); !errors.Is(err, ErrCallOrder) {
				t.Errorf("EndLayer before BeginLayer: %v, want ErrCallOrder", err)
			}
			if err := w.BeginLayer(l); err != nil {
				t.Fatal(err)
			}
			if err := w.BeginLayer(l); !errors.Is(err, ErrCallOrder) {
				t.Errorf("BeginLayer twice: %v, want ErrCallOrder", err)
			}
			if err := w.Close(Meta{}); !errors.Is(err, ErrCallOrder) {
				t.Errorf("Close inside a layer: %v, want ErrCallOrder", err)
			}
		})
	}
}

func TestSingleLayer(t *testing.T) {
	for _, wc := range writers {
		if !wc.single {
			continue
		}
		t.Run(wc.name, func(t *testing.T) {
			w := wc.new(io.Discard)
			l := wgs84(villages).layer
			if err := w.BeginLayer(l); err != nil {
				t.Fatal(err)
			}
			if err := w.EndLayer(); err != nil {
				t.Fatal(err)
			}
			l.Name = "other"
			if err := w.BeginLayer(l); !errors.Is(err, ErrSingleLayer) {
				t.Errorf("second layer: %v, want ErrSingleLayer", err)
			}
		})
	}
}

func TestInvalidLayer(t *testing.T) {
	base := wgs84(villages).layer
	cases := []struct {
		name   string
		mutate func(l *Layer)
		want   string
	}{
		{"empty name", func(l *Layer) { l.Name = "" }, "empty"},
		{"path in name", func(l *Layer) { l.Name = "../roads" }, "not allowed"},
		{"space in name", func(l *Layer) { l.Name = "my roads" }, "not allowed"},
		{"geometry", func(l *Layer) { l.Geometry = "Curve" }, `unknown geometry type "Curve"`},
		{"duplicate field", func(l *Layer) { l.Fields = []Field{{Name: "a"}, {Name: "a"}} }, `duplicate field name "a"`},
		{"field type", func(l *Layer) { l.Fields = []Field{{Name: "a", Type: 42}} }, "unknown type 42"},
	}
	for _, wc := range writers {
		for _, tc := range cases {
			t.Run(wc.name+"/"+tc.name, func(t *testing.T) {
				l := base
				tc.mutate(&l)
				err := wc.new(io.Discard).BeginLayer(l)
				var ile *InvalidLayerError
				if !errors.As(err, &ile) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("got %v, want an *InvalidLayerError saying %q", err, tc.want)
				}
			})
		}
		t.Run(wc.name+"/srid", func(t *testing.T) {
			l := base
			l.SRID = 3857
			err := wc.new(io.Discard).BeginLayer(l)
			if wc.wgs84 {
				var ile *InvalidLayerError
				if !errors.As(err, &ile) || !strings.Contains(err.Error(), "EPSG:3857") {
					t.Errorf("EPSG:3857: got %v, want an *InvalidLayerError", err)
				}
			} else if err != nil {
				t.Errorf("EPSG:3857: %v, want no error (the format takes any CRS)", err)
			}
		})
	}
}

func TestValueErrors(t *testing.T) {
	cases := []struct {
		name   string
		values []any
		want   ValueError
	}{
		{"count", []any{"x"}, ValueError{Layer: "villages", Row: 1, Got: "1 values for 8 fields"}},
		{"string for int", []any{"x", "12", nil, nil, nil, nil, nil, nil}, ValueError{Layer: "villages", Row: 1, Field: "poor_population", Want: Int, Got: "string"}},
		{"float for int", []any{"x", 1.5, nil, nil, nil, nil, nil, nil}, ValueError{Layer: "villages", Row: 1, Field: "poor_population", Want: Int, Got: "float64"}},
		{"string for date", []any{"x", nil, nil, nil, nil, "2024-01-01", nil, nil}, ValueError{Layer: "villages", Row: 1, Field: "surveyed", Want: Date, Got: "string"}},
	}
	for _, wc := range writers {
		for _, tc := range cases {
			t.Run(wc.name+"/"+tc.name, func(t *testing.T) {
				w := wc.new(io.Discard)
				if err := w.BeginLayer(wgs84(villages).layer); err != nil {
					t.Fatal(err)
				}
				err := w.Write(orb.Point{1, 2}, tc.values)
				var ve *ValueError
				if !errors.As(err, &ve) || *ve != tc.want {
					t.Errorf("got %#v, want %#v", err, tc.want)
				}
				if err := w.EndLayer(); err != ve {
					t.Errorf("EndLayer after the error: %v, want the same error", err)
				}
				_ = w.Close(Meta{})
			})
		}
	}
}

// TestAcceptedValues checks the Go types each field type takes besides
// the canonical one, and that NaN becomes NULL.
func TestAcceptedValues(t *testing.T) {
	var buf bytes.Buffer
	w := NewGeoJSON(&buf)
	l := Layer{Name: "t", Fields: []Field{{Name: "i", Type: Int}, {Name: "f", Type: Float}, {Name: "g", Type: Float}}}
	if err := w.BeginLayer(l); err != nil {
		t.Fatal(err)
	}
	for _, vs := range [][]any{{int32(7), float32(0.5), 3}, {uint8(1), nanValue(), nil}} {
		if err := w.Write(nil, vs); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.EndLayer(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(Meta{}); err != nil {
		t.Fatal(err)
	}
	want := `"properties":{"i":7,"f":0.5,"g":3}}` + ",\n" + `{"type":"Feature","geometry":null,"properties":{"i":1,"f":null,"g":null}}`
	if !strings.Contains(buf.String(), want) {
		t.Errorf("got %s\nwant it to contain %s", buf.String(), want)
	}
}

func nanValue() float64 { z := 0.0; return z / z }

func TestAppendCoord(t *testing.T) {
	cases := []struct {
		v    float64
		dec  int
		want string
	}{
		{113.45, 7, "113.45"},
		{113.123456789, 7, "113.1234568"},
		{29, 7, "29"},
		{-0.00000001, 7, "0"},
		{-113.5, 7, "-113.5"},
		{113.45000000000002, -1, "113.45000000000002"},
		{1e-9, -1, "1e-09"},
	}
	for _, tc := range cases {
		if got := string(appendCoord(nil, tc.v, tc.dec)); got != tc.want {
			t.Errorf("appendCoord(%v, %d) = %s, want %s", tc.v, tc.dec, got, tc.want)
		}
	}
}

func TestAppendWKT(t *testing.T) {
	cases := []struct {
		name string
		g    orb.Geometry
		want string
	}{
		{"nil", nil, ""},
		{"point", orb.Point{113.45, 29.48}, "POINT (113.45 29.48)"},
		{"multipoint", orb.MultiPoint{{1, 2}, {3, 4}}, "MULTIPOINT ((1 2),(3 4))"},
		{"line", orb.LineString{{1, 2}, {3, 4}}, "LINESTRING (1 2,3 4)"},
		{"empty line", orb.LineString{}, "LINESTRING EMPTY"},
		{"open ring closed", orb.Polygon{{{0, 0}, {1, 0}, {1, 1}}}, "POLYGON ((0 0,1 0,1 1,0 0))"},
		{"bound", orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{1, 1}}, "POLYGON ((0 0,1 0,1 1,0 1,0 0))"},
		{"multipolygon", orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}, "MULTIPOLYGON (((0 0,1 0,1 1,0 0)))"},
		{"collection", orb.Collection{orb.Point{1, 2}, orb.LineString{{0, 0}, {1, 1}}}, "GEOMETRYCOLLECTION (POINT (1 2),LINESTRING (0 0,1 1))"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(appendWKT(nil, tc.g, -1)); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// TestGeoJSONOutput checks what GDAL would forgive: the document is
// valid JSON, exteriors are counter-clockwise (RFC 7946 §3.1.6), holes
// clockwise, coordinates have 7 decimals, and text is escaped.
func TestGeoJSONOutput(t *testing.T) {
	var buf bytes.Buffer
	writeLayers(t, NewGeoJSON(&buf), wgs84(townships))
	if !json.Valid(buf.Bytes()) {
		t.Fatalf("not valid JSON:\n%s", buf.String())
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"crs", "name", "bbox"} {
		if _, ok := doc[k]; ok {
			t.Errorf("foreign or optional member %q written", k)
		}
	}
	fc, err := geojson.UnmarshalFeatureCollection(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	check := func(p orb.Polygon) {
		for i, r := range p {
			if a := geo.RingArea(r); (a > 0) != (i == 0) {
				t.Errorf("ring %d has signed area %g: want exterior counter-clockwise, holes clockwise", i, a)
			}
			if r[0] != r[len(r)-1] {
				t.Errorf("ring %d not closed", i)
			}
		}
	}
	for _, f := range fc.Features {
		switch g := f.Geometry.(type) {
		case orb.Polygon:
			check(g)
		case orb.MultiPolygon:
			for _, p := range g {
				check(p)
			}
		}
	}
	if got := fc.Features[0].Properties["note"]; got != testRows[0][7] {
		t.Errorf("note read back %q, want %q", got, testRows[0][7])
	}
	if got := fc.Features[0].Properties["updated_at"]; got != "2024-03-05T14:30:00+08:00" {
		t.Errorf("updated_at %q, want RFC 3339 with the offset", got)
	}

	buf.Reset()
	w := NewGeoJSON(&buf)
	if err := w.BeginLayer(Layer{Name: "p"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(orb.Point{113.123456789, -0.00000001}, nil); err != nil {
		t.Fatal(err)
	}
	if err := w.EndLayer(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(Meta{}); err != nil {
		t.Fatal(err)
	}
	if want := `{"type":"Point","coordinates":[113.1234568,0]}`; !strings.Contains(buf.String(), want) {
		t.Errorf("got %s, want it to contain %s", buf.String(), want)
	}
}

func TestJSONString(t *testing.T) {
	for _, s := range []string{"羊楼司镇", "a\"b\\c", "line\nbreak\ttab\x01", "bad \xff utf8", "\u2028"} {
		got := appendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Errorf("%q encoded as %s: %v", s, got, err)
			continue
		}
		want := strings.ToValidUTF8(s, "\uFFFD")
		if back != want {
			t.Errorf("%q round-trips as %q", s, back)
		}
	}
}

// TestKMLWellFormed parses the KML with encoding/xml: values with XML
// metacharacters, control characters and invalid UTF-8 must not break it.
func TestKMLWellFormed(t *testing.T) {
	var buf bytes.Buffer
	tl := wgs84(villages)
	tl.layer.Title = `村庄 <A&B>`
	w := NewKML(&buf)
	if err := w.BeginLayer(tl.layer); err != nil {
		t.Fatal(err)
	}
	row := append([]any(nil), testRows[0]...)
	row[0], row[7] = "bad \xff \x01 ]]> name", "备注 ]]> <script>"
	if err := w.Write(orb.Point{113, 29}, row); err != nil {
		t.Fatal(err)
	}
	if err := w.EndLayer(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(Meta{}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Document struct {
			Schema struct {
				ID     string `xml:"id,attr"`
				Fields []struct {
					Name string `xml:"name,attr"`
					Type string `xml:"type,attr"`
				} `xml:"SimpleField"`
			}
			Folder struct {
				Name      string `xml:"name"`
				Placemark []struct {
					Name        string `xml:"name"`
					Description string `xml:"description"`
					Data        []struct {
						Name  string `xml:"name,attr"`
						Value string `xml:",chardata"`
					} `xml:"ExtendedData>SchemaData>SimpleData"`
				}
			}
		}
	}
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("not well-formed XML: %v\n%s", err, buf.String())
	}
	d := doc.Document
	if d.Folder.Name != `村庄 <A&B>` {
		t.Errorf("Folder name %q", d.Folder.Name)
	}
	types := map[string]string{}
	for _, f := range d.Schema.Fields {
		types[f.Name] = f.Type
	}
	if types["poor_population"] != "double" || types["electrified"] != "bool" || types["surveyed"] != "string" {
		t.Errorf("schema types %v", types)
	}
	pm := d.Folder.Placemark[0]
	if pm.Name != "bad \uFFFD \uFFFD ]]> name" {
		t.Errorf("Placemark name %q", pm.Name)
	}
	if !strings.Contains(pm.Description, "<td>备注 ]]&gt; &lt;script&gt;</td>") {
		t.Errorf("balloon does not escape the value:\n%s", pm.Description)
	}
}

func TestCSVQuoting(t *testing.T) {
	var buf bytes.Buffer
	writeLayers(t, NewCSV(&buf), villages)
	lines := strings.Split(buf.String(), "\r\n")
	if want := `POINT (113.4512345 29.4812345),羊楼司镇柘庄村,123,45,36.31,是,2016-12-31,2024-03-05 14:30:00,"村部位于 A&B <路口>, ""老街"""`; lines[1] != want {
		t.Errorf("row 1:\n%s\nwant\n%s", lines[1], want)
	}
	if want := `,,,,,,,,`; lines[3] != want {
		t.Errorf("NULL row %q, want %q", lines[3], want)
	}
	if want := `POINT (113.6000001 29.7),'=SUM(A1),-5,,-1234.5678,,1999-01-01,,"第一行` + "\n" + `第二行"`; lines[4] != want {
		t.Errorf("row 4:\n%s\nwant\n%s", lines[4], want)
	}
}

// TestXLSXCells reads the workbook back with excelize: numbers must be
// numeric cells (not text), dates numeric with a date format, the header
// frozen, sheet names legal and unique.
func TestXLSXCells(t *testing.T) {
	var buf bytes.Buffer
	long := villages
	long.layer.Name, long.layer.Title = "long", "一个名字非常非常长的图层标题：超过三十一个字符的工作表名称/测试"
	twin := villages
	twin.layer.Name = "villages2" // same Title 村庄
	writeLayers(t, NewXLSX(&buf), villages, twin, long)

	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	wantSheets := []string{"村庄", "村庄 (2)", "一个名字非常非常长的图层标题：超过三十一个字符的工作表名称_测", "说明"}
	if strings.Join(sheets, "|") != strings.Join(wantSheets, "|") {
		t.Errorf("sheets %q, want %q", sheets, wantSheets)
	}
	const s = "村庄"
	header, err := f.GetRows(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(header[0], ","); got != "名称,贫困人口,贫困户数,贫困发生率,通电,调查日期,更新时间,备注,WKT" {
		t.Errorf("header %s", got)
	}
	// A number cell has no t attribute (OOXML's default "n"), which
	// excelize reports as CellTypeUnset; a NULL has no cell at all.
	const number = excelize.CellTypeUnset
	cases := []struct {
		cell string
		typ  excelize.CellType
		raw  string // the stored value; "" for no cell
	}{
		{"A2", excelize.CellTypeInlineString, "羊楼司镇柘庄村"},
		{"B2", number, "123"},
		{"B3", number, "430682101201"},
		{"D2", number, "36.31"},
		{"D3", number, "0.1"},
		{"E2", excelize.CellTypeBool, "1"},
		{"F2", number, "42735"},             // 2016-12-31 as an Excel serial date
		{"G2", number, "45356.60416666666"}, // 2024-03-05 14:30
		{"I2", excelize.CellTypeInlineString, "POINT (113.4512345 29.4812345)"},
		{"B4", excelize.CellTypeUnset, ""},
	}
	for _, tc := range cases {
		typ, err := f.GetCellType(s, tc.cell)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := f.GetCellValue(s, tc.cell, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		if typ != tc.typ || !strings.HasPrefix(raw, tc.raw) || (tc.raw == "") != (raw == "") {
			t.Errorf("%s: type %v value %q, want type %v value %q", tc.cell, typ, raw, tc.typ, tc.raw)
		}
		if typ == number && raw != "" {
			if _, err := strconv.ParseFloat(raw, 64); err != nil {
				t.Errorf("%s: number cell holds %q", tc.cell, raw)
			}
		}
	}
	if shown, _ := f.GetCellValue(s, "F2"); shown != "2016-12-31" {
		t.Errorf("F2 shows %q, want 2016-12-31", shown)
	}
	if shown, _ := f.GetCellValue(s, "B3"); shown != "430682101201" {
		t.Errorf("B3 shows %q, want the whole number", shown)
	}
	panes, err := f.GetPanes(s)
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("panes %+v, %v: want the header row frozen", panes, err)
	}
	style, err := f.GetCellStyle(s, "A1")
	if err != nil {
		t.Fatal(err)
	}
	if st, err := f.GetStyle(style); err != nil || st.Font == nil || !st.Font.Bold {
		t.Errorf("header style %+v, %v: want bold", st, err)
	}
	rows, err := f.GetRows("说明")
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, r := range rows {
		text.WriteString(strings.Join(r, "\t") + "\n")
	}
	wantContains(t, "说明", text.String(), "导出时间\t2024-06-01 09:30", "村庄\tvillages\t点；村庄（测试数据）\t4",
		"村庄\tpoor_population\t贫困人口\t整数", "\troads\t\t0\t无数据，未导出")
}

// TestXLSXLongValues checks that a geometry too long for a cell is left
// out and reported, rather than cut into invalid WKT, and that text cut
// to a cell is reported.
func TestXLSXLongValues(t *testing.T) {
	line := make(orb.LineString, 3000)
	for i := range line {
		line[i] = orb.Point{113 + float64(i)*1e-5 + 1e-9, 29.123456789}
	}
	var buf bytes.Buffer
	w := NewXLSX(&buf)
	if err := w.BeginLayer(Layer{Name: "roads", Title: "道路", Fields: []Field{{Name: "note", Title: "备注"}}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(line, []any{strings.Repeat("柘", 40000)}); err != nil {
		t.Fatal(err)
	}
	if err := w.EndLayer(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(Meta{}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if v, _ := f.GetCellValue("道路", "B2"); v != "" {
		t.Errorf("WKT cell holds %d characters, want it blank", len(v))
	}
	if v, _ := f.GetCellValue("道路", "A2"); v != strings.Repeat("柘", 32767) {
		t.Errorf("text cell holds %d characters, want 32767", len([]rune(v)))
	}
	rows, _ := f.GetRows("说明")
	var all strings.Builder
	for _, r := range rows {
		all.WriteString(strings.Join(r, "\t"))
	}
	wantContains(t, "说明", all.String(), "1 个要素的几何超过 Excel 单元格 32767 个字符的上限",
		"1 个文本值超过 Excel 单元格 32767 个字符的上限")
}

func TestSheetName(t *testing.T) {
	cases := []struct {
		title string
		taken []string
		want  string
	}{
		{"道路", nil, "道路"},
		{"a/b:c?d*e[f]g\\h", nil, "a_b_c_d_e_f_g_h"},
		{"'quoted'", nil, "quoted"},
		{"", nil, "图层"},
		{"道路", []string{"道路"}, "道路 (2)"},
		{"ROADS", []string{"roads", "ROADS (2)"}, "ROADS (3)"},
		{strings.Repeat("长", 40), []string{strings.Repeat("长", 31)}, strings.Repeat("长", 27) + " (2)"},
		{strings.Repeat("😀", 20), nil, strings.Repeat("😀", 15)}, // two UTF-16 units each
	}
	for _, tc := range cases {
		if got := sheetName(tc.title, tc.taken); got != tc.want {
			t.Errorf("sheetName(%q, %q) = %q, want %q", tc.title, tc.taken, got, tc.want)
		}
	}
}

func TestDateKeepsCalendarDay(t *testing.T) {
	// Local midnight in Beijing is the previous day in UTC; every format
	// must keep the day the value carries.
	d := time.Date(2024, 1, 1, 0, 0, 0, 0, cst)
	l := Layer{Name: "d", Fields: []Field{{Name: "d", Type: Date}}}
	for _, wc := range writers[:3] { // text formats
		var buf bytes.Buffer
		w := wc.new(&buf)
		if err := w.BeginLayer(l); err != nil {
			t.Fatal(err)
		}
		if err := w.Write(nil, []any{d}); err != nil {
			t.Fatal(err)
		}
		_ = w.EndLayer()
		_ = w.Close(Meta{})
		if !strings.Contains(buf.String(), "2024-01-01") {
			t.Errorf("%s lost the day:\n%s", wc.name, buf.String())
		}
	}
}
