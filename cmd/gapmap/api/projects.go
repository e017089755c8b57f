package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb/geojson"

	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
	"github.com/gapmap/gapmap/planning/table"
)

// parseProjectFilter reads ?township=&village=&category=&status=&year=&sort=
// and, when paged, &page=&page_size=.
func parseProjectFilter(q url.Values, paged bool) (planning.ProjectFilter, int, error) {
	allowed := []string{"township", "village", "category", "status", "year", "sort"}
	if paged {
		allowed = append(allowed, "page", "page_size")
	}
	if err := onlyParams(q, allowed...); err != nil {
		return planning.ProjectFilter{}, 0, err
	}
	f := planning.ProjectFilter{Township: q.Get("township"), Village: q.Get("village"), Category: q.Get("category"),
		Status: q.Get("status"), Sort: q.Get("sort")}
	if v := q.Get("year"); v != "" {
		if v == "none" {
			f.Year = -1
		} else if y, err := strconv.Atoi(v); err == nil {
			f.Year = y
		} else {
			return f, 0, planning.Errorf(planning.EInvalid, "参数 year 应为年份或 none，收到 %q", v)
		}
	}
	page := 1
	if paged {
		var err error
		if page, f.Limit, f.Offset, err = pageParams(q); err != nil {
			return f, 0, err
		}
	}
	return f, page, f.Validate()
}

// scope limits f to the projects the request's user may see.
func (s *server) scope(r *http.Request, f *planning.ProjectFilter) {
	pr, ok := access.From(r.Context())
	if !ok { // public reading
		return
	}
	all, ts, vs := s.policy.ReadScope(pr)
	f.Scoped, f.Townships, f.Villages = !all, ts, vs
}

// readableProject reads the project the path names, refusing one outside
// the user's row scope.
func (s *server) readableProject(r *http.Request) (planning.Project, error) {
	id, err := projectID(r)
	if err != nil {
		return planning.Project{}, err
	}
	p, err := s.store.Project(r.Context(), id)
	if err != nil {
		return p, err
	}
	return p, s.inScope(r, p)
}

// inScope refuses a project outside the user's row scope.
func (s *server) inScope(r *http.Request, p planning.Project) error {
	pr, ok := access.From(r.Context())
	if !ok || s.policy.InScope(pr, p.TownshipCode, p.VillageCode) {
		return nil
	}
	return planning.Errorf(planning.EForbidden, "没有权限：项目“%s”不属于 %s 所在的乡镇或村", p.Name, pr.Title())
}

func (s *server) listProjects(w http.ResponseWriter, r *http.Request) error {
	f, page, err := parseProjectFilter(r.URL.Query(), true)
	if err != nil {
		return err
	}
	s.scope(r, &f)
	res, err := s.store.Projects(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"total": res.Total, "cost_wan": res.CostWan, "covered": res.Covered,
		"page": page, "page_size": f.Limit, "projects": res.Projects})
}

// projectID reads the route's {id}, a project's number.
func projectID(r *http.Request) (int64, error) {
	return idVar(r, "id", "项目")
}

// projectJSON is a project with its geometry as GeoJSON.
func projectJSON(p planning.Project) map[string]any {
	out := map[string]any{"project": p}
	if p.Geometry != nil {
		out["geometry"] = geojson.NewGeometry(p.Geometry)
	}
	return out
}

// move is a lifecycle step the user may take now; back moves (rejections,
// withdrawal) need a reason.
type move struct {
	To   string `json:"to"`
	Back bool   `json:"back"`
}

// getProject answers a project with its moves so far and, for a logged-in
// user, what that user may do with it now: the page shows only those
// buttons.
func (s *server) getProject(w http.ResponseWriter, r *http.Request) error {
	p, err := s.readableProject(r)
	if err != nil {
		return err
	}
	ts, err := s.store.Transitions(r.Context(), p.ID)
	if err != nil {
		return err
	}
	out := projectJSON(p)
	out["transitions"] = ts
	moves, canEdit := []move{}, false
	if pr, ok := access.From(r.Context()); ok {
		obj := access.ProjectObject(p)
		obj.DeclaredBy = planning.Declarer(ts)
		for _, to := range planning.Moves(p) {
			if s.policy.AllowMove(pr, p.Status, to, obj) == nil {
				moves = append(moves, move{To: to, Back: planning.IsBack(p.Status, to)})
			}
		}
		canEdit = s.policy.Allow(pr, access.ProjectEdit, obj) == nil
	}
	out["moves"], out["can_edit"] = moves, canEdit
	return writeJSON(w, http.StatusOK, out)
}

// projectBody is what a client may write: every Project field except the
// ones the server owns (id, code, status, key, run).
type projectBody struct {
	planning.Project
	Geometry *geojson.Geometry `json:"geometry"`
}

const projectExample = `{"name": "…", "category": "基础设施-道路", "nature": "新建", "township_code": "…", "village_code": "…", "quantity": 1.2, "unit": "km", "unit_price_wan": 50, "cost_wan": 60, "targets": [{"level1": "产出指标", "level2": "数量指标", "level3": "…", "value": "…"}]}`

