package value

import (
	"math"
	"strings"
	"testing"
)

func TestQuote(t *testing.T) {
	long := strings.Repeat("村", 41)
	for _, tc := range []struct{ in, want string }{
		{"", `""`},
		{"12a", `"12a"`},
		{`a"b` + "\n", `"a\"b\n"`},
		{strings.Repeat("村", 40), `"` + strings.Repeat("村", 40) + `"`},
		{long, `"` + strings.Repeat("村", 40) + `…"`},
		{strings.Repeat("x", 1000), `"` + strings.Repeat("x", 40) + `…"`},
	} {
		if got := Quote(tc.in); got != tc.want {
			t.Errorf("Quote(%.10q…) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// TestInt covers every Go integer type at its limits, the unsigned values
// beyond int64 and the non-integers both callers (the GeoPackage and the
// export writers) pass on to their own checks.
func TestInt(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want int64
		ok   bool
	}{
		{int(-5), -5, true},
		{int8(math.MinInt8), math.MinInt8, true},
		{int16(math.MaxInt16), math.MaxInt16, true},
		{int32(math.MinInt32), math.MinInt32, true},
		{int64(math.MinInt64), math.MinInt64, true},
		{int64(math.MaxInt64), math.MaxInt64, true},
		{uint8(math.MaxUint8), math.MaxUint8, true},
		{uint16(math.MaxUint16), math.MaxUint16, true},
		{uint32(math.MaxUint32), math.MaxUint32, true},
		{uint(math.MaxInt64), math.MaxInt64, true},
		{uint(math.MaxInt64 + 1), 0, false},
		{uint64(math.MaxInt64), math.MaxInt64, true},
		{uint64(math.MaxInt64 + 1), 0, false},
		{uint64(math.MaxUint64), 0, false},
		{float64(3), 0, false},
		{"3", 0, false},
		{true, 0, false},
		{nil, 0, false},
	} {
		if got, ok := Int(tc.in); got != tc.want || ok != tc.ok {
			t.Errorf("Int(%T %v) = %d, %v, want %d, %v", tc.in, tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
