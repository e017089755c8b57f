package gpkg

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// TestGeometryOverLimitRefused: a geometry blob longer than the limit is
// refused before it is decoded, naming the layer and feature.
func TestGeometryOverLimitRefused(t *testing.T) {
	old := maxGeometryBytes
	maxGeometryBytes = 1 << 20
	t.Cleanup(func() { maxGeometryBytes = old })
	path := filepath.Join(t.TempDir(), "路.gpkg")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	roads, err := w.CreateLayer("道路", "", "", "LINESTRING", SRSCGCS2000, []Column{{Name: "名称", Type: "TEXT"}})
	if err != nil {
		t.Fatal(err)
	}
	short := orb.LineString{{113, 29}, {113.1, 29.1}}
	long := make(orb.LineString, 70_000) // 16 bytes a point: about 1.1 MiB
	for i := range long {
		long[i] = orb.Point{113 + float64(i)*1e-6, 29}
	}
	for _, g := range []orb.LineString{short, long} {
		if err := roads.Insert(g, []any{"乡道"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := f.Read("道路")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	for r.Next() {
		n++
	}
	if n != 1 {
		t.Errorf("read %d features before the big one, want 1", n)
	}
	fe := formatError(t, r.Err(), ErrTooLarge)
	if fe.FID != 2 || !strings.Contains(fe.Error(), "超过上限 1 MiB") || !strings.Contains(fe.Error(), "道路") {
		t.Errorf("error %q (FID %d), want feature FID 2 of 道路 over 1 MiB", fe.Error(), fe.FID)
	}
}
