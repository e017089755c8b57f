package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestFloorAnswersAsWarm: the floor server answers each path with the
// bytes and headers the warm server sent (gzip kept as sent, so the load
// client does the same work on both), 204 included, and 404 elsewhere.
func TestFloorAnswersAsWarm(t *testing.T) {
	tile := bytes.Repeat([]byte("mvt-bytes "), 300)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(tile)
	zw.Close()
	warm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/tiles/review/14/1/1.mvt" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if r.Header.Get("Accept-Encoding") != "gzip" {
			t.Errorf("copy asked without gzip: %q", r.Header.Get("Accept-Encoding"))
		}
		w.Header().Set("Content-Type", "application/vnd.mapbox-vector-tile")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gz.Bytes())
	}))
	defer warm.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	floor, fa := startFloorServer(ctx)
	if err := fa.copy(ctx, []string{warm.URL + "/tiles/review/14/0/0.mvt", warm.URL + "/tiles/review/14/1/1.mvt"}, warm.URL); err != nil {
		t.Fatal(err)
	}
	raw := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	for _, c := range []struct {
		path     string
		status   int
		body     []byte
		encoding string
	}{
		{"/tiles/review/14/0/0.mvt", http.StatusOK, gz.Bytes(), "gzip"},
		{"/tiles/review/14/1/1.mvt", http.StatusNoContent, nil, ""},
		{"/tiles/review/14/2/2.mvt", http.StatusNotFound, nil, ""},
	} {
		req, _ := http.NewRequest(http.MethodGet, floor+c.path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := raw.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || resp.Header.Get("Content-Encoding") != c.encoding {
			t.Errorf("%s: %d %q, want %d %q", c.path, resp.StatusCode, resp.Header.Get("Content-Encoding"), c.status, c.encoding)
		}
		if c.status != http.StatusNotFound && !bytes.Equal(body, c.body) {
			t.Errorf("%s: %d bytes, want the warm server's %d", c.path, len(body), len(c.body))
		}
	}
	// The load client (transparent gzip) reads the tile itself.
	n, status, err := fetchTile(ctx, &http.Client{}, floor+"/tiles/review/14/0/0.mvt")
	if err != nil || status != http.StatusOK || n != len(tile) {
		t.Errorf("load client: %d bytes, status %d (%v), want %d", n, status, err, len(tile))
	}
}
