package tiles

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
)

// Tile is one cached tile: the MVT bytes gzip-compressed once, the strong
// ETag, and the truncation note (layers cut by the budget; "" if none).
//
// A *Tile returned by [Cache.Get] is shared by every caller of the same key
// and must be treated as read-only.
type Tile struct {
	Gzip      []byte // gzip of the MVT bytes; empty for an empty tile
	RawSize   int    // uncompressed MVT size in bytes
	ETag      string // strong ETag, quoted, e.g. "\"3f2a…\"" (hash of the MVT bytes)
	Truncated string
}

// Cache is a byte-bounded LRU of tiles keyed by string; concurrent misses for
// the same key run the loader once and share its result (errors are not cached).
//
// The zero value is not usable; call [NewCache].
type Cache struct {
	maxBytes int64 // fixed by NewCache; <= 0 stores nothing

	mu       sync.Mutex
	ll       *list.List               // front is most recently used; values are *entry
	items    map[string]*list.Element // stored tiles
	inflight map[string]*call         // loads running now, one per key
	bytes    int64                    // sum of entrySize over items
	hits     int64
	misses   int64

	// shared is outside mu because all waiters of a load wake together.
	shared atomic.Int64
}

// CacheStats is a snapshot of a [Cache]. Every successful Get counts once,
// in exactly one of Hits, Shared or Misses; counters survive [Cache.Purge].
type CacheStats struct {
	Entries int   // tiles stored now
	Bytes   int64 // bytes charged for the stored tiles (see NewCache)
	Hits    int64 // Gets answered from a stored tile
	Misses  int64 // Gets that ran the loader, including loads that failed
	Shared  int64 // Gets answered by another caller's in-flight load
}

// entryOverhead is the bytes charged per stored tile on top of len(Gzip), the
// key and the truncation note. It estimates the list element, entry, Tile
// header, ETag string and map slot (about 250 bytes on 64-bit), so a cache
// full of tiny or empty tiles is still bounded by real memory.
const entryOverhead = 256

// Ref is what a cached tile shows: tile Z/X/Y of a layer set with a
// filter. [Cache.Invalidate] judges entries by it.
type Ref struct {
	Set     string
	Z, X, Y int
	Filter  Filter
}

// entry is the value of a list element.
type entry struct {
	key  string
	ref  Ref
	tile *Tile
	size int64 // entrySize(key, tile), kept so eviction needn't recompute it
}

// call is one in-flight load. tile, err and leaderGone are written before
// done is closed and only read after it.
type call struct {
	ref        Ref
	done       chan struct{}
	tile       *Tile
	err        error
	leaderGone bool // the loading caller's ctx ended before load returned
	joined     int  // callers that waited on this load; guarded by Cache.mu
}

// errLoadPanicked is what waiters get when the loader they waited on panicked;
// the panic itself continues in the caller that ran the loader.
var errLoadPanicked = errors.New("tiles: tile loader panicked")

// NewCache returns a cache holding at most maxBytes of tile data (len(Gzip) plus
// a per-entry overhead of 256+len(key)+len(Truncated) bytes); maxBytes <= 0
// disables caching but keeps coalescing. A tile whose charge exceeds maxBytes/8
// is returned but never stored, so one monster low-zoom tile cannot flush the
// cache.
func NewCache(maxBytes int64) *Cache {
	return &Cache{
		maxBytes: maxBytes,
		ll:       list.New(),
		items:    make(map[string]*list.Element),
		inflight: make(map[string]*call),
	}
}

