package gdaltest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeTool puts an executable shell script called name, and nothing else,
// on PATH.
func fakeTool(t *testing.T, name, script string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
}

// TestToolSkipsWithoutCI: a developer without gdal-bin sees the test
// skipped, not failed.
func TestToolSkipsWithoutCI(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("CI", "")
	var sub *testing.T
	t.Run("missing", func(t *testing.T) {
		sub = t
		Tool(t, "ogrinfo")
		t.Error("Tool returned for a missing program")
	})
	if !sub.Skipped() {
		t.Error("a missing tool without CI did not skip the test")
	}
}

// TestOptional: an optional check runs when the tool is there, and under
// CI even when it is not (Tool then fails the test).
func TestOptional(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("CI", "")
	if Optional("ogrinfo") {
		t.Error("Optional without the tool or CI = true")
	}
	t.Setenv("CI", "1")
	if !Optional("ogrinfo") {
		t.Error("Optional under CI = false")
	}
	t.Setenv("CI", "")
	fakeTool(t, "ogrinfo", "exit 0")
	if !Optional("ogrinfo") {
		t.Error("Optional with the tool installed = false")
	}
}

// TestRunAndOutput: Run gives standard output and error together, Output
// apart, and both pass the arguments through.
func TestRunAndOutput(t *testing.T) {
	fakeTool(t, "ogrinfo", `echo "out $*"; echo "warning" >&2`)
	if got := Run(t, "ogrinfo", "-ro", "a b"); !strings.Contains(got, "out -ro a b\n") || !strings.Contains(got, "warning\n") {
		t.Errorf("Run = %q, want the output and the warning", got)
	}
	stdout, stderr := Output(t, "ogrinfo", "-so")
	if stdout != "out -so\n" || stderr != "warning\n" {
		t.Errorf("Output = %q, %q", stdout, stderr)
	}
}
