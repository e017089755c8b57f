package api

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/gorilla/mux"

	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
)

// export streams a layer (or, for gpkg, "layer,layer,…" or "county" for
// every layer) with the filters of planning.ParseExportQuery.
func (s *server) export(w http.ResponseWriter, r *http.Request) error {
	if err := extendDeadlines(w, r, false); err != nil {
		s.log.Warn("export keeps the server's write timeout", "err", err, "request_id", requestID(r.Context()))
	}
	vars := mux.Vars(r)
	opt, err := planning.ParseExportQuery(vars["layer"], vars["format"], r.URL.Query())
	if err != nil {
		return err
	}
	// A township's or village's users see only their own projects: the
	// layer export has no such filter, so they export the 项目库 through
	// /api/v1/projects/export, which has.
	if pr, ok := access.From(r.Context()); ok {
		if all, _, _ := s.policy.ReadScope(pr); !all && (slices.Contains(opt.Layers, "projects") || slices.Contains(opt.Layers, "county")) {
			return planning.Errorf(planning.EForbidden, "没有权限：乡镇和村的账号只能导出本乡镇（村）的项目，请使用项目库导出（/api/v1/projects/export.xlsx）")
		}
	}
	name := vars["layer"] + "." + vars["format"]
	w.Header().Set("Content-Type", planning.ExportFormats[opt.Format])
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, name))
	w.Header().Set("Cache-Control", "no-store")
	return s.exports.Export(r.Context(), w, opt)
}
