package osm

import (
	"fmt"
	"maps"
	"slices"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/data/internal/value"
)

// Layer names a gapmap table that OSM features are mapped to.
type Layer string

// The layers this package fills, named as their tables.
const (
	Roads        Layer = "roads"
	PowerLines   Layer = "power_lines"
	Substations  Layer = "substations"
	Transformers Layer = "transformers"
	Reservoirs   Layer = "reservoirs"
	Villages     Layer = "villages"
	TourismSites Layer = "tourism_sites"
)

// Layers lists every layer this package can fill, in the order the
// importer shows them.
var Layers = []Layer{Villages, Roads, PowerLines, Substations, Transformers, Reservoirs, TourismSites}

// Feature is one OSM element mapped to a gapmap layer. One element can
// yield several features in different layers (a 旅游村 tagged both
// place=village and tourism=attraction), never two in the same layer.
type Feature struct {
	Layer Layer
	// ID is "node/123", "way/456" or "relation/789"; unique per layer
	// within a file and stable across extracts, so it serves as ext_id.
	ID string
	// Geometry is in WGS84 degrees (EPSG:4326, which gapmap stores as
	// 4490 unchanged): orb.LineString for roads and power lines,
	// orb.Polygon or orb.MultiPolygon for reservoirs, orb.Point for the
	// other layers (the area centroid of a closed way).
	Geometry orb.Geometry
	// Attrs holds the layer's columns in gapmap's names and vocabulary:
	// strings, float64 for measures (voltage_kv, width_m, kva,
	// capacity_wan_m3), int64 for phases and bool for is_drinking_source.
	// A column is absent when OSM does not say; see the mapping in doc.go.
	Attrs map[string]any
	// Tags are the element's raw OSM tags, for the importer's report.
	Tags map[string]string
}

// Stats counts what a Reader has read and decided so far; after Next
// returns false it covers the whole file.
type Stats struct {
	Nodes, Ways, Relations int64           // elements in the file
	Features               map[Layer]int64 // features yielded per layer
	// Skipped counts elements that carry a layer's tags but were not
	// yielded, by Chinese reason, e.g. "highway=footway 不是公路" or
	// "引用的节点不在文件中". Only layers asked for are counted.
	Skipped map[string]int64
	// Notes counts features yielded with a value no tag gave, by Chinese
	// note, e.g. "power=line 未标 voltage，电压取自名称" or an unnamed
	// substation's placeholder name.
	Notes map[string]int64
	// Samples holds up to three element IDs per Skipped reason and per
	// note, so a report can point at examples.
	Samples map[string][]string
}

// maxSamples is the number of element IDs kept per skip reason.
const maxSamples = 3

func (s Stats) clone() Stats {
	c := s
	c.Features = maps.Clone(s.Features)
	c.Skipped = maps.Clone(s.Skipped)
	c.Notes = maps.Clone(s.Notes)
	c.Samples = make(map[string][]string, len(s.Samples))
	for k, v := range s.Samples {
		c.Samples[k] = slices.Clone(v)
	}
	return c
}

// Attribution returns the credit line OpenStreetMap's licence requires
// wherever its data is shown; the importer stores it on the source row.
func Attribution() string { return "© OpenStreetMap contributors (ODbL 1.0)" }

// Option configures Open.
type Option func(*options) error

type options struct {
	want map[Layer]bool // nil: every layer
}

// Only restricts a Reader to the given layers, so that one layer can be
// imported from a whole extract. Elements of other layers are neither
// yielded nor counted as skipped, and the passes that only they need are
// not run. Open fails with ErrLayer for a name not in Layers. Only()
// with no layers filters nothing.
func Only(layers ...Layer) Option {
	return func(o *options) error {
		if len(layers) == 0 {
			return nil
		}
		if o.want == nil {
			o.want = make(map[Layer]bool)
		}
		for _, l := range layers {
			if !slices.Contains(Layers, l) {
				return &FormatError{Offset: -1, Err: ErrLayer,
					Reason: fmt.Sprintf("没有名为 %s 的图层（可用：roads、power_lines、substations、transformers、reservoirs、villages、tourism_sites）", value.Quote(string(l)))}
			}
			o.want[l] = true
		}
		return nil
	}
}

// elementID formats an element as OSM's own URLs do.
func elementID(t elemType, id int64) string {
	return fmt.Sprintf("%s/%d", t, id)
}
