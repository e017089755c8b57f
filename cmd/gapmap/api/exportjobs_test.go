package api_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/cmd/gapmap/api"
	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
)

// stamps are the times an export records when it is written (a
// GeoPackage's gpkg_contents.last_change and metadata, an XLSX's
// docProps), the only bytes two exports of the same data may differ in.
var stamps = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)

// unstamped is b with the digits of its stamps zeroed (same length).
func unstamped(b []byte) []byte {
	return stamps.ReplaceAllFunc(b, func(m []byte) []byte {
		return regexp.MustCompile(`\d`).ReplaceAll(m, []byte("0"))
	})
}

// sameExport reports whether two exports are the same but for their
// stamps: byte for byte (CSV, GeoPackage), or for a zip (XLSX), whose
// deflated entries hide their stamps, entry by entry once inflated.
func sameExport(t *testing.T, a, b []byte) bool {
	t.Helper()
	if !bytes.HasPrefix(a, []byte("PK\x03\x04")) {
		return bytes.Equal(unstamped(a), unstamped(b))
	}
	entries := func(z []byte) map[string]string {
		zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			c, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			out[f.Name] = string(unstamped(c))
		}
		return out
	}
	return reflect.DeepEqual(entries(a), entries(b))
}

// exportResult is the result of an export job as the job answers it.
type exportResult struct {
	Download           string    `json:"download"`
	Size               int64     `json:"size"`
	ContentType        string    `json:"content_type"`
	ContentDisposition string    `json:"content_disposition"`
	Filename           string    `json:"filename"`
	ExpiresAt          time.Time `json:"expires_at"`
}

// leftovers lists dir's files of exports: spools and job results.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, pat := range []string{"gapmap-export-*", "gapmap-result-*"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	return out
}

// TestExportJobMatchesSync: every export route asked for a job (Prefer:
// respond-async, or ?async=1) answers 202; the job's file, from
// /api/v1/jobs/{id}/result, is byte for byte the synchronous download, with
// its Content-Type and Content-Disposition, for a layer's CSV and
// GeoPackage and the 项目库's XLSX (but for the times they record:
// sameExport). Another user gets 404 for it; an
// administrator gets it. The file is gone once it expires, and the route
// then answers 404 with a Chinese message.
func TestExportJobMatchesSync(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // the spools and results of this test only
	db := datatest.NewDemo(t)
	const ttl = 15 * time.Second
	h := newRouter(t, db.Store, func(c *api.Config) { c.RequestTimeout = time.Minute; c.ExportResultTTL = ttl })
	var ids []int64
	for i, url := range []string{
		"/api/v1/exports/roads.csv",
		"/api/v1/exports/roads.gpkg",
		"/api/v1/projects/export.xlsx",
	} {
		sync := get(t, h, url)
		if sync.Code != http.StatusOK || sync.Body.Len() == 0 {
			t.Fatalf("sync %s: %d %.200s", url, sync.Code, sync.Body)
		}
		req := httptest.NewRequest(http.MethodGet, url, nil)
		if i == 1 { // the query's form, on one of them
			req = httptest.NewRequest(http.MethodGet, url+"?async=1", nil)
		}
		j := startJob(t, h, req)
		j = waitJob(t, h, j.ID, finished)
		if j.State != planning.JobSucceeded || j.Kind != planning.JobExport || j.ResultStatus != http.StatusOK {
			t.Fatalf("%s: job %s %s %d, error %+v; want a succeeded export", url, j.State, j.Kind, j.ResultStatus, j.Error)
		}
		var res exportResult
		if err := json.Unmarshal(j.Result, &res); err != nil {
			t.Fatal(err)
		}
		rec := get(t, h, res.Download)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: GET %s: %d %s", url, res.Download, rec.Code, rec.Body)
		}
		if !sameExport(t, rec.Body.Bytes(), sync.Body.Bytes()) || res.Size != int64(sync.Body.Len()) {
			t.Errorf("%s: the job's file (%d bytes, result says %d) differs from the synchronous download (%d bytes)",
				url, rec.Body.Len(), res.Size, sync.Body.Len())
		}
		for _, k := range []string{"Content-Type", "Content-Disposition"} {
			if got, want := rec.Header().Get(k), sync.Header().Get(k); got != want || want == "" {
				t.Errorf("%s: %s %q, the synchronous download's %q", url, k, got, want)
			}
		}
		if _, params, err := mime.ParseMediaType(sync.Header().Get("Content-Disposition")); err != nil || params["filename"] != res.Filename || res.Filename == "" {
			t.Errorf("%s: result filename %q, Content-Disposition %q", url, res.Filename, sync.Header().Get("Content-Disposition"))
		}
		ids = append(ids, j.ID)
	}
	// The check's requests come before the newest file expires.
	id := ids[len(ids)-1]

	other := newBrowser("other")
	account(t, db.Store, "other", grantOf{access.County, "430682", access.Approver})
	other.mustLogIn(t, h)
	result := fmt.Sprintf("/api/v1/jobs/%d/result", id)
	if rec := other.do(h, http.MethodGet, result, nil); rec.Code != http.StatusNotFound || !strings.Contains(errorMessage(rec), "任务") {
		t.Errorf("another user's GET %s: %d %s, want 404", result, rec.Code, rec.Body)
	}
	admin := newBrowser("admin")
	account(t, db.Store, "admin", grantOf{access.County, "430682", access.Admin})
	admin.mustLogIn(t, h)
	if rec := admin.do(h, http.MethodGet, result, nil); rec.Code != http.StatusOK || rec.Body.Len() == 0 {
		t.Errorf("the administrator's GET %s: %d", result, rec.Code)
	}

	// Past the TTL the expiry timers have removed every file.
	deadline := time.Now().Add(ttl + 5*time.Second)
	for len(leftovers(t, tmp)) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if left := leftovers(t, tmp); len(left) > 0 {
		t.Errorf("files left past the TTL: %v", left)
	}
	if rec := get(t, h, result); rec.Code != http.StatusNotFound || !strings.Contains(errorMessage(rec), "过期") {
		t.Errorf("GET %s after expiry: %d %s, want 404 过期", result, rec.Code, rec.Body)
	}
}

