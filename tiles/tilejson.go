package tiles

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb/maptile"
)

// tileBounds returns the lon/lat bounds (w, s, e, n) of tile z/x/y.
func tileBounds(z, x, y int) (w, s, e, n float64) {
	b := maptile.New(uint32(x), uint32(y), maptile.Zoom(z)).Bound()
	return b.Min[0], b.Min[1], b.Max[0], b.Max[1]
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// tileJSON serves TileJSON 3.0.0 for a layer set. Its tile URL carries the
// data version, so tiles can be cached as immutable: any change of the
// data yields new URLs.
func (s *Server) tileJSON(w http.ResponseWriter, r *http.Request) {
	set := mux.Vars(r)["set"]
	layers, ok := SetLayers(set)
	if !ok {
		s.writeError(w, r, &requestError{http.StatusNotFound, fmt.Sprintf("没有图层或图层组 %q", set)})
		return
	}
	s.mu.RLock()
	bounds, credit := s.bounds, s.attribution
	s.mu.RUnlock()
	minZoom := MaxZoom
	for _, l := range layers {
		minZoom = min(minZoom, l.MinZoom)
	}
	doc := map[string]any{
		"tilejson":      "3.0.0",
		"name":          "gapmap " + set,
		"description":   "gapmap 村级基础设施缺口（演示县几何为合成数据）",
		"version":       "1.0.0",
		"scheme":        "xyz",
		"tiles":         []string{fmt.Sprintf("%s/tiles/%s/{z}/{x}/{y}.mvt?v=%s", baseURL(r), set, s.version(layers))},
		"minzoom":       minZoom,
		"maxzoom":       MaxZoom,
		"vector_layers": layers,
		"attribution":   credit,
	}
	if bounds != nil {
		doc["bounds"] = bounds[:]
		doc["center"] = []float64{(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, 10}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_ = json.NewEncoder(w).Encode(doc)
}

// style serves a MapLibre style for the bureau's review map: villages
// coloured by composite gap, roads by surface, lines by voltage.
func (s *Server) style(w http.ResponseWriter, r *http.Request) {
	gapColour := []any{"interpolate", []any{"linear"}, []any{"coalesce", []any{"get", "composite"}, -1}, -1, "#bbbbbb",
		0, "#1a9850", 50, "#fee08b", 100, "#d73027"}
	surface := []any{"match", []any{"get", "surface"}, "沥青", "#444444", "水泥", "#777777", "砂石", "#c8872e", "土", "#8c510a", "#999999"}
	doc := map[string]any{
		"version": 8,
		"name":    "gapmap 审核图",
		"sources": map[string]any{"gapmap": map[string]any{"type": "vector", "url": baseURL(r) + "/tiles/all.json", "promoteId": "id"}},
		"layers": []any{
			map[string]any{"id": "background", "type": "background", "paint": map[string]any{"background-color": "#f4f1ea"}},
			layer("villages-fill", "fill", "villages", map[string]any{"fill-color": gapColour, "fill-opacity": 0.55},
				[]any{"==", []any{"geometry-type"}, "Polygon"}),
			layer("villages-point", "circle", "villages", map[string]any{"circle-color": gapColour,
				"circle-radius": []any{"case", []any{"get", "is_poor"}, 6, 3}}, []any{"==", []any{"geometry-type"}, "Point"}),
			layer("townships", "line", "townships", map[string]any{"line-color": "#6a3d9a", "line-width": 1, "line-dasharray": []any{3, 2}}, nil),
			layer("county", "line", "county", map[string]any{"line-color": "#333333", "line-width": 2}, nil),
			layer("reservoirs", "fill", "reservoirs", map[string]any{"fill-color": "#6baed6"}, nil),
			layer("water_mains", "line", "water_mains", map[string]any{"line-color": "#2171b5", "line-width": 1}, nil),
			layer("roads", "line", "roads", map[string]any{"line-color": surface,
				"line-width": []any{"match", []any{"get", "grade"}, "高速", 3, "国道", 2.5, "省道", 2, "县道", 1.5, 1}}, nil),
			layer("power_lines", "line", "power_lines", map[string]any{"line-color": []any{"step", []any{"get", "voltage_kv"},
				"#fdae6b", 10, "#f16913", 35, "#d94801", 110, "#7f2704"}, "line-width": 1}, nil),
			layer("substations", "circle", "substations", map[string]any{"circle-color": "#7f2704", "circle-radius": 5}, nil),
			layer("water_works", "circle", "water_works", map[string]any{"circle-color": "#08519c", "circle-radius": 4}, nil),
			layer("pv_stations", "circle", "pv_stations", map[string]any{"circle-color": "#ffd92f", "circle-radius": 4}, nil),
			layer("tourism_sites", "circle", "tourism_sites", map[string]any{"circle-color": "#e7298a", "circle-radius": 4}, nil),
		},
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(doc)
}

func layer(id, typ, sourceLayer string, paint map[string]any, filter []any) map[string]any {
	l := map[string]any{"id": id, "type": typ, "source": "gapmap", "source-layer": sourceLayer, "paint": paint}
	if filter != nil {
		l["filter"] = filter
	}
	return l
}
