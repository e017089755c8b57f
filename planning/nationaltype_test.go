package planning

import (
	"slices"
	"testing"
)

// TestNationalTypeEveryCategory checks that every 项目类别 the library
// accepts falls in one national 项目类型, and that the mapping names no
// category the library does not accept.
func TestNationalTypeEveryCategory(t *testing.T) {
	for _, c := range Categories {
		n, ok := NationalTypeOf(c)
		if !ok {
			t.Errorf("category %q has no national 项目类型", c)
			continue
		}
		if !slices.Contains(NationalTypes, n.Type) {
			t.Errorf("category %q maps to %q, not a national 项目类型 %q", c, n.Type, NationalTypes)
		}
	}
	for c := range nationalTypes {
		if !slices.Contains(Categories, c) {
			t.Errorf("mapping names %q, not a 项目类别 of the library", c)
		}
	}
	if _, ok := NationalTypeOf("不存在的类别"); ok {
		t.Error("an unknown category maps to a national type")
	}
	if got, want := nationalTypes[CatRoad].Label(), "农村基础设施·农村道路建设"; got != want {
		t.Errorf("road label %q, want %q", got, want)
	}
}
