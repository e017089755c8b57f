package api

import (
	"net/http"
	"net/url"
	"time"

	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
	"github.com/gapmap/gapmap/planning/table"
)

// progressReport parses from and to (default 2016–2020) and builds the
// progress table under the county's profile, scoring the year-ends that
// have no stored run when the caller may start a scoring (score.run);
// otherwise their village figures are unknown (no_data).
func (s *server) progressReport(r *http.Request) ([]planning.ProgressRow, int, int, error) {
	q := r.URL.Query()
	for key := range q {
		if key != "from" && key != "to" {
			return nil, 0, 0, planning.Errorf(planning.EInvalid, "未知的查询参数 %q；可用参数：from, to", key)
		}
	}
	from, err := intParam(q.Get("from"), "from", 2016, 2000, 2100)
	if err != nil {
		return nil, 0, 0, err
	}
	to, err := intParam(q.Get("to"), "to", 2020, 2000, 2100)
	if err != nil {
		return nil, 0, 0, err
	}
	// A caller who may not score reads the stored year-end runs only; one
	// who may reads on the primary, where the runs it makes are.
	ctx := r.Context()
	pr, ok := access.From(ctx)
	score := ok && pr.Login != "" && s.policy.Allow(pr, access.ScoreRun, access.Object{}) == nil
	if score {
		ctx = planning.Writing(ctx)
	}
	p, err := planning.CountyProfile(ctx, s.store, nil)
	if err != nil {
		return nil, 0, 0, err
	}
	rows, err := planning.ProgressReport(ctx, s.store, p, from, to, score)
	return rows, from, to, err
}

// progress answers the progress table as JSON.
func (s *server) progress(w http.ResponseWriter, r *http.Request) error {
	rows, from, to, err := s.progressReport(r)
	if err != nil {
		return err
	}
	if rows == nil {
		rows = []planning.ProgressRow{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"from": from, "to": to, "headers": planning.ProgressHeaders, "rows": rows})
}

// exportProgress answers the progress table as XLSX.
func (s *server) exportProgress(w http.ResponseWriter, r *http.Request) error {
	rows, _, _, err := s.progressReport(r)
	if err != nil {
		return err
	}
	name := "逐年进展-" + time.Now().Format("20060102") + ".xlsx"
	w.Header().Set("Content-Type", table.Formats["xlsx"].ContentType)
	w.Header().Set("Content-Disposition", "attachment; filename=\"progress.xlsx\"; filename*=UTF-8''"+url.PathEscape(name))
	return table.WriteProgressXLSX(w, rows)
}
