package tiles

import "fmt"

// TileJSON is a TileJSON 3.0.0 document of a layer set. Its fields are in
// the alphabetical order of their keys, the order the document had when it
// was a map, so its JSON is unchanged.
type TileJSON struct {
	Attribution  string    `json:"attribution"`
	Bounds       []float64 `json:"bounds,omitempty"` // [w, s, e, n] degrees; absent when nothing is loaded
	Center       []float64 `json:"center,omitempty"` // [lon, lat, zoom]
	Description  string    `json:"description"`
	MaxZoom      int       `json:"maxzoom"`
	MinZoom      int       `json:"minzoom"`
	Name         string    `json:"name"`
	Scheme       string    `json:"scheme"`
	TileJSON     string    `json:"tilejson"`
	Tiles        []string  `json:"tiles"`
	VectorLayers []Layer   `json:"vector_layers"`
	Version      string    `json:"version"`
}

// TileJSON returns the TileJSON of set, whose tiles are served under
// baseURL (scheme and host, e.g. "http://127.0.0.1:8080"). Its tile URL
// carries the data version, so tiles can be cached as immutable: any change
// of the data yields new URLs. The error is an *UnknownSetError.
func (s *Service) TileJSON(set, baseURL string) (TileJSON, error) {
	layers, ok := SetLayers(set)
	if !ok {
		return TileJSON{}, &UnknownSetError{Set: set}
	}
	s.mu.RLock()
	bounds, credit := s.bounds, s.attribution
	s.mu.RUnlock()
	minZoom := MaxZoom
	for _, l := range layers {
		minZoom = min(minZoom, l.MinZoom)
	}
	doc := TileJSON{
		TileJSON: "3.0.0",
		Name:     "gapmap " + set,
		// Whether the geometry is synthetic is the data's to say: the
		// attribution carries it from the sources (Source.Attribution).
		Description:  "gapmap 村级基础设施缺口",
		Version:      "1.0.0",
		Scheme:       "xyz",
		Tiles:        []string{fmt.Sprintf("%s/tiles/%s/{z}/{x}/{y}.mvt?v=%s", baseURL, set, s.version(layers))},
		MinZoom:      minZoom,
		MaxZoom:      MaxZoom,
		VectorLayers: layers,
		Attribution:  credit,
	}
	if bounds != nil {
		doc.Bounds = bounds[:]
		doc.Center = []float64{(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, 10}
	}
	return doc, nil
}

// Style returns a MapLibre style for the bureau's review map, reading the
// tiles' TileJSON under baseURL: villages coloured by composite gap (grey
// when 数据不足), roads
// by surface, lines by voltage.
func Style(baseURL string) map[string]any {
	// A composite the tiles list as unknown (数据不足) is grey like no score,
	// never a colour of the ramp.
	gapColour := []any{"case", []any{"in", "综合", []any{"coalesce", []any{"get", "unknown"}, ""}}, "#bbbbbb",
		[]any{"interpolate", []any{"linear"}, []any{"coalesce", []any{"get", "composite"}, -1}, -1, "#bbbbbb",
			0, "#1a9850", 50, "#fee08b", 100, "#d73027"}}
	surface := []any{"match", []any{"get", "surface"}, "沥青", "#444444", "水泥", "#777777", "砂石", "#c8872e", "土", "#8c510a", "#999999"}
	return map[string]any{
		"version": 8,
		"name":    "gapmap 审核图",
		"sources": map[string]any{"gapmap": map[string]any{"type": "vector", "url": baseURL + "/tiles/all.json", "promoteId": "id"}},
		"layers": []any{
			map[string]any{"id": "background", "type": "background", "paint": map[string]any{"background-color": "#f4f1ea"}},
			styleLayer("villages-fill", "fill", "villages", map[string]any{"fill-color": gapColour, "fill-opacity": 0.55},
				[]any{"==", []any{"geometry-type"}, "Polygon"}),
			styleLayer("villages-point", "circle", "villages", map[string]any{"circle-color": gapColour,
				"circle-radius": []any{"case", []any{"get", "is_poor"}, 6, 3}}, []any{"==", []any{"geometry-type"}, "Point"}),
			styleLayer("townships", "line", "townships", map[string]any{"line-color": "#6a3d9a", "line-width": 1, "line-dasharray": []any{3, 2}}, nil),
			styleLayer("county", "line", "county", map[string]any{"line-color": "#333333", "line-width": 2}, nil),
			styleLayer("reservoirs", "fill", "reservoirs", map[string]any{"fill-color": "#6baed6"}, nil),
			styleLayer("water_mains", "line", "water_mains", map[string]any{"line-color": "#2171b5", "line-width": 1}, nil),
			styleLayer("roads", "line", "roads", map[string]any{"line-color": surface,
				"line-width": []any{"match", []any{"get", "grade"}, "高速", 3, "国道", 2.5, "省道", 2, "县道", 1.5, 1}}, nil),
			styleLayer("power_lines", "line", "power_lines", map[string]any{"line-color": []any{"step", []any{"get", "voltage_kv"},
				"#fdae6b", 10, "#f16913", 35, "#d94801", 110, "#7f2704"}, "line-width": 1}, nil),
			styleLayer("substations", "circle", "substations", map[string]any{"circle-color": "#7f2704", "circle-radius": 5}, nil),
			styleLayer("water_works", "circle", "water_works", map[string]any{"circle-color": "#08519c", "circle-radius": 4}, nil),
			styleLayer("pv_stations", "circle", "pv_stations", map[string]any{"circle-color": "#ffd92f", "circle-radius": 4}, nil),
			styleLayer("tourism_sites", "circle", "tourism_sites", map[string]any{"circle-color": "#e7298a", "circle-radius": 4}, nil),
		},
	}
}

func styleLayer(id, typ, sourceLayer string, paint map[string]any, filter []any) map[string]any {
	l := map[string]any{"id": id, "type": typ, "source": "gapmap", "source-layer": sourceLayer, "paint": paint}
	if filter != nil {
		l["filter"] = filter
	}
	return l
}
