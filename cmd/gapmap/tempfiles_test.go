package main

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestSweepTemp: leftovers of a killed run older than any request's budget
// go; a fresh one (a live import of another process) and files that are
// not gapmap's stay.
func TestSweepTemp(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	mk := func(name string, age time.Duration, isDir bool) string {
		p := filepath.Join(dir, name)
		if isDir {
			if err := os.MkdirAll(filepath.Join(p, "sub"), 0o755); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(p, "sub", "upload.zip"), []byte("x"), 0o644)
		} else {
			os.WriteFile(p, []byte("x"), 0o644)
		}
		if err := os.Chtimes(p, now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
		return p
	}
	old := []string{mk("gapmap-import-123", 3*time.Hour, true), mk("gapmap-poverty-9", 5*time.Hour, true), mk("gapmap-export-7", 3*time.Hour, false)}
	kept := []string{mk("gapmap-import-live", 10*time.Minute, true), mk("other-app-1", 48*time.Hour, true)}
	if n := sweepTemp(dir, now, slog.New(slog.NewTextHandler(io.Discard, nil))); n != len(old) {
		t.Errorf("removed %d, want %d", n, len(old))
	}
	for _, p := range old {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s: still there (%v)", p, err)
		}
	}
	for _, p := range kept {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: removed (%v)", p, err)
		}
	}
}
