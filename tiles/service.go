package tiles

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb/maptile"

	"github.com/gapmap/gapmap/tiles/admit"
)

// Service renders the tiles of a layer set through the cache and a bounded
// number of concurrent renders, and knows the data's versions, bounds and
// attribution for TileJSON. It is safe for concurrent use.
type Service struct {
	src     Source
	cache   *Cache
	timeout time.Duration // per render
	// gate bounds concurrent tile renders (the tile class's connection
	// budget); a render that finds its queue full, or gets no slot within
	// the queue wait, fails with ErrBusy instead of piling up.
	gate *admit.Gate

	// rewarm queues the tiles up to RewarmMaxZoom that a refresh dropped,
	// for [Service.Rewarm]; pending counts those queued or rendering.
	rewarm  chan Ref
	pending atomic.Int64

	// refreshMu makes refreshes one at a time, so that each judges the
	// changes since the versions the one before it published.
	refreshMu   sync.Mutex
	mu          sync.RWMutex
	versions    map[string]int64
	tags        map[string]string // set → version tag of versions (see setVersion); nil after a refresh
	bounds      *[4]float64       // nil: nothing loaded
	attribution string            // credits for TileJSON, from the loaded sources
}

// ErrBusy is returned by [Service.Tile] when every render slot is taken
// and the queue is full, or stayed taken for the queue wait: the caller
// should retry in a second. It wraps the gate's admit.ErrQueueFull or
// admit.ErrQueueTimeout.
var ErrBusy = errors.New("tiles: every render slot is busy")

// UnknownSetError is returned for a name that is neither a layer set nor a
// layer.
type UnknownSetError struct {
	Set string
}

func (e *UnknownSetError) Error() string {
	return fmt.Sprintf("tiles: no layer or layer set %q", e.Set)
}

// NewService returns a Service rendering from src through cache, with
// timeout per render and gate bounding the renders in flight and waiting
// (at most one render per slot, so gate's limit is the number of database
// connections tiles use). It knows no data until [Service.Refresh] is
// called.
func NewService(src Source, cache *Cache, timeout time.Duration, gate *admit.Gate) *Service {
	return &Service{src: src, cache: cache, timeout: timeout, gate: gate, rewarm: make(chan Ref, rewarmQueue)}
}

// RewarmMaxZoom is the most detailed zoom whose dropped tiles
// [Service.Rewarm] renders again: up to it a tile spans several villages
// and is costly; above it a render is quick and few tiles are dropped.
const RewarmMaxZoom = 12

// rewarmQueue bounds the tiles waiting for a re-render; beyond it a
// dropped tile waits for its next request.
const rewarmQueue = 4096

// MaxDuration is the longest a [Service.Tile] call works before it gives
// up on its own: the wait for a render slot plus the render timeout.
func (s *Service) MaxDuration() time.Duration { return s.gate.Wait() + s.timeout }

