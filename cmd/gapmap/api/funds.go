package api

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
	"github.com/gapmap/gapmap/planning/table"
)

// parseFundFilter reads ?by=&year=&source=&township=&village=&category=
// and limits the filter to what the request's user may read of the
// 资金台账 (LedgerScope: bureaus their categories, townships their
// villages).
func (s *server) parseFundFilter(r *http.Request, grouped bool) (planning.FundFilter, error) {
	q := r.URL.Query()
	allowed := []string{"year", "source", "township", "village", "category"}
	if grouped {
		allowed = append(allowed, "by")
	}
	if err := onlyParams(q, allowed...); err != nil {
		return planning.FundFilter{}, err
	}
	f := planning.FundFilter{By: q.Get("by"), Source: q.Get("source"), Township: q.Get("township"),
		Village: q.Get("village"), Category: q.Get("category")}
	if v := q.Get("year"); v != "" {
		y, err := strconv.Atoi(v)
		if err != nil {
			return f, planning.Errorf(planning.EInvalid, "参数 year 应为年份，收到 %q", v)
		}
		f.Year = y
	}
	if pr, ok := access.From(r.Context()); ok {
		all, cats, ts, vs := s.policy.LedgerScope(pr)
		f.Scoped, f.Categories, f.Townships, f.Villages = !all, cats, ts, vs
	}
	return f, f.Validate()
}

func (s *server) fundSources(w http.ResponseWriter, r *http.Request) error {
	list, err := s.store.FundSources(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"sources": list, "levels": planning.FundLevels, "kinds": planning.FundKinds})
}

const fundSourcesExample = `{"sources": [{"code": "central", "name": "中央财政专项扶贫资金", "level": "中央", "kind": "财政专项"}, …]}`

func (s *server) setFundSources(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Sources []planning.FundSource `json:"sources"`
	}
	if err := decodeBody(r, &body, fundSourcesExample); err != nil {
		return err
	}
	if err := s.store.SetFundSources(r.Context(), body.Sources); err != nil {
		return err
	}
	return s.fundSources(w, r)
}

func (s *server) allocations(w http.ResponseWriter, r *http.Request) error {
	year, err := intParam(r.URL.Query().Get("year"), "year", 0, 0, 2100)
	if err != nil {
		return err
	}
	list, err := s.store.Allocations(r.Context(), year)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"allocations": list})
}

const allocationExample = `{"source": "central", "year": 2018, "amount_wan": 1200, "doc_no": "湘财农指〔2018〕1号"}`

func (s *server) setAllocation(w http.ResponseWriter, r *http.Request) error {
	var a planning.Allocation
	if err := decodeBody(r, &a, allocationExample); err != nil {
		return err
	}
	a, err := s.store.SetAllocation(r.Context(), a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

// fundEntryBody is what a client may write of an entry: the server owns
// its id, who and when (the authenticated user, never a field).
type fundEntryBody struct {
	ProjectID int64   `json:"project_id"`
	Kind      string  `json:"kind"`
	Source    string  `json:"source"`
	AmountWan float64 `json:"amount_wan"`
	Date      string  `json:"date"`
	DocNo     string  `json:"doc_no"`
	Note      string  `json:"note"`
	Reverses  int64   `json:"reverses"`
}

const fundEntryExample = `{"project_id": 12, "kind": "拨付", "source": "central", "amount_wan": 30, "date": "2018-06-01", "doc_no": "记-0612"} or {"reverses": 34, "note": "凭证号录错"}`

func (s *server) addFundEntry(w http.ResponseWriter, r *http.Request) error {
	var b fundEntryBody
	if err := decodeBody(r, &b, fundEntryExample); err != nil {
		return err
	}
	e, err := s.store.AddFundEntry(r.Context(), planning.FundEntry{ProjectID: b.ProjectID, Kind: b.Kind, Source: b.Source,
		AmountWan: b.AmountWan, Date: b.Date, DocNo: b.DocNo, Note: b.Note, Reverses: b.Reverses})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, e)
}

// projectFunds answers a project's ledger, and which entry kinds the
// user may record on it (the page shows only those forms): never 计划,
// which comes from the project's 资金来源.
func (s *server) projectFunds(w http.ResponseWriter, r *http.Request) error {
	id, err := projectID(r)
	if err != nil {
		return err
	}
	p, err := s.store.Project(r.Context(), id)
	if err != nil {
		return err
	}
	pr, loggedIn := access.From(r.Context())
	if loggedIn {
		all, cats, ts, vs := s.policy.LedgerScope(pr)
		if !all && !slices.Contains(cats, p.Category) && !slices.Contains(ts, p.TownshipCode) && !slices.Contains(vs, p.VillageCode) {
			return planning.Errorf(planning.EForbidden, "没有权限：项目“%s”的资金台账不属于 %s 的类别、乡镇或村", p.Name, pr.Title())
		}
	}
	l, err := s.store.ProjectLedger(r.Context(), p.ID)
	if err != nil {
		return err
	}
	kinds := []string{}
	if loggedIn {
		obj := access.ProjectObject(p)
		for _, k := range planning.RecordedKinds {
			obj.Ledger = k
			if s.policy.Allow(pr, access.FundsEdit, obj) == nil {
				kinds = append(kinds, k)
			}
		}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"ledger": l, "can_record": kinds})
}

func (s *server) fundRollup(w http.ResponseWriter, r *http.Request) error {
	f, err := s.parseFundFilter(r, true)
	if err != nil {
		return err
	}
	if f.By == "" {
		f.By = planning.BySource
	}
	groups, err := s.store.FundRollup(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"by": f.By, "year": f.Year, "groups": groups})
}

func (s *server) exportFundLedger(w http.ResponseWriter, r *http.Request) error {
	f, err := s.parseFundFilter(r, false)
	if err != nil {
		return err
	}
	rows, err := s.store.FundLedger(r.Context(), f)
	if err != nil {
		return err
	}
	sources, err := s.store.FundSources(r.Context())
	if err != nil {
		return err
	}
	meta := table.Meta{Title: "扶贫项目资金台账", Filters: describeFundFilter(f), GeneratedAt: time.Now()}
	name := "资金台账-" + time.Now().Format("20060102") + ".xlsx"
	w.Header().Set("Content-Type", table.Formats["xlsx"].ContentType)
	w.Header().Set("Content-Disposition", "attachment; filename=\"funds.xlsx\"; filename*=UTF-8''"+url.PathEscape(name))
	return table.WriteLedgerXLSX(w, rows, sources, meta)
}

func describeFundFilter(f planning.FundFilter) string {
	var parts []string
	if f.Year != 0 {
		parts = append(parts, fmt.Sprintf("年度=%d", f.Year))
	}
	for _, kv := range [][2]string{{"资金来源", f.Source}, {"乡镇", f.Township}, {"村", f.Village}, {"类别", f.Category}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	return strings.Join(parts, "，")
}