// Get returns the tile for key, calling load on a miss. load returns the raw
// MVT bytes and the truncation note; Get gzips them (once) and computes the
// ETag. hit reports whether the tile came from the cache (or from another
// caller's in-flight load: count that as a hit too, "shared").
//
// While one caller loads key, later callers of key wait for it and get the
// same *Tile; a waiter whose ctx ends returns ctx.Err() at once and the load
// goes on for the others. The load runs with the first caller's ctx, so an
// abandoned map pan cancels its SQL. If that ctx ends before load returns,
// the failure belongs to that caller, not to the key: waiters whose own ctx
// is still live retry, and one of them runs the loader again. This costs a
// second render in that rare case but needs no goroutine per load and lets
// a panic in load reach the caller that ran it. Any other error is returned
// to the loading caller and its waiters and is not cached.
func (c *Cache) Get(ctx context.Context, key string, ref Ref, load func(ctx context.Context) (mvt []byte, truncated string, err error)) (t *Tile, hit bool, err error) {
	return c.GetTile(ctx, key, ref, func(ctx context.Context) (*Tile, error) {
		mvt, truncated, err := load(ctx)
		if err != nil {
			return nil, err
		}
		return newTile(mvt, truncated)
	})
}

// GetTile is [Cache.Get] with a loader that returns the tile made already
// (gzip and ETag), such as one kept in a [Store].
func (c *Cache) GetTile(ctx context.Context, key string, ref Ref, load func(ctx context.Context) (*Tile, error)) (t *Tile, hit bool, err error) {
	for {
		c.mu.Lock()
		if el, ok := c.items[key]; ok {
			c.ll.MoveToFront(el)
			c.hits++
			t = el.Value.(*entry).tile
			c.mu.Unlock()
			return t, true, nil
		}
		if cl, ok := c.inflight[key]; ok {
			cl.joined++
			c.mu.Unlock()
			var retry bool
			t, retry, err = c.wait(ctx, cl)
			if retry {
				continue
			}
			return t, err == nil, err
		}
		cl := &call{ref: ref, done: make(chan struct{})}
		c.inflight[key] = cl
		c.misses++
		c.mu.Unlock()
		t, err = c.load(ctx, key, cl, load)
		return t, false, err
	}
}

// wait blocks until cl finishes or ctx ends. retry reports that cl's loading
// caller went away while this caller is still live.
func (c *Cache) wait(ctx context.Context, cl *call) (t *Tile, retry bool, err error) {
	select {
	case <-ctx.Done():
		return nil, false, ctx.Err()
	case <-cl.done:
	}
	switch {
	case cl.err == nil:
		c.shared.Add(1)
		return cl.tile, false, nil
	case ctx.Err() != nil:
		return nil, false, ctx.Err()
	case cl.leaderGone:
		return nil, true, nil
	}
	return nil, false, cl.err
}

// load runs the loader for cl, publishes the result to cl's waiters and
// stores it.
func (c *Cache) load(ctx context.Context, key string, cl *call, load func(context.Context) (*Tile, error)) (*Tile, error) {
	finished := false
	defer func() {
		if !finished { // load panicked or called runtime.Goexit: release the waiters
			cl.err = errLoadPanicked
			c.finish(key, cl)
		}
	}()
	t, err := load(ctx)
	cl.tile, cl.err = t, err
	// Judge by ctx, not by err: pgx wraps its own cancellation errors, while
	// a loader's internal timeout (ctx still live) is a real failure to share.
	cl.leaderGone = err != nil && ctx.Err() != nil
	finished = true
	c.finish(key, cl)
	return t, err
}

// finish unregisters cl, stores its tile and wakes its waiters. A call that
// Purge detached is not stored: it may hold data from before the purge.
func (c *Cache) finish(key string, cl *call) {
	c.mu.Lock()
	if c.inflight[key] == cl {
		delete(c.inflight, key)
		if cl.err == nil {
			c.add(key, cl.ref, cl.tile)
		}
	}
	c.mu.Unlock()
	close(cl.done)
}

// add stores t under key and evicts least recently used tiles until the
// cache fits maxBytes. c.mu must be held.
func (c *Cache) add(key string, ref Ref, t *Tile) {
	size := entrySize(key, t)
	if c.maxBytes <= 0 || size > c.maxBytes/8 {
		return
	}
	if el, ok := c.items[key]; ok { // not reachable through Get; kept for safety
		c.remove(el)
	}
	c.items[key] = c.ll.PushFront(&entry{key: key, ref: ref, tile: t, size: size})
	c.bytes += size
	for c.bytes > c.maxBytes {
		c.remove(c.ll.Back())
	}
}

