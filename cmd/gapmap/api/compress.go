package api

import (
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"sync"
)

// minGzipBytes is the smallest JSON answer worth compressing: below it the
// gzip header and the CPU cost more than the bytes saved.
const minGzipBytes = 1024

// gzipWriters reuses compressors, each holding about 1 MB of deflate state.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.DefaultCompression)
	return zw
}}

// compressJSON gzips the JSON answers of rt (application/json and
// application/geo+json of minGzipBytes or more) for a client that accepts
// gzip: the 项目库's 1,000 projects are 340 KB as JSON, about a tenth
// gzipped. An answer the handler encoded itself (a tile's gzip, an asset's
// precompressed file), a partial or bodiless one, a file to download
// (Content-Disposition: an export job's result) and other types pass
// untouched. Exports are files sent from their spool, and are left alone.
func compressJSON(rt route, next http.Handler) http.Handler {
	if rt.class == classExport {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gw := &gzipWriter{ResponseWriter: w, accepts: acceptsGzip(r)}
		defer gw.close()
		next.ServeHTTP(gw, r)
	})
}

// gzipWriter holds back the start of the body until it knows whether to
// compress: the status and headers the handler set, and whether the body
// reaches minGzipBytes (or is flushed, as a stream is, before).
type gzipWriter struct {
	http.ResponseWriter
	accepts bool // the client takes gzip
	status  int  // 0 until WriteHeader
	buf     []byte
	decided bool
	zw      *gzip.Writer // non-nil while compressing
}

func (g *gzipWriter) WriteHeader(code int) {
	if g.decided {
		g.ResponseWriter.WriteHeader(code)
		return
	}
	if code >= 100 && code < 200 {
		g.ResponseWriter.WriteHeader(code) // informational: the real status follows
		return
	}
	if g.status == 0 {
		g.status = code
	}
}

func (g *gzipWriter) Write(p []byte) (int, error) {
	if !g.decided {
		g.buf = append(g.buf, p...)
		if len(g.buf) < minGzipBytes {
			return len(p), nil
		}
		if err := g.decide(); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	if g.zw != nil {
		return g.zw.Write(p)
	}
	return g.ResponseWriter.Write(p)
}

// decide sends the status and headers, compressing if the answer is JSON
// the handler has not encoded and the client takes gzip, then the body
// held so far.
func (g *gzipWriter) decide() error {
	g.decided = true
	h := g.Header()
	status := g.status
	if status == 0 {
		status = http.StatusOK
	}
	if compressible(h, status) {
		h.Add("Vary", "Accept-Encoding")
		if g.accepts && len(g.buf) > 0 {
			h.Set("Content-Encoding", "gzip")
			h.Del("Content-Length")
			if etag := h.Get("ETag"); strings.HasSuffix(etag, `"`) {
				// The compressed bytes are another representation.
				h.Set("ETag", strings.TrimSuffix(etag, `"`)+`-gz"`)
			}
			g.zw = gzipWriters.Get().(*gzip.Writer)
			g.zw.Reset(g.ResponseWriter)
		}
	}
	g.ResponseWriter.WriteHeader(status)
	buf := g.buf
	g.buf = nil
	if len(buf) == 0 {
		return nil
	}
	var err error
	if g.zw != nil {
		_, err = g.zw.Write(buf)
	} else {
		_, err = g.ResponseWriter.Write(buf)
	}
	return err
}

// compressible reports whether an answer with headers h and status is
// JSON this middleware may encode.
func compressible(h http.Header, status int) bool {
	if status == http.StatusNoContent || status == http.StatusNotModified || status == http.StatusPartialContent {
		return false
	}
	if h.Get("Content-Encoding") != "" || h.Get("Content-Range") != "" || h.Get("Content-Disposition") != "" {
		return false
	}
	ct, _, _ := strings.Cut(h.Get("Content-Type"), ";")
	ct = strings.TrimSpace(strings.ToLower(ct))
	return ct == "application/json" || ct == "application/geo+json"
}

// Flush sends what the handler wrote so far: a streamed answer is
// compressed whatever its size.
func (g *gzipWriter) Flush() {
	if !g.decided {
		if err := g.decide(); err != nil {
			return
		}
	}
	if g.zw != nil {
		if err := g.zw.Flush(); err != nil {
			return
		}
	}
	_ = http.NewResponseController(g.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection (deadlines).
func (g *gzipWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

// close sends a short answer held back, or ends the compressed stream.
func (g *gzipWriter) close() {
	if !g.decided {
		if g.status == 0 && len(g.buf) == 0 {
			return // the handler wrote nothing: net/http answers 200 itself
		}
		// Below minGzipBytes: sent as it is.
		g.accepts = false
		if err := g.decide(); err != nil {
			return
		}
	}
	if g.zw != nil {
		_ = g.zw.Close()
		g.zw.Reset(io.Discard)
		gzipWriters.Put(g.zw)
		g.zw = nil
	}
}
