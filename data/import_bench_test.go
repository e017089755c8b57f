package data_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/data/gdaltest"
	"github.com/gapmap/gapmap/planning"
)

// BenchmarkImportVsOgr2ogr loads the same 1,000,000-road GeoJSONSeq file
// (synthetic random walks over Hunan, 8 vertices and 7 attributes each)
// with the `gapmap import` command and with GDAL's `ogr2ogr -f PostgreSQL`
// into the same database, each as the process a user runs, and reports
// both times, their ratio and each process's peak RSS. It is a by-hand
// benchmark:
//
//	go test ./data -run '^$' -bench ImportVsOgr2ogr -benchtime 1x -timeout 30m
//
// GAPMAP_BENCH_ROADS sets the number of roads (default 1,000,000); the
// file is generated once into the temp directory and reused.
func BenchmarkImportVsOgr2ogr(b *testing.B) {
	ogr := gdaltest.Tool(b, "ogr2ogr")
	n := 1_000_000
	if v := os.Getenv("GAPMAP_BENCH_ROADS"); v != "" {
		fmt.Sscan(v, &n)
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("gapmap-roads-%d.geojsonl", n))
	if _, err := os.Stat(path); err != nil {
		writeRoadsSeq(b, path, n)
	}
	gapmap := filepath.Join(b.TempDir(), "gapmap")
	if out, err := exec.Command("go", "build", "-o", gapmap, "../cmd/gapmap").CombinedOutput(); err != nil {
		b.Fatalf("build gapmap: %v\n%s", err, out)
	}
	db := datatest.New(b)
	ctx := datatest.Context()
	report := filepath.Join(b.TempDir(), "report.json")
	for b.Loop() {
		db.Pool.Exec(ctx, `TRUNCATE roads CASCADE`)
		checkpoint(b, db)
		cmd := exec.Command(gapmap, "import", "--layer", "roads", "--file", path, "--report", report)
		cmd.Env = append(os.Environ(), "DATABASE_URL="+db.URL)
		ours, ourRSS := runTimed(b, cmd)
		var rep planning.ImportReport
		if raw, err := os.ReadFile(report); err != nil || json.Unmarshal(raw, &rep) != nil || !rep.Committed || rep.Inserted != int64(n) {
			b.Fatalf("gapmap import: %v %s", err, rep.Message)
		}
		b.Logf("gapmap phases: %v", rep.Phases)

		db.Pool.Exec(ctx, `DROP TABLE IF EXISTS ogr_roads`)
		checkpoint(b, db)
		theirs, theirRSS := runTimed(b, exec.Command(ogr, "-f", "PostgreSQL", pgKeywords(b, db.URL), path, "-nln", "ogr_roads",
			"-lco", "SCHEMA="+db.Schema, "-lco", "GEOMETRY_NAME=geom", "-a_srs", "EPSG:4490", "-nlt", "LINESTRING"))
		var count int
		db.Pool.QueryRow(ctx, `SELECT count(*) FROM ogr_roads`).Scan(&count)
		if count != n {
			b.Fatalf("ogr2ogr loaded %d rows", count)
		}
		b.ReportMetric(ours.Seconds(), "gapmap-s")
		b.ReportMetric(theirs.Seconds(), "ogr2ogr-s")
		b.ReportMetric(theirs.Seconds()/ours.Seconds(), "speedup")
		b.ReportMetric(float64(ourRSS)/(1<<20), "gapmap-RSS-MiB")
		b.ReportMetric(float64(theirRSS)/(1<<20), "ogr2ogr-RSS-MiB")
	}
}

// checkpoint flushes the WAL the previous load wrote, so that the next
// one does not pay for it (scripts/dbsetup.sh grants pg_checkpoint).
func checkpoint(tb testing.TB, db *datatest.DB) {
	if _, err := db.Pool.Exec(datatest.Context(), `CHECKPOINT`); err != nil {
		tb.Fatalf("checkpoint (grant pg_checkpoint to the test role): %v", err)
	}
}

// runTimed runs cmd and returns its wall time and peak resident memory.
func runTimed(tb testing.TB, cmd *exec.Cmd) (time.Duration, int64) {
	tb.Helper()
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	if err != nil {
		tb.Fatalf("%s: %v\n%s", cmd.Path, err, out)
	}
	return took, cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
}

