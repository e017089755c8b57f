package planning_test

import (
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/planning"
)

func TestParseMinScore(t *testing.T) {
	for _, v := range []string{"NaN", "nan", "Inf", "-Inf", "+Inf", "1e308", "-1", "100.5", "x", ""} {
		if got, err := planning.ParseMinScore(v); planning.ErrorCode(err) != planning.EInvalid || !strings.Contains(err.Error(), "min_score") {
			t.Errorf("ParseMinScore(%q) = %v, %v; want EInvalid naming min_score", v, got, err)
		}
	}
	for v, want := range map[string]float64{"0": 0, "42.5": 42.5, "100": 100} {
		if got, err := planning.ParseMinScore(v); err != nil || got != want {
			t.Errorf("ParseMinScore(%q) = %v, %v; want %v", v, got, err, want)
		}
	}
}

func TestParseYear(t *testing.T) {
	// 2147483648 and beyond overflowed the smallint year columns: a 500.
	for _, v := range []string{"2147483648", "9223372036854775808", "-2147483649", "1999", "2101", "NaN", "2020.5", ""} {
		if _, err := planning.ParseYear(v); planning.ErrorCode(err) != planning.EInvalid || !strings.Contains(err.Error(), "year") {
			t.Errorf("ParseYear(%q) = %v; want EInvalid naming year", v, err)
		}
	}
	if got, err := planning.ParseYear("2020"); err != nil || got != 2020 {
		t.Errorf("ParseYear(2020) = %d, %v", got, err)
	}
}

func TestCheckGeometry(t *testing.T) {
	sq := orb.Ring{{113.4, 29.4}, {113.5, 29.4}, {113.5, 29.5}, {113.4, 29.4}}
	cases := []struct {
		name string
		g    orb.Geometry
		want string // in the error; "" when valid
	}{
		{"point", orb.Point{113.45, 29.48}, ""},
		{"line", orb.LineString{{113.4, 29.4}, {113.5, 29.5}}, ""},
		{"polygon", orb.Polygon{sq}, ""},
		{"multipolygon", orb.MultiPolygon{{sq}}, ""},
		{"1e308 point", orb.Point{1e308, 1e308}, "超出经纬度范围"},
		{"-1e308 latitude", orb.Point{113.4, -1e308}, "超出经纬度范围"},
		{"1e308 vertex in a line", orb.LineString{{113.4, 29.4}, {1e308, 29.5}}, "超出经纬度范围"},
		{"outside China", orb.Point{-74, 40.7}, "不在中国范围内"},
		{"zero", orb.Point{0, 0}, "均为 0"},
		{"one-point line", orb.LineString{{113.4, 29.4}}, "至少需要 2 个点"},
		{"three-point ring", orb.Polygon{sq[:3]}, "至少需要 4 个点"},
		{"unclosed ring", orb.Polygon{{{113.4, 29.4}, {113.5, 29.4}, {113.5, 29.5}, {113.45, 29.45}}}, "未闭合"},
		{"unclosed ring in a multipolygon", orb.MultiPolygon{{sq}, {{{113.4, 29.4}, {113.5, 29.4}, {113.5, 29.5}, {113.45, 29.45}}}}, "未闭合"},
		{"no ring", orb.Polygon{}, "没有环"},
		{"no point", orb.MultiPoint{}, "没有坐标"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := planning.CheckGeometry(tc.g)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("CheckGeometry = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("CheckGeometry = %v, want an error with %q", err, tc.want)
			}
		})
	}
	// Validate names the field.
	p := planning.Project{Name: "x", Category: planning.CatRoad, Nature: "新建", Geometry: orb.Point{1e308, 1e308}}
	if err := p.Validate(); planning.ErrorCode(err) != planning.EInvalid || !strings.Contains(err.Error(), "几何（geometry）") {
		t.Errorf("Validate = %v, want EInvalid naming 几何（geometry）", err)
	}
}
