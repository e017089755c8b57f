package osm

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data/internal/value"
)

func writeTemp(tb testing.TB, name, content string) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestXMLErrors(t *testing.T) {
	const head = "<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\">\n"
	full, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		content string
		err     error
		message string // the whole message
	}{
		{"lat not a number", head + ` <node id="1" lat="29.47" lon="113.45"/>` + "\n" + ` <node id="7" lat="abc" lon="113.45"/>` + "\n</osm>\n",
			ErrSyntax, `t.osm：第 4 行 node/7：lat 的值 "abc" 不是数字`},
		{"lat off the globe", head + ` <node id="8" lat="95" lon="113.45"/>` + "\n</osm>\n",
			ErrValue, `t.osm：第 3 行 node/8：lat 的值 "95" 超出 ±90 度`},
		{"lon NaN", head + ` <node id="9" lat="29" lon="NaN"/>` + "\n</osm>\n",
			ErrSyntax, `t.osm：第 3 行 node/9：lon 的值 "NaN" 不是数字`},
		{"id missing", head + ` <way><nd ref="1"/></way>` + "\n</osm>\n",
			ErrSyntax, `t.osm：第 3 行：<way> 缺少 id`},
		{"nd ref not an integer", head + " <way id=\"3\">\n  <nd ref=\"x\"/>\n </way>\n</osm>\n",
			ErrSyntax, `t.osm：第 4 行 way/3：<nd> 的 ref "x" 不是整数`},
		{"member type", head + " <relation id=\"4\">\n  <member type=\"area\" ref=\"1\" role=\"\"/>\n </relation>\n</osm>\n",
			ErrSyntax, `t.osm：第 4 行 relation/4：<member> 的 type "area" 无效`},
		{"mismatched tag", head + " <node id=\"1\" lat=\"1\" lon=\"1\">\n </way>\n</osm>\n",
			ErrSyntax, "t.osm：第 4 行：XML 语法错误：element <node> closed by </way>"},
		{"truncated", string(full[:len(full)/2]),
			ErrTruncated, fmt.Sprintf("t.osm：第 %d 行：文件意外结束，可能下载不完整", bytes.Count(full[:len(full)/2], []byte("\n"))+1)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readAll(t, writeTemp(t, "t.osm", tc.content))
			if !errors.Is(err, tc.err) || err.Error() != tc.message {
				t.Errorf("got %v, want %q wrapping %v", err, tc.message, tc.err)
			}
		})
	}
}

// TestXMLWithoutCoordinates: nodes without lat/lon (Overpass "out ids",
// deleted history versions) are not errors; features needing them are
// skipped.
func TestXMLWithoutCoordinates(t *testing.T) {
	content := `<osm version="0.6">
 <node id="1"><tag k="place" v="village"/><tag k="name" v="无坐标村"/></node>
 <node id="2" lat="29.47" lon="113.45"/>
 <way id="3"><nd ref="1"/><nd ref="2"/><tag k="highway" v="unclassified"/></way>
</osm>`
	fs, st, err := readAll(t, writeTemp(t, "ids.osm", content))
	if err != nil || len(fs) != 0 {
		t.Fatalf("features %v, error %v; want none", fs, err)
	}
	want := map[string]int64{"节点没有坐标": 1, reasonMissingNodes: 1}
	for k, v := range want {
		if st.Skipped[k] != v {
			t.Errorf("Skipped = %v, want %v", st.Skipped, want)
		}
	}
}

func TestFormatErrorMessage(t *testing.T) {
	cases := []struct {
		e    FormatError
		want string
	}{
		{FormatError{File: "a.osm.pbf", Block: 3, Offset: 1250, Reason: "坏了"}, "a.osm.pbf：第 3 个数据块（偏移 1250 字节）：坏了"},
		{FormatError{File: "a.osm.pbf", Block: 3, Offset: 1250, Element: "way/1", Reason: "坏了"}, "a.osm.pbf：第 3 个数据块（偏移 1250 字节） way/1：坏了"},
		{FormatError{File: "a.osm", Line: 12, Offset: -1, Element: "node/7", Reason: "坏了"}, "a.osm：第 12 行 node/7：坏了"},
		{FormatError{File: "a.osm", Offset: -1, Element: "node/7", Reason: "坏了"}, "a.osm：node/7：坏了"},
		{FormatError{File: "a.osm", Offset: -1, Reason: "坏了"}, "a.osm：坏了"},
		{FormatError{Offset: -1, Reason: "坏了"}, "坏了"},
	}
	for _, tc := range cases {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
	if !strings.Contains(value.Quote(strings.Repeat("长", 50)), "…") {
		t.Error("quote does not shorten")
	}
}

// TestLongPrologue: the <osm> tag may come after a long comment.
func TestLongPrologue(t *testing.T) {
	content := "<?xml version='1.0'?>\n<!-- " + strings.Repeat("导出说明 ", 200) + "-->\n" +
		`<osm version="0.6"><node id="1" lat="29.47" lon="113.45"><tag k="place" v="hamlet"/><tag k="name" v="李家组"/></node></osm>`
	fs, _, err := readAll(t, writeTemp(t, "long.osm", content))
	if err != nil || len(fs) != 1 {
		t.Fatalf("features %v, error %v", fs, err)
	}
}
