package data_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data/catalog"
	"github.com/gapmap/gapmap/data/datatest"
)

// TestTileChangeTriggers checks migration 0027 against the catalogue:
// every table drawn in tiles logs its writes for each event, with every
// geometry column its tile SQL selects rows by (Tile.SQL.Filter), so that
// no write can change a tile outside the boxes it records.
func TestTileChangeTriggers(t *testing.T) {
	db := datatest.New(t)
	col := regexp.MustCompile(`\bg\.(\w+)`)
	for _, l := range catalog.Default().Layers() {
		if l.Tile == nil {
			continue
		}
		var want []string
		for _, m := range col.FindAllStringSubmatch(l.Tile.SQL.Filter, -1) {
			// A Web Mercator copy (migration 0028) moves with its source
			// column, whose boxes in degrees the log records.
			want = append(want, strings.TrimSuffix(m[1], "_3857"))
		}
		for _, op := range []string{"insert", "update", "delete"} {
			var args string
			err := db.Pool.QueryRow(datatest.Context(), `SELECT encode(tgargs, 'escape') FROM pg_trigger
				WHERE tgrelid = $1::regclass AND tgname = $2 AND tgenabled = 'O'`, l.Table, l.Table+"_version_tiles_"+op).Scan(&args)
			if err != nil {
				t.Errorf("%s: no enabled tile change trigger on %s: %v", l.Table, op, err)
				continue
			}
			// The first argument lists the columns; a second names the
			// upkeep of a derived table (roads: migration 0034).
			got := strings.Split(strings.Split(args, `\000`)[0], ",")
			for _, c := range want {
				if !slices.Contains(got, c) {
					t.Errorf("%s %s: the tile change trigger records %v, not %s that the tile SQL selects by (%s)", l.Table, op, got, c, l.Tile.SQL.Filter)
				}
			}
		}
	}
}

// TestTileChangesLog checks what Store.Changes reads from the log: a
// write's old and new boxes under the version it made, complete; nothing
// for no change or a statement that wrote no row; and incomplete for a write not on record (TRUNCATE).
func TestTileChangesLog(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	version := func(layer string) int64 {
		var v int64
		if err := db.Pool.QueryRow(ctx, `SELECT version FROM layer_versions WHERE layer = $1`, layer).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	v0 := version("roads")
	var id int64
	var old, moved [4]float64
	if err := db.Pool.QueryRow(ctx, `SELECT id, ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM roads ORDER BY id LIMIT 1`).
		Scan(&id, &old[0], &old[1], &old[2], &old[3]); err != nil {
		t.Fatal(err)
	}
	if err := db.Pool.QueryRow(ctx, `UPDATE roads SET geom = ST_Translate(geom, 0.01, 0) WHERE id = $1
		RETURNING ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom)`, id).Scan(&moved[0], &moved[1], &moved[2], &moved[3]); err != nil {
		t.Fatal(err)
	}
	v1 := version("roads")
	boxes, complete, err := db.Store.Changes(ctx, "roads", v0, v1)
	if err != nil || !complete || v1 != v0+1 || len(boxes) != 2 || !slices.Contains(boxes, old) || !slices.Contains(boxes, moved) {
		t.Errorf("one road moved (version %d→%d): boxes %v complete %v err %v, want %v and %v, complete", v0, v1, boxes, complete, err, old, moved)
	}
	if boxes, complete, err := db.Store.Changes(ctx, "roads", v1, v1); err != nil || !complete || len(boxes) != 0 {
		t.Errorf("no change: %v %v %v", boxes, complete, err)
	}
	// A statement that writes no row still moves the version: on record,
	// with no box.
	if _, err := db.Pool.Exec(ctx, `UPDATE roads SET name = name WHERE false`); err != nil {
		t.Fatal(err)
	}
	if v2 := version("roads"); v2 != v1+1 {
		t.Errorf("an empty UPDATE left the version at %d, want %d", v2, v1+1)
	} else if boxes, complete, err := db.Store.Changes(ctx, "roads", v1, v2); err != nil || !complete || len(boxes) != 0 {
		t.Errorf("an empty UPDATE: boxes %v complete %v err %v, want none, complete", boxes, complete, err)
	}
	b0 := version("bridges")
	if _, err := db.Pool.Exec(ctx, `TRUNCATE bridges`); err != nil {
		t.Fatal(err)
	}
	if _, complete, err := db.Store.Changes(ctx, "bridges", b0, version("bridges")); err != nil || complete {
		t.Errorf("TRUNCATE: complete %v err %v, want a write not on record", complete, err)
	}
}
