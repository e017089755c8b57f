package api

import (
	"net/http"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/planning"
)

// county answers GET /api/v1/county: the county being set up, whether any
// loaded geometry is synthetic (from the source rows) and how many of its
// villages are 未定位. The page's 合成数据 badge reads it.
func (s *server) county(w http.ResponseWriter, r *http.Request) error {
	c, err := s.store.SetupCounty(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

// initCounty answers POST /api/v1/county/init {"code": "430682",
// "replace": false}: `gapmap county init`.
func (s *server) initCounty(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Code    string `json:"code"`
		Replace bool   `json:"replace"`
	}
	if err := decodeBody(r, &body, `{"code": "430682", "replace": false}`); err != nil {
		return err
	}
	res, err := s.store.InitCounty(r.Context(), body.Code, body.Replace)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

// locateVillage answers PUT /api/v1/villages/{code}/location {"lon":
// 113.45, "lat": 29.48} (CGCS2000/WGS84 degrees): the 村委会 placed on the
// map, recorded as location_source "map".
func (s *server) locateVillage(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Lon *float64 `json:"lon"`
		Lat *float64 `json:"lat"`
	}
	if err := decodeBody(r, &body, `{"lon": 113.45, "lat": 29.48}`); err != nil {
		return err
	}
	if body.Lon == nil || body.Lat == nil {
		return planning.Errorf(planning.EInvalid, `请求体应含经纬度：{"lon": 113.45, "lat": 29.48}`)
	}
	code, err := villageCodeParam(r)
	if err != nil {
		return err
	}
	if err := s.store.LocateVillage(r.Context(), code, orb.Point{*body.Lon, *body.Lat}, planning.LocationMap); err != nil {
		return err
	}
	v, err := s.store.Village(r.Context(), code)
	if err != nil {
		return err
	}
	return writeGeoJSON(w, villageFeature(&v, "office"))
}
