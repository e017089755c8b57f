package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/gapmap/gapmap/planning"
)

// statuses are the HTTP statuses of the error codes; any other is a 500.
var statuses = map[string]int{
	planning.EInvalid:      http.StatusBadRequest,
	planning.ENotFound:     http.StatusNotFound,
	planning.EConflict:     http.StatusConflict,
	planning.EUnauthorized: http.StatusUnauthorized,
	planning.EForbidden:    http.StatusForbidden,
	planning.ETooMany:      http.StatusTooManyRequests,
	planning.EUnavailable:  http.StatusServiceUnavailable,
	planning.ETimeout:      http.StatusGatewayTimeout,
	planning.EInternal:     http.StatusInternalServerError,
}

// writeError is the one error writer of every route: it answers
// {"error": {"code", "message"}} with the status of the code and the
// user message of planning.Error (Chinese), or a generic message that
// reveals nothing internal.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, ok := s.errorStatus(w, r, err)
	if !ok {
		return
	}
	_ = writeJSON(w, status, map[string]any{"error": map[string]string{"code": planning.ErrorCode(err), "message": planning.ErrorMessage(err)}})
}

// errorStatus is the status of err's code, for writeError and the sign-on
// pages (ssoPage). Server-side failures are logged here, once. A client
// that has gone away gets nothing (ok is false) and is worth only a debug
// line.
func (s *server) errorStatus(w http.ResponseWriter, r *http.Request, err error) (status int, ok bool) {
	if clientGone(r) {
		s.log.Debug("request abandoned", "method", r.Method, "path", r.URL.Path, "err", err, "request_id", requestID(r.Context()))
		return 0, false
	}
	status, ok = statuses[planning.ErrorCode(err)]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status >= 500 {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err,
			"request_id", requestID(r.Context()))
	}
	var ra *retryAfter
	switch {
	case errors.As(err, &ra):
		// A refusal of admission control knows when to come back.
		w.Header().Set("Retry-After", fmt.Sprint(seconds(ra.d)))
	case status == http.StatusServiceUnavailable:
		// A database that is down or migrating takes a while.
		w.Header().Set("Retry-After", "5")
	}
	return status, true
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

func writeGeoJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/geo+json; charset=utf-8")
	return json.NewEncoder(w).Encode(v)
}