// pgKeywords turns a postgres:// URL into the keyword form GDAL's PG
// driver takes.
func pgKeywords(tb testing.TB, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		tb.Fatal(err)
	}
	pw, _ := u.User.Password()
	return fmt.Sprintf("PG:host=%s port=%s dbname=%s user=%s password=%s", u.Hostname(), u.Port(), strings.TrimPrefix(u.Path, "/"), u.User.Username(), pw)
}

// writeRoadsSeq writes n random-walk roads in Hunan as GeoJSONSeq.
func writeRoadsSeq(tb testing.TB, path string, n int) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	grades := []string{"县道", "乡道", "村道", "通组路"}
	surfaces := []string{"沥青", "水泥", "砂石", "土"}
	for i := range n {
		x, y := 109+rng.Float64()*5, 25+rng.Float64()*4
		fmt.Fprintf(w, `{"type":"Feature","properties":{"ext_id":"b%d","name":"道路%d","ref":"C%04d","grade":"%s","surface":"%s","width_m":%.1f,"year":%d},"geometry":{"type":"LineString","coordinates":[`,
			i, i, i%10000, grades[i%4], surfaces[(i/4)%4], 3+rng.Float64()*4, 2000+i%20)
		for k := range 8 {
			if k > 0 {
				w.WriteByte(',')
			}
			fmt.Fprintf(w, "[%.6f,%.6f]", x, y)
			x += (rng.Float64() - 0.5) * 0.004
			y += (rng.Float64() - 0.5) * 0.004
		}
		w.WriteString("]}}\n")
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	f.Close()
}

// BenchmarkExportVsOgr2ogr exports GAPMAP_BENCH_ROADS roads (default
// 1,000,000 random walks made in SQL) to a GeoPackage with gapmap and
// with `ogr2ogr -f GPKG` reading the same PostGIS table, and reports both
// times, their ratio and this process's peak RSS. By hand:
//
//	go test ./data -run '^$' -bench ExportVsOgr2ogr -benchtime 1x -timeout 30m
func BenchmarkExportVsOgr2ogr(b *testing.B) {
	ogr := gdaltest.Tool(b, "ogr2ogr")
	n := 1_000_000
	if v := os.Getenv("GAPMAP_BENCH_ROADS"); v != "" {
		fmt.Sscan(v, &n)
	}
	db := datatest.New(b)
	ctx := datatest.Context()
	for _, q := range []string{
		`INSERT INTO sources (kind, name) VALUES ('generator', 'bench')`,
		fmt.Sprintf(`INSERT INTO roads (name, ref, grade, surface, width_m, year, ext_id, geom, source_id)
			SELECT '道路' || i, 'C' || (i %% 10000), (ARRAY['县道','乡道','村道','通组路'])[1 + i %% 4],
			       (ARRAY['沥青','水泥','砂石','土'])[1 + (i / 4) %% 4], 3 + (i %% 40) / 10.0, 2000 + i %% 20, 'b' || i,
			       ST_SetSRID(ST_MakeLine(ARRAY[ST_Point(x, y), ST_Point(x + 0.001, y + 0.0015), ST_Point(x + 0.002, y + 0.001),
			           ST_Point(x + 0.003, y + 0.002), ST_Point(x + 0.004, y + 0.0012)]), 4490), 1
			FROM (SELECT i, 109 + random() * 5 AS x, 25 + random() * 4 AS y FROM generate_series(1, %d) i) s`, n),
		`ANALYZE roads`,
	} {
		if _, err := db.Pool.Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	dir := b.TempDir()
	for b.Loop() {
		ours := filepath.Join(dir, "gapmap.gpkg")
		os.Remove(ours)
		start := time.Now()
		f, err := os.Create(ours)
		if err != nil {
			b.Fatal(err)
		}
		if err := db.Store.Export(ctx, f, planning.ExportOptions{Layers: []string{"roads"}, Format: "gpkg"}); err != nil {
			b.Fatal(err)
		}
		f.Close()
		gapmapS := time.Since(start).Seconds()

		theirs := filepath.Join(dir, "ogr.gpkg")
		os.Remove(theirs)
		start = time.Now()
		cmd := exec.Command(ogr, "-f", "GPKG", theirs, pgKeywords(b, db.URL)+" schemas="+db.Schema, "roads")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("ogr2ogr: %v\n%s", err, out)
		}
		ogrS := time.Since(start).Seconds()
		b.ReportMetric(gapmapS, "gapmap-s")
		b.ReportMetric(ogrS, "ogr2ogr-s")
		b.ReportMetric(ogrS/gapmapS, "speedup")
		b.ReportMetric(float64(peakRSS())/(1<<20), "peak-RSS-MiB")
	}
}
