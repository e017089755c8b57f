package main

import (
	"io"
	"os"
	"path/filepath"
)

// writeAtomic makes path appear only when complete: write fills a new,
// empty temporary file beside it (tmpPath), which is renamed to path when
// write succeeds and removed otherwise, so a failed or interrupted command
// leaves no half-written file and an existing one untouched.
func writeAtomic(path string, write func(tmpPath string) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".gapmap-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after the rename, a no-op
	if err := f.Close(); err != nil {
		return err
	}
	if err := write(f.Name()); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil { // CreateTemp makes it private
		return err
	}
	return os.Rename(f.Name(), path)
}

// writeFileAtomic is writeAtomic for a writer: write writes the file's
// content to w.
func writeFileAtomic(path string, write func(w io.Writer) error) error {
	return writeAtomic(path, func(tmpPath string) error {
		f, err := os.OpenFile(tmpPath, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		if err := write(f); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	})
}
