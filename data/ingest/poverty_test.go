package ingest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPovertyHeader(t *testing.T) {
	cases := []struct{ in, want string }{
		{"年末贫困户数（户）", "poor_households"},
		{" 脱贫 人数(人) ", "exited_population"},
		{"ＣＯＤＥ", "village_code"},
		{"统计用区划代码", "village_code"},
		{"新识别贫困人口", "new_population"},
		{"贫困村退出年度", "exit_year"},
		{"备注", ""},
	}
	for _, tc := range cases {
		if got := povertyAliases[povertyHeader(tc.in)]; got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseCount(t *testing.T) {
	cases := []struct {
		in   string
		want int
		err  string
	}{
		{"12", 12, ""}, {"1,234", 1234, ""}, {"7.0", 7, ""}, {"0", 0, ""},
		{"-3", 0, "不能为负数"}, {"2.5", 0, "应为非负整数"}, {"三十", 0, "应为非负整数"},
	}
	for _, tc := range cases {
		got, err := parseCount(tc.in)
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("%q: %d, %v; want %d", tc.in, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: %v, want an error saying %q", tc.in, err, tc.err)
		}
	}
}

// TestReadPovertyTableGBK reads a table as Excel in China saves CSV (GBK),
// with blank cells unknown, not 0.
func TestReadPovertyTableGBK(t *testing.T) {
	// "村代码,年度,贫困户数,返贫户数\n430682101201,2018,12,\n" in GBK.
	gbk := []byte("\xb4\xe5\xb4\xfa\xc2\xeb,\xc4\xea\xb6\xc8,\xc6\xb6\xc0\xa7\xbb\xa7\xca\xfd,\xb7\xb5\xc6\xb6\xbb\xa7\xca\xfd\n430682101201,2018,12,\n")
	path := filepath.Join(t.TempDir(), "t.csv")
	if err := os.WriteFile(path, gbk, 0o644); err != nil {
		t.Fatal(err)
	}
	tb, err := ReadPovertyTable(path, "t.csv", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(tb.Rows) != 1 || tb.Rows[0].Year != 2018 || *tb.Rows[0].PoorHouseholds != 12 || tb.Rows[0].ReturnedHouseholds != nil || !tb.Has["returned_households"] {
		t.Errorf("rows %+v, columns %v", tb.Rows, tb.Columns)
	}
}
