package tiles

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paulmach/orb/maptile"
)

// Service renders the tiles of a layer set through the cache and a bounded
// number of concurrent renders, and knows the data's versions, bounds and
// attribution for TileJSON. It is safe for concurrent use.
type Service struct {
	src     Source
	cache   *Cache
	timeout time.Duration // per render
	// slots bounds concurrent tile renders; a request that cannot get one
	// within queueWait fails with ErrBusy at once instead of piling up.
	slots     chan struct{}
	queueWait time.Duration

	mu          sync.RWMutex
	versions    map[string]int64
	bounds      *[4]float64 // nil: nothing loaded
	attribution string      // credits for TileJSON, from the loaded sources
}

// ErrBusy is returned by [Service.Tile] when every render slot stayed taken
// for the queue wait: the caller should retry in a second.
var ErrBusy = errors.New("tiles: every render slot is busy")

// UnknownSetError is returned for a name that is neither a layer set nor a
// layer.
type UnknownSetError struct {
	Set string
}

func (e *UnknownSetError) Error() string {
	return fmt.Sprintf("tiles: no layer or layer set %q", e.Set)
}

// NewService returns a Service rendering from src through cache, with at
// most concurrent renders in flight and timeout per render. It knows no data
// until [Service.Refresh] is called.
func NewService(src Source, cache *Cache, timeout time.Duration, concurrent int) *Service {
	return &Service{src: src, cache: cache, timeout: timeout,
		slots: make(chan struct{}, max(concurrent, 1)), queueWait: 2 * time.Second}
}

// MaxDuration is the longest a [Service.Tile] call works before it gives
// up on its own: the wait for a render slot plus the render timeout.
func (s *Service) MaxDuration() time.Duration { return s.queueWait + s.timeout }

// Refresh reloads the data versions and bounds; tiles rendered from older
// versions are never served again because versions are part of the key.
func (s *Service) Refresh(ctx context.Context) error {
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
	s.mu.Lock()
	defer s.mu.Unlock()
	s.versions = v
	s.attribution = attribution(credit)
	s.bounds = nil
	if ok {
		s.bounds = &b
	}
	return nil
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
	layers, ok := SetLayers(set)
	if !ok {
		return nil, "", false, &UnknownSetError{Set: set}
	}
	version = s.version(layers)
	inRange := LayersAt(layers, z)
	// Empty without touching the database: no layer at this zoom, or no data here.
	if len(inRange) == 0 || s.outside(z, x, y) {
		return nil, version, false, nil
	}
	req := Request{Layers: inRange, Z: z, X: x, Y: y, Filter: f}
	key := fmt.Sprintf("%s/%d/%d/%d?%s#%s", set, z, x, y, f.key(), version)
	t, hit, err = s.cache.Get(ctx, key, func(ctx context.Context) ([]byte, string, error) {
		select {
		case s.slots <- struct{}{}:
			defer func() { <-s.slots }()
		case <-time.After(s.queueWait):
			return nil, "", ErrBusy
		case <-ctx.Done():
			return nil, "", ctx.Err()
		}
		ctx, cancel := context.WithTimeout(ctx, s.timeout)
		defer cancel()
		mvt, truncated, err := s.src.Tile(ctx, req)
		return mvt, strings.Join(truncated, ","), err
	})
	return t, version, hit, err
}

// key normalises a filter for the cache key.
func (f Filter) key() string {
	score := ""
	if f.MinScore != nil {
		score = strconv.FormatFloat(*f.MinScore, 'g', -1, 64)
	}
	return strings.Join([]string{f.Township, f.Dimension, score, f.Status, strconv.Itoa(f.Year), f.AsOf}, "|")
}

// version returns a short tag of the versions of the tables behind layers.
func (s *Service) version(layers []Layer) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
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
