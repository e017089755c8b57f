package api

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
	"github.com/gapmap/gapmap/planning/table"
)

// villagePoverty answers a village's 建档立卡 register by year. A township's
// or a village's user reads its own villages only: the register is the
// people behind the numbers.
func (s *server) villagePoverty(w http.ResponseWriter, r *http.Request) error {
	code, err := villageCodeParam(r)
	if err != nil {
		return err
	}
	vp, err := s.poverty.VillagePoverty(r.Context(), code)
	if err != nil {
		return err
	}
	if pr, ok := access.From(r.Context()); ok && !s.policy.InScope(pr, vp.TownshipCode, vp.Code) {
		return planning.Errorf(planning.EForbidden, "没有权限：%s（%s）不属于 %s 所在的乡镇或村", vp.Name, vp.Code, pr.Title())
	}
	return writeJSON(w, http.StatusOK, vp)
}

// parsePovertyFilter reads township, from and to, and limits a township's
// user to its township (the default when it holds one).
func (s *server) parsePovertyFilter(r *http.Request) (planning.PovertyFilter, error) {
	q := r.URL.Query()
	var f planning.PovertyFilter
	for key := range q {
		switch key {
		case "township", "from", "to":
		default:
			return f, planning.Errorf(planning.EInvalid, "未知的查询参数 %q；可用参数：township, from, to", key)
		}
	}
	f.Township = q.Get("township")
	var err error
	if f.From, err = intParam(q.Get("from"), "from", 0, 2014, 2030); err != nil {
		return f, err
	}
	if f.To, err = intParam(q.Get("to"), "to", 0, 2014, 2030); err != nil {
		return f, err
	}
	if f.From > 0 && f.To > 0 && f.From > f.To {
		return f, planning.Errorf(planning.EInvalid, "起始年度 %d 晚于截止年度 %d", f.From, f.To)
	}
	pr, ok := access.From(r.Context())
	if !ok {
		return f, nil // public reading
	}
	all, ts, _ := s.policy.ReadScope(pr)
	switch {
	case all:
	case f.Township == "" && len(ts) == 1:
		f.Township = ts[0]
	case f.Township == "" || !slices.Contains(ts, f.Township):
		return f, planning.Errorf(planning.EForbidden, "没有权限：%s 只能查看本乡镇的建档立卡汇总，请用 township 参数指明乡镇", pr.Title())
	}
	return f, nil
}

// povertyRollup answers the register summed by year: per township and for
// the county, or for one township.
func (s *server) povertyRollup(w http.ResponseWriter, r *http.Request) error {
	f, err := s.parsePovertyFilter(r)
	if err != nil {
		return err
	}
	rows, err := s.poverty.PovertyRollup(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"rollup": rows})
}

// exportPoverty answers the roll-up as XLSX or CSV.
func (s *server) exportPoverty(w http.ResponseWriter, r *http.Request) error {
	format := mux.Vars(r)["format"]
	t, ok := table.PovertyFormats[format]
	if !ok {
		return planning.Errorf(planning.ENotFound, "不支持导出格式 %q；可用：xlsx, csv", format)
	}
	f, err := s.parsePovertyFilter(r)
	if err != nil {
		return err
	}
	rows, err := s.poverty.PovertyRollup(r.Context(), f)
	if err != nil {
		return err
	}
	name := "建档立卡分年度汇总-" + time.Now().Format("20060102") + "." + format
	w.Header().Set("Content-Type", t.ContentType)
	w.Header().Set("Content-Disposition", "attachment; filename=\"poverty."+format+"\"; filename*=UTF-8''"+url.PathEscape(name))
	return t.Write(w, rows)
}

// importPoverty takes a multipart upload: one "file" part (the county's
// yearly table, CSV or XLSX with 村代码) and the form fields year (the
// year of every row; omitted: the table's 年度 column) and dry_run. It
// answers the report: 200 when written (or a dry run), 422 when refused.
// Who may write which village's rows the store decides (layer.edit on the
// villages: 乡村振兴's editors, a township's editors for its villages).
func (s *server) importPoverty(w http.ResponseWriter, r *http.Request) error {
	dir, err := os.MkdirTemp("", "gapmap-poverty-")
	if err != nil {
		return fmt.Errorf("import temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	form, files, err := saveUpload(r, dir, "year", "dry_run")
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return planning.Errorf(planning.EInvalid, "应上传一个文件（CSV 或 XLSX），放在 file 字段；收到 %d 个", len(files))
	}
	opt := planning.PovertyImportOptions{Name: files[0], DryRun: form["dry_run"] == "true" || form["dry_run"] == "1"}
	if y := form["year"]; y != "" {
		if opt.Year, err = strconv.Atoi(y); err != nil || opt.Year < 2014 || opt.Year > 2030 {
			return planning.Errorf(planning.EInvalid, "year 应为 2014–2030 之间的年份，收到 %q", y)
		}
	}
	rep, err := s.poverty.ImportPoverty(r.Context(), filepath.Join(dir, files[0]), opt)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if !rep.Committed && !rep.DryRun {
		status = http.StatusUnprocessableEntity
	}
	return writeJSON(w, status, rep)
}
