package planning_test

import (
	"slices"
	"testing"

	"github.com/gapmap/gapmap/data/catalog"
	"github.com/gapmap/gapmap/planning"
)

// TestDataNeedTable holds the one table the 补充数据 list comes from to the
// rest of gapmap: each indicator's Chinese name is the one ScoreVillage
// gives it, and each layer and field it names is the catalogue's, with the
// catalogue's Chinese titles.
func TestDataNeedTable(t *testing.T) {
	v := planning.ScoreVillage(goodFacts(), planning.DefaultProfile())
	var ids []string
	for _, d := range v.Dimensions {
		for _, is := range d.Indicators {
			ids = append(ids, is.ID)
			if got := planning.IndicatorName(is.ID); got != is.Name {
				t.Errorf("%s: the table names it %q, scoring %q", is.ID, got, is.Name)
			}
			if len(planning.SettleData(is.ID, "")) == 0 {
				t.Errorf("%s: nothing settles it", is.ID)
			}
		}
	}
	if !slices.Equal(ids, planning.IndicatorIDs) {
		t.Errorf("indicators %v, the table lists %v", ids, planning.IndicatorIDs)
	}
	cat := catalog.Default()
	for _, it := range planning.DataItems() {
		if it.Layer == "" {
			continue // data gapmap has no layer for yet, said in its title
		}
		l := cat.Layer(it.Layer)
		if l == nil {
			t.Errorf("%s: no layer %q in the catalogue", it.Label(), it.Layer)
			continue
		}
		if l.Title != it.LayerTitle {
			t.Errorf("%s: layer %s is titled %q in the catalogue", it.Label(), it.Layer, l.Title)
		}
		if it.Field == "" {
			continue
		}
		if f := l.Field(it.Field); f == nil {
			t.Errorf("%s: no field %s.%s in the catalogue", it.Label(), it.Layer, it.Field)
		} else if f.Title != it.FieldTitle {
			t.Errorf("%s: field %s.%s is titled %q in the catalogue", it.Label(), it.Layer, it.Field, f.Title)
		}
	}
	// A 未定位 village's spatial indicators need its 村委会 located, not
	// the layers they would be measured on (roads for R1, mains for W5).
	for _, id := range []string{"R1", "W5", "E2"} {
		if got := planning.SettleData(id, planning.NoteUnlocated); len(got) != 1 || got[0].Label() != "村·村委会位置" {
			t.Errorf("%s of a 未定位 village is settled by %v, want 村·村委会位置", id, got)
		}
	}
	for _, sf := range planning.SizingFields() {
		if sf.Field != "households" && sf.Field != "population" {
			t.Errorf("sizing field %s of %s: the store knows households and population", sf.Field, sf.Indicator)
		}
	}
}