func readProject(r *http.Request) (planning.Project, error) {
	var b projectBody
	if err := decodeBody(r, &b, projectExample); err != nil {
		return planning.Project{}, err
	}
	p := b.Project
	if b.Geometry != nil {
		p.Geometry = b.Geometry.Geometry()
	}
	if p.Nature == "" {
		p.Nature = "新建"
	}
	return p, nil
}

func (s *server) createProject(w http.ResponseWriter, r *http.Request) error {
	p, err := readProject(r)
	if err != nil {
		return err
	}
	p.ID, p.Code, p.Key, p.RunID, p.Status = 0, "", "", 0, planning.StateSurvey
	if p, err = s.store.CreateProject(r.Context(), p); err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/projects/%d", p.ID))
	return writeJSON(w, http.StatusCreated, projectJSON(p))
}

func (s *server) updateProject(w http.ResponseWriter, r *http.Request) error {
	p, err := readProject(r)
	if err != nil {
		return err
	}
	if p.ID, err = projectID(r); err != nil {
		return err
	}
	if p, err = s.store.UpdateProject(r.Context(), p); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, projectJSON(p))
}

func (s *server) deleteProject(w http.ResponseWriter, r *http.Request) error {
	id, err := projectID(r)
	if err != nil {
		return err
	}
	if err := s.store.DeleteProject(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) listTransitions(w http.ResponseWriter, r *http.Request) error {
	p, err := s.readableProject(r)
	if err != nil {
		return err
	}
	ts, err := s.store.Transitions(r.Context(), p.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"transitions": ts})
}

// createTransition moves a project: {"to": "村级申报", "reason": "…"}. The
// actor is the logged-in user; a body that names one is refused.
func (s *server) createTransition(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		To     string `json:"to"`
		Reason string `json:"reason"`
	}
	if err := decodeBody(r, &body, `{"to": "村级申报", "reason": "理由"}`); err != nil {
		return err
	}
	id, err := projectID(r)
	if err != nil {
		return err
	}
	p, err := s.store.Transition(r.Context(), id, body.To, body.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, projectJSON(p))
}

// setAsBuilt stores what a project actually built, which completion
// writes into the layers: {"width_m": 5, "kva": 400, "completed_on":
// "2016-06-30", …} (planning.AsBuilt; omitted values are as planned).
func (s *server) setAsBuilt(w http.ResponseWriter, r *http.Request) error {
	var ab planning.AsBuilt
	if err := decodeBody(r, &ab, `{"completed_on": "2016-06-30", "surface": "水泥", "width_m": 4.5, "kva": 400, "kw": 200}`); err != nil {
		return err
	}
	id, err := projectID(r)
	if err != nil {
		return err
	}
	p, err := s.store.SetAsBuilt(r.Context(), id, ab)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, projectJSON(p))
}

// realised lists the completed projects in the user's read scope with
// their predicted 缺口后 against the gap of the first scoring run after
// they were written into the layers, and the difference.
func (s *server) realised(w http.ResponseWriter, r *http.Request) error {
	rows, err := s.store.Realised(r.Context())
	if err != nil {
		return err
	}
	type row struct {
		planning.Realised
		Diff *float64 `json:"diff"` // realised − predicted
	}
	out := []row{}
	pr, ok := access.From(r.Context())
	for _, x := range rows {
		if !ok || s.policy.InScope(pr, x.TownshipCode, x.VillageCode) {
			out = append(out, row{x, x.Diff()})
		}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"projects": out})
}

// generateProjects sizes candidates from a run: {"run_id": 0, "all": false}
// (the latest run; only villages with poor people unless all).
func (s *server) generateProjects(w http.ResponseWriter, r *http.Request) error {
	// Generation measures each candidate's effect on its village (the
	// predicted 缺口后): seconds on the demo, more on a real county.
	if err := extendDeadlines(w, r, false); err != nil {
		s.log.Warn("generation keeps the server's write timeout", "err", err, "request_id", requestID(r.Context()))
	}
	var body struct {
		RunID int64 `json:"run_id"`
		All   bool  `json:"all"`
	}
	if err := decodeBody(r, &body, `{"run_id": 12, "all": false}`); err != nil {
		return err
	}
	p, err := planning.CountyProfile(r.Context(), s.store, nil)
	if err != nil {
		return err
	}
	if wantsAsync(r) { // a missing or outdated run is refused now, not in a failed job
		if err := planning.CheckGenerate(r.Context(), s.store, p, body.RunID); err != nil {
			return err
		}
	}
	return s.heavy(w, r, planning.JobGenerate, func(ctx context.Context, progress func(planning.JobProgress)) (reply, error) {
		progress(planning.JobProgress{Stage: "生成项目库"})
		rep, err := planning.Generate(ctx, s.store, p, body.RunID, body.All)
		return reply{status: http.StatusOK, body: rep}, err
	}, nil)
}