// Refresh reloads the data versions, bounds and attribution, and drops
// the cached tiles that the writes since the last refresh may have changed
// (see [Service.stale]); the rest stay valid under the new versions. It
// drops before it publishes the new versions, so a tile is never served
// under a version tag newer than its data. Tiles up to RewarmMaxZoom that
// it drops are queued for [Service.Rewarm]. On error nothing changes.
func (s *Service) Refresh(ctx context.Context) error {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	v, err := s.src.Versions(ctx)
	if err != nil {
		return err
	}
	b, ok, err := s.src.Bounds(ctx)
	if err != nil {
		return err
	}
	credit, err := s.src.Attribution(ctx)
	if err != nil {
		return err
	}
	s.mu.RLock()
	old := s.versions
	s.mu.RUnlock()
	if old == nil {
		// Nothing says what a tile cached before the first refresh shows.
		s.cache.Purge()
	} else {
		stale, err := s.stale(ctx, old, v)
		if err != nil {
			return err
		}
		if len(stale) > 0 {
			dropped := s.cache.Invalidate(staleTest(stale))
			s.queueRewarm(dropped)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.versions = v
	s.tags = nil
	s.attribution = attribution(credit)
	s.bounds = nil
	if ok {
		s.bounds = &b
	}
	return nil
}

// staleness is which tiles of one layer the writes between two refreshes
// may have changed: all of them, those below zoom below, and those whose
// rendering envelope meets one of boxes.
type staleness struct {
	all   bool
	below int
	boxes [][4]float64 // w, s, e, n degrees
}

// stale returns, per layer id, the tiles that the writes moving the
// versions from old to now may have changed. The rule: a write to the
// table a layer draws changes the tiles that the boxes of the rows it
// wrote (old and new) meet with the rendering buffer, and every tile below
// the layer's LowBelow (those read the low-zoom table only while it is
// current); a rebuild of the low-zoom table changes every tile below
// LowBelow; a write to any other table the layer depends on (village
// colours on scoring runs, township names), or one not on record
// ([Source.Changes] incomplete), changes every tile of the layer.
func (s *Service) stale(ctx context.Context, old, now map[string]int64) (map[string]staleness, error) {
	type change struct {
		complete bool
		boxes    [][4]float64
	}
	moved := map[string]*change{}
	for t, v := range now {
		if v != old[t] {
			moved[t] = &change{}
		}
	}
	for t := range old {
		if _, ok := now[t]; !ok {
			moved[t] = &change{}
		}
	}
	out := map[string]staleness{}
	for _, l := range Layers {
		var st staleness
		for _, t := range l.Tables {
			ch := moved[t]
			switch {
			case ch == nil:
				continue
			case t == l.LowTable:
				st.below = max(st.below, l.LowBelow)
				continue
			case t != l.Table:
				st.all = true
				continue
			}
			if !ch.complete && ch.boxes == nil {
				boxes, complete, err := s.src.Changes(ctx, t, old[t], now[t])
				if err != nil {
					return nil, err
				}
				ch.complete, ch.boxes = complete, boxes
				if ch.boxes == nil {
					ch.boxes = [][4]float64{}
				}
			}
			if !ch.complete {
				st.all = true
				continue
			}
			st.boxes = append(st.boxes, ch.boxes...)
			st.below = max(st.below, l.LowBelow)
		}
		if st.all || st.below > 0 || len(st.boxes) > 0 {
			out[l.ID] = st
		}
	}
	return out, nil
}

// staleTest returns the test of a cached tile against stale. What the
// layers of a set drawn at a zoom need is worked out once per set and
// zoom, and a tile's envelope once: with 100,000 tiles cached, every write
// through the API waits for this pass.
func staleTest(stale map[string]staleness) func(Ref) bool {
	type setZoom struct {
		set string
		z   int
	}
	memo := map[setZoom][]staleness{}
	return func(r Ref) bool {
		k := setZoom{r.Set, r.Z}
		sts, ok := memo[k]
		if !ok {
			layers, _ := SetLayers(r.Set)
			for _, l := range LayersAt(layers, r.Z) {
				if st, ok := stale[l.ID]; ok {
					sts = append(sts, st)
				}
			}
			memo[k] = sts
		}
		var w, s, e, n float64
		bounded := false
		for _, st := range sts {
			if st.all || r.Z < st.below {
				return true
			}
			if len(st.boxes) == 0 {
				continue
			}
			if !bounded {
				w, s, e, n = bufferedBounds(r.Z, r.X, r.Y)
				bounded = true
			}
			for _, b := range st.boxes {
				if b[0] <= e && b[2] >= w && b[1] <= n && b[3] >= s {
					return true
				}
			}
		}
		return false
	}
}

// tileMargin is the buffer, in tiles, around a tile within which its
// rows are selected (ST_TileEnvelope's margin, 64/4096 in the tile SQL),
// plus a pixel so that rounding never misses a tile.
const tileMargin = 65.0 / 4096

// bufferedBounds returns the lon/lat bounds (w, s, e, n) of tile z/x/y
// grown by tileMargin in Web Mercator, as the tile SQL's b3857 is.
func bufferedBounds(z, x, y int) (w, s, e, n float64) {
	scale := math.Exp2(float64(z))
	lon := func(tx float64) float64 { return tx/scale*360 - 180 }
	lat := func(ty float64) float64 {
		return math.Atan(math.Sinh(math.Pi*(1-2*ty/scale))) * 180 / math.Pi
	}
	return lon(float64(x) - tileMargin), lat(float64(y) + 1 + tileMargin),
		lon(float64(x) + 1 + tileMargin), lat(float64(y) - tileMargin)
}

// queueRewarm queues the dropped tiles up to RewarmMaxZoom for Rewarm,
// as many as the queue takes.
func (s *Service) queueRewarm(dropped []Ref) {
	for _, r := range dropped {
		if r.Z > RewarmMaxZoom {
			continue
		}
		s.pending.Add(1)
		select {
		case s.rewarm <- r:
		default:
			s.pending.Add(-1)
			return
		}
	}
}

// Rewarm renders again, with workers goroutines, the tiles up to
// RewarmMaxZoom that refreshes dropped, so that users meet them cached. It
// is the lowest priority: a worker renders only while no other render
// holds a slot. It returns when ctx ends.
func (s *Service) Rewarm(ctx context.Context, workers int) {
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case r := <-s.rewarm:
					s.rewarmOne(ctx, r)
					s.pending.Add(-1)
				}
			}
		}()
	}
	wg.Wait()
}

