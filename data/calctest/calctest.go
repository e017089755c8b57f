// Package calctest recalculates spreadsheets with LibreOffice Calc, a
// spreadsheet engine that shares no code with excelize, so that tests can
// check what a workbook's formulas compute rather than the values written
// beside them. Debian's libreoffice-calc provides soffice;
// scripts/testdeps.sh installs it and `make test` runs that.
//
// A missing soffice skips the test on a developer's machine but fails it
// when the CI environment variable is set, the rule data/gdaltest and
// data/datatest apply too.
//
// Only tests import this package.
package calctest

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// recalcAlways is a LibreOffice user profile that recalculates every
// formula of an OOXML file on load (Tools ▸ Options ▸ Calc ▸ Formula ▸
// Recalculation on file load ▸ Excel 2007 and newer: Always), instead of
// trusting the values stored with them.
const recalcAlways = `<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
`

// cachedValue is the value a formula cell stores after its <f>.
var cachedValue = regexp.MustCompile(`(</f>)<v>[^<]*</v>`)

// Soffice returns the path of LibreOffice's soffice. When it is not on
// PATH the test is skipped, or fails if CI is set.
func Soffice(tb testing.TB) string {
	tb.Helper()
	p, err := exec.LookPath("soffice")
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatal("soffice not found, but CI is set and must run the LibreOffice checks: install Debian's libreoffice-calc (scripts/testdeps.sh)")
		}
		tb.Skip("soffice not found: install Debian's libreoffice-calc (scripts/testdeps.sh) to run the LibreOffice checks")
	}
	return p
}

// StripFormulaValues returns the XLSX file with the values stored beside
// its formulas removed, so that whoever reads it has to compute them. It
// reports how many it removed.
func StripFormulaValues(tb testing.TB, xlsx []byte) ([]byte, int) {
	tb.Helper()
	zr, err := zip.NewReader(bytes.NewReader(xlsx), int64(len(xlsx)))
	if err != nil {
		tb.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	n := 0
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			tb.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			tb.Fatal(err)
		}
		if strings.HasPrefix(zf.Name, "xl/worksheets/") {
			n += len(cachedValue.FindAllIndex(b, -1))
			b = cachedValue.ReplaceAll(b, []byte("$1"))
		}
		w, err := zw.Create(zf.Name)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := w.Write(b); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes(), n
}

// FirstSheetCSV has LibreOffice open the XLSX file, recalculating every
// formula, and returns its first sheet as CSV records, each cell as
// shown (a 0.00 format gives "12.30"). It takes tens of seconds.
func FirstSheetCSV(tb testing.TB, xlsx []byte) [][]string {
	tb.Helper()
	soffice := Soffice(tb)
	dir := tb.TempDir()
	profile := filepath.Join(dir, "profile")
	if err := os.MkdirAll(filepath.Join(profile, "user"), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(profile, "user", "registrymodifications.xcu"), []byte(recalcAlways), 0o644); err != nil {
		tb.Fatal(err)
	}
	in := filepath.Join(dir, "book.xlsx")
	if err := os.WriteFile(in, xlsx, 0o644); err != nil {
		tb.Fatal(err)
	}
	// 44,34,76,1: comma, double quote, UTF-8, start at row 1.
	cmd := exec.Command(soffice, "-env:UserInstallation=file://"+profile, "--headless",
		"--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir", dir, in)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("soffice --convert-to csv: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "book.csv"))
	if err != nil {
		tb.Fatalf("soffice wrote no CSV: %v", err)
	}
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	return recs
}