// blockingExports writes some of an export, then waits until its context
// ends, as a long export would.
type blockingExports struct {
	planning.ExportStore
	started chan struct{}
}

func (b *blockingExports) Export(ctx context.Context, w io.Writer, opt planning.ExportOptions) error {
	if _, err := w.Write(bytes.Repeat([]byte("x"), 1<<16)); err != nil {
		return err
	}
	close(b.started)
	<-ctx.Done()
	return ctx.Err()
}

// TestExportJobCancelLeavesNoFile: a cancelled export job ends cancelled
// with no file, spool or result; its result route answers 404.
func TestExportJobCancelLeavesNoFile(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	db := datatest.NewDemo(t)
	be := &blockingExports{ExportStore: db.Store, started: make(chan struct{})}
	h := newRouter(t, db.Store, func(c *api.Config) { c.Exports = be })
	j := startJob(t, h, httptest.NewRequest(http.MethodGet, "/api/v1/exports/roads.csv", nil))
	select {
	case <-be.started:
	case <-time.After(time.Minute):
		t.Fatal("the export job never started")
	}
	if left := leftovers(t, tmp); len(left) != 1 {
		t.Fatalf("files while the export runs: %v, want its spool", left)
	}
	if rec := do(t, h, http.MethodPost, fmt.Sprintf("/api/v1/jobs/%d/cancel", j.ID), ""); rec.Code != http.StatusOK {
		t.Fatalf("cancel: %d %s", rec.Code, rec.Body)
	}
	j = waitJob(t, h, j.ID, finished)
	if j.State != planning.JobCancelled {
		t.Errorf("job %s, want cancelled", j.State)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(leftovers(t, tmp)) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if left := leftovers(t, tmp); len(left) > 0 {
		t.Errorf("a cancelled export left %v", left)
	}
	if rec := get(t, h, fmt.Sprintf("/api/v1/jobs/%d/result", j.ID)); rec.Code != http.StatusNotFound {
		t.Errorf("result of a cancelled job: %d %s, want 404", rec.Code, rec.Body)
	}
}

// TestSweepExportResults: the start's sweep removes results older than
// the TTL and keeps the younger ones and other files.
func TestSweepExportResults(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	for name, age := range map[string]time.Duration{"gapmap-result-1": 2 * time.Hour, "gapmap-result-2": time.Minute, "other-3": 2 * time.Hour} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	if n := api.SweepExportResults(dir, time.Hour, now, slog.New(slog.NewTextHandler(io.Discard, nil))); n != 1 {
		t.Errorf("removed %d, want 1", n)
	}
	for name, want := range map[string]bool{"gapmap-result-1": false, "gapmap-result-2": true, "other-3": true} {
		if _, err := os.Stat(filepath.Join(dir, name)); (err == nil) != want {
			t.Errorf("%s: exists %v, want %v", name, err == nil, want)
		}
	}
}
