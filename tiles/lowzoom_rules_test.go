package tiles_test

import (
	"context"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/gapmap/gapmap/tiles"
	"github.com/gapmap/gapmap/tiles/admit"
)

// scriptSource serves versions and change records a test sets: records
// maps a table to the box of each version it has a record of (a version
// without one is a write off the record; a zero box records no box).
type scriptSource struct {
	versions map[string]int64
	records  map[string]map[int64][4]float64
}

func (s *scriptSource) Tile(context.Context, tiles.Request) ([]byte, []string, error) {
	return []byte{0x1a, 0x02, 0x08, 0x01}, nil, nil
}

func (s *scriptSource) Versions(context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	for t, v := range s.versions {
		out[t] = v
	}
	return out, nil
}

func (s *scriptSource) Bounds(context.Context) ([4]float64, bool, error) {
	return [4]float64{108, 24, 115, 31}, true, nil
}

func (s *scriptSource) Attribution(context.Context) (string, error) { return "", nil }

func (s *scriptSource) Changes(_ context.Context, table string, after, upTo int64) ([][4]float64, bool, error) {
	var boxes [][4]float64
	for v := after + 1; v <= upTo; v++ {
		b, ok := s.records[table][v]
		if !ok {
			return nil, false, nil
		}
		if b != ([4]float64{}) {
			boxes = append(boxes, b)
		}
	}
	return boxes, upTo >= after, nil
}

// write moves table to its next version with a record of box (nil: off
// the record).
func (s *scriptSource) write(table string, box *[4]float64) {
	s.versions[table]++
	if box != nil {
		if s.records[table] == nil {
			s.records[table] = map[int64][4]float64{}
		}
		s.records[table][s.versions[table]] = *box
	}
}

// TestLowZoomInvalidation checks the rule for the roads tiles below z10,
// which draw roads_lowzoom while it is current (its version equals the
// roads') and the roads otherwise, without a database: two places A and
// B far apart, a z8 and a z12 roads tile cached at each, and writes of
// every kind between two refreshes.
func TestLowZoomInvalidation(t *testing.T) {
	a, b := orb.Point{109, 25}, orb.Point{114, 30}
	box := func(p orb.Point) *[4]float64 { return &[4]float64{p[0], p[1], p[0] + 0.001, p[1] + 0.001} }
	type tile struct {
		at orb.Point
		z  int
	}
	all := []tile{{a, 8}, {a, 12}, {b, 8}, {b, 12}}
	cases := []struct {
		name    string
		start   func(s *scriptSource) // before the first refresh
		writes  func(s *scriptSource)
		dropped []tile
	}{
		{"road near A changes the merged lines near A", nil, func(s *scriptSource) {
			s.write("roads", box(a))
			s.write("roads_lowzoom", box(a))
		}, []tile{{a, 8}, {a, 12}}},
		{"road near B leaves the merged lines as they were", nil, func(s *scriptSource) {
			s.write("roads", box(b))
			s.write("roads_lowzoom", &[4]float64{})
		}, []tile{{b, 12}}},
		{"road near B changes merged lines reaching A", nil, func(s *scriptSource) {
			s.write("roads", box(b))
			s.write("roads_lowzoom", box(a))
		}, []tile{{a, 8}, {b, 12}}},
		{"write off the record: the table falls behind", nil, func(s *scriptSource) {
			s.write("roads", nil)
		}, []tile{{a, 8}, {a, 12}, {b, 8}, {b, 12}}},
		{"behind, a road near B: the live roads below z10 too", func(s *scriptSource) {
			s.write("roads", nil)
		}, func(s *scriptSource) {
			s.write("roads", box(b))
		}, []tile{{b, 8}, {b, 12}}},
		{"behind, then rebuilt whole", func(s *scriptSource) {
			s.write("roads", nil)
		}, func(s *scriptSource) {
			s.versions["roads_lowzoom"] = s.versions["roads"]
		}, []tile{{a, 8}, {b, 8}}},
		{"kept current, then behind, between two refreshes", nil, func(s *scriptSource) {
			s.write("roads", box(b))
			s.write("roads_lowzoom", box(b))
			s.write("roads", box(b))
		}, []tile{{a, 8}, {b, 8}, {b, 12}}},
		{"behind, rebuilt, then kept current by a road near B", func(s *scriptSource) {
			s.write("roads", nil)
		}, func(s *scriptSource) {
			s.versions["roads_lowzoom"] = s.versions["roads"]
			s.write("roads", box(b))
			s.write("roads_lowzoom", box(b))
		}, []tile{{a, 8}, {b, 8}, {b, 12}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := &scriptSource{versions: map[string]int64{"roads": 5, "roads_lowzoom": 5}, records: map[string]map[int64][4]float64{}}
			if c.start != nil {
				c.start(src)
			}
			s := tiles.NewService(src, tiles.NewCache(1<<20), time.Minute, admit.NewGate(2, 8, time.Second))
			ctx := context.Background()
			if err := s.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			for _, tl := range all {
				xy := maptile.At(tl.at, maptile.Zoom(tl.z))
				if _, _, _, err := s.Tile(ctx, "roads", tl.z, int(xy.X), int(xy.Y), tiles.Filter{}); err != nil {
					t.Fatal(err)
				}
			}
			c.writes(src)
			if err := s.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			want := map[tile]bool{}
			for _, tl := range c.dropped {
				want[tl] = true
			}
			for _, tl := range all {
				xy := maptile.At(tl.at, maptile.Zoom(tl.z))
				if cached := s.Cached("roads", tl.z, int(xy.X), int(xy.Y), tiles.Filter{}); cached == want[tl] {
					t.Errorf("z%d tile at %v: cached %v, want dropped %v", tl.z, tl.at, cached, want[tl])
				}
			}
		})
	}
}
