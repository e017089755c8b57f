package api

import (
	"net/http"

	"github.com/gapmap/gapmap/planning"
)

// villageTable answers the review map's village table: the village_gaps
// export's rows and the totals of the filtered set, as JSON. Its query is
// the export's (planning.ParseExportQuery), so the page's 导出 links carry
// the same parameters and export exactly these rows.
func (s *server) villageTable(w http.ResponseWriter, r *http.Request) error {
	opt, err := planning.ParseExportQuery("village_gaps", "csv", r.URL.Query())
	if err != nil {
		return err
	}
	t, err := s.exports.VillageTable(r.Context(), opt)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, t)
}
