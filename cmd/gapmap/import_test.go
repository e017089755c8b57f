package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/gapmap/gapmap/data/datatest"
)

// TestImportCommandFlags: `gapmap import --dry-run` fails (exit status 1)
// when rows have errors, in any mode, and not for a clean file; --source
// names the dataset the ids belong to; --encoding gbk reads a CSV whose
// GBK starts after the part detection looks at. `gapmap export --encoding
// gbk`, which the usage promised, is a flag.
func TestImportCommandFlags(t *testing.T) {
	db := datatest.New(t)
	env := dbEnv(db)
	ctx := datatest.Context()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	line := `"LINESTRING(113.5 29.5, 113.6 29.6)"`
	bad := write("bad.csv", "ID,行政等级,WKT\nr1,村道,"+line+"\nr2,机耕道,"+line+"\n")
	for _, mode := range []string{"reject", "skip", "upsert"} {
		var out bytes.Buffer
		err := run(ctx, []string{"import", "--layer", "roads", "--file", bad, "--dry-run", "--mode", mode}, env, &out, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "dry run: 1 row(s) with errors") {
			t.Errorf("--dry-run --mode %s of a file with a bad row: %v\n%s", mode, err, out.String())
		}
	}
	good := write("good.csv", "ID,行政等级,WKT\nr1,村道,"+line+"\n")
	var out bytes.Buffer
	if err := run(ctx, []string{"import", "--layer", "roads", "--file", good, "--dry-run"}, env, &out, io.Discard); err != nil {
		t.Errorf("--dry-run of a clean file: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"import", "--layer", "roads", "--file", good, "--source", "临湘交通局"}, env, &out, io.Discard); err != nil ||
		!strings.Contains(out.String(), "来源数据集：临湘交通局") {
		t.Errorf("--source: %v\n%s", err, out.String())
	}

	var b strings.Builder
	b.WriteString("ext_id,name,grade,WKT\n")
	for i := 0; b.Len() < 70<<10; i++ {
		fmt.Fprintf(&b, "a%d,road %d,C,%s\n", i, i, line)
	}
	tail, _ := simplifiedchinese.GBK.NewEncoder().String("z1,桃林路,村道," + line + "\n")
	gbk := write("gbk.csv", b.String()+tail)
	if err := run(ctx, []string{"import", "--layer", "roads", "--file", gbk, "--encoding", "gbk"}, env, io.Discard, io.Discard); err != nil {
		t.Fatalf("--encoding gbk: %v", err)
	}
	var name string
	db.Pool.QueryRow(ctx, `SELECT name FROM roads WHERE ext_id = 'z1'`).Scan(&name)
	if name != "桃林路" {
		t.Errorf("--encoding gbk stored %q", name)
	}
	if err := run(ctx, []string{"import", "--layer", "roads", "--file", good, "--encoding", "big5"}, env, io.Discard, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "未知的字符编码") {
		t.Errorf("--encoding big5: %v", err)
	}

	zipped := filepath.Join(dir, "roads.shp.zip")
	if err := run(ctx, []string{"export", "--layer", "roads", "--format", "shp.zip", "--encoding", "gbk", "--out", zipped}, env, io.Discard, io.Discard); err != nil {
		t.Fatalf("export --encoding gbk: %v", err)
	}
	zr, err := zip.OpenReader(zipped)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	cpg := ""
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, ".cpg") {
			r, _ := f.Open()
			raw, _ := io.ReadAll(r)
			r.Close()
			cpg = string(raw)
		}
	}
	if cpg != "936" {
		t.Errorf("export --encoding gbk wrote .cpg %q, want 936 (GBK)", cpg)
	}
	if err := run(ctx, []string{"export", "--layer", "roads", "--format", "shp.zip", "--encoding", "gbk", "--filter", "encoding=utf-8", "--out", zipped}, env, io.Discard, io.Discard); err == nil {
		t.Error("--encoding and --filter encoding= that disagree were accepted")
	}
}

// TestImportStrictFlag: `gapmap import --strict` refuses DataV's GCJ-02
// outline read as WGS-84 (exit status 1, nothing written), which without
// it goes in with the warning; --margin-km must be positive.
func TestImportStrictFlag(t *testing.T) {
	db := datatest.New(t)
	env := dbEnv(db)
	ctx := datatest.Context()
	gcj := "../../geo/testdata/linxiang_boundary_gcj02.geojson"
	var out bytes.Buffer
	err := run(ctx, []string{"import", "--layer", "counties", "--file", gcj, "--strict"}, env, &out, io.Discard)
	if err == nil || !strings.Contains(out.String(), "错误 文件 geom") || !strings.Contains(out.String(), "疑似高德/DataV GCJ-02 坐标") {
		t.Errorf("--strict over DataV's GCJ-02 outline: %v\n%s", err, out.String())
	}
	var n int
	db.Pool.QueryRow(ctx, `SELECT count(*) FROM counties`).Scan(&n)
	if n != 0 {
		t.Errorf("--strict wrote %d counties", n)
	}
	out.Reset()
	if err := run(ctx, []string{"import", "--layer", "counties", "--file", gcj}, env, &out, io.Discard); err != nil || !strings.Contains(out.String(), "警告 文件 geom") {
		t.Errorf("without --strict: %v\n%s", err, out.String())
	}
	if err := run(ctx, []string{"import", "--layer", "counties", "--file", gcj, "--margin-km", "0"}, env, io.Discard, io.Discard); err == nil {
		t.Error("--margin-km 0 accepted")
	}
}
