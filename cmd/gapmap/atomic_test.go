package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// dirNames lists dir, so that a test sees any temporary file left behind.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	failed := errors.New("disk on fire")
	err := writeFileAtomic(path, func(w io.Writer) error {
		io.WriteString(w, "half")
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("failing write: %v, want its error", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("a failed write changed the file to %q", b)
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Errorf("a failed write left %v", names)
	}

	if err := writeFileAtomic(path, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if b, _ := os.ReadFile(path); err != nil || string(b) != "new" || st.Mode().Perm() != 0o644 {
		t.Errorf("after the write: %q, %v, %v; want \"new\", mode 0644", b, st.Mode(), err)
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Errorf("a write left %v", names)
	}
}