// projectTargets reports the county's targets against the library.
func (s *server) projectTargets(w http.ResponseWriter, r *http.Request) error {
	page, err := s.store.Projects(r.Context(), planning.ProjectFilter{})
	if err != nil {
		return err
	}
	p, err := planning.CountyProfile(r.Context(), s.store, nil)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"targets": planning.TargetProgress(page.Unranked(), p)})
}

func (s *server) exportProjects(w http.ResponseWriter, r *http.Request) error {
	format := mux.Vars(r)["format"]
	t, ok := table.Formats[format]
	if !ok {
		return planning.Errorf(planning.ENotFound, "不支持导出格式 %q；可用：xlsx, csv", format)
	}
	f, _, err := parseProjectFilter(r.URL.Query(), false)
	if err != nil {
		return err
	}
	s.scope(r, &f)
	if f.Sort == "" {
		f.Sort = "code"
	}
	page, err := s.store.Projects(r.Context(), f)
	if err != nil {
		return err
	}
	meta, err := table.DeclarationMeta(r.Context(), s.store, f.Year)
	if err != nil {
		return err
	}
	meta.Filters, meta.GeneratedAt = describeFilter(f), time.Now()
	if format == "xlsx" {
		// The workbook carries the 补充数据 of the same place: what the
		// library cannot yet answer. No scoring run yet: no sheet.
		needs, err := planning.DataNeeds(r.Context(), s.store, planning.DataNeedFilter{Township: f.Township, Village: f.Village})
		switch {
		case err == nil:
			meta.Needs = &needs
		case planning.ErrorCode(err) != planning.ENotFound:
			return err
		}
	}
	name := "项目库-" + time.Now().Format("20060102") + "." + format
	if format == "xlsx" {
		name = "项目库申报表-" + time.Now().Format("20060102") + ".xlsx"
	}
	w.Header().Set("Content-Type", t.ContentType)
	w.Header().Set("Content-Disposition", "attachment; filename=\"projects."+format+"\"; filename*=UTF-8''"+url.PathEscape(name))
	return t.Write(w, page.Unranked(), meta)
}

// parseDataNeedFilter reads ?run=&township=&village=&dimension= and, when
// paged, &page=&page_size= (villages per page).
func (s *server) parseDataNeedFilter(r *http.Request, paged bool) (planning.DataNeedFilter, int, error) {
	q := r.URL.Query()
	allowed := []string{"run", "township", "village", "dimension"}
	if paged {
		allowed = append(allowed, "page", "page_size")
	}
	if err := onlyParams(q, allowed...); err != nil {
		return planning.DataNeedFilter{}, 0, err
	}
	f := planning.DataNeedFilter{Township: q.Get("township"), Village: q.Get("village"), Dimension: q.Get("dimension")}
	if v := q.Get("run"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return f, 0, planning.Errorf(planning.EInvalid, "参数 run 应为评分批次编号，收到 %q", v)
		}
		f.RunID = id
	}
	page := 1
	if paged {
		var err error
		if page, f.Limit, f.Offset, err = pageParams(q); err != nil {
			return f, 0, err
		}
	}
	return f, page, f.Validate()
}

// dataNeeds lists the 补充数据: per village, the missing data that would
// decide each undecided indicator, or size a gap that could not be sized.
func (s *server) dataNeeds(w http.ResponseWriter, r *http.Request) error {
	f, page, err := s.parseDataNeedFilter(r, true)
	if err != nil {
		return err
	}
	res, err := planning.DataNeeds(r.Context(), s.store, f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"run_id": res.RunID, "total": res.Total, "needs": res.Needs,
		"page": page, "page_size": f.Limit, "villages": res.Villages})
}

// exportDataNeeds writes the whole 补充数据 list that matches as XLSX or CSV.
func (s *server) exportDataNeeds(w http.ResponseWriter, r *http.Request) error {
	format := mux.Vars(r)["format"]
	t, ok := table.NeedFormats[format]
	if !ok {
		return planning.Errorf(planning.ENotFound, "不支持导出格式 %q；可用：xlsx, csv", format)
	}
	f, _, err := s.parseDataNeedFilter(r, false)
	if err != nil {
		return err
	}
	res, err := planning.DataNeeds(r.Context(), s.store, f)
	if err != nil {
		return err
	}
	name := "补充数据-" + time.Now().Format("20060102") + "." + format
	w.Header().Set("Content-Type", t.ContentType)
	w.Header().Set("Content-Disposition", "attachment; filename=\"data-needs."+format+"\"; filename*=UTF-8''"+url.PathEscape(name))
	return t.Write(w, res, table.Meta{GeneratedAt: time.Now()})
}

// describeFilter says in Chinese which projects an export holds.
func describeFilter(f planning.ProjectFilter) string {
	var parts []string
	for _, kv := range [][2]string{{"乡镇", f.Township}, {"村", f.Village}, {"类别", f.Category}, {"状态", f.Status}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	switch {
	case f.Year > 0:
		parts = append(parts, fmt.Sprintf("年度=%d", f.Year))
	case f.Year == -1:
		parts = append(parts, "年度=未安排")
	}
	if len(parts) == 0 {
		return "全部项目"
	}
	return strings.Join(parts, "，")
}
