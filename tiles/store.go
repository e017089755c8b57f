package tiles

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Store keeps rendered tiles across restarts of the server, each with the
// data versions its render began at; package data keeps them in
// PostgreSQL. A [Service] with a Store serves a stored tile only when the
// change records since those versions do not touch it (see
// [Service.Keep]), so a tile stored before an edit made while the server
// was down is never served.
type Store interface {
	// StoredTile returns the tile stored under key and the data versions
	// its render began at, or ok false when none is stored. Errors: the
	// database's.
	StoredTile(ctx context.Context, key string) (t *Tile, versions map[string]int64, ok bool, err error)
	// StoreTiles stores each tile under its key (replacing what was
	// there), marks the keys of used as used now, and then evicts the
	// least recently used tiles until the stored ones take at most
	// maxBytes. Errors: the database's.
	StoreTiles(ctx context.Context, tiles []StoredTile, used []string, maxBytes int64) error
}

// StoredTile is a tile for [Store.StoreTiles]: Epoch is a tag of
// Versions, the data versions the tile's render began at, equal for equal
// versions.
type StoredTile struct {
	Key      string
	Tile     *Tile
	Epoch    string
	Versions map[string]int64
}

// keeper is a Service's link to its Store: the writes waiting for
// [Service.Persist], and per epoch the test of the stored tiles rendered
// at it against the versions the Service knows now (reset by Refresh).
type keeper struct {
	store    Store
	maxBytes int64

	mu      sync.Mutex
	queue   []StoredTile // rendered tiles to store, at most keepQueue
	used    []string     // keys of stored tiles served again
	wake    chan struct{}
	pending int // tiles and marks queued or being written; guarded by mu
	tests   map[string]func(Ref) bool
}

// keepQueue bounds the tiles waiting to be stored; beyond it a rendered
// tile is not stored (the store is a cache).
const keepQueue = 4096

// keepBatch is the most tiles one StoreTiles call writes.
const keepBatch = 256

// Keep makes s keep its rendered tiles in store, at most maxBytes of
// them, and look there before rendering a tile it has not cached: a
// restarted server then serves the tiles of the one before it without
// rendering them. [Service.Persist] must run for the tiles to be stored.
// Call it before s serves.
func (s *Service) Keep(store Store, maxBytes int64) {
	s.keep = &keeper{store: store, maxBytes: maxBytes, wake: make(chan struct{}, 1)}
}

// Persist writes the tiles s renders to its Store (see [Service.Keep]),
// in batches, until ctx ends. A failed write is logged by the caller's
// report function and its tiles are dropped: the store is a cache.
func (s *Service) Persist(ctx context.Context, report func(error)) {
	k := s.keep
	if k == nil {
		<-ctx.Done()
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-k.wake:
		}
		for {
			k.mu.Lock()
			n := min(len(k.queue), keepBatch)
			batch := k.queue[:n:n]
			k.queue = k.queue[n:]
			used := k.used
			k.used = nil
			k.mu.Unlock()
			if len(batch) == 0 && len(used) == 0 {
				break
			}
			if err := k.store.StoreTiles(ctx, batch, used, k.maxBytes); err != nil && ctx.Err() == nil && report != nil {
				report(err)
			}
			k.mu.Lock()
			k.pending -= len(batch) + len(used)
			k.mu.Unlock()
		}
	}
}

// PersistPending returns the rendered tiles and the marks of use of
// stored ones waiting to be written or being written now.
func (s *Service) PersistPending() int {
	if s.keep == nil {
		return 0
	}
	s.keep.mu.Lock()
	defer s.keep.mu.Unlock()
	return s.keep.pending
}

// enqueue queues t, rendered under key from epoch on, for Persist.
func (k *keeper) enqueue(key string, t *Tile, epoch string, versions map[string]int64) {
	k.mu.Lock()
	if len(k.queue) < keepQueue {
		k.queue = append(k.queue, StoredTile{Key: key, Tile: t, Epoch: epoch, Versions: versions})
		k.pending++
	}
	k.mu.Unlock()
	k.kick()
}

// touch marks key as served again from the store.
func (k *keeper) touch(key string) {
	k.mu.Lock()
	if len(k.used) < keepQueue {
		k.used = append(k.used, key)
		k.pending++
	}
	k.mu.Unlock()
	k.kick()
}

func (k *keeper) kick() {
	select {
	case k.wake <- struct{}{}:
	default:
	}
}

// stored returns the tile kept under key for r when it is still what r
// shows: no write since the versions its render began at touches it (the
// rule of Refresh, [Service.stale]). It runs under refreshMu's read lock,
// so that no Refresh publishes versions between the test and the tile's
// entry into the cache: a Refresh that starts later judges the tile as it
// judges any load in flight.
func (s *Service) stored(ctx context.Context, key string, r Ref) (*Tile, bool, error) {
	t, versions, ok, err := s.keep.store.StoredTile(ctx, key)
	if err != nil || !ok {
		return nil, false, err
	}
	epoch := epochTag(versions)
	s.keep.mu.Lock()
	test, known := s.keep.tests[epoch]
	s.keep.mu.Unlock()
	if !known {
		s.mu.RLock()
		now := s.versions
		s.mu.RUnlock()
		if now == nil {
			return nil, false, nil
		}
		stale, err := s.stale(ctx, versions, now)
		if err != nil {
			return nil, false, err
		}
		test = staleTest(stale)
		s.keep.mu.Lock()
		if s.keep.tests == nil {
			s.keep.tests = map[string]func(Ref) bool{}
		}
		s.keep.tests[epoch] = test
		s.keep.mu.Unlock()
	}
	s.keep.mu.Lock()
	fresh := !test(r) // staleTest's memo is not safe for concurrent use
	s.keep.mu.Unlock()
	if !fresh {
		return nil, false, nil
	}
	s.keep.touch(key)
	return t, true, nil
}

// forget drops the stored tiles' tests: the versions they judge against
// moved. Called by Refresh with refreshMu held.
func (k *keeper) forget() {
	k.mu.Lock()
	k.tests = nil
	k.mu.Unlock()
}

// epochTag is a tag of versions, equal for equal versions.
func epochTag(versions map[string]int64) string {
	parts := make([]string, 0, len(versions))
	for t, v := range versions {
		parts = append(parts, t+"="+strconv.FormatInt(v, 10))
	}
	sort.Strings(parts)
	sum := sha256.Sum256([]byte(strings.Join(parts, ";")))
	return hex.EncodeToString(sum[:16])
}
