package tiles

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// TileList returns the tiles at zoom z covering b, in a fixed pseudo-random
// order, at most max of them (all when max <= 0). A fixed list per zoom is
// what makes two servers' figures comparable: both are asked for the same
// tiles in the same order.
func TileList(b orb.Bound, z, max int) []maptile.Tile {
	ts := maptile.Zoom(z)
	lo := maptile.At(orb.Point{b.Min[0], b.Max[1]}, ts)
	hi := maptile.At(orb.Point{b.Max[0], b.Min[1]}, ts)
	var out []maptile.Tile
	for x := lo.X; x <= hi.X; x++ {
		for y := lo.Y; y <= hi.Y; y++ {
			out = append(out, maptile.New(x, y, ts))
		}
	}
	// A multiplicative hash of the position gives an order that mixes near
	// and far tiles but is the same on every run.
	key := func(t maptile.Tile) uint64 { return (uint64(t.X)<<32 | uint64(t.Y)) * 0x9E3779B97F4A7C15 }
	slices.SortFunc(out, func(a, b maptile.Tile) int {
		ka, kb := key(a), key(b)
		switch {
		case ka < kb:
			return -1
		case ka > kb:
			return 1
		}
		return 0
	})
	if max > 0 && len(out) > max {
		out = out[:max]
	}
	return out
}

// LoadResult is what one load run measured.
type LoadResult struct {
	Zoom          int
	Tiles         int // distinct tiles in the list
	Requests      int
	Errors        int // transport errors and statuses other than 200/204
	Duration      time.Duration
	P50, P99, Max time.Duration
	AvgKB         float64 // mean uncompressed body of 200 responses
	MaxKB         float64
	FirstError    string
}

// RPS is requests per second.
func (r LoadResult) RPS() float64 { return float64(r.Requests) / r.Duration.Seconds() }

func (r LoadResult) String() string {
	s := fmt.Sprintf("z%-2d %5d tiles %8.1f tiles/s  p50 %7.2f ms  p99 %7.2f ms  max %7.1f ms  avg %6.1f KB  max %6.1f KB",
		r.Zoom, r.Tiles, r.RPS(), ms(r.P50), ms(r.P99), ms(r.Max), r.AvgKB, r.MaxKB)
	if r.Errors > 0 {
		s += fmt.Sprintf("  %d errors (first: %s)", r.Errors, r.FirstError)
	}
	return s
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Load requests the tiles of list from urlTemplate ({z}, {x}, {y} are
// replaced) with the given number of concurrent clients for duration,
// walking the list round-robin, and reports throughput and latency. The
// bodies are read in full and uncompressed (Go's transport asks for gzip
// and decompresses), so the sizes are MVT bytes.
func Load(ctx context.Context, client *http.Client, urlTemplate string, z int, list []maptile.Tile, clients int, duration time.Duration) LoadResult {
	res := LoadResult{Zoom: z, Tiles: len(list)}
	if len(list) == 0 {
		return res
	}
	urls := tileURLs(urlTemplate, list)
	ctx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()

	type sample struct {
		lat   time.Duration
		bytes int
		ok    bool
		err   string
	}
	var (
		mu      sync.Mutex
		samples []sample
		next    int
		wg      sync.WaitGroup
	)
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []sample
			for ctx.Err() == nil {
				mu.Lock()
				u := urls[next%len(urls)]
				next++
				mu.Unlock()
				t0 := time.Now()
				s := sample{}
				n, status, err := fetch(ctx, client, u)
				if ctx.Err() != nil {
					break // cut off by the end of the run: not a sample
				}
				s.lat, s.bytes = time.Since(t0), n
				switch {
				case err != nil:
					s.err = err.Error()
				case status != http.StatusOK && status != http.StatusNoContent:
					s.err = fmt.Sprintf("%s: HTTP %d", u, status)
				default:
					s.ok = true
				}
				mine = append(mine, s)
			}
			mu.Lock()
			samples = append(samples, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Duration = time.Since(start)

	lats := make([]time.Duration, 0, len(samples))
	bodies, total := 0, 0
	for _, s := range samples {
		res.Requests++
		if !s.ok {
			res.Errors++
			if res.FirstError == "" {
				res.FirstError = s.err
			}
			continue
		}
		lats = append(lats, s.lat)
		if s.bytes > 0 {
			bodies++
			total += s.bytes
			res.MaxKB = math.Max(res.MaxKB, float64(s.bytes)/1024)
		}
	}
	slices.Sort(lats)
	if n := len(lats); n > 0 {
		res.P50, res.P99, res.Max = lats[n/2], lats[min(n-1, n*99/100)], lats[n-1]
	}
	if bodies > 0 {
		res.AvgKB = float64(total) / float64(bodies) / 1024
	}
	return res
}

// Prime requests every tile of list once, one at a time, so that a cache
// holds them before a warm run. It returns the first failure.
func Prime(ctx context.Context, client *http.Client, urlTemplate string, list []maptile.Tile) error {
	for _, u := range tileURLs(urlTemplate, list) {
		_, status, err := fetch(ctx, client, u)
		if err == nil && status != http.StatusOK && status != http.StatusNoContent {
			err = fmt.Errorf("%s: HTTP %d", u, status)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func tileURLs(urlTemplate string, list []maptile.Tile) []string {
	urls := make([]string, len(list))
	for i, t := range list {
		urls[i] = strings.NewReplacer("{z}", strconv.Itoa(int(t.Z)), "{x}", strconv.Itoa(int(t.X)), "{y}", strconv.Itoa(int(t.Y))).Replace(urlTemplate)
	}
	return urls
}

func fetch(ctx context.Context, client *http.Client, url string) (int, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	return int(n), resp.StatusCode, err
}
