package api_test

import (
	"bytes"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/gapmap/gapmap/cmd/gapmap/api"
	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

// upload builds a multipart request with files (name → content) and form
// fields.
func upload(t *testing.T, url string, files map[string]string, fields map[string]string) *http.Request {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	for name, content := range files {
		w, err := mw.CreateFormFile("file", name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, content)
	}
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, url, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return req
}

// TestImportAPI uploads bus stops to the demo: a bad row refuses the file
// with 422 and the report, skip mode writes the good rows, the CSV report
// downloads, and an upload over the limit is refused in Chinese.
func TestImportAPI(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	r := newRouter(t, db.Store, func(c *api.Config) { c.RequestTimeout, c.ImportMaxBytes = 10*time.Second, 1<<20 })
	count := func() int {
		var n int
		db.Pool.QueryRow(ctx, `SELECT count(*) FROM bus_stops`).Scan(&n)
		return n
	}
	before := count()
	csv := "站名,经度,纬度,线路\n甲村招呼站,113.45,29.47,临湘-羊楼司;临湘-桃林\n乙村招呼站,29.47,113.46,\n"

	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, upload(t, "/api/v1/layers/bus_stops/imports", map[string]string{"招呼站.csv": csv}, nil))
	rep := decode[planning.ImportReport](t, rec)
	if rec.Code != http.StatusUnprocessableEntity || rep.Committed || rep.Rejected != 1 || count() != before {
		t.Fatalf("reject: %d %s", rec.Code, rec.Body)
	}
	if len(rep.Problems) == 0 || rep.Problems[len(rep.Problems)-1].Row != 3 || !strings.Contains(rep.Problems[len(rep.Problems)-1].Reason, "颠倒") {
		t.Errorf("swapped row 3 not reported: %+v", rep.Problems)
	}

	rec = httptest.NewRecorder()
	r.ServeHTTP(rec, upload(t, "/api/v1/layers/bus_stops/imports?report=csv", map[string]string{"招呼站.csv": csv}, map[string]string{"mode": "skip"}))
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Body.String(), "\ufeff行号") || !strings.Contains(rec.Body.String(), "颠倒") {
		t.Fatalf("skip with CSV report: %d %s", rec.Code, rec.Body)
	}
	if count() != before+1 {
		t.Fatalf("skip mode wrote %d rows, want 1", count()-before)
	}
	var routes []string
	db.Pool.QueryRow(ctx, `SELECT routes FROM bus_stops WHERE name = '甲村招呼站'`).Scan(&routes)
	if strings.Join(routes, "|") != "临湘-羊楼司|临湘-桃林" {
		t.Errorf("routes %q", routes)
	}

	// The form fields source and encoding reach the import.
	gbk, _ := simplifiedchinese.GBK.NewEncoder().String("要素编号,站名,经度,纬度\nS1,丙村招呼站,113.45,29.48\n")
	rec = httptest.NewRecorder()
	r.ServeHTTP(rec, upload(t, "/api/v1/layers/bus_stops/imports", map[string]string{"站点.csv": gbk}, map[string]string{"source": "临湘客运", "encoding": "gbk", "dry_run": "1"}))
	if rep := decode[planning.ImportReport](t, rec); rec.Code != http.StatusOK || rep.Source != "临湘客运" || rep.Encoding != "GB18030" || rep.Inserted != 1 {
		t.Errorf("source and encoding fields: %d %s", rec.Code, rec.Body)
	}

	rec = httptest.NewRecorder()
	r.ServeHTTP(rec, upload(t, "/api/v1/layers/bus_stops/imports", map[string]string{"big.csv": strings.Repeat("x", 2<<20)}, nil))
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "超过 1 MiB") {
		t.Errorf("oversize upload: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	r.ServeHTTP(rec, upload(t, "/api/v1/layers/wells/imports", map[string]string{"a.csv": csv}, nil))
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "roads") {
		t.Errorf("unknown layer: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	r.ServeHTTP(rec, upload(t, "/api/v1/layers/bus_stops/imports", map[string]string{"a.csv": csv}, map[string]string{"mode": "merge"}))
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "upsert") {
		t.Errorf("bad mode: %d %s", rec.Code, rec.Body)
	}
}

// TestImportAndExportExtendDeadlines runs the real import and export
// handlers behind the whole chain on a real connection: both must reach it
// to extend their deadlines, which they log a warning about when they
// cannot (as before the access log's recorder had Unwrap).
func TestImportAndExportExtendDeadlines(t *testing.T) {
	db := datatest.New(t)
	var logs bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv := httptest.NewServer(newRouter(t, db.Store, func(c *api.Config) { c.Log = log }))
	defer srv.Close()

	up := upload(t, "/", map[string]string{"招呼站.csv": "站名,经度,纬度\n甲村招呼站,113.45,29.47\n"}, map[string]string{"dry_run": "true"})
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/layers/bus_stops/imports", up.Body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", up.Header.Get("Content-Type"))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("dry-run import: %d %s", res.StatusCode, body)
	}
	res, err = http.Get(srv.URL + "/api/v1/exports/bus_stops.geojson")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "FeatureCollection") {
		t.Errorf("export: %d %s", res.StatusCode, body)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Contains(logs.String(), "keeps the server's") {
		t.Errorf("a handler could not extend its deadlines:\n%s", logs.String())
	}
}

// writerFunc is an io.Writer made of a function.
type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
