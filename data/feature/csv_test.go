package feature

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"golang.org/x/text/encoding/simplifiedchinese"
)

func gbk(tb testing.TB, s string) string {
	tb.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().String(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func readAllCSV(tb testing.TB, src string, opt CSVOptions) (*CSVReader, []Record, error) {
	tb.Helper()
	r, err := OpenCSV(strings.NewReader(src), opt)
	if err != nil {
		return nil, nil, err
	}
	var got []Record
	for r.Next() {
		got = append(got, r.Record())
	}
	return r, got, r.Err()
}

func TestCSV(t *testing.T) {
	const villages = "名称,经度,纬度,人口\n羊楼司村,113.4,29.5, 1203 \n\n坦渡村, ,,\n"
	villagesWant := []Record{
		{Index: 0, Line: 2, Geometry: orb.Point{113.4, 29.5}, Attrs: map[string]any{"名称": "羊楼司村", "人口": "1203"}},
		{Index: 1, Line: 4, Attrs: map[string]any{"名称": "坦渡村", "人口": ""}},
	}
	cases := []struct {
		name     string
		src      string
		opt      CSVOptions
		want     []Record
		fields   []string
		encoding string
	}{
		{"utf-8 with BOM", "\xEF\xBB\xBF" + villages, CSVOptions{}, villagesWant, []string{"名称", "人口"}, EncodingUTF8},
		{"gbk", gbk(t, villages), CSVOptions{}, villagesWant, []string{"名称", "人口"}, EncodingGB18030},
		{"tab separated", strings.ReplaceAll(villages, ",", "\t"), CSVOptions{}, villagesWant, []string{"名称", "人口"}, EncodingUTF8},
		{"semicolon, english names", "Name;LNG;Lat\na;1.5;-2\n", CSVOptions{},
			[]Record{{Index: 0, Line: 2, Geometry: orb.Point{1.5, -2}, Attrs: map[string]any{"Name": "a"}}}, []string{"Name"}, EncodingUTF8},
		{"full-width digits", "名称,经度,纬度\na,１１３．４,－２９\n", CSVOptions{},
			[]Record{{Index: 0, Line: 2, Geometry: orb.Point{113.4, -29}, Attrs: map[string]any{"名称": "a"}}}, []string{"名称"}, EncodingUTF8},
		{"wkt", "id,WKT\n1,\"LINESTRING (113 29, 113.1 29.1)\"\n2,POINT (1 2)\n3,\n", CSVOptions{},
			[]Record{
				{Index: 0, Line: 2, Geometry: orb.LineString{{113, 29}, {113.1, 29.1}}, Attrs: map[string]any{"id": "1"}},
				{Index: 1, Line: 3, Geometry: orb.Point{1, 2}, Attrs: map[string]any{"id": "2"}},
				{Index: 2, Line: 4, Attrs: map[string]any{"id": "3"}},
			}, []string{"id"}, EncodingUTF8},
		{"named columns", "东坐标,北坐标,x\n500000,3260000,kept\n", CSVOptions{Lon: "东坐标", Lat: "北坐标"},
			[]Record{{Index: 0, Line: 2, Geometry: orb.Point{500000, 3260000}, Attrs: map[string]any{"x": "kept"}}}, []string{"x"}, EncodingUTF8},
		{"no geometry", "a,b\n1,2\n", CSVOptions{},
			[]Record{{Index: 0, Line: 2, Attrs: map[string]any{"a": "1", "b": "2"}}}, []string{"a", "b"}, EncodingUTF8},
		// Excel quotes a cell with commas or line breaks and counts it as
		// one row, so the row after it is row 3, not line 5.
		{"excel quoted cell", "名称,备注,经度,纬度\r\n\"羊楼司村\",\"一组,二组\r\n三组\r\n\"\"新\"\"村\",113,29\r\n坦渡村,,114,30\r\n", CSVOptions{},
			[]Record{
				{Index: 0, Line: 2, Geometry: orb.Point{113, 29}, Attrs: map[string]any{"名称": "羊楼司村", "备注": "一组,二组\n三组\n\"新\"村"}},
				{Index: 1, Line: 3, Geometry: orb.Point{114, 30}, Attrs: map[string]any{"名称": "坦渡村", "备注": ""}},
			}, []string{"名称", "备注"}, EncodingUTF8},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, got, err := readAllCSV(t, tc.src, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
			if !reflect.DeepEqual(r.Fields(), tc.fields) {
				t.Errorf("Fields() = %q, want %q", r.Fields(), tc.fields)
			}
			if r.Encoding() != tc.encoding {
				t.Errorf("Encoding() = %q, want %q", r.Encoding(), tc.encoding)
			}
		})
	}
}

func TestCSVErrors(t *testing.T) {
	var rows strings.Builder
	rows.WriteString("名称,经度,纬度\n")
	for i := 2; i < 12; i++ {
		fmt.Fprintf(&rows, "村%d,113.%d,29.5\n", i, i)
	}
	rows.WriteString("村12,\"113,4\",29.5\n")
	cases := []struct {
		name    string
		src     string
		opt     CSVOptions
		atOpen  bool
		sent    error
		message string
	}{
		{"bad number", rows.String(), CSVOptions{}, false, ErrValue, `第 12 行“经度”列的值 "113,4" 不是数字`},
		{"bad number gbk", gbk(t, rows.String()), CSVOptions{}, false, ErrValue, `第 12 行“经度”列的值 "113,4" 不是数字`},
		{"NaN", "lon,lat\nNaN,1\n", CSVOptions{}, false, ErrValue, `第 2 行“lon”列的值 "NaN" 不是数字`},
		{"ragged short", "a,b,c\n1,2,3\n\n1,2\n", CSVOptions{}, false, ErrFieldCount, "第 4 行：有 2 列，而表头有 3 列"},
		{"ragged long", "a,b\n1,2,3\n", CSVOptions{}, false, ErrFieldCount, "第 2 行：有 3 列，而表头有 2 列"},
		{"bad wkt", "名称,几何\na,POLYGON((0 0\n", CSVOptions{}, false, ErrGeometry, `第 2 行“几何”列的值 "POLYGON((0 0" 不是有效的 WKT`},
		{"bad quote", "a,b\n1,\"x\"y\n", CSVOptions{}, false, ErrSyntax, "第 2 行：引号不配对或引号后有多余字符（文件第 2 行第 5 列附近）"},
		{"empty", "", CSVOptions{}, true, ErrHeader, "文件是空的，缺少表头"},
		{"duplicate header", "名称,名称\n", CSVOptions{}, true, ErrHeader, "第 1 行：表头第 2 列与第 1 列同名（名称），请改名后再导入"},
		{"missing named column", "a,b\n", CSVOptions{WKT: "shape"}, true, ErrHeader, "第 1 行：表头中没有“shape”列"},
		{"lon without lat", "经度,名称\n", CSVOptions{}, true, ErrHeader, "第 1 行：有经度列“经度”但没有纬度列"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readAllCSV(t, tc.src, tc.opt)
			if err == nil {
				t.Fatal("no error")
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

// BenchmarkCSV reads 10,000 GBK village rows with coordinates.
func BenchmarkCSV(b *testing.B) {
	const n = 10_000
	var sb strings.Builder
	sb.WriteString("名称,代码,经度,纬度,人口,备注\n")
	for i := range n {
		fmt.Fprintf(&sb, "临湘市羊楼司镇第%d村,%d,%.6f,%.6f,%d,\"一组,二组\"\n", i, 430682100000+i, 113+float64(i%1000)/1000, 29+float64(i/1000)/1000, i%5000)
	}
	src := gbk(b, sb.String())
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		r, err := OpenCSV(strings.NewReader(src), CSVOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for r.Next() {
		}
		if err := r.Err(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
}
