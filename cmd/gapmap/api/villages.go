package api

import (
	"net/http"
	"net/url"
	"regexp"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/gapmap/gapmap/planning"
)

// health answers 200 when the database is reachable and migrated, else
// 503 (the store's EUnavailable).
func (s *server) health(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.Ping(r.Context()); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// layers lists every layer with its count and extent.
func (s *server) layers(w http.ResponseWriter, r *http.Request) error {
	layers, err := s.store.Layers(r.Context())
	if err != nil {
		return err
	}
	type layerJSON struct {
		planning.Layer
		Extent *[4]float64 `json:"extent"` // [minlon, minlat, maxlon, maxlat], EPSG:4490
	}
	out := make([]layerJSON, len(layers))
	for i, l := range layers {
		out[i].Layer = l
		if l.Extent != nil {
			out[i].Extent = &[4]float64{l.Extent.Min[0], l.Extent.Min[1], l.Extent.Max[0], l.Extent.Max[1]}
		}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"crs": "EPSG:4490", "layers": out})
}

// villages answers a page of villages as a GeoJSON FeatureCollection.
func (s *server) villages(w http.ResponseWriter, r *http.Request) error {
	f, geometry, err := parseVillageQuery(r)
	if err != nil {
		return err
	}
	page, err := s.store.Villages(r.Context(), f)
	if err != nil {
		return err
	}
	fc := geojson.NewFeatureCollection()
	for i := range page.Villages {
		fc.Append(villageFeature(&page.Villages[i], geometry))
	}
	fc.ExtraMembers = geojson.Properties{
		"total":     page.Total,
		"page":      f.Offset/f.Limit + 1,
		"page_size": f.Limit,
	}
	return writeGeoJSON(w, fc)
}

// parseVillageQuery reads township, poor, page, page_size and geometry.
// Unknown parameters are refused so that a typo does not silently return
// the whole county.
func parseVillageQuery(r *http.Request) (planning.VillageFilter, string, error) {
	q := r.URL.Query()
	f := planning.VillageFilter{Limit: planning.DefaultPageSize}
	for key := range q {
		switch key {
		case "township", "poor", "page", "page_size", "geometry":
		default:
			return f, "", planning.Errorf(planning.EInvalid, "未知的查询参数 %q；可用参数：township, poor, page, page_size, geometry", key)
		}
	}
	f.Township = q.Get("township")
	var err error
	if f.PoorOnly, err = boolParam(q, "poor"); err != nil {
		return f, "", err
	}
	if _, f.Limit, f.Offset, err = pageParams(q); err != nil {
		return f, "", err
	}
	geometry, err := geometryParam(q)
	return f, geometry, err
}

// geometryParam reads ?geometry=: office (the 村委会 point, the default) or
// outline (the village's boundary).
func geometryParam(q url.Values) (string, error) {
	switch geometry := q.Get("geometry"); geometry {
	case "":
		return "office", nil
	case "office", "outline":
		return geometry, nil
	default:
		return "", planning.Errorf(planning.EInvalid, "参数 geometry 应为 office（村委会点）或 outline（村界），收到 %q", geometry)
	}
}

var villageCode = regexp.MustCompile(`^[0-9]{12}$`)

// villageCodeParam returns the route's {code}, a 12-digit village code.
func villageCodeParam(r *http.Request) (string, error) {
	code := mux.Vars(r)["code"]
	if !villageCode.MatchString(code) {
		return "", planning.Errorf(planning.EInvalid, "村代码应为12位统计用区划代码，收到 %q", code)
	}
	return code, nil
}

func (s *server) village(w http.ResponseWriter, r *http.Request) error {
	code, err := villageCodeParam(r)
	if err != nil {
		return err
	}
	geometry, err := geometryParam(r.URL.Query())
	if err != nil {
		return err
	}
	v, err := s.store.Village(r.Context(), code)
	if err != nil {
		return err
	}
	return writeGeoJSON(w, villageFeature(&v, geometry))
}

// villageFeature renders v as a GeoJSON feature whose geometry is the 村委会
// point, or the outline when asked for and known; null for a 未定位
// village, whose location says so.
func villageFeature(v *planning.Village, geometry string) *geojson.Feature {
	var g orb.Geometry
	switch {
	case geometry == "outline" && v.Outline != nil:
		g = v.Outline
	case v.Located:
		g = v.Office
	}
	f := geojson.NewFeature(g)
	f.ID = v.ID
	f.Properties = geojson.Properties{
		"code":            nullString(v.Code),
		"code_year":       v.CodeYear,
		"name":            v.Name,
		"township_code":   v.TownshipCode,
		"township_name":   v.TownshipName,
		"kind":            v.Kind,
		"parent_code":     nullString(v.ParentCode),
		"households":      v.Households,
		"population":      v.Population,
		"is_poor_village": v.IsPoor,
		"poor_households": v.PoorHouseholds,
		"poor_population": v.PoorPopulation,
		"exit_year":       v.ExitYear,
		"location":        locationLabel(v),
		"location_source": v.LocationSource,
	}
	return f
}

// locationLabel is a village's location state as the page and the
// exports show it: 已定位 or 未定位.
func locationLabel(v *planning.Village) string {
	if v.Located {
		return "已定位"
	}
	return "未定位"
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
