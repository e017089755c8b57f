package tiles_test

import (
	"slices"
	"testing"

	"github.com/gapmap/gapmap/tiles"
)

func TestLayersAt(t *testing.T) {
	ls := []tiles.Layer{{ID: "county", MinZoom: 0, MaxZoom: 14}, {ID: "villages", MinZoom: 8, MaxZoom: 14}, {ID: "transformers", MinZoom: 13, MaxZoom: 14}}
	cases := []struct {
		z    int
		want []string
	}{
		{0, []string{"county"}},
		{7, []string{"county"}},
		{8, []string{"county", "villages"}},
		{13, []string{"county", "villages", "transformers"}},
		{14, []string{"county", "villages", "transformers"}},
		{15, nil},
	}
	for _, tc := range cases {
		var got []string
		for _, l := range tiles.LayersAt(ls, tc.z) {
			got = append(got, l.ID)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("LayersAt(z%d) = %v, want %v", tc.z, got, tc.want)
		}
	}
}
