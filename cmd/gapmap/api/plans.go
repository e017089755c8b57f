package api

import (
	"context"
	"net/http"

	"github.com/gapmap/gapmap/planning"
)

const planExample = `{"years": [2016, 2017, 2018, 2019, 2020], "budgets": {"2016": 3000, "2017": 3000}, "township_cap": 800, "fill": "beneficiaries", "apply": false}`

// createPlan runs the budget fit: POST /api/v1/plans with a PlanRequest;
// with Prefer: respond-async, as a job.
func (s *server) createPlan(w http.ResponseWriter, r *http.Request) error {
	var req planning.PlanRequest
	if err := decodeBody(r, &req, planExample); err != nil {
		return err
	}
	p, err := planning.CountyProfile(r.Context(), s.store, nil)
	if err != nil {
		return err
	}
	if wantsAsync(r) { // bad input is a 400 now, not a failed job later
		if err := planning.CheckPlan(r.Context(), s.store, p, req); err != nil {
			return err
		}
	}
	return s.heavy(w, r, planning.JobPlan, func(ctx context.Context, progress func(planning.JobProgress)) (reply, error) {
		progress(planning.JobProgress{Stage: "编制计划"})
		plan, err := planning.MakePlan(ctx, s.store, p, req)
		return reply{status: http.StatusOK, body: plan}, err
	}, nil)
}
