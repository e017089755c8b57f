package data

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/gapmap/gapmap/tiles"
)

// tileStoreOverhead is the bytes charged per stored tile on top of its
// gzip bytes, key and truncation note: the row's header, its other
// columns and its primary-key entry (about 150 bytes), so that a store
// full of empty tiles is still bounded.
const tileStoreOverhead = 160

// StoredTile implements tiles.Store from tile_store (migration 0034), on
// the primary's tile pool: the table is unlogged, so no standby has it.
func (s *Store) StoredTile(ctx context.Context, key string) (*tiles.Tile, map[string]int64, bool, error) {
	var t tiles.Tile
	var versions map[string]int64
	err := s.tilePool.QueryRow(ctx, `SELECT c.gzip, c.raw_size, c.etag, c.truncated, e.versions
		FROM tile_store c JOIN tile_store_epochs e ON e.tag = c.epoch WHERE c.key = $1`, key).
		Scan(&t.Gzip, &t.RawSize, &t.ETag, &t.Truncated, &versions)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, translate(err, "stored tile")
	}
	if len(t.Gzip) == 0 {
		t.Gzip = nil // an empty tile, as the cache makes it
	}
	return &t, versions, true, nil
}

// StoreTiles implements tiles.Store: one transaction writes the epochs,
// the tiles and the marks of use, then evicts the least recently used
// tiles beyond maxBytes and the epochs no tile refers to.
func (s *Store) StoreTiles(ctx context.Context, ts []tiles.StoredTile, used []string, maxBytes int64) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var b pgx.Batch
		epochs := map[string]bool{}
		for _, t := range ts {
			if !epochs[t.Epoch] {
				epochs[t.Epoch] = true
				b.Queue(`INSERT INTO tile_store_epochs (tag, versions) VALUES ($1, $2) ON CONFLICT (tag) DO NOTHING`, t.Epoch, t.Versions)
			}
			size := len(t.Tile.Gzip) + len(t.Key) + len(t.Tile.Truncated) + tileStoreOverhead
			b.Queue(`INSERT INTO tile_store (key, epoch, gzip, raw_size, etag, truncated, size)
				VALUES ($1, $2, $3, $4, $5, $6, $7)
				ON CONFLICT (key) DO UPDATE SET epoch = EXCLUDED.epoch, gzip = EXCLUDED.gzip, raw_size = EXCLUDED.raw_size,
					etag = EXCLUDED.etag, truncated = EXCLUDED.truncated, size = EXCLUDED.size, used_at = now()`,
				t.Key, t.Epoch, orEmpty(t.Tile.Gzip), t.Tile.RawSize, t.Tile.ETag, t.Tile.Truncated, size)
		}
		if len(used) > 0 {
			b.Queue(`UPDATE tile_store SET used_at = now() WHERE key = ANY($1)`, used)
		}
		// Newest first, ties by key: the running sum passes maxBytes at
		// the first tile to evict.
		b.Queue(`DELETE FROM tile_store WHERE key IN (SELECT key FROM (
			SELECT key, sum(size) OVER (ORDER BY used_at DESC, key) AS total FROM tile_store) x WHERE total > $1)`, maxBytes)
		b.Queue(`DELETE FROM tile_store_epochs e WHERE NOT EXISTS (SELECT FROM tile_store c WHERE c.epoch = e.tag)`)
		return tx.SendBatch(ctx, &b).Close()
	})
	return translate(err, "store tiles")
}

// orEmpty is b, or an empty slice for nil: an empty tile is stored as no
// bytes, not as NULL.
func orEmpty(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
