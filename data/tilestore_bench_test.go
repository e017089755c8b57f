package data_test

import (
	"fmt"
	"testing"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/tiles"
)

// BenchmarkStoreTiles writes one full batch of new tiles into a tile_store
// at its bound (100,000 stored tiles of about 1 KB): the writes, the
// marks of use and the eviction the bound makes each batch.
func BenchmarkStoreTiles(b *testing.B) {
	db := datatest.New(b)
	ctx := datatest.Context()
	const stored, size = 100_000, 1000
	if _, err := db.Pool.Exec(ctx, `INSERT INTO tile_store_epochs (tag, versions) VALUES ('e0', '{}')`); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO tile_store (key, epoch, gzip, raw_size, etag, truncated, size, used_at)
		SELECT 'k' || i, 'e0', convert_to(repeat('x', $2 - 200), 'UTF8'), $2, 'etag' || i, '', $2,
			now() - make_interval(secs => $1 - i)
		FROM generate_series(1, $1) i`, stored, size); err != nil {
		b.Fatal(err)
	}
	var bound int64
	if err := db.Pool.QueryRow(ctx, `SELECT sum(size) FROM tile_store`).Scan(&bound); err != nil {
		b.Fatal(err)
	}
	payload := make([]byte, size-200)
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		batch := make([]tiles.StoredTile, 256)
		for i := range batch {
			n++
			batch[i] = tiles.StoredTile{Key: fmt.Sprintf("new%d", n), Epoch: "e1", Versions: map[string]int64{"roads": 1},
				Tile: &tiles.Tile{Gzip: payload, RawSize: size, ETag: "x"}}
		}
		if err := db.Store.StoreTiles(ctx, batch, []string{"k50000", "k60000"}, bound); err != nil {
			b.Fatal(err)
		}
	}
}
