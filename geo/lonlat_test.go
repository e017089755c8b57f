package geo

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/paulmach/orb"
)

func TestCheckLonLat(t *testing.T) {
	cases := []struct {
		name string
		p    orb.Point
		want error // nil, or the cause
		msg  string
	}{
		{"临湘", orb.Point{113.5, 29.5}, nil, ""},
		{"GCJ-02 is in China too", orb.Point{113.505793, 29.497358}, nil, ""},
		{"乌恰", orb.Point{73.6, 39.4}, nil, ""},
		{"三沙", orb.Point{112.3, 16.8}, nil, ""},
		{"box corner", orb.Point{72.004, 0.8293}, nil, ""},
		{"swapped 临湘", orb.Point{29.5, 113.4}, ErrSwapped, "坐标 (29.5, 113.4) 经纬度可能颠倒（应为经度在前、纬度在后）"},
		{"swapped 乌鲁木齐", orb.Point{43.8, 87.6}, ErrSwapped, ""},
		{"Gauss-Krüger, CM variant", orb.Point{512345.6, 3265432.1}, ErrProjected, "坐标 (512345.6, 3265432.1) 超出经纬度范围，可能是投影坐标（如高斯-克吕格），请指定 --srs"},
		{"Gauss-Krüger with zone number", orb.Point{38512345.6, 3265432.1}, ErrProjected, ""},
		{"Web Mercator", orb.Point{12635000, 3437000}, ErrProjected, ""},
		{"latitude out of range", orb.Point{113.5, 95}, ErrProjected, ""},
		{"longitude out of range", orb.Point{-200, 29.5}, ErrProjected, ""},
		{"null island", orb.Point{0, 0}, ErrZero, "坐标 (0, 0) 经纬度均为 0，可能是缺失值或地址解析失败"},
		{"Paris", orb.Point{2.35, 48.85}, ErrOutsideChina, "坐标 (2.35, 48.85) 不在中国范围内，请检查数据来源或坐标系"},
		{"southern hemisphere", orb.Point{113.5, -29.5}, ErrOutsideChina, ""},
		{"west longitude", orb.Point{-113.5, 29.5}, ErrOutsideChina, ""},
		{"NaN", orb.Point{math.NaN(), 29.5}, ErrNotFinite, ""},
		{"Inf", orb.Point{113.5, math.Inf(-1)}, ErrNotFinite, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckLonLat(tc.p)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("CheckLonLat(%v) = %v, want nil", tc.p, err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("CheckLonLat(%v) = %v, want %v", tc.p, err, tc.want)
			}
			var lle *LonLatError
			if !errors.As(err, &lle) || lle.Point != tc.p && !math.IsNaN(tc.p[0]) {
				t.Errorf("CheckLonLat(%v) = %#v, want a *LonLatError for the point", tc.p, err)
			}
			if tc.msg != "" && err.Error() != tc.msg {
				t.Errorf("message %q, want %q", err.Error(), tc.msg)
			}
		})
	}
}

func ExampleCheckLonLat() {
	for _, p := range []orb.Point{{113.5, 29.5}, {29.5, 113.4}, {38512345.6, 3265432.1}} {
		err := CheckLonLat(p)
		fmt.Println(err, errors.Is(err, ErrSwapped))
	}
	// Output:
	// <nil> false
	// 坐标 (29.5, 113.4) 经纬度可能颠倒（应为经度在前、纬度在后） true
	// 坐标 (38512345.6, 3265432.1) 超出经纬度范围，可能是投影坐标（如高斯-克吕格），请指定 --srs false
}