// remove drops el from the cache. c.mu must be held.
func (c *Cache) remove(el *list.Element) {
	e := c.ll.Remove(el).(*entry)
	delete(c.items, e.key)
	c.bytes -= e.size
}

// entrySize is the bytes charged for storing t under key.
func entrySize(key string, t *Tile) int64 {
	return int64(len(t.Gzip) + len(key) + len(t.Truncated) + entryOverhead)
}

// Stats reports entries, bytes, hits, misses.
func (c *Cache) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{
		Entries: c.ll.Len(),
		Bytes:   c.bytes,
		Hits:    c.hits,
		Misses:  c.misses,
		Shared:  c.shared.Load(),
	}
}

// Purge empties the cache. Loads already running still answer their callers
// and waiters but are not stored, and a Get after Purge starts a fresh load
// rather than joining one begun before it, so Purge is safe to use for
// invalidation after a data change.
func (c *Cache) Purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ll.Init()
	c.items = make(map[string]*list.Element) // a cleared map keeps its buckets
	c.inflight = make(map[string]*call)
	c.bytes = 0
}

// Invalidate drops every stored tile whose Ref is stale and returns
// their Refs. Loads of stale Refs running now still answer their callers
// and waiters but are not stored (they may have read the data before the
// change), and a later Get of their key starts a fresh load, as after
// [Cache.Purge].
func (c *Cache) Invalidate(stale func(Ref) bool) []Ref {
	c.mu.Lock()
	defer c.mu.Unlock()
	var dropped []Ref
	for el := c.ll.Front(); el != nil; {
		next := el.Next()
		if e := el.Value.(*entry); stale(e.ref) {
			dropped = append(dropped, e.ref)
			c.remove(el)
		}
		el = next
	}
	for key, cl := range c.inflight {
		if stale(cl.ref) {
			delete(c.inflight, key)
		}
	}
	return dropped
}

// Has reports whether a tile is stored under key now, without loading
// or touching it.
func (c *Cache) Has(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.items[key]
	return ok
}

// gzipWriters reuses compressors: each holds about 1 MB of deflate state,
// too much to allocate per miss.
var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(io.Discard) }}

// newTile compresses mvt and computes its ETag. It uses gzip.DefaultCompression
// rather than BestSpeed: a tile is compressed once per data version and
// then served many times, so the smaller body is worth the extra CPU.
// The ETag is the first 128 bits of SHA-256 of the uncompressed bytes, so it
// does not depend on the compressor and identical tiles share it.
func newTile(mvt []byte, truncated string) (*Tile, error) {
	sum := sha256.Sum256(mvt)
	t := &Tile{
		RawSize:   len(mvt),
		ETag:      `"` + hex.EncodeToString(sum[:16]) + `"`,
		Truncated: truncated,
	}
	if len(mvt) == 0 {
		return t, nil
	}
	var buf bytes.Buffer
	zw := gzipWriters.Get().(*gzip.Writer)
	zw.Reset(&buf)
	_, err := zw.Write(mvt)
	if err == nil {
		err = zw.Close()
	}
	zw.Reset(io.Discard) // drop the reference to buf before pooling
	gzipWriters.Put(zw)
	if err != nil {
		return nil, fmt.Errorf("tiles: gzip tile: %w", err)
	}
	// Copy to an exact-size slice: the buffer's spare capacity (up to 2x)
	// would otherwise be held by the cache without being charged.
	t.Gzip = bytes.Clone(buf.Bytes())
	return t, nil
}

// Gunzip returns the MVT bytes of a tile's Gzip field, for the rare client
// that does not accept gzip. An empty input (an empty tile) gives nil.
func Gunzip(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("tiles: gunzip: %w", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("tiles: gunzip: %w", err)
	}
	return out, nil
}