// rewarmOne renders r into the cache unless it is there already.
func (s *Service) rewarmOne(ctx context.Context, r Ref) {
	layers, ok := SetLayers(r.Set)
	if !ok {
		return
	}
	inRange := LayersAt(layers, r.Z)
	if len(inRange) == 0 || s.outside(r.Z, r.X, r.Y) {
		return
	}
	_, _, _ = s.cache.Get(ctx, cacheKey(r), r, s.loader(inRange, r, true))
}

// RewarmPending returns the number of dropped tiles queued for Rewarm or
// rendering now.
func (s *Service) RewarmPending() int64 { return s.pending.Load() }

// Cached reports whether tile z/x/y of set with filter f is cached now,
// without rendering it.
func (s *Service) Cached(set string, z, x, y int, f Filter) bool {
	return s.cache.Has(cacheKey(Ref{Set: set, Z: z, X: x, Y: y, Filter: f}))
}

// Tile returns tile z/x/y of set with filter f, from the cache or rendered,
// and version, a short tag of the data versions behind set (the ?v= of
// TileJSON's URLs). z, x and y must be a valid tile (x, y < 2^z). t is nil
// when the tile is known to be empty without rendering it: no layer of the
// set is drawn at z, or the tile misses the data. hit reports a cached tile
// (or one shared with a concurrent caller). Errors: *UnknownSetError,
// ErrBusy, the render's own error (a context error when its timeout or
// ctx ended).
//
// A returned *Tile is shared and must be treated as read-only.
func (s *Service) Tile(ctx context.Context, set string, z, x, y int, f Filter) (t *Tile, version string, hit bool, err error) {
	layers, inRange, ok := layersAt(set, z)
	if !ok {
		return nil, "", false, &UnknownSetError{Set: set}
	}
	version = s.setVersion(set, layers)
	// Empty without touching the database: no layer at this zoom, or no data here.
	if len(inRange) == 0 || s.outside(z, x, y) {
		return nil, version, false, nil
	}
	ref := Ref{Set: set, Z: z, X: x, Y: y, Filter: f}
	t, hit, err = s.cache.Get(ctx, cacheKey(ref), ref, s.loader(inRange, ref, false))
	return t, version, hit, err
}

