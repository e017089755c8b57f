package planning

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb/geojson"
)

// registerScoring mounts the scoring routes on the API subrouter.
func (h *Handler) registerScoring(api *mux.Router) {
	api.Handle("/scoring-runs", h.adapt(h.createRun)).Methods(http.MethodPost)
	api.Handle("/scoring-runs/{id:[0-9]+}", h.adapt(h.getRun)).Methods(http.MethodGet)
	api.Handle("/scoring-runs/{a:[0-9]+}/diff/{b:[0-9]+}", h.adapt(h.diffRuns)).Methods(http.MethodGet)
	api.Handle("/villages/{code}/gaps", h.adapt(h.villageGaps)).Methods(http.MethodGet)
	api.Handle("/gaps", h.adapt(h.gaps)).Methods(http.MethodGet)
}

// maxProfileBytes bounds a posted county profile.
const maxProfileBytes = 1 << 20

// createRun scores the county. The optional JSON body is
// {"profile": {…county overrides…}, "as_of": "YYYY-MM-DD", "full": false}:
// by default only the villages changed data can affect are re-scored.
func (h *Handler) createRun(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Profile json.RawMessage `json:"profile"`
		AsOf    string          `json:"as_of"`
		Full    bool            `json:"full"`
	}
	if err := decodeBody(r, &body, `{"profile": {…}, "as_of": "YYYY-MM-DD", "full": false}`); err != nil {
		return err
	}
	p := DefaultProfile()
	var err error
	if len(body.Profile) > 0 && string(body.Profile) != "null" {
		if p, err = ParseProfile(strings.NewReader(string(body.Profile))); err != nil {
			return err
		}
	}
	asOf := time.Now().UTC().Truncate(24 * time.Hour)
	if body.AsOf != "" {
		if asOf, err = time.Parse(time.DateOnly, body.AsOf); err != nil {
			return Errorf(EInvalid, "as_of 应为日期 YYYY-MM-DD，收到 %q", body.AsOf)
		}
	}
	run, _, err := Score(r.Context(), h.store, p, asOf, body.Full, nil)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/scoring-runs/%d", run.ID))
	return writeJSON(w, http.StatusCreated, run)
}

func (h *Handler) getRun(w http.ResponseWriter, r *http.Request) error {
	id, _ := strconv.ParseInt(mux.Vars(r)["id"], 10, 64)
	run, err := h.store.Run(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, run)
}

func (h *Handler) diffRuns(w http.ResponseWriter, r *http.Request) error {
	a, _ := strconv.ParseInt(mux.Vars(r)["a"], 10, 64)
	b, _ := strconv.ParseInt(mux.Vars(r)["b"], 10, 64)
	diffs, err := h.store.DiffRuns(r.Context(), a, b)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"from": a, "to": b, "changed": len(diffs), "villages": diffs})
}

// runParam reads ?run=ID, defaulting to the latest run.
func (h *Handler) runParam(r *http.Request) (int64, error) {
	v := r.URL.Query().Get("run")
	if v == "" {
		run, err := h.store.LatestRun(r.Context())
		return run.ID, err
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 1 {
		return 0, Errorf(EInvalid, "参数 run 应为评分批次编号，收到 %q", v)
	}
	return id, nil
}

// villageGaps returns the village's breakdown, exit checklist and the
// geometry that explains each indicator as a GeoJSON FeatureCollection.
func (h *Handler) villageGaps(w http.ResponseWriter, r *http.Request) error {
	code := mux.Vars(r)["code"]
	if !villageCode.MatchString(code) {
		return Errorf(EInvalid, "村代码应为12位统计用区划代码，收到 %q", code)
	}
	runID, err := h.runParam(r)
	if err != nil {
		return err
	}
	vs, err := h.store.VillageGaps(r.Context(), runID, code)
	if err != nil {
		return err
	}
	fc := geojson.NewFeatureCollection()
	for _, d := range vs.Dimensions {
		for _, is := range d.Indicators {
			if is.Geometry == nil {
				continue
			}
			f := geojson.NewFeature(is.Geometry)
			f.Properties = geojson.Properties{"indicator": is.ID, "name": is.Name, "dimension": is.Dimension,
				"status": is.Status, "value": is.Value, "unit": is.Unit, "note": is.Note}
			fc.Append(f)
		}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"run_id": runID, "village": vs, "explain": fc})
}

// gaps lists villages by gap, worst first:
// ?dimension=通路&township=&min_score=&poor=&sort=&page=&page_size=.
func (h *Handler) gaps(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	for key := range q {
		switch key {
		case "dimension", "township", "min_score", "poor", "sort", "page", "page_size", "run":
		default:
			return Errorf(EInvalid, "未知的查询参数 %q；可用参数：dimension, township, min_score, poor, sort, page, page_size, run", key)
		}
	}
	f := GapFilter{Dimension: q.Get("dimension"), Township: q.Get("township")}
	if s := q.Get("sort"); s != "" {
		// sort names the gap to order by; it must agree with dimension when both are given.
		if f.Dimension != "" && s != f.Dimension {
			return Errorf(EInvalid, "参数 sort（%s）与 dimension（%s）不一致", s, f.Dimension)
		}
		f.Dimension = s
		if s == "综合" {
			f.Dimension = ""
		}
	}
	if f.Dimension == "综合" {
		f.Dimension = ""
	}
	var err error
	if v := q.Get("min_score"); v != "" {
		if f.MinScore, err = strconv.ParseFloat(v, 64); err != nil || f.MinScore < 0 || f.MinScore > 100 {
			return Errorf(EInvalid, "参数 min_score 应为 0 到 100 之间的数，收到 %q", v)
		}
	}
	if v := q.Get("poor"); v != "" {
		if f.PoorOnly, err = strconv.ParseBool(v); err != nil {
			return Errorf(EInvalid, "参数 poor 应为 true 或 false，收到 %q", v)
		}
	}
	page, err := intParam(q.Get("page"), "page", 1, 1, 1<<20)
	if err != nil {
		return err
	}
	if f.Limit, err = intParam(q.Get("page_size"), "page_size", DefaultPageSize, 1, MaxPageSize); err != nil {
		return err
	}
	f.Offset = (page - 1) * f.Limit
	if f.RunID, err = h.runParam(r); err != nil {
		return err
	}
	rows, total, err := h.store.Gaps(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"run_id": f.RunID, "total": total, "page": page, "page_size": f.Limit, "villages": rows})
}
