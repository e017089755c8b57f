package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite" // reads the pack back

	"github.com/gapmap/gapmap/cmd/gapmap/web"
	"github.com/gapmap/gapmap/data/datatest"
)

// TestTilesPackCommand checks what `gapmap tiles pack` promises beyond
// tiles.Pack: the MBTiles file appears only when complete, and a failed
// pack leaves an existing file as it was and no temporary file.
func TestTilesPackCommand(t *testing.T) {
	db := datatest.NewDemo(t)
	env := dbEnv(db)
	dir := t.TempDir()
	out := filepath.Join(dir, "county.mbtiles")
	// Not an SQLite file: a pack written in place would fail on it.
	if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := run(datatest.Context(), []string{"tiles", "pack", "--layerset", "nothing", "--out", out}, env, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "没有图层或图层组") {
		t.Fatalf("pack of an unknown set: %v", err)
	}
	ctx, cancel := context.WithCancel(datatest.Context())
	cancel()
	if err := run(ctx, []string{"tiles", "pack", "--maxzoom", "10", "--out", out}, env, io.Discard, io.Discard); err == nil {
		t.Fatal("pack with a cancelled context succeeded")
	}
	if b, _ := os.ReadFile(out); string(b) != "old" {
		t.Errorf("failed packs changed the file to %q", b)
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Errorf("failed packs left %v", names)
	}

	var stdout bytes.Buffer
	if err := run(datatest.Context(), []string{"tiles", "pack", "--maxzoom", "10", "--out", out}, env, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "tiles rendered") {
		t.Errorf("pack printed %q", stdout.String())
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Errorf("the pack left %v", names)
	}
	pack, err := sql.Open("sqlite", out)
	if err != nil {
		t.Fatal(err)
	}
	defer pack.Close()
	var maxzoom string
	if err := pack.QueryRow(`SELECT value FROM metadata WHERE name = 'maxzoom'`).Scan(&maxzoom); err != nil || maxzoom != "10" {
		t.Errorf("packed maxzoom %q (%v), want 10", maxzoom, err)
	}

	// A .pmtiles name writes a PMTiles archive, also only when complete.
	pm := filepath.Join(dir, "county.pmtiles")
	if err := run(datatest.Context(), []string{"tiles", "pack", "--maxzoom", "8", "--out", pm}, env, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(pm); err != nil || !bytes.HasPrefix(b, []byte("PMTiles\x03")) {
		t.Errorf("county.pmtiles starts %q (%v), want the PMTiles v3 magic", b[:min(len(b), 8)], err)
	}
	if names := dirNames(t, dir); len(names) != 2 {
		t.Errorf("the PMTiles pack left %v", names)
	}
	if err := run(datatest.Context(), []string{"tiles", "pack", "--format", "geojson", "--out", pm}, env, io.Discard, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "可用") {
		t.Errorf("an unknown format: %v", err)
	}
}

// TestTilesPackPage checks the static copy of the review map that
// `tiles pack --page` writes beside a PMTiles archive: every embedded file
// under static/, byte for byte, and index.html naming them relative to
// itself; --page without PMTiles is refused before anything is opened.
func TestTilesPackPage(t *testing.T) {
	err := run(datatest.Context(), []string{"tiles", "pack", "--page", "--out", filepath.Join(t.TempDir(), "county.mbtiles")},
		func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "只能读取 PMTiles") {
		t.Fatalf("--page with MBTiles: %v", err)
	}

	dir := t.TempDir()
	if err := writePage(dir); err != nil {
		t.Fatal(err)
	}
	files := web.Static()
	n := 0
	err = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == "index.html" {
			return err
		}
		n++
		want, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		got, err := os.ReadFile(filepath.Join(dir, "static", filepath.FromSlash(p)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("static/%s: %d bytes, want the embedded %d (%v)", p, len(got), len(want), err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`href="static/style.css"`, `src="static/app.js"`, `<link rel="modulepreload" href="static/map.js">`, "村级基础设施缺口审核图"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("index.html lacks %s", want)
		}
	}
	if bytes.Contains(page, []byte(web.AssetsMark)) || bytes.Contains(page, []byte(web.PreloadMark)) {
		t.Error("index.html keeps a template mark")
	}
	if _, err := os.Stat(filepath.Join(dir, "static", "app.js")); err != nil || n < 10 {
		t.Errorf("the copy holds %d files besides index.html (%v)", n, err)
	}
}
