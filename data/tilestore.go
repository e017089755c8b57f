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

// tileStoreLockKey serialises StoreTiles across the servers sharing one
// tile_store: their batches would otherwise lock the same keys and the
// total (tile_store_bytes) in different orders.
const tileStoreLockKey = 0x67617473 // "gats"

// tileStoreLowWater is the share of maxBytes an eviction leaves: once
// the store passes its bound, the least recently used tiles go until it
// holds at most this, so that a full store pays for finding them once
// per tenth of its content instead of on every batch.
const tileStoreLowWater = 0.9

// StoreTiles implements tiles.Store: one transaction writes the epochs,
// the tiles and the marks of use; when the store's total
// (tile_store_bytes, migration 0037) then passes maxBytes, it evicts the
// least recently used tiles down to tileStoreLowWater of it, and the
// epochs no tile refers to.
func (s *Store) StoreTiles(ctx context.Context, ts []tiles.StoredTile, used []string, maxBytes int64) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var b pgx.Batch
		b.Queue(`SELECT pg_advisory_xact_lock($1)`, tileStoreLockKey)
		// One statement for the batch; a key twice in it (rendered again
		// while waiting) keeps its last render, as one-by-one upserts did.
		var keys, epochs, etags, truncated []string
		var gzips [][]byte
		var rawSizes, sizes []int
		at := map[string]int{}
		seen := map[string]bool{}
		for _, t := range ts {
			if !seen[t.Epoch] {
				seen[t.Epoch] = true
				b.Queue(`INSERT INTO tile_store_epochs (tag, versions) VALUES ($1, $2) ON CONFLICT (tag) DO NOTHING`, t.Epoch, t.Versions)
			}
			i, ok := at[t.Key]
			if !ok {
				i = len(keys)
				at[t.Key] = i
				keys, epochs, etags, truncated = append(keys, ""), append(epochs, ""), append(etags, ""), append(truncated, "")
				gzips, rawSizes, sizes = append(gzips, nil), append(rawSizes, 0), append(sizes, 0)
			}
			keys[i], epochs[i], etags[i], truncated[i] = t.Key, t.Epoch, t.Tile.ETag, t.Tile.Truncated
			gzips[i], rawSizes[i] = orEmpty(t.Tile.Gzip), t.Tile.RawSize
			sizes[i] = len(t.Tile.Gzip) + len(t.Key) + len(t.Tile.Truncated) + tileStoreOverhead
		}
		if len(keys) > 0 {
			b.Queue(`INSERT INTO tile_store (key, epoch, gzip, raw_size, etag, truncated, size)
				SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::int[], $5::text[], $6::text[], $7::int[])
				ON CONFLICT (key) DO UPDATE SET epoch = EXCLUDED.epoch, gzip = EXCLUDED.gzip, raw_size = EXCLUDED.raw_size,
					etag = EXCLUDED.etag, truncated = EXCLUDED.truncated, size = EXCLUDED.size, used_at = now()`,
				keys, epochs, gzips, rawSizes, etags, truncated, sizes)
		}
		if len(used) > 0 {
			b.Queue(`UPDATE tile_store SET used_at = now() WHERE key = ANY($1)`, used)
		}
		var total int64
		b.Queue(`SELECT coalesce((SELECT bytes FROM tile_store_bytes), 0)`).QueryRow(func(r pgx.Row) error { return r.Scan(&total) })
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return err
		}
		if total > maxBytes {
			// Newest first, ties by key: the running sum passes the low
			// water mark at the first tile to evict.
			if _, err := tx.Exec(ctx, `DELETE FROM tile_store WHERE key IN (SELECT key FROM (
				SELECT key, sum(size) OVER (ORDER BY used_at DESC, key) AS total FROM tile_store) x WHERE total > $1)`,
				int64(float64(maxBytes)*tileStoreLowWater)); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `DELETE FROM tile_store_epochs e WHERE NOT EXISTS (SELECT FROM tile_store c WHERE c.epoch = e.tag)`)
		return err
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