// cacheKey is the cache key of what r shows. It holds no data version:
// Refresh drops what a write changed and keeps the rest.
func cacheKey(r Ref) string {
	return fmt.Sprintf("%s/%d/%d/%d?%s", r.Set, r.Z, r.X, r.Y, r.Filter.key())
}

// loader renders layers of r within a render slot and the render timeout.
// A user's render waits for a slot up to the queue wait; a background one
// (Rewarm) takes a slot only while none is taken.
func (s *Service) loader(layers []Layer, r Ref, background bool) func(context.Context) ([]byte, string, error) {
	return func(ctx context.Context) ([]byte, string, error) {
		var release func()
		var err error
		if background {
			release, err = s.idleSlot(ctx)
		} else {
			release, err = s.gate.Acquire(ctx)
			if errors.Is(err, admit.ErrQueueFull) || errors.Is(err, admit.ErrQueueTimeout) {
				err = fmt.Errorf("%w (%w)", ErrBusy, err)
			}
		}
		if err != nil {
			return nil, "", err
		}
		defer release()
		ctx, cancel := context.WithTimeout(ctx, s.timeout)
		defer cancel()
		mvt, truncated, err := s.src.Tile(ctx, Request{Layers: layers, Z: r.Z, X: r.X, Y: r.Y, Filter: r.Filter})
		return mvt, strings.Join(truncated, ","), err
	}
}

// idleSlot takes a render slot once no render holds or waits for one.
func (s *Service) idleSlot(ctx context.Context) (release func(), err error) {
	for {
		if release, ok := s.gate.TryIdle(); ok {
			return release, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// key normalises a filter for the cache key; it is the one place that
// lists the filter's parts.
func (f Filter) key() string {
	score := ""
	if f.MinScore != nil {
		score = strconv.FormatFloat(*f.MinScore, 'g', -1, 64)
	}
	return strings.Join([]string{f.Township, f.Dimension, score, f.Status, strconv.Itoa(f.Year), f.AsOf}, "|")
}

// setVersion is version(layers) for the layers of set, kept per set until
// the versions change: a cached tile's answer then costs no hashing.
func (s *Service) setVersion(set string, layers []Layer) string {
	s.mu.RLock()
	tag, ok := s.tags[set]
	s.mu.RUnlock()
	if ok {
		return tag
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Computed and kept under one lock with the versions it hashes, so a
	// Refresh (which empties tags as it publishes) never leaves an old tag.
	tag = s.versionLocked(layers)
	if s.tags == nil {
		s.tags = map[string]string{}
	}
	s.tags[set] = tag
	return tag
}

// version returns a short tag of the versions of the tables behind layers.
func (s *Service) version(layers []Layer) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.versionLocked(layers)
}

// versionLocked is version with s.mu held.
func (s *Service) versionLocked(layers []Layer) string {
	var parts []string
	for _, l := range layers {
		for _, t := range l.Tables {
			parts = append(parts, t+"="+strconv.FormatInt(s.versions[t], 10))
		}
	}
	sort.Strings(parts)
	sum := sha256.Sum256([]byte(strings.Join(parts, ";")))
	return hex.EncodeToString(sum[:6])
}

// outside reports whether tile z/x/y misses the loaded data entirely.
func (s *Service) outside(z, x, y int) bool {
	s.mu.RLock()
	b := s.bounds
	s.mu.RUnlock()
	if b == nil {
		return true
	}
	w, sth, e, n := tileBounds(z, x, y)
	return e < b[0] || w > b[2] || n < b[1] || sth > b[3]
}

// tileBounds returns the lon/lat bounds (w, s, e, n) of tile z/x/y.
func tileBounds(z, x, y int) (w, s, e, n float64) {
	b := maptile.New(uint32(x), uint32(y), maptile.Zoom(z)).Bound()
	return b.Min[0], b.Min[1], b.Max[0], b.Max[1]
}
