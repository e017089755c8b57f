package api

import (
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/gapmap/gapmap/planning/access"
	"github.com/gapmap/gapmap/planning/audit"
)

// historyLimit is how many entries a project's or village's history shows.
const historyLimit = 200

// history answers the newest entries of the audit trail about one object.
func (s *server) history(w http.ResponseWriter, r *http.Request, kind, id string) error {
	es, err := s.audit.AuditLog(r.Context(), audit.Filter{Kind: kind, ID: id, Limit: historyLimit})
	if err != nil {
		return err
	}
	if es == nil {
		es = []audit.Entry{}
	}
	// A history is read by whoever may read the object, the public too
	// with GAPMAP_PUBLIC_READ; the address a user wrote from is for those
	// who may read the audit trail.
	if pr, ok := access.From(r.Context()); !ok || s.policy.Could(pr, access.AuditRead) != nil {
		for i := range es {
			es[i].Addr = ""
		}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"entries": es})
}

// projectHistory is a project's history, for whoever may see the project.
func (s *server) projectHistory(w http.ResponseWriter, r *http.Request) error {
	p, err := s.readableProject(r)
	if err != nil {
		return err
	}
	return s.history(w, r, "project", strconv.FormatInt(p.ID, 10))
}

// villageHistory is a village's history (its location, its data).
func (s *server) villageHistory(w http.ResponseWriter, r *http.Request) error {
	code := mux.Vars(r)["code"]
	if _, err := s.store.Village(r.Context(), code); err != nil {
		return err
	}
	return s.history(w, r, "village", code)
}

// auditLog answers the newest entries of the whole trail:
// ?kind=&id=&limit= (default 100, at most 1000).
func (s *server) auditLog(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := intParam(q.Get("limit"), "limit", 100, 1, 1000)
	if err != nil {
		return err
	}
	es, err := s.audit.AuditLog(r.Context(), audit.Filter{Kind: q.Get("kind"), ID: q.Get("id"), Limit: limit})
	if err != nil {
		return err
	}
	if es == nil {
		es = []audit.Entry{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"entries": es})
}

// verifyAudit checks the whole chain (gapmap audit verify does the same).
func (s *server) verifyAudit(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.audit.VerifyAudit(r.Context())
	if err != nil {
		return err
	}
	status := http.StatusOK
	if !rep.OK {
		status = http.StatusConflict
	}
	if rep.Problems == nil {
		rep.Problems = []string{}
	}
	return writeJSON(w, status, rep)
}
