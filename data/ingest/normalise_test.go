package ingest

import (
	"strings"
	"testing"

	"golang.org/x/text/width"
)

// FuzzNormaliseValue checks normaliseValue's shortcut: a value isNormal
// passes must come out of the full folding unchanged.
func FuzzNormaliseValue(f *testing.F) {
	for _, s := range []string{"县道", "水泥", "10kV", "ＡＢＣ１２", "沥 青", "\u3000乡道", "Ⅳ级", "ǅ", "₩", "ｶﾀ", "a\u00a0b", "\xff", "İ", "ß"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		full := strings.ToLower(strings.Join(strings.Fields(width.Fold.String(strings.TrimSpace(s))), ""))
		if got := normaliseValue(s); got != full {
			t.Fatalf("normaliseValue(%q) = %q, folding gives %q", s, got, full)
		}
	})
}
