package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
	"github.com/gapmap/gapmap/planning/table"
)

// scenarioID reads the route's {id}, a scenario's number.
func scenarioID(r *http.Request) (int64, error) {
	return idVar(r, "id", "方案")
}

// countyReader refuses a user whose reading is limited to some townships or
// villages: a scenario weighs every project of the county.
func (s *server) countyReader(r *http.Request) error {
	pr, ok := access.From(r.Context())
	if !ok { // public reading
		return nil
	}
	if all, _, _ := s.policy.ReadScope(pr); !all {
		return planning.Errorf(planning.EForbidden, "没有权限：方案涉及全县项目，%s 只能查看本乡镇或本村的项目", pr.Title())
	}
	return nil
}

const scenarioExample = `{"name": "方案一：每年 3000 万元", "request": ` + planExample + `}`

// createScenario makes the plan of a request and saves it under a name:
// POST /api/v1/plan-scenarios {"name", "request"}. The server plans again
// rather than trusting a plan the client sends; the node limit makes the
// plan the one the page showed for the same library.
func (s *server) createScenario(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Name    string               `json:"name"`
		Request planning.PlanRequest `json:"request"`
	}
	if err := decodeBody(r, &body, scenarioExample); err != nil {
		return err
	}
	name, err := planning.CheckScenarioName(body.Name)
	if err != nil {
		return err
	}
	req := body.Request
	if req.Apply {
		return planning.Errorf(planning.EInvalid, "保存方案不会应用它：请去掉 apply，保存后再应用方案")
	}
	p, err := planning.CountyProfile(r.Context(), s.store, nil)
	if err != nil {
		return err
	}
	if err := planning.CheckPlan(r.Context(), s.store, p, req); err != nil {
		return err
	}
	return s.heavy(w, r, planning.JobPlan, func(ctx context.Context, progress func(planning.JobProgress)) (reply, error) {
		progress(planning.JobProgress{Stage: "编制计划"})
		plan, err := planning.MakePlan(ctx, s.store, p, req)
		if err != nil {
			return reply{}, err
		}
		sc, err := s.store.SaveScenario(ctx, name, req, plan)
		if err != nil {
			return reply{}, err
		}
		return reply{status: http.StatusCreated, body: sc, location: fmt.Sprintf("/api/v1/plan-scenarios/%d", sc.ID)}, nil
	}, nil)
}

func (s *server) listScenarios(w http.ResponseWriter, r *http.Request) error {
	if err := s.countyReader(r); err != nil {
		return err
	}
	list, err := s.store.Scenarios(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"scenarios": list})
}

// readScenario reads the scenario the path names, for a county-wide reader.
func (s *server) readScenario(r *http.Request) (planning.Scenario, error) {
	if err := s.countyReader(r); err != nil {
		return planning.Scenario{}, err
	}
	id, err := scenarioID(r)
	if err != nil {
		return planning.Scenario{}, err
	}
	return s.store.Scenario(r.Context(), id)
}

func (s *server) getScenario(w http.ResponseWriter, r *http.Request) error {
	sc, err := s.readScenario(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sc)
}

func (s *server) deleteScenario(w http.ResponseWriter, r *http.Request) error {
	id, err := scenarioID(r)
	if err != nil {
		return err
	}
	if err := s.store.DeleteScenario(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// applyScenario writes a scenario into the library: POST
// /api/v1/plan-scenarios/{id}/apply (no body).
func (s *server) applyScenario(w http.ResponseWriter, r *http.Request) error {
	id, err := scenarioID(r)
	if err != nil {
		return err
	}
	sc, err := s.store.ApplyScenario(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sc)
}

// compareScenarios sets two scenarios side by side: ?a=&b= (their ids).
func (s *server) compareScenarios(w http.ResponseWriter, r *http.Request) error {
	if err := s.countyReader(r); err != nil {
		return err
	}
	q := r.URL.Query()
	if err := onlyParams(q, "a", "b"); err != nil {
		return err
	}
	var pair [2]planning.Scenario
	for i, key := range []string{q.Get("a"), q.Get("b")} {
		id, err := intParam(key, []string{"a", "b"}[i], 0, 1, 1<<62)
		if err != nil {
			return err
		}
		if id == 0 {
			return planning.Errorf(planning.EInvalid, "请用参数 a 和 b 给出要对比的两个方案编号，例如 ?a=1&b=2")
		}
		if pair[i], err = s.store.Scenario(r.Context(), int64(id)); err != nil {
			return err
		}
	}
	return writeJSON(w, http.StatusOK, planning.CompareScenarios(pair[0], pair[1]))
}

// annualYear reads ?year=, the year of a 年度实施计划.
func annualYear(r *http.Request) (int, error) {
	q := r.URL.Query()
	if err := onlyParams(q, "year"); err != nil {
		return 0, err
	}
	if q.Get("year") == "" {
		return 0, planning.Errorf(planning.EInvalid, "请用参数 year 给出年度实施计划的年度，例如 ?year=2017")
	}
	return intParam(q.Get("year"), "year", 0, 2000, 2100)
}

// writeAnnual answers the 年度实施计划 XLSX of ps (one year's projects).
func (s *server) writeAnnual(w http.ResponseWriter, r *http.Request, ps []planning.Project, year int, what string) error {
	meta, err := table.DeclarationMeta(r.Context(), s.store, year)
	if err != nil {
		return err
	}
	meta.Title, meta.Filters, meta.GeneratedAt = table.AnnualTitle(meta.County, year), what, time.Now()
	name := fmt.Sprintf("%d年度实施计划-%s.xlsx", year, time.Now().Format("20060102"))
	w.Header().Set("Content-Type", table.Formats["xlsx"].ContentType)
	w.Header().Set("Content-Disposition", "attachment; filename=\"annual-plan.xlsx\"; filename*=UTF-8''"+url.PathEscape(name))
	return table.WriteAnnualXLSX(w, ps, meta)
}

// exportScenario writes a scenario's 年度实施计划 of ?year= as XLSX: the
// projects it builds that year, as the library has them now, with the
// scenario's year.
func (s *server) exportScenario(w http.ResponseWriter, r *http.Request) error {
	year, err := annualYear(r)
	if err != nil {
		return err
	}
	sc, err := s.readScenario(r)
	if err != nil {
		return err
	}
	page, err := s.store.Projects(r.Context(), planning.ProjectFilter{Sort: "code"})
	if err != nil {
		return err
	}
	lib := make(map[int64]planning.Project, len(page.Projects))
	for _, p := range page.Unranked() {
		lib[p.ID] = p
	}
	return s.writeAnnual(w, r, sc.YearProjects(year, lib), year, fmt.Sprintf("方案“%s”（%s 保存）", sc.Name, sc.CreatedAt.In(planning.ChinaTime).Format("2006-01-02 15:04")))
}

// exportAnnualPlan writes the applied plan's 年度实施计划 of ?year= as XLSX:
// the projects of that year in the annual plan or later (not 已出库).
func (s *server) exportAnnualPlan(w http.ResponseWriter, r *http.Request) error {
	year, err := annualYear(r)
	if err != nil {
		return err
	}
	if err := s.countyReader(r); err != nil {
		return err
	}
	page, err := s.store.Projects(r.Context(), planning.ProjectFilter{Year: year, Sort: "code"})
	if err != nil {
		return err
	}
	ps := slices.DeleteFunc(page.Unranked(), func(p planning.Project) bool { return !planning.InAnnualPlan(p.Status) })
	return s.writeAnnual(w, r, ps, year, "已纳入年度计划的项目")
}
