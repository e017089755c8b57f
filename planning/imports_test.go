package planning

import (
	"maps"
	"strings"
	"testing"
)

// TestParseMappingScalars: defaults and value maps take numbers and
// true/false as well as text, kept as the text a cell would hold; other
// shapes and a number where a column name belongs are refused in Chinese,
// naming the field.
func TestParseMappingScalars(t *testing.T) {
	m, err := ParseMapping([]byte(`{"defaults": {"voltage_kv": 110, "width_m": 4.5, "grid_connected": true, "grade": "村道", "big": 1e3},
		"values": {"phases": {"三相四线": 3, "单相": "1"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"voltage_kv": "110", "width_m": "4.5", "grid_connected": "true", "grade": "村道", "big": "1e3"}; !maps.Equal(m.Defaults, want) {
		t.Errorf("defaults %v, want %v", m.Defaults, want)
	}
	if want := map[string]string{"三相四线": "3", "单相": "1"}; !maps.Equal(m.Values["phases"], want) {
		t.Errorf("values %v", m.Values)
	}
	for _, tc := range []struct{ json, want string }{
		{`{"defaults": {"voltage_kv": [110]}}`, "映射文件 defaults 中字段 voltage_kv 的默认值应为数字、文字或 true/false，不能是数组"},
		{`{"defaults": {"voltage_kv": {"kv": 110}}}`, "字段 voltage_kv 的默认值应为数字、文字或 true/false，不能是对象"},
		{`{"defaults": {"voltage_kv": null}}`, "字段 voltage_kv 的默认值不能是 null"},
		{`{"values": {"phases": {"三相": [3]}}}`, "values 中字段 phases 的值“三相”要映射成的值应为数字、文字或 true/false，不能是数组"},
		{`{"columns": {"电压": 110}}`, "映射文件中 columns 的值应为文字，实际是数字"},
		{`{"ignore": "备注"}`, "映射文件中 ignore 的值应为数组，实际是文字"},
		{`{"colums": {}}`, "映射文件不是有效的 JSON"},
	} {
		_, err := ParseMapping([]byte(tc.json))
		if ErrorCode(err) != EInvalid || !strings.Contains(ErrorMessage(err), tc.want) {
			t.Errorf("%s: %v, want %q", tc.json, err, tc.want)
		}
	}
}

// TestSummariseCodeList: a file whose every row lacks its geometry (a code
// list) is one error that says how to load codes, not one error per row;
// a file with other errors keeps its per-row list.
func TestSummariseCodeList(t *testing.T) {
	r := ImportReport{Layer: "villages", Read: 3, Rejected: 3}
	for row := 2; row <= 4; row++ {
		r.Add(ImportProblem{Row: row, Field: "geom", Severity: SeverityError, Reason: "缺少几何（坐标为空）"})
	}
	r.Summarise(0)
	if len(r.Problems) != 1 || r.Errors != 1 || !strings.Contains(r.Problems[0].Reason, "全部 3 行") ||
		!strings.Contains(r.Problems[0].Hint, "county init") || !strings.Contains(r.Message, "county init") {
		t.Errorf("code list: %d problems, %d errors, %+v, message %q; want one error naming county init", len(r.Problems), r.Errors, r.Problems, r.Message)
	}

	r = ImportReport{Layer: "villages", Read: 2, Rejected: 2}
	r.Add(ImportProblem{Row: 2, Field: "geom", Severity: SeverityError, Reason: "缺少几何（坐标为空）"})
	r.Add(ImportProblem{Row: 3, Field: "code", Severity: SeverityError, Reason: "代码应为 12 位数字"})
	r.Summarise(0)
	if len(r.Problems) != 2 || r.Errors != 2 {
		t.Errorf("mixed errors collapsed: %+v", r.Problems)
	}
}
