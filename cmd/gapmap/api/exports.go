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
	if err := s.exportScope(r, opt); err != nil {
		return err
	}
	name := vars["layer"] + "." + vars["format"]
	w.Header().Set("Content-Type", planning.ExportFormats[opt.Format])
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, name))
	w.Header().Set("Cache-Control", "no-store")
	return s.exports.Export(r.Context(), w, opt)
}

// exportScope refuses the projects layer (alone or in the county package)
// to a user who sees only its township's or village's projects: the layer
// export has no row scope, the 项目库's own export has.
func (s *server) exportScope(r *http.Request, opt planning.ExportOptions) error {
	pr, ok := access.From(r.Context())
	if !ok || !slices.Contains(opt.Layers, "projects") && !slices.Contains(opt.Layers, "county") {
		return nil
	}
	if all, _, _ := s.policy.ReadScope(pr); all {
		return nil
	}
	return planning.Errorf(planning.EForbidden, "没有权限：%s 只能查看本乡镇或本村的项目，图层导出含全县项目；请从项目库导出（/api/v1/projects/export.xlsx，只含本辖区项目）",
		pr.Title())
}
