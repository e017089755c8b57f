package ingest

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// normaliseName folds a column name for matching: full-width to
// half-width, lower case, and without spaces, underscores, dashes or a unit
// in brackets ("路面宽度(m)", "路面宽度（米）" and "LMKD" all match).
func normaliseName(s string) string {
	s = width.Fold.String(strings.TrimSpace(s))
	if i := strings.IndexAny(s, "(["); i > 0 {
		s = s[:i]
	}
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsSpace(r) || r == '_' || r == '-' || r == '.' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// normaliseValue folds a value for alias matching: full-width to
// half-width, trimmed, lower case, inner spaces removed.
func normaliseValue(s string) string {
	if isNormal(s) { // most values; the folding costs a microsecond each
		return s
	}
	s = width.Fold.String(strings.TrimSpace(s))
	return strings.ToLower(strings.Join(strings.Fields(s), ""))
}

// isNormal reports whether normaliseValue would leave s as it is: no
// space, no upper case, nothing width.Fold changes (the full-width and
// half-width forms, the ideographic space, the half-width won sign).
func isNormal(s string) bool {
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			if 'A' <= r && r <= 'Z' || r == ' ' || '\t' <= r && r <= '\r' {
				return false
			}
		case r == utf8.RuneError, r == 0x3000, r == 0x20A9, 0xFF00 <= r && r <= 0xFFEF, unicode.IsSpace(r), unicode.ToLower(r) != r:
			return false
		}
	}
	return true
}
