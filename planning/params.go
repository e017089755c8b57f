package planning

import (
	"math"
	"strconv"
)

// MinYear and MaxYear bound a year a filter may name: a 实施年度 or a
// 建成年份 outside them is a typo, and the columns holding years are
// smallint, so a larger number would fail in the database.
const (
	MinYear = 2000
	MaxYear = 2100
)

// ParseMinScore reads the min_score filter, a gap score from 0 to 100.
// NaN and ±Inf are refused: NaN compares false with every bound, so it
// would pass a range check and filter nothing.
func ParseMinScore(v string) (float64, error) {
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || !finite(n) || n < 0 || n > 100 {
		return 0, Errorf(EInvalid, "参数 min_score 应为 0 到 100 之间的数，收到 %q", v)
	}
	return n, nil
}

// ParseYear reads the year filter, MinYear to MaxYear.
func ParseYear(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < MinYear || n > MaxYear {
		return 0, Errorf(EInvalid, "参数 year 应为 %d 到 %d 之间的年份，收到 %q", MinYear, MaxYear, v)
	}
	return n, nil
}

// finite says whether x is a number other than NaN and ±Inf.
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
