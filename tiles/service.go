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
	// changes since the versions the one before it published; a tile
	// taken from the Store is judged under its read lock (see stored).
	refreshMu   sync.RWMutex
	keep        *keeper // nil: no Store (see Keep)
	epoch       string  // epochTag(versions)
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
	if s.keep != nil {
		s.keep.forget()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.versions = v
	s.epoch = epochTag(v)
	s.tags = nil
	s.attribution = attribution(credit)
	s.bounds = nil
	if ok {
		s.bounds = &b
	}
	return nil
}

// zone is a part of a layer's tiles that the writes between two refreshes
// may have changed: those at zooms minZ..maxZ whose rendering envelope
// meets one of boxes, or all of them there when boxes is nil.
type zone struct {
	minZ, maxZ int
	boxes      [][4]float64 // w, s, e, n degrees
}

// staleness is which tiles of one layer the writes between two refreshes
// may have changed: those of any of its zones.
type staleness []zone

// stale returns, per layer id, the tiles that the writes moving the
// versions from old to now may have changed. The rule: a write to the
// table a layer draws changes the tiles that the boxes of the rows it
// wrote (old and new) meet with the rendering buffer; a write to any
// other table the layer depends on (village colours on scoring runs,
// township names), or one not on record ([Source.Changes] incomplete),
// changes every tile of the layer. Below a layer's LowBelow the tiles
// draw the low-zoom table while it is current (its version equals the
// table's) and the table otherwise (see lowZones).
func (s *Service) stale(ctx context.Context, old, now map[string]int64) (map[string]staleness, error) {
	changes := changeReader{s: s, old: old, now: now, read: map[string]*tableChanges{}}
	out := map[string]staleness{}
	for _, l := range Layers {
		var st staleness
		tableFrom := 0 // the zooms the table's own records apply from
		if l.LowTable != "" {
			zones, from, err := changes.lowZones(ctx, l)
			if err != nil {
				return nil, err
			}
			st, tableFrom = zones, from
		}
		for _, t := range l.Tables {
			if t == l.LowTable || same(old, now, t) {
				continue
			}
			if t != l.Table {
				st = append(st, zone{minZ: 0, maxZ: MaxZoom})
				continue
			}
			ch, err := changes.of(ctx, t)
			if err != nil {
				return nil, err
			}
			st = append(st, ch.zone(tableFrom, MaxZoom))
		}
		if len(st) > 0 {
			out[l.ID] = st
		}
	}
	return out, nil
}

// lowZones returns the zones of layer l's tiles below l.LowBelow that the
// writes from old to now may have changed, and the zoom from which the
// records of l.Table apply. While the low-zoom table stays current from
// old to now, its own records (kept per cell by the writes, migration
// 0034) say which low tiles changed, and the table's records apply only
// from LowBelow; every version of it in between then has a record, which
// only a write that kept it current writes, so it was current all along.
// While it stays behind (its version unchanged), tiles below draw the
// table itself. Any other move (built whole, or falling behind) changes
// every tile below LowBelow.
func (c *changeReader) lowZones(ctx context.Context, l Layer) (staleness, int, error) {
	current := func(v map[string]int64) bool {
		built, ok := v[l.LowTable]
		return ok && inBoth(v, v, l.Table) && v[l.Table] == built
	}
	below := zone{minZ: 0, maxZ: l.LowBelow - 1}
	switch {
	case current(c.old) && current(c.now):
		if c.old[l.LowTable] == c.now[l.LowTable] {
			return nil, l.LowBelow, nil
		}
		ch, err := c.of(ctx, l.LowTable)
		if err != nil {
			return nil, 0, err
		}
		return staleness{ch.zone(0, l.LowBelow-1)}, l.LowBelow, nil
	case !current(c.old) && !current(c.now) && same(c.old, c.now, l.LowTable):
		// The build is older than the table's version at old, and the
		// table's version only grows: it stayed behind throughout.
		return nil, 0, nil
	}
	return staleness{below}, l.LowBelow, nil
}

// inBoth reports whether table t has a version in a and in b.
func inBoth(a, b map[string]int64, t string) bool {
	_, inA := a[t]
	_, inB := b[t]
	return inA && inB
}

