package data_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/tiles"
)

// TestTileStoreBound writes random batches (new keys, keys stored again,
// a key twice in one batch, marks of use) into a small bound and checks,
// with its own SQL, after each: the store's total (tile_store_bytes) is
// the sum of the stored tiles' sizes; the store is within the bound; an
// eviction left the newest tiles; a key written twice in a batch holds
// its last render; no epoch is left without a tile; and a TRUNCATE (an
// operator emptying the cache) leaves a total of 0.
func TestTileStoreBound(t *testing.T) {
	db := datatest.New(t)
	ctx := datatest.Context()
	rng := rand.New(rand.NewPCG(7, 37))
	const bound = 200_000
	evictions := 0
	for round := range 60 {
		var batch []tiles.StoredTile
		for range 1 + rng.IntN(40) {
			key := fmt.Sprintf("k%d", rng.IntN(400))
			epoch := fmt.Sprintf("e%d", rng.IntN(3)+round/20)
			batch = append(batch, tiles.StoredTile{Key: key, Epoch: epoch, Versions: map[string]int64{"roads": int64(round)},
				Tile: &tiles.Tile{Gzip: make([]byte, rng.IntN(6000)), RawSize: 1, ETag: fmt.Sprintf("r%d", round)}})
		}
		// The same key again at the end of the batch: the last render wins.
		last := batch[0]
		last.Tile = &tiles.Tile{Gzip: make([]byte, 10), RawSize: 2, ETag: fmt.Sprintf("last%d", round)}
		batch = append(batch, last)
		var before int64
		if err := db.Pool.QueryRow(ctx, `SELECT coalesce(sum(size), 0) FROM tile_store`).Scan(&before); err != nil {
			t.Fatal(err)
		}
		used := []string{fmt.Sprintf("k%d", rng.IntN(400))}
		if err := db.Store.StoreTiles(ctx, batch, used, bound); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		var total, sum, orphans int64
		var etag string
		var newest int
		if err := db.Pool.QueryRow(ctx, `SELECT coalesce((SELECT bytes FROM tile_store_bytes), 0),
				(SELECT coalesce(sum(size), 0) FROM tile_store),
				(SELECT count(*) FROM tile_store_epochs e WHERE NOT EXISTS (SELECT FROM tile_store c WHERE c.epoch = e.tag)),
				coalesce((SELECT etag FROM tile_store WHERE key = $1), ''),
				(SELECT count(*) FROM tile_store WHERE key = ANY($2))`, last.Key, keysOf(batch)).
			Scan(&total, &sum, &orphans, &etag, &newest); err != nil {
			t.Fatal(err)
		}
		if total != sum {
			t.Fatalf("round %d: tile_store_bytes says %d bytes, the tiles' sizes sum to %d", round, total, sum)
		}
		if sum > bound {
			t.Fatalf("round %d: %d bytes stored, over the bound %d", round, sum, bound)
		}
		if orphans != 0 {
			t.Errorf("round %d: %d epochs without a tile", round, orphans)
		}
		if etag != last.Tile.ETag {
			t.Errorf("round %d: key %s holds render %q, want its last %q", round, last.Key, etag, last.Tile.ETag)
		}
		if want := len(keysOf(batch)); newest != want {
			t.Errorf("round %d: %d of the batch's %d keys stored (newest must stay)", round, newest, want)
		}
		if sum < before {
			evictions++
		}
	}
	if evictions == 0 {
		t.Fatal("the bound never made an eviction: the test does not reach it")
	}
	if _, err := db.Pool.Exec(ctx, `TRUNCATE tile_store CASCADE`); err != nil {
		t.Fatal(err)
	}
	if err := db.Store.StoreTiles(ctx, nil, nil, bound); err != nil {
		t.Fatal(err)
	}
	var total int64
	if err := db.Pool.QueryRow(ctx, `SELECT coalesce((SELECT bytes FROM tile_store_bytes), 0)`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	if total != 0 {
		t.Errorf("after TRUNCATE tile_store_bytes says %d bytes", total)
	}
	t.Logf("60 batches into a %d-byte bound: %d evictions", bound, evictions)
}

func keysOf(ts []tiles.StoredTile) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range ts {
		if !seen[t.Key] {
			seen[t.Key] = true
			out = append(out, t.Key)
		}
	}
	return out
}
