package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
)

// DefaultExportResultTTL is how long the file of an export job is kept
// unless GAPMAP_EXPORT_RESULT_TTL says otherwise.
const DefaultExportResultTTL = time.Hour

// resultPrefix names the finished files of export jobs in the temporary
// directory: gapmap-result-<job id>. While the job writes, its file is a
// spool (gapmap-export-…), which the start's temp sweep removes when a
// killed server left it.
const resultPrefix = "gapmap-result-"

// results is where export jobs leave their files, and for how long.
type results struct {
	dir string
	ttl time.Duration
	log *slog.Logger
}

func (rs *results) path(id int64) string {
	return filepath.Join(rs.dir, fmt.Sprintf("%s%d", resultPrefix, id))
}

// SweepExportResults removes from dir the files of export jobs older than
// ttl (a server stopped before their expiry timers ran), and returns how
// many it removed. It never fails: what it cannot remove is logged.
func SweepExportResults(dir string, ttl time.Duration, now time.Time, log *slog.Logger) (removed int) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		log.Warn("export results: cannot list the temporary directory", "dir", dir, "err", err)
		return 0
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), resultPrefix) {
			continue
		}
		info, err := e.Info()
		if err != nil || now.Sub(info.ModTime()) < ttl {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			log.Warn("export results: cannot remove an expired file", "file", e.Name(), "err", err)
			continue
		}
		removed++
	}
	return removed
}

// exportResult is an export job's result: what GET /api/v1/jobs/{id}/result
// sends, with the headers the synchronous export would have sent.
type exportResult struct {
	Download           string    `json:"download"` // the result route
	Size               int64     `json:"size"`     // bytes
	ContentType        string    `json:"content_type"`
	ContentDisposition string    `json:"content_disposition"`
	Filename           string    `json:"filename"`
	ExpiresAt          time.Time `json:"expires_at"` // the file is removed then
}

// jobSpool is the response writer of an export job: the spool of the
// synchronous export, without a connection (its deadlines are the job's).
type jobSpool struct{ *spool }

// SetWriteDeadline and SetReadDeadline accept the export handlers'
// extension of the connection's deadlines: a job has none.
func (js jobSpool) SetWriteDeadline(time.Time) error { return nil }
func (js jobSpool) SetReadDeadline(time.Time) error  { return nil }

// exportJob answers an export request that asked for a job (wantsAsync):
// 202 with the job, which runs the same handler chain (next) into a
// spool, detached from the request, in the admission slot the request
// took (release gives it back). It reports whether the job took the slot
// over; if not, the caller gives it back.
func (s *server) exportJob(w http.ResponseWriter, r *http.Request, next http.Handler, release func()) bool {
	if pr, ok := access.From(r.Context()); !ok || pr.Login == "" {
		s.writeError(w, r, planning.Errorf(planning.EUnauthorized, "异步导出需要先登录：任务和它的结果属于发起的账号"))
		return false
	}
	// The handler reads the request after this one has been answered;
	// ?async is this route's, not the export's (which refuses unknown
	// parameters).
	req := r.Clone(r.Context())
	q := req.URL.Query()
	q.Del("async")
	req.URL.RawQuery = q.Encode()
	held := func(context.Context) (func(), error) { return release, nil }
	do := func(ctx context.Context, progress func(planning.JobProgress)) (reply, error) {
		progress(planning.JobProgress{Stage: "导出"})
		return s.results.write(ctx, jobID(ctx), next, req.WithContext(ctx))
	}
	if err := s.startJob(w, r, planning.JobExport, held, do, func() {}); err != nil {
		s.writeError(w, r, err)
		return false
	}
	// The job's run takes the slot (held) first thing, and gives it back
	// when it ends, however it ends.
	return true
}

// write runs the export handler into a spool and, when it succeeded,
// keeps the file as the job's result until it expires; a failed or
// cancelled export leaves no file.
func (rs *results) write(ctx context.Context, id int64, h http.Handler, r *http.Request) (reply, error) {
	sp, err := newSpool(nil)
	if err != nil {
		return reply{}, err
	}
	defer sp.remove() // after the rename below, a no-op but for the close
	h.ServeHTTP(jobSpool{sp}, r)
	if err := context.Cause(ctx); ctx.Err() != nil {
		return reply{}, err
	}
	if sp.status != 0 && sp.status != http.StatusOK {
		return reply{}, spooledError(sp)
	}
	size, err := sp.f.Seek(0, io.SeekEnd)
	if err != nil {
		return reply{}, err
	}
	if err := sp.f.Sync(); err != nil {
		return reply{}, err
	}
	path := rs.path(id)
	if err := os.Rename(sp.f.Name(), path); err != nil {
		return reply{}, err
	}
	now := time.Now()
	time.AfterFunc(rs.ttl, func() {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			rs.log.Warn("export results: cannot remove an expired file", "file", path, "err", err)
		}
	})
	res := exportResult{Download: jobPath(id) + "/result", Size: size, ContentType: sp.hdr.Get("Content-Type"),
		ContentDisposition: sp.hdr.Get("Content-Disposition"), ExpiresAt: now.Add(rs.ttl)}
	if _, params, err := mime.ParseMediaType(res.ContentDisposition); err == nil {
		res.Filename = params["filename"]
	}
	return reply{status: http.StatusOK, body: res}, nil
}

// spooledError turns the error answer an export handler spooled (writeError's
// JSON) back into the error for the job's record.
func spooledError(sp *spool) error {
	var body struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if _, err := sp.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if err := json.NewDecoder(io.LimitReader(sp.f, 1<<20)).Decode(&body); err != nil || body.Error.Code == "" {
		return fmt.Errorf("export answered %d without an error body: %v", sp.status, err)
	}
	return &planning.Error{Code: body.Error.Code, Message: body.Error.Message, Err: fmt.Errorf("export answered %d", sp.status)}
}

// jobResult sends the file of a succeeded export job, with the headers of
// the synchronous export: its owner's or an administrator's (404 for
// anyone else, as for the job).
func (s *server) jobResult(w http.ResponseWriter, r *http.Request) error {
	j, _, err := s.readableJob(r)
	if err != nil {
		return err
	}
	if j.Kind != planning.JobExport {
		return planning.Errorf(planning.ENotFound, "任务 %d 不是导出任务，没有可下载的文件；结果见 %s", j.ID, jobPath(j.ID))
	}
	if j.State != planning.JobSucceeded {
		return planning.Errorf(planning.ENotFound, "任务 %d %s，没有可下载的文件", j.ID, planning.JobStateNames[j.State])
	}
	var res exportResult
	if err := json.Unmarshal(j.Result, &res); err != nil {
		return fmt.Errorf("job %d's result: %w", j.ID, err)
	}
	f, err := os.Open(s.results.path(j.ID))
	if err == nil && time.Now().After(res.ExpiresAt) {
		f.Close()
		err = os.ErrNotExist
	}
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return planning.Errorf(planning.ENotFound, "任务 %d 的导出文件已过期（保留 %s）或已删除，请重新导出", j.ID, s.results.ttl)
		}
		return err
	}
	defer f.Close()
	// The database is done with: a slow download holds a file, not a
	// slot of the API's budget.
	releaseSlot(r)
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(spoolSendTime))
	w.Header().Set("Content-Type", res.ContentType)
	w.Header().Set("Content-Disposition", res.ContentDisposition)
	w.Header().Set("Cache-Control", "no-store")
	http.ServeContent(w, r, "", time.Time{}, f)
	return nil
}
