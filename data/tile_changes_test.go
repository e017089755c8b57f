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
			want = append(want, m[1])
		}
		for _, op := range []string{"insert", "update", "delete"} {
			var args string
			err := db.Pool.QueryRow(datatest.Context(), `SELECT encode(tgargs, 'escape') FROM pg_trigger
				WHERE tgrelid = $1::regclass AND tgname = $2 AND tgenabled = 'O'`, l.Table, l.Table+"_version_tiles_"+op).Scan(&args)
			if err != nil {
				t.Errorf("%s: no enabled tile change trigger on %s: %v", l.Table, op, err)
				continue
			}
			got := strings.Split(strings.TrimSuffix(args, `\000`), ",")
			for _, c := range want {
				if !slices.Contains(got, c) {
					t.Errorf("%s %s: the tile change trigger records %v, not %s that the tile SQL selects by (%s)", l.Table, op, got, c, l.Tile.SQL.Filter)
				}
			}
		}
	}
}