// same reports whether table t has the same version in a and b, or none
// in either.
func same(a, b map[string]int64, t string) bool {
	va, inA := a[t]
	vb, inB := b[t]
	return inA == inB && va == vb
}

// changeReader reads each moved table's change records once per refresh.
type changeReader struct {
	s        *Service
	old, now map[string]int64
	read     map[string]*tableChanges
}

// tableChanges are the records of one table between two refreshes.
type tableChanges struct {
	complete bool
	boxes    [][4]float64
}

// of returns the records of table t's writes from c.old to c.now.
func (c *changeReader) of(ctx context.Context, t string) (*tableChanges, error) {
	if ch, ok := c.read[t]; ok {
		return ch, nil
	}
	ch := &tableChanges{}
	if inBoth(c.old, c.now, t) {
		boxes, complete, err := c.s.src.Changes(ctx, t, c.old[t], c.now[t])
		if err != nil {
			return nil, err
		}
		ch.complete, ch.boxes = complete, boxes
	}
	c.read[t] = ch
	return ch, nil
}

// zone is the part of the tiles at zooms minZ..maxZ that ch changed:
// those its boxes touch, or all when it is incomplete.
func (ch *tableChanges) zone(minZ, maxZ int) zone {
	if !ch.complete {
		return zone{minZ: minZ, maxZ: maxZ}
	}
	return zone{minZ: minZ, maxZ: maxZ, boxes: append([][4]float64{}, ch.boxes...)}
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
	memo := map[setZoom][]zone{}
	return func(r Ref) bool {
		k := setZoom{r.Set, r.Z}
		zones, ok := memo[k]
		if !ok {
			layers, _ := SetLayers(r.Set)
			for _, l := range LayersAt(layers, r.Z) {
				for _, zn := range stale[l.ID] {
					if r.Z >= zn.minZ && r.Z <= zn.maxZ {
						zones = append(zones, zn)
					}
				}
			}
			memo[k] = zones
		}
		var w, s, e, n float64
		bounded := false
		for _, zn := range zones {
			if zn.boxes == nil {
				return true
			}
			if !bounded {
				w, s, e, n = bufferedBounds(r.Z, r.X, r.Y)
				bounded = true
			}
			for _, b := range zn.boxes {
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
	key := cacheKey(r)
	_, _, _ = s.cache.GetTile(ctx, key, r, s.loader(inRange, key, r, true))
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
	key := cacheKey(ref)
	t, hit, err = s.cache.GetTile(ctx, key, ref, s.loader(inRange, key, ref, false))
	return t, version, hit, err
}

// cacheKey is the cache key of what r shows. It holds no data version:
// Refresh drops what a write changed and keeps the rest.
func cacheKey(r Ref) string {
	return fmt.Sprintf("%s/%d/%d/%d?%s", r.Set, r.Z, r.X, r.Y, r.Filter.key())
}

// loader renders layers of r (cached under key) within a render slot and
// the render timeout, or takes it from the Store when kept there and still
// fresh. A user's render waits for a slot up to the queue wait; a
// background one (Rewarm) takes a slot only while none is taken.
func (s *Service) loader(layers []Layer, key string, r Ref, background bool) func(context.Context) (*Tile, error) {
	return func(ctx context.Context) (*Tile, error) {
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
			return nil, err
		}
		defer release()
		ctx, cancel := context.WithTimeout(ctx, s.timeout)
		defer cancel()
		if s.keep != nil {
			s.refreshMu.RLock()
			t, ok, err := s.stored(ctx, key, r)
			s.refreshMu.RUnlock()
			// A store that fails costs a render, not the tile: it is a cache.
			if err == nil && ok {
				return t, nil
			}
		}
		// The versions before the render: the tile shows these or later
		// data, so the Store judges it by the writes after them.
		s.mu.RLock()
		epoch, versions := s.epoch, s.versions
		s.mu.RUnlock()
		mvt, truncated, err := s.src.Tile(ctx, Request{Layers: layers, Z: r.Z, X: r.X, Y: r.Y, Filter: r.Filter})
		if err != nil {
			return nil, err
		}
		t, err := newTile(mvt, strings.Join(truncated, ","))
		if err == nil && s.keep != nil && versions != nil {
			s.keep.enqueue(key, t, epoch, versions)
		}
		return t, err
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
