package gpkg

import (
	"bytes"
	"database/sql"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/data/gdaltest"
)

// run runs a GDAL tool and returns its standard output, failing the test
// with its standard error if it fails.
func run(tb testing.TB, tool string, args ...string) string {
	tb.Helper()
	stdout, _ := gdaltest.Output(tb, tool, args...)
	return stdout
}

// validatorPaths are where Debian's python3-gdal and GDAL source trees put
// the GeoPackage validator.
var validatorPaths = []string{
	"/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py",
	"/usr/share/doc/python3-gdal/examples/validate_gpkg.py",
	"/usr/local/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py",
}

// validate runs GDAL's validate_gpkg.py on path when it is installed (it
// comes with python3-gdal, not gdal-bin); otherwise it logs that the check
// was skipped and returns, leaving the rest of the test to run.
func validate(tb testing.TB, path string) {
	tb.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		tb.Log("python3 not found: validate_gpkg.py check skipped")
		return
	}
	script := ""
	for _, p := range validatorPaths {
		if _, err := os.Stat(p); err == nil {
			script = p
			break
		}
	}
	if script == "" {
		tb.Log("validate_gpkg.py not found (install python3-gdal): GeoPackage validation skipped")
		return
	}
	out, err := exec.Command(py, script, path).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		tb.Fatalf("validate_gpkg.py %s: %v\n%s", filepath.Base(path), err, out)
	}
}

// rawDB opens a GeoPackage with plain SQLite, read-write, to inspect it or
// to damage it on purpose.
func rawDB(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", dsn(path, "rw"))
	if err != nil {
		tb.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	tb.Cleanup(func() { db.Close() })
	return db
}

// mustExec runs statements on db, failing the test on error.
func mustExec(tb testing.TB, db *sql.DB, stmts ...string) {
	tb.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			tb.Fatalf("%s: %v", s, err)
		}
	}
}

// formatError asserts that err is a *FormatError wrapping sentinel and
// returns it.
func formatError(tb testing.TB, err, sentinel error) *FormatError {
	tb.Helper()
	if err == nil {
		tb.Fatalf("got no error, want %v", sentinel)
	}
	var fe *FormatError
	if !errors.As(err, &fe) {
		tb.Fatalf("got %T %v, want *FormatError", err, err)
	}
	if !errors.Is(err, sentinel) {
		tb.Fatalf("got %v (%v), want errors.Is %v", err, fe.Err, sentinel)
	}
	return fe
}

// readAll reads every record of layer in path.
func readAll(tb testing.TB, path, layer string) ([]string, []Record) {
	tb.Helper()
	f, err := Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	r, err := f.Read(layer)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	var recs []Record
	for r.Next() {
		recs = append(recs, r.Record())
	}
	if err := r.Err(); err != nil {
		tb.Fatal(err)
	}
	return r.Fields(), recs
}

// sameGeometry compares geometries within tol, so coordinates that went
// through GDAL's text or a projection still match.
func sameGeometry(a, b orb.Geometry, tol float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if va.Type() != vb.Type() {
		return false
	}
	return sameValue(va, vb, tol)
}

func sameValue(a, b reflect.Value, tol float64) bool {
	switch a.Kind() {
	case reflect.Float64:
		return math.Abs(a.Float()-b.Float()) <= tol
	case reflect.Array, reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !sameValue(a.Index(i), b.Index(i), tol) {
				return false
			}
		}
		return true
	case reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() && b.IsNil()
		}
		if a.Elem().Type() != b.Elem().Type() {
			return false
		}
		return sameValue(a.Elem(), b.Elem(), tol)
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}
