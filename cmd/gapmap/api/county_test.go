package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

// TestCountyAPI sets a county up through the API as the page would: init
// from its code, the villages listed as 未定位 without geometry, one
// placed on the map, the county's state; a wrong code and another county
// are refused in Chinese.
func TestCountyAPI(t *testing.T) {
	db := datatest.New(t)
	r := newRouter(t, db.Store)

	rec := send(t, r, http.MethodPost, "/api/v1/county/init", `{"code": "430699"}`)
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "430699") {
		t.Errorf("unknown code: %d %s", rec.Code, rec.Body)
	}
	rec = send(t, r, http.MethodPost, "/api/v1/county/init", `{"code": "430682"}`)
	res := decode[planning.CountyInit](t, rec)
	if rec.Code != http.StatusOK || res.Name != "临湘市" || res.AddedVillages != 161 || res.Unlocated != 161 {
		t.Fatalf("init: %d %s", rec.Code, rec.Body)
	}
	rec = send(t, r, http.MethodPost, "/api/v1/county/init", `{"code": "430602"}`)
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "临湘市") {
		t.Errorf("another county: %d %s", rec.Code, rec.Body)
	}

	type fc struct {
		Total    int `json:"total"`
		Features []struct {
			Geometry   json.RawMessage `json:"geometry"`
			Properties map[string]any  `json:"properties"`
		} `json:"features"`
	}
	list := decode[fc](t, get(t, r, "/api/v1/villages?page_size=1000"))
	if list.Total != 161 || len(list.Features) != 161 {
		t.Fatalf("villages: %d of %d", len(list.Features), list.Total)
	}
	for _, f := range list.Features {
		if string(f.Geometry) != "null" || f.Properties["location"] != "未定位" || f.Properties["location_source"] != "init" {
			t.Fatalf("village %v: geometry %s", f.Properties, f.Geometry)
		}
	}

	rec = send(t, r, http.MethodPut, "/api/v1/villages/430682001001/location", `{"lon": 113.46, "lat": 29.47}`)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"location":"已定位"`) ||
		!strings.Contains(rec.Body.String(), `"location_source":"map"`) || !strings.Contains(rec.Body.String(), `[113.46,29.47]`) {
		t.Errorf("locate: %d %s", rec.Code, rec.Body)
	}
	rec = send(t, r, http.MethodPut, "/api/v1/villages/430682001001/location", `{"lon": 113.46}`)
	if rec.Code != http.StatusBadRequest {
		t.Errorf("locate without lat: %d %s", rec.Code, rec.Body)
	}

	county := decode[planning.County](t, get(t, r, "/api/v1/county"))
	if county.Code != "430682" || county.Name != "临湘市" || county.Synthetic || county.Villages != 161 || county.Unlocated != 160 {
		t.Errorf("county: %+v", county)
	}
	// The targets are the county's: none yet.
	targets := decode[struct {
		Targets []planning.TargetRow `json:"targets"`
	}](t, get(t, r, "/api/v1/projects/targets"))
	for _, tr := range targets.Targets {
		if tr.Target != 0 {
			t.Errorf("target %s = %g for a county without targets", tr.Key, tr.Target)
		}
	}
}
