package gdaltest

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Tool returns the path of the GDAL program name. When it is not on PATH
// the test is skipped, or fails if CI is set.
func Tool(tb testing.TB, name string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("%s not found, but CI is set and must run the GDAL checks: install Debian's gdal-bin (scripts/testdeps.sh)", name)
		}
		tb.Skipf("%s not found: install Debian's gdal-bin (scripts/testdeps.sh) to run the GDAL checks", name)
	}
	return p
}

// Optional reports whether a test's optional GDAL check with the program
// name should run: when it is installed, or when CI is set, where [Tool]
// then fails rather than let the check be left out.
func Optional(name string) bool {
	_, err := exec.LookPath(name)
	return err == nil || os.Getenv("CI") != ""
}

// Run runs the GDAL program name with args and returns its combined
// standard output and error; it fails the test if the program fails, and
// skips or fails as [Tool] does if it is missing.
func Run(tb testing.TB, name string, args ...string) string {
	tb.Helper()
	out, err := exec.Command(Tool(tb, name), args...).CombinedOutput()
	if err != nil {
		tb.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Output runs the GDAL program name with args and returns its standard
// output and standard error apart, for tests that parse the output or
// read GDAL's warnings and --debug lines; it fails the test, showing the
// standard error, if the program fails.
func Output(tb testing.TB, name string, args ...string) (stdout, stderr string) {
	tb.Helper()
	cmd := exec.Command(Tool(tb, name), args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		tb.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, errOut.String())
	}
	return out.String(), errOut.String()
}
