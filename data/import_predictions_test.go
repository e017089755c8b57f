package data_test

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/geojson"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
)

// TestImportAuditsClearedPredictions (issue 21): an upsert of the projects
// layer that changes the 工程量 of a sequence's middle project and of
// another sequence's first one clears, through the triggers of migration
// 0035, the set predictions of both, of the projects after them and of no
// other; the import appends one project.prediction_cleared entry per
// project whose prediction went from set to NULL (read with plain SQL
// before and after), by the importing user, with the reason stored on
// the project (naming the 工程量), and the audit chain still verifies.
func TestImportAuditsClearedPredictions(t *testing.T) {
	db, _, seqs := generatedSequences(t, 2)
	ctx := datatest.Context()
	changed := []int64{seqs[0][1], seqs[1][0]}

	// The file a bureau sends back: the two projects as exported, their
	// 工程量 raised by half.
	var out bytes.Buffer
	if err := db.Store.Export(ctx, &out, planning.ExportOptions{Layers: []string{"projects"}, Format: "geojson"}); err != nil {
		t.Fatal(err)
	}
	all, err := geojson.UnmarshalFeatureCollection(out.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	fc := geojson.NewFeatureCollection()
	for _, f := range all.Features {
		if id, _ := f.Properties["id"].(float64); slices.Contains(changed, int64(id)) {
			f.Properties["quantity"] = math.Round(f.Properties.MustFloat64("quantity")*150) / 100
			fc.Append(f)
		}
	}
	if len(fc.Features) != len(changed) {
		t.Fatalf("the export has %d of projects %v", len(fc.Features), changed)
	}
	b, err := json.Marshal(fc)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "projects.geojson")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}

	before := storedPredictions(t, db)
	var lastEntry int64
	if err := db.Pool.QueryRow(ctx, `SELECT coalesce(max(n), 0) FROM gapmap_audit.entries WHERE chain = current_schema()`).Scan(&lastEntry); err != nil {
		t.Fatal(err)
	}
	importer := access.WithPrincipal(context.Background(), access.CLI("importer"))
	rep, err := db.Store.Import(importer, file, planning.ImportOptions{Layer: "projects", Mode: planning.ImportUpsert,
		Mapping: planning.Mapping{Ignore: []string{"id", "status", "gap_dimension", "gap_before", "gap_after_est", "estimate_cleared"}}})
	if err != nil || !rep.Committed || rep.Updated != int64(len(changed)) {
		t.Fatalf("import: %v, %+v\n%s", err, rep, problemsText(rep))
	}
	after := storedPredictions(t, db)

	// The oracle: the projects whose prediction went from set to NULL.
	cleared := map[int64]string{}
	for id, b := range before {
		if a := after[id]; b.after != nil && a.after == nil {
			cleared[id] = ""
			if a.cleared != nil {
				cleared[id] = *a.cleared
			}
		}
	}
	// Not vacuous: the changed projects and every project after them in
	// their sequences, and nothing else.
	var want []int64
	for _, s := range [][]int64{seqs[0][1:], seqs[1]} {
		want = append(want, s...)
	}
	if got := slices.Sorted(maps.Keys(cleared)); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Errorf("the import cleared the predictions of %v, want %v", got, slices.Sorted(slices.Values(want)))
	}

	// The entries the import appended, read with plain SQL.
	erows, err := db.Pool.Query(ctx, `SELECT action, object_kind, object_id, actor, via, coalesce(detail->>'reason', '')
		FROM gapmap_audit.entries WHERE chain = current_schema() AND n > $1 ORDER BY n`, lastEntry)
	if err != nil {
		t.Fatal(err)
	}
	type entry struct{ Action, Kind, ID, Actor, Via, Reason string }
	es, err := pgx.CollectRows(erows, pgx.RowToStructByPos[entry])
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]int{}
	imports := 0
	for _, e := range es {
		if e.Actor != "importer" || e.Via != "cli" {
			t.Errorf("entry %+v not by the importing user", e)
		}
		switch e.Action {
		case "layer.import":
			imports++
		case "project.prediction_cleared":
			id, err := strconv.ParseInt(e.ID, 10, 64)
			if err != nil || e.Kind != "project" {
				t.Errorf("entry %+v: want a project's", e)
				continue
			}
			got[id]++
			if why, ok := cleared[id]; !ok || e.Reason != why || !strings.Contains(why, "工程量") {
				t.Errorf("entry for project %d with reason %q; its prediction cleared %v, stored reason %q", id, e.Reason, ok, why)
			}
		default:
			t.Errorf("unexpected entry %+v", e)
		}
	}
	if imports != 1 {
		t.Errorf("%d layer.import entries, want 1", imports)
	}
	for id := range cleared {
		if got[id] != 1 {
			t.Errorf("project %d: prediction cleared, %d project.prediction_cleared entries, want 1", id, got[id])
		}
	}
	if len(got) != len(cleared) {
		t.Errorf("entries for %v, cleared %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(cleared)))
	}
	if r, err := db.Store.VerifyAudit(ctx); err != nil || !r.OK {
		t.Errorf("audit chain after the import: %+v, %v", r, err)
	}
}
