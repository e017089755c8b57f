package api

import (
	"net/http"
	"regexp"
	"strconv"

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
	if v := q.Get("poor"); v != "" {
		poor, err := strconv.ParseBool(v)
		if err != nil {
			return f, "", planning.Errorf(planning.EInvalid, "参数 poor 应为 true 或 false，收到 %q", v)
		}
		f.PoorOnly = poor
	}
	page, err := intParam(q.Get("page"), "page", 1, 1, 1<<20)
	if err != nil {
		return f, "", err
	}
	if f.Limit, err = intParam(q.Get("page_size"), "page_size", planning.DefaultPageSize, 1, planning.MaxPageSize); err != nil {
		return f, "", err
	}
	f.Offset = (page - 1) * f.Limit
	geometry := q.Get("geometry")
	switch geometry {
	case "":
		geometry = "office"
	case "office", "outline":
	default:
		return f, "", planning.Errorf(planning.EInvalid, "参数 geometry 应为 office（村委会点）或 outline（村界），收到 %q", geometry)
	}
	return f, geometry, nil
}

var villageCode = regexp.MustCompile(`^[0-9]{12}$`)

func (s *server) village(w http.ResponseWriter, r *http.Request) error {
	code := mux.Vars(r)["code"]
	if !villageCode.MatchString(code) {
		return planning.Errorf(planning.EInvalid, "村代码应为12位统计用区划代码，收到 %q", code)
	}
	geometry := r.URL.Query().Get("geometry")
	if geometry != "" && geometry != "office" && geometry != "outline" {
		return planning.Errorf(planning.EInvalid, "参数 geometry 应为 office（村委会点）或 outline（村界），收到 %q", geometry)
	}
	v, err := s.store.Village(r.Context(), code)
	if err != nil {
		return err
	}
	return writeGeoJSON(w, villageFeature(&v, geometry))
}

// villageFeature renders v as a GeoJSON feature whose geometry is the 村委会
// point, or the outline when asked for and known.
func villageFeature(v *planning.Village, geometry string) *geojson.Feature {
	var g orb.Geometry = v.Office
	if geometry == "outline" && v.Outline != nil {
		g = v.Outline
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
	}
	return f
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
