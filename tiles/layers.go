package tiles

// Layer describes one vector-tile layer: its zoom range and fields, for
// validation and TileJSON. The SQL that fills it lives with the Source.
type Layer struct {
	ID      string            `json:"id"`          // MVT layer name
	Title   string            `json:"description"` // Chinese, shown in the map's legend
	MinZoom int               `json:"minzoom"`
	MaxZoom int               `json:"maxzoom"` // the most detailed zoom: no feature is ever dropped here
	Fields  map[string]string `json:"fields"`  // field name → "Number", "String" or "Boolean"
	// Tables are the stored layers whose changes change this layer's tiles.
	Tables []string `json:"-"`
}

// MaxZoom is the most detailed zoom of every layer; higher zooms are
// over-zoomed by the client.
const MaxZoom = 14

// Layers is the fixed registry of tile layers, bottom to top.
var Layers = []Layer{
	{ID: "county", Title: "县界", MinZoom: 0, MaxZoom: MaxZoom, Tables: []string{"counties"},
		Fields: map[string]string{"code": "String", "name": "String"}},
	{ID: "townships", Title: "乡镇界", MinZoom: 7, MaxZoom: MaxZoom, Tables: []string{"townships"},
		Fields: map[string]string{"code": "String", "name": "String"}},
	{ID: "villages", Title: "村（评分）", MinZoom: 8, MaxZoom: MaxZoom, Tables: []string{"villages", "townships", "scores"},
		Fields: map[string]string{"code": "String", "name": "String", "township": "String", "kind": "String",
			"is_poor": "Boolean", "poor_population": "Number", "composite": "Number", "gap_road": "Number",
			"gap_water": "Number", "gap_grid": "Number", "gap_pv": "Number", "missing_weight": "Number",
			"exit_fail": "Number", "exit_no_data": "Number"}},
	{ID: "roads", Title: "道路", MinZoom: 7, MaxZoom: MaxZoom, Tables: []string{"roads"},
		Fields: map[string]string{"grade": "String", "surface": "String", "width_m": "Number", "name": "String", "ref": "String"}},
	{ID: "bridges", Title: "桥梁", MinZoom: 12, MaxZoom: MaxZoom, Tables: []string{"bridges"},
		Fields: map[string]string{"name": "String", "condition_class": "Number", "is_dangerous": "Boolean"}},
	{ID: "bus_stops", Title: "客运站点", MinZoom: 12, MaxZoom: MaxZoom, Tables: []string{"bus_stops"},
		Fields: map[string]string{"name": "String", "routes": "String"}},
	{ID: "reservoirs", Title: "水库", MinZoom: 8, MaxZoom: MaxZoom, Tables: []string{"reservoirs"},
		Fields: map[string]string{"name": "String", "scale": "String", "capacity_wan_m3": "Number",
			"is_drinking_source": "Boolean", "safety_status": "String"}},
	{ID: "water_works", Title: "供水工程", MinZoom: 10, MaxZoom: MaxZoom, Tables: []string{"water_works"},
		Fields: map[string]string{"name": "String", "kind": "String", "design_m3_per_day": "Number",
			"population_served": "Number", "last_test_passed": "Boolean", "guarantee_pct": "Number"}},
	{ID: "water_mains", Title: "供水管网", MinZoom: 12, MaxZoom: MaxZoom, Tables: []string{"water_mains"},
		Fields: map[string]string{"diameter_mm": "Number"}},
	{ID: "substations", Title: "变电站", MinZoom: 8, MaxZoom: MaxZoom, Tables: []string{"substations"},
		Fields: map[string]string{"name": "String", "voltage_kv": "Number", "capacity_mva": "Number"}},
	{ID: "power_lines", Title: "电力线路", MinZoom: 8, MaxZoom: MaxZoom, Tables: []string{"power_lines"},
		Fields: map[string]string{"voltage_kv": "Number", "phases": "Number", "feeder": "String"}},
	{ID: "transformers", Title: "配电变压器", MinZoom: 13, MaxZoom: MaxZoom, Tables: []string{"transformers"},
		Fields: map[string]string{"name": "String", "kva": "Number", "phases": "Number", "households_served": "Number"}},
	{ID: "pv_stations", Title: "光伏电站", MinZoom: 10, MaxZoom: MaxZoom, Tables: []string{"pv_stations"},
		Fields: map[string]string{"name": "String", "kw": "Number", "type": "String", "grid_connected": "Boolean"}},
	{ID: "tourism_sites", Title: "旅游景点", MinZoom: 9, MaxZoom: MaxZoom, Tables: []string{"tourism_sites"},
		Fields: map[string]string{"name": "String", "a_level": "Number", "kind": "String"}},
	{ID: "projects", Title: "项目库", MinZoom: 8, MaxZoom: MaxZoom, Tables: []string{"projects"},
		Fields: map[string]string{"name": "String", "category": "String", "status": "String", "year": "Number", "cost_wan": "Number"}},
}

// LayerSets name groups of layers served together; every layer is also a
// set of its own.
var LayerSets = map[string][]string{
	"review": {"county", "townships", "villages", "roads", "reservoirs", "water_works", "water_mains",
		"substations", "power_lines"},
	"all": layerIDs(),
}

func layerIDs() []string {
	ids := make([]string, len(Layers))
	for i, l := range Layers {
		ids[i] = l.ID
	}
	return ids
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
