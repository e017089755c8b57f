package api

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/cmd/gapmap/web"
)

// Gunzip decodes one gzip stream; it fails the test on anything else.
// Exported for the package's external tests (compress_test.go): a _test.go
// file of package api is compiled with them.
func Gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("bad gzip: %v", err)
	}
	return plain
}

// bigJSON is a JSON array of n objects, well over minGzipBytes for n ≥ 50.
func bigJSON(n int) []byte {
	var b bytes.Buffer
	b.WriteString("[")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id":%d,"name":"通村公路硬化 %d","cost_wan":%d.5}`, i, i, i*7)
	}
	b.WriteString("]\n")
	return b.Bytes()
}

func TestCompressJSON(t *testing.T) {
	big := bigJSON(400)
	mvt := bytes.Repeat([]byte{0x1a, 0x05, 'r', 'o', 'a', 'd', 's'}, 400)
	var mvtGz bytes.Buffer
	zw := gzip.NewWriter(&mvtGz)
	zw.Write(mvt)
	zw.Close()

	cases := []struct {
		name    string
		class   class
		accept  string
		handler http.HandlerFunc
		want    []byte // the body as the client decodes it
		gzipped bool   // Content-Encoding gzip added by compressJSON
		vary    bool
		encoded bool // the handler gzipped the body itself
	}{
		{"a large JSON answer, gzip accepted", classAPI, "gzip, deflate, br", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Write(big)
		}, big, true, true, false},
		{"written in small pieces", classAPI, "gzip", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusCreated)
			for i := 0; i < len(big); i += 100 {
				w.Write(big[i:min(i+100, len(big))])
			}
		}, big, true, true, false},
		{"GeoJSON", classAPI, "gzip", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/geo+json")
			w.Write(big)
		}, big, true, true, false},
		{"gzip not accepted", classAPI, "", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Write(big)
		}, big, false, true, false},
		{"gzip refused by q=0", classAPI, "gzip;q=0, identity", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Write(big)
		}, big, false, true, false},
		{"a small JSON answer stays as it is", classAPI, "gzip", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":{"code":"not_found","message":"没有这个村"}}`))
		}, []byte(`{"error":{"code":"not_found","message":"没有这个村"}}`), false, true, false},
		{"a tile keeps its own gzip, never compressed twice", classTile, "gzip", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/vnd.mapbox-vector-tile")
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(mvtGz.Bytes())
		}, mvt, false, false, true},
		{"JSON the handler encoded itself", classOpen, "gzip", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(mvtGz.Bytes())
		}, mvt, false, false, true},
		{"not JSON", classOpen, "gzip", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Write(big)
		}, big, false, false, false},
		{"an export is its spool's to send", classExport, "gzip", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/geo+json")
			w.Write(big)
		}, big, false, false, false},
		{"a file to download (an export job's result)", classAPI, "gzip", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/geo+json")
			w.Header().Set("Content-Disposition", `attachment; filename="villages.geojson"`)
			w.Write(big)
		}, big, false, false, false},
		{"no content", classAPI, "gzip", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNoContent)
		}, nil, false, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := compressJSON(route{class: tc.class}, tc.handler)
			req := httptest.NewRequest(http.MethodGet, "/x", nil)
			if tc.accept != "" {
				req.Header.Set("Accept-Encoding", tc.accept)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			body := rec.Body.Bytes()
			// What the handler set itself is decoded as the client would.
			if rec.Header().Get("Content-Encoding") == "gzip" {
				body = Gunzip(t, body)
			}
			if !bytes.Equal(body, tc.want) {
				t.Fatalf("decoded body: %d bytes, want %d bytes equal to the handler's", len(body), len(tc.want))
			}
			if got := rec.Header().Get("Content-Encoding") == "gzip" && !tc.encoded; got != tc.gzipped {
				t.Errorf("compressed by compressJSON: %v, want %v (headers %v)", got, tc.gzipped, rec.Header())
			}
			if got := rec.Header().Values("Content-Encoding"); len(got) > 1 {
				t.Errorf("Content-Encoding %v: encoded twice", got)
			}
			if got := strings.Contains(rec.Header().Get("Vary"), "Accept-Encoding"); got != tc.vary {
				t.Errorf("Vary: Accept-Encoding %v, want %v", got, tc.vary)
			}
			if tc.gzipped && rec.Header().Get("Content-Length") != "" {
				t.Error("a compressed answer keeps the length of the plain one")
			}
		})
	}
}

func TestCompressJSONStream(t *testing.T) {
	big := bigJSON(2000)
	h := compressJSON(route{class: classAPI}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/geo+json")
		w.Header().Set("ETag", `"abc"`)
		w.Write(big[:10]) // flushed below minGzipBytes: a stream is compressed anyway
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("flush through compressJSON: %v", err)
		}
		w.Write(big[10:])
	}))
	req := httptest.NewRequest(http.MethodGet, "/x", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if !rec.Flushed {
		t.Error("the flush did not reach the connection")
	}
	if rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("streamed JSON not compressed: %v", rec.Header())
	}
	if got := Gunzip(t, rec.Body.Bytes()); !bytes.Equal(got, big) {
		t.Fatalf("decoded stream: %d bytes, want %d", len(got), len(big))
	}
	if got := rec.Header().Get("ETag"); got != `"abc-gz"` {
		t.Errorf("ETag %s, want the compressed representation's \"abc-gz\"", got)
	}
	if rec.Body.Len()*4 > len(big) {
		t.Errorf("compressed %d bytes to %d: less than 4:1 on repetitive JSON", len(big), rec.Body.Len())
	}
}

// TestEmbeddedAssetsGzipped requests every file of the real page (package
// web) with Accept-Encoding: gzip: each script, style sheet and JSON file
// over 1 KB comes compressed, and decodes to the file's exact bytes.
func TestEmbeddedAssetsGzipped(t *testing.T) {
	static := web.Static()
	srv := httptest.NewServer(pageRouter(t, static, WebConfig{}))
	t.Cleanup(srv.Close)
	_, page := webGet(t, srv.URL+"/")
	prefix := regexp.MustCompile(`/static/[0-9a-f]{12}`).Find(page)
	if prefix == nil {
		t.Fatalf("no asset prefix in %s", page)
	}
	n := 0
	err := fs.WalkDir(static, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == "index.html" {
			return err
		}
		switch path.Ext(p) {
		case ".js", ".mjs", ".css", ".json":
		default:
			return nil
		}
		file, err := fs.ReadFile(static, p)
		if err != nil || len(file) <= 1024 {
			return err
		}
		n++
		res, body := webGet(t, srv.URL+string(prefix)+"/"+p, "Accept-Encoding", "gzip")
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("%s: %d, Content-Encoding %q; want 200 gzip", p, res.StatusCode, res.Header.Get("Content-Encoding"))
			return nil
		}
		if !bytes.Equal(Gunzip(t, body), file) {
			t.Errorf("%s: the decoded answer differs from the file", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Errorf("only %d files checked; the page has more than 10 scripts", n)
	}
}
