package api

import (
	"fmt"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/gapmap/gapmap/planning"
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
	name := vars["layer"] + "." + vars["format"]
	w.Header().Set("Content-Type", planning.ExportFormats[opt.Format])
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, name))
	w.Header().Set("Cache-Control", "no-store")
	return s.exports.Export(r.Context(), w, opt)
}
