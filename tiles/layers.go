package tiles

import (
	"slices"

	"github.com/gapmap/gapmap/data/catalog"
)

// Layer describes one vector-tile layer: its zoom range and fields, for
// validation and TileJSON. The SQL that fills it is in the same entry of
// the layer catalogue (data/catalog), which the Source runs.
type Layer struct {
	ID      string            `json:"id"`          // MVT layer name
	Title   string            `json:"description"` // Chinese, shown in the map's legend
	MinZoom int               `json:"minzoom"`
	MaxZoom int               `json:"maxzoom"` // the most detailed zoom: no feature is ever dropped here
	Fields  map[string]string `json:"fields"`  // field name → "Number", "String" or "Boolean"
	// Tables are the stored layers whose changes change this layer's tiles.
	Tables []string `json:"-"`
	// Table is the table whose rows the layer draws: a write to it
	// changes only the tiles its rows' boxes touch (the source's
	// [Source.Changes]); a write to any other of Tables may change any tile.
	Table string `json:"-"`
	// LowBelow, when set, is the zoom below which the layer is drawn from
	// a table derived from Table (LowTable, versioned by the version of
	// Table it is current with) while that table is current, and from
	// Table otherwise. A write on record keeps it current and records
	// where it changed it; a whole rebuild changes every tile below
	// LowBelow (see Service.stale).
	LowBelow int    `json:"-"`
	LowTable string `json:"-"`
}

// MaxZoom is the most detailed zoom of every layer; higher zooms are
// over-zoomed by the client.
const MaxZoom = 14

// Layers is the registry of tile layers, bottom to top: the tile layers
// of the built-in catalogue.
var Layers = CatalogLayers(catalog.Default())

// LayerSets name groups of layers served together: the sets the
// catalogue's entries join, and "all". Every layer is also a set of its
// own.
var LayerSets = layerSets(catalog.Default())

// CatalogLayers returns the tile layers of c's entries, in c's order.
func CatalogLayers(c *catalog.Catalog) []Layer {
	var out []Layer
	for _, l := range c.Layers() {
		t := l.Tile
		if t == nil {
			continue
		}
		maxZoom := t.MaxZoom
		if maxZoom == 0 {
			maxZoom = MaxZoom
		}
		tl := Layer{ID: t.ID, Title: t.Title, MinZoom: t.MinZoom, MaxZoom: maxZoom, Fields: t.Fields(), Tables: slices.Clone(t.Tables), Table: l.Table}
		if t.SQL.Low != nil {
			tl.LowBelow, tl.LowTable = t.SQL.LowBelow, catalog.LowZoomTable(l.Table)
			tl.Tables = append(tl.Tables, tl.LowTable)
		}
		out = append(out, tl)
	}
	return out
}

func layerSets(c *catalog.Catalog) map[string][]string {
	sets := map[string][]string{}
	for _, l := range c.Layers() {
		if l.Tile == nil {
			continue
		}
		for _, s := range slices.Concat(l.Tile.Sets, []string{"all"}) {
			sets[s] = append(sets[s], l.Tile.ID)
		}
	}
	return sets
}

// layerByID finds a layer of the registry.
func layerByID(id string) (Layer, bool) {
	for _, l := range Layers {
		if l.ID == id {
			return l, true
		}
	}
	return Layer{}, false
}

// LayersAt returns the layers of ls drawn at zoom z (MinZoom ≤ z ≤
// MaxZoom), in their order. It is the one zoom filter: [Service] and [Pack]
// ask a [Source] only for these.
func LayersAt(ls []Layer, z int) []Layer {
	var out []Layer
	for _, l := range ls {
		if z >= l.MinZoom && z <= l.MaxZoom {
			out = append(out, l)
		}
	}
	return out
}

// SetLayers returns the layers of a set, in registry order, or false.
func SetLayers(set string) ([]Layer, bool) {
	ids, ok := LayerSets[set]
	if !ok {
		if l, ok := layerByID(set); ok {
			return []Layer{l}, true
		}
		return nil, false
	}
	out := make([]Layer, 0, len(ids))
	for _, id := range ids {
		l, _ := layerByID(id)
		out = append(out, l)
	}
	return out, true
}

// setZooms is a layer set's layers, all and per zoom 0..MaxZoom.
type setZooms struct {
	all  []Layer
	zoom [MaxZoom + 1][]Layer
}

// zoomSets holds every layer set's and layer's setZooms, computed once
// from the registry: a tile request reads its layers from here without
// building the lists again (SetLayers and LayersAt allocate on each call).
// The slices are shared and read-only.
var zoomSets = func() map[string]*setZooms {
	out := map[string]*setZooms{}
	add := func(name string) {
		ls, _ := SetLayers(name)
		sz := &setZooms{all: ls}
		for z := range sz.zoom {
			sz.zoom[z] = LayersAt(ls, z)
		}
		out[name] = sz
	}
	for set := range LayerSets {
		add(set)
	}
	for _, l := range Layers {
		if _, ok := out[l.ID]; !ok {
			add(l.ID)
		}
	}
	return out
}()

// layersAt returns set's layers and those drawn at zoom z, shared and
// read-only, or false for an unknown set.
func layersAt(set string, z int) (all, at []Layer, ok bool) {
	sz, ok := zoomSets[set]
	if !ok {
		return nil, nil, false
	}
	if z >= 0 && z <= MaxZoom {
		at = sz.zoom[z]
	}
	return sz.all, at, true
}

// KnownSet reports whether set names a layer set or a layer.
func KnownSet(set string) bool {
	_, ok := zoomSets[set]
	return ok
}
