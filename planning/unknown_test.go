package planning

import (
	"slices"
	"testing"
)

// TestUnknownGaps: a gap is 数据不足 when it has no value, when half its
// weights are missing, or when a veto indicator is no_data (the gap shown
// could be 100) — unless a measured veto decided it.
func TestUnknownGaps(t *testing.T) {
	g := func(v float64) *float64 { return &v }
	for _, tc := range []struct {
		name string
		dims []DimensionScore
		want []string
	}{
		{"all measured", []DimensionScore{{Dimension: DimRoad, Gap: g(20)}, {Dimension: DimWater, Gap: g(0)}}, nil},
		{"no value", []DimensionScore{{Dimension: DimRoad}, {Dimension: DimWater, Gap: g(0)}}, []string{DimRoad}},
		{"half missing", []DimensionScore{{Dimension: DimRoad, Gap: g(20), MissingWeight: 0.5}}, []string{DimRoad}},
		{"undecided veto", []DimensionScore{{Dimension: DimRoad, Gap: g(20), VetoUnknown: true}}, []string{DimRoad, CompositeKey}},
		{"measured veto decides", []DimensionScore{{Dimension: DimRoad, Gap: g(100), Veto: true, MissingWeight: 0.8}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := VillageScore{Dimensions: tc.dims, Composite: g(10)}
			got := v.UnknownGaps()
			want := tc.want
			if want == nil {
				want = []string{}
			}
			if !slices.Equal(got, want) {
				t.Errorf("UnknownGaps() = %q, want %q", got, want)
			}
		})
	}
}
