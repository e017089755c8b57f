package value

import (
	"fmt"
	"math"
)

// quoteRunes is how many runes of a value Quote shows.
const quoteRunes = 40

// Quote shows a user's value in a message: Go-quoted, cut to its first
// 40 runes and "…", so that one huge cell cannot flood a log line.
func Quote(s string) string {
	if r := []rune(s); len(r) > quoteRunes {
		s = string(r[:quoteRunes]) + "…"
	}
	return fmt.Sprintf("%q", s)
}

// Int returns v as an int64 when it is a Go integer (int, int8 … int64,
// uint, uint8 … uint64) whose value fits; a uint or uint64 above
// math.MaxInt64 and every other type give 0, false.
func Int(v any) (int64, bool) {
	switch i := v.(type) {
	case int:
		return int64(i), true
	case int8:
		return int64(i), true
	case int16:
		return int64(i), true
	case int32:
		return int64(i), true
	case int64:
		return i, true
	case uint8:
		return int64(i), true
	case uint16:
		return int64(i), true
	case uint32:
		return int64(i), true
	case uint:
		if uint64(i) <= math.MaxInt64 {
			return int64(i), true
		}
	case uint64:
		if i <= math.MaxInt64 {
			return int64(i), true
		}
	}
	return 0, false
}
