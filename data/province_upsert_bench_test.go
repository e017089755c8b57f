package data_test

import (
	"bufio"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

// upsertRows is how many of the province's roads the survey re-imports.
const upsertRows = 200_000

// upsertRoads200k measures a county bureau's road survey at province
// scale (issue 23 item 4): 200,000 of the generated roads come back as a
// GeoJSONSeq file, each with a new surface and width, and go in through
// the import in upsert mode; then an incremental scoring run picks up what
// they changed. Both are timed apart (upsert-s, score-s); the file is
// written, the roads given the file's keys and the run to re-score from
// made untimed. Part of BenchmarkProvince:
//
//	go test ./data -run '^$' -bench 'Province/UpsertRoads200k' -benchtime 1x -timeout 120m -v
func upsertRoads200k(b *testing.B, db *datatest.DB, p planning.Profile, asOf time.Time) {
	ctx := datatest.Context()
	// The generated roads have no file ids: the survey's source gives its
	// ids to the first 200,000 (whole counties: the generator writes a
	// county's roads together).
	mustExec(b, db, `UPDATE roads SET source_key = 'survey', ext_id = 'r' || id WHERE id IN (SELECT id FROM roads ORDER BY id LIMIT $1)`, upsertRows)
	// The run to re-score from (when ScoreFull did not run before).
	if _, _, err := planning.Score(ctx, db.Store, p, asOf, false, nil); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "survey.geojsonl")
	surfaces := [][2]string{{"水泥", "5.5"}, {"沥青", "6.5"}}
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		writeSurvey(b, db, path, surfaces[i%2][0], surfaces[i%2][1])
		mustExec(b, db, `CHECKPOINT`)
		b.StartTimer()
		t0 := time.Now()
		rep, err := db.Store.Import(ctx, path, planning.ImportOptions{Layer: "roads", Mode: planning.ImportUpsert, Source: "survey"})
		if err != nil {
			b.Fatal(err)
		}
		upsert := time.Since(t0)
		if !rep.Committed || rep.Updated < upsertRows*9/10 {
			b.Fatalf("the upsert updated %d of %d (committed %v): %s", rep.Updated, upsertRows, rep.Committed, rep.Message)
		}
		t0 = time.Now()
		run, _, err := planning.Score(ctx, db.Store, p, asOf, false, nil)
		if err != nil {
			b.Fatal(err)
		}
		score := time.Since(t0)
		b.ReportMetric(upsert.Seconds(), "upsert-s")
		b.ReportMetric(score.Seconds(), "score-s")
		b.ReportMetric(float64(run.Rescored), "rescored")
		b.ReportMetric(float64(rep.Updated), "updated")
		b.Logf("upsert of %d roads: %s (updated %d, unchanged %d; phases %v); incremental run: %s, %d of %d villages re-scored",
			upsertRows, upsert.Round(time.Millisecond), rep.Updated, rep.Unchanged, rep.Phases, score.Round(time.Millisecond), run.Rescored, run.Villages)
	}
}

// writeSurvey writes the survey's roads from the database as GeoJSONSeq,
// with the given surface and width: every row differs from the stored
// one.
func writeSurvey(b *testing.B, db *datatest.DB, path, surface, width string) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	rows, err := db.Pool.Query(datatest.Context(), `SELECT json_build_object('type', 'Feature',
			'properties', json_build_object('ext_id', ext_id, 'name', name, 'grade', grade, 'surface', $1::text, 'width_m', $2::numeric, 'year', year),
			'geometry', ST_AsGeoJSON(geom, 15)::json)::text
		FROM roads WHERE source_key = 'survey' ORDER BY id`, surface, width)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			b.Fatal(err)
		}
		w.WriteString(line)
		w.WriteByte('\n')
		n++
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if n != upsertRows {
		b.Fatalf("the survey has %d roads, want %d", n, upsertRows)
	}
}
