package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb/geojson"

	"github.com/gapmap/gapmap/planning"
)

// createRun scores the county. The optional JSON body is
// {"profile": {…county overrides…}, "as_of": "YYYY-MM-DD", "full": false}:
// by default only the villages changed data can affect are re-scored.
// With Prefer: respond-async it answers 202 and a job (jobs.go).
func (s *server) createRun(w http.ResponseWriter, r *http.Request) error {
	if err := extendDeadlines(w, r, false); err != nil {
		s.log.Warn("scoring run keeps the server's write timeout", "err", err, "request_id", requestID(r.Context()))
	}
	var body struct {
		Profile json.RawMessage `json:"profile"`
		AsOf    string          `json:"as_of"`
		Full    bool            `json:"full"`
	}
	if err := decodeBody(r, &body, `{"profile": {…}, "as_of": "YYYY-MM-DD", "full": false}`); err != nil {
		return err
	}
	var file io.Reader
	if len(body.Profile) > 0 && string(body.Profile) != "null" {
		file = strings.NewReader(string(body.Profile))
	}
	p, err := planning.CountyProfile(r.Context(), s.store, file)
	if err != nil {
		return err
	}
	asOf := time.Now().UTC().Truncate(24 * time.Hour)
	if body.AsOf != "" {
		if asOf, err = planning.ParseAsOf(body.AsOf); err != nil {
			return err
		}
	}
	return s.heavy(w, r, planning.JobScore, func(ctx context.Context, progress func(planning.JobProgress)) (reply, error) {
		run, _, err := planning.ScoreOn(ctx, s.store, p, asOf, body.Full, planning.ScoreProgress(progress))
		if err != nil {
			return reply{}, err
		}
		return reply{status: http.StatusCreated, body: run, location: fmt.Sprintf("/api/v1/scoring-runs/%d", run.ID)}, nil
	}, nil)
}

func (s *server) getRun(w http.ResponseWriter, r *http.Request) error {
	id, err := idVar(r, "id", "评分批次")
	if err != nil {
		return err
	}
	run, err := s.store.Run(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, run)
}

func (s *server) diffRuns(w http.ResponseWriter, r *http.Request) error {
	a, err := idVar(r, "a", "评分批次")
	if err != nil {
		return err
	}
	b, err := idVar(r, "b", "评分批次")
	if err != nil {
		return err
	}
	diffs, err := s.store.DiffRuns(r.Context(), a, b)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"from": a, "to": b, "changed": len(diffs), "villages": diffs})
}

// runOf answers the run of a date, ?as_of=YYYY-MM-DD (planning.RunOn):
// {"as_of": D, "run": {…}}, or "run": null when D has none, so that a page
// can say the date has no scores before asking for them.
func (s *server) runOf(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	for key := range q {
		if key != "as_of" {
			return planning.Errorf(planning.EInvalid, "未知的查询参数 %q；可用参数：as_of", key)
		}
	}
	day, err := planning.ParseAsOf(q.Get("as_of"))
	if err != nil {
		return err
	}
	id, err := planning.RunOn(r.Context(), s.store, day)
	if planning.ErrorCode(err) == planning.ENotFound {
		id, err = 0, nil
	}
	if err != nil {
		return err
	}
	var run *planning.Run
	if id != 0 {
		got, err := s.store.Run(r.Context(), id)
		if err != nil {
			return err
		}
		run = &got
	}
	return writeJSON(w, http.StatusOK, map[string]any{"as_of": day.Format(time.DateOnly), "run": run})
}

// runParam reads ?run=ID or ?as_of=YYYY-MM-DD (the run of that date,
// planning.RunOn: what the map's tiles of that date show), defaulting to
// the latest run. A past date without its run is a 404 that says so: the
// past is never answered with today's scores.
func (s *server) runParam(r *http.Request) (int64, error) {
	q := r.URL.Query()
	v := q.Get("run")
	if d := q.Get("as_of"); d != "" {
		if v != "" {
			return 0, planning.Errorf(planning.EInvalid, "参数 run 与 as_of 只能给一个")
		}
		day, err := planning.ParseAsOf(d)
		if err != nil {
			return 0, err
		}
		id, err := planning.RunOn(r.Context(), s.store, day)
		if err == nil && id == 0 {
			err = planning.Errorf(planning.ENotFound, "%s 没有评分结果：请先按该日期评分（gapmap score --as-of %s，或查看逐年进展时生成年末评分）", d, d)
		}
		return id, err
	}
	if v == "" {
		run, err := s.store.LatestRun(r.Context())
		return run.ID, err
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 1 {
		return 0, planning.Errorf(planning.EInvalid, "参数 run 应为评分批次编号，收到 %q", v)
	}
	return id, nil
}

// villageGaps returns the village's breakdown, exit checklist and the
// geometry that explains each indicator as a GeoJSON FeatureCollection.
func (s *server) villageGaps(w http.ResponseWriter, r *http.Request) error {
	code, err := villageCodeParam(r)
	if err != nil {
		return err
	}
	runID, err := s.runParam(r)
	if err != nil {
		return err
	}
	vs, err := s.store.VillageGaps(r.Context(), runID, code)
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
	return writeJSON(w, http.StatusOK, map[string]any{"run_id": runID, "village": vs, "unknown": vs.UnknownGaps(), "explain": fc})
}

// gaps lists villages by gap, worst first:
// ?dimension=通路&township=&min_score=&poor=&sort=&page=&page_size=.
func (s *server) gaps(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	for key := range q {
		switch key {
		case "dimension", "township", "min_score", "poor", "sort", "page", "page_size", "run", "as_of":
		default:
			return planning.Errorf(planning.EInvalid, "未知的查询参数 %q；可用参数：dimension, township, min_score, poor, sort, page, page_size, run, as_of", key)
		}
	}
	f := planning.GapFilter{Dimension: q.Get("dimension"), Township: q.Get("township")}
	if by := q.Get("sort"); by != "" {
		// sort names the gap to order by; it must agree with dimension when both are given.
		if f.Dimension != "" && by != f.Dimension {
			return planning.Errorf(planning.EInvalid, "参数 sort（%s）与 dimension（%s）不一致", by, f.Dimension)
		}
		f.Dimension = by
		if by == "综合" {
			f.Dimension = ""
		}
	}
	if f.Dimension == "综合" {
		f.Dimension = ""
	}
	var err error
	if f.MinScore, err = minScoreParam(q); err != nil {
		return err
	}
	if f.PoorOnly, err = boolParam(q, "poor"); err != nil {
		return err
	}
	var page int
	if page, f.Limit, f.Offset, err = pageParams(q); err != nil {
		return err
	}
	if f.RunID, err = s.runParam(r); err != nil {
		return err
	}
	rows, total, err := s.store.Gaps(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"run_id": f.RunID, "total": total, "page": page, "page_size": f.Limit, "villages": rows})
}
