package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/tiles"
)

// benchOptions are the flags of `gapmap bench-tiles`.
type benchOptions struct {
	LayerSet string // layer set to request
	MinZoom  int    // zooms MinZoom..MaxZoom, one run each
	MaxZoom  int
	Duration time.Duration // per zoom and mode
	Clients  int           // concurrent HTTP clients
	MaxTiles int           // tiles per zoom list
	Peer     string        // URL template of another tile server to load with the same lists, e.g. pg_tileserv
	// EqualContent also loads gapmap rendering what a table tile server
	// sends (data's Store.EqualContent) and compares the tiles' content
	// with the peer's on up to ContentTiles tiles of each list.
	EqualContent bool
	ContentTiles int
}

func benchFlags(fs *flag.FlagSet, o *benchOptions) func() error {
	zooms, duration := "8-15", "5s"
	fs.StringVar(&o.LayerSet, "layerset", "review", "layer set to request")
	fs.StringVar(&zooms, "zooms", zooms, "zoom range, e.g. 8-15")
	fs.StringVar(&duration, "duration", duration, "load duration per zoom and mode")
	fs.IntVar(&o.Clients, "clients", 16, "concurrent clients")
	fs.IntVar(&o.MaxTiles, "max-tiles", 200, "tiles in each zoom's fixed list")
	fs.StringVar(&o.Peer, "peer", "", "URL template of another tile server to load with the same tile lists, e.g. http://127.0.0.1:7800/public.roads/{z}/{x}/{y}.pbf")
	fs.BoolVar(&o.EqualContent, "equal-content", false, "also load gapmap without feature budgets and with every column as attribute (what pg_tileserv sends), and compare content with --peer (run pg_tileserv with ?buffer=64&limit=1000000)")
	fs.IntVar(&o.ContentTiles, "content-tiles", 64, "tiles of each zoom's list whose content --equal-content decodes and compares")
	return func() error {
		var errs []error
		if _, err := fmt.Sscanf(zooms, "%d-%d", &o.MinZoom, &o.MaxZoom); err != nil ||
			o.MinZoom < 0 || o.MinZoom > o.MaxZoom || o.MaxZoom > 22 {
			errs = append(errs, fmt.Errorf("zooms %q: want a range such as 8-15 within 0-22", zooms))
		}
		var err error
		if o.Duration, err = time.ParseDuration(duration); err != nil || o.Duration <= 0 {
			errs = append(errs, fmt.Errorf("duration %q: want a positive duration such as 5s", duration))
		}
		if o.EqualContent && o.Peer == "" {
			errs = append(errs, errors.New("--equal-content compares with a peer: give --peer"))
		}
		if o.Clients < 1 || o.MaxTiles < 1 || o.ContentTiles < 1 {
			errs = append(errs, fmt.Errorf("clients %d, max tiles %d, content tiles %d: each must be at least 1", o.Clients, o.MaxTiles, o.ContentTiles))
		}
		return errors.Join(errs...)
	}
}

// benchTiles runs the tile load benchmark against this database: an
// in-process tile server without cache (cold) and one with cache (warm,
// primed by one pass over the list), and optionally a peer server, all
// loaded over loopback HTTP with the same fixed tile list per zoom.
func benchTiles(ctx context.Context, a app, bc benchOptions) error {
	cfg, store, stdout := a.cfg, a.store, a.stdout
	b, ok, err := store.Bounds(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("the database holds no data: load the demo (gapmap demo --load-only) or an import first")
	}
	bound := orb.Bound{Min: orb.Point{b[0], b[1]}, Max: orb.Point{b[2], b[3]}}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	coldCache := tiles.NewCache(0)
	cold, err := startTileServer(ctx, store, coldCache, cfg, quiet)
	if err != nil {
		return err
	}
	warm, err := startTileServer(ctx, store, tiles.NewCache(cfg.TileCacheBytes), cfg, quiet)
	if err != nil {
		return err
	}
	var equal string
	if bc.EqualContent {
		eq, err := store.EqualContent(ctx)
		if err != nil {
			return err
		}
		if equal, err = startTileServer(ctx, eq, tiles.NewCache(0), cfg, quiet); err != nil {
			return err
		}
	}
	floor, floorAnswers := startFloorServer(ctx)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * bc.Clients}}
	fmt.Fprintf(stdout, "tile load: layer set %s, %d clients, %s per zoom and mode, up to %d tiles per zoom, bounds %.3f,%.3f,%.3f,%.3f\n",
		bc.LayerSet, bc.Clients, bc.Duration, bc.MaxTiles, b[0], b[1], b[2], b[3])
	for z := bc.MinZoom; z <= bc.MaxZoom; z++ {
		list := tiles.TileList(bound, z, bc.MaxTiles)
		runs := []struct{ name, url string }{
			{"cold", cold + "/tiles/" + bc.LayerSet + "/{z}/{x}/{y}.mvt"},
		}
		if equal != "" {
			runs = append(runs, struct{ name, url string }{"equal", equal + "/tiles/" + bc.LayerSet + "/{z}/{x}/{y}.mvt"})
		}
		runs = append(runs, struct{ name, url string }{"warm", warm + "/tiles/" + bc.LayerSet + "/{z}/{x}/{y}.mvt"},
			struct{ name, url string }{"floor", floor + "/tiles/" + bc.LayerSet + "/{z}/{x}/{y}.mvt"})
		if bc.Peer != "" {
			runs = append(runs, struct{ name, url string }{"peer", bc.Peer})
		}
		results := map[string]loadResult{}
		urls := map[string]string{}
		for _, run := range runs {
			if run.name == "warm" {
				if err := primeTiles(ctx, client, run.url, list); err != nil {
					return fmt.Errorf("prime the cache: %w", err)
				}
			}
			if run.name == "floor" {
				if err := floorAnswers.copy(ctx, tileURLs(urls["warm"], list), warm); err != nil {
					return fmt.Errorf("floor answers: %w", err)
				}
			}
			before := coldCache.Stats()
			res := loadTiles(ctx, client, run.url, z, list, bc.Clients, bc.Duration)
			results[run.name], urls[run.name] = res, run.url
			fmt.Fprintf(stdout, "%-5s %s", run.name, res)
			if run.name == "cold" {
				// Without a cache, concurrent requests for one tile still share
				// one render; renders/s is the database's throughput.
				after := coldCache.Stats()
				fmt.Fprintf(stdout, "  %.1f renders/s", float64(after.Misses-before.Misses)/res.Duration.Seconds())
			}
			if run.name == "floor" {
				// How near the warm path comes to Go's HTTP stack answering
				// the same bytes to the same clients on the same machine.
				fmt.Fprintf(stdout, "  warm/floor %.2f× tiles/s", results["warm"].RPS()/res.RPS())
			}
			fmt.Fprintln(stdout)
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
		if equal != "" {
			if err := compareContent(ctx, stdout, client, z, sample(list, bc.ContentTiles), urls, results); err != nil {
				return err
			}
		}
	}
	return nil
}

// startTileServer serves store through the whole HTTP handler, as serve
// does, with tiles from cache, on a loopback port until ctx ends, and
// returns its base URL: the benchmark measures what users get.
func startTileServer(ctx context.Context, store *data.Store, cache *tiles.Cache, cfg Config, log *slog.Logger) (string, error) {
	ts := tiles.NewService(store, cache, cfg.RequestTimeout, tileGate(cfg))
	if err := ts.Refresh(ctx); err != nil {
		return "", err
	}
	handler, err := newHandler(cfg, store, ts, log)
	if err != nil {
		return "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	return "http://" + ln.Addr().String(), nil
}

// floorAnswers are the warm server's answers, kept byte for byte (body,
// Content-Type, Content-Encoding) by path, for the floor server.
type floorAnswers struct {
	mu      sync.RWMutex
	answers map[string]floorAnswer
}

type floorAnswer struct {
	status                int
	body                  []byte
	contentType, encoding string
}

// startFloorServer serves the answers copied into the returned
// floorAnswers with nothing but net/http: a map look-up and a write. The
// warm run against it ("floor") is what Go's HTTP stack and the load
// client reach on this machine with the same bytes, the bound of the warm
// path.
func startFloorServer(ctx context.Context) (string, *floorAnswers) {
	fa := &floorAnswers{answers: map[string]floorAnswer{}}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fa.mu.RLock()
		a, ok := fa.answers[r.URL.Path]
		fa.mu.RUnlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		if a.contentType != "" {
			w.Header().Set("Content-Type", a.contentType)
		}
		if a.encoding != "" {
			w.Header().Set("Content-Encoding", a.encoding)
		}
		w.WriteHeader(a.status)
		w.Write(a.body)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err) // a loopback port: the cold and warm servers took theirs
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	return "http://" + ln.Addr().String(), fa
}

// copy fetches each of urls from the warm server as the load client asks
// (gzip accepted) and keeps the answer as sent, under its path.
func (fa *floorAnswers) copy(ctx context.Context, urls []string, from string) error {
	raw := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	for _, u := range urls {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := raw.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		fa.mu.Lock()
		fa.answers[strings.TrimPrefix(u, from)] = floorAnswer{status: resp.StatusCode, body: body,
			contentType: resp.Header.Get("Content-Type"), encoding: resp.Header.Get("Content-Encoding")}
		fa.mu.Unlock()
	}
	return nil
}

// loadResult is what one load run measured.
type loadResult struct {
	Zoom          int
	Tiles         int // distinct tiles in the list
	Requests      int
	Errors        int // transport errors and statuses other than 200/204
	Busy          int // 503 and 429 answers (admission refused), counted in Errors too
	Duration      time.Duration
	P50, P99, Max time.Duration // of the 200/204 answers
	P99All        time.Duration // of every answer, refusals included
	AvgKB         float64       // mean uncompressed body of 200 responses
	MaxKB         float64
	FirstError    string
}

// RPS is requests per second.
func (r loadResult) RPS() float64 { return float64(r.Requests) / r.Duration.Seconds() }

func (r loadResult) String() string {
	s := fmt.Sprintf("z%-2d %5d tiles %8.1f tiles/s  p50 %7.2f ms  p99 %7.2f ms  max %7.1f ms  avg %6.1f KB  max %6.1f KB",
		r.Zoom, r.Tiles, r.RPS(), ms(r.P50), ms(r.P99), ms(r.Max), r.AvgKB, r.MaxKB)
	if r.Errors > 0 {
		s += fmt.Sprintf("  %d answers: %d 200/204, %d 503/429, %d other errors; p99 of all answers %.2f ms (first error: %s)",
			r.Requests, r.Requests-r.Errors, r.Busy, r.Errors-r.Busy, ms(r.P99All), r.FirstError)
	}
	return s
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// loadTiles requests the tiles of list from urlTemplate ({z}, {x}, {y} are
// replaced) with the given number of concurrent clients for duration,
// walking the list round-robin, and reports throughput and latency. The
// bodies are read in full and uncompressed (Go's transport asks for gzip
// and decompresses), so the sizes are MVT bytes.
func loadTiles(ctx context.Context, client *http.Client, urlTemplate string, z int, list []maptile.Tile, clients int, duration time.Duration) loadResult {
	res := loadResult{Zoom: z, Tiles: len(list)}
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
		busy  bool // 503 or 429
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
				n, status, err := fetchTile(ctx, client, u)
				if ctx.Err() != nil {
					break // cut off by the end of the run: not a sample
				}
				s.lat, s.bytes = time.Since(t0), n
				switch {
				case err != nil:
					s.err = err.Error()
				case status != http.StatusOK && status != http.StatusNoContent:
					s.err = fmt.Sprintf("%s: HTTP %d", u, status)
					s.busy = status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests
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
	all := make([]time.Duration, 0, len(samples))
	bodies, total := 0, 0
	for _, s := range samples {
		res.Requests++
		if s.err == "" || s.busy {
			all = append(all, s.lat) // transport errors have no answer to time
		}
		if s.busy {
			res.Busy++
		}
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
	slices.Sort(all)
	if n := len(all); n > 0 {
		res.P99All = all[min(n-1, n*99/100)]
	}
	if bodies > 0 {
		res.AvgKB = float64(total) / float64(bodies) / 1024
	}
	return res
}

// primeTiles requests every tile of list once, one at a time, so that a cache
// holds them before a warm run. A refusal (503: the render queue was full
// or its wait ran out, on a loaded machine) is asked again after a second,
// up to primeRetries times. It returns the first failure.
func primeTiles(ctx context.Context, client *http.Client, urlTemplate string, list []maptile.Tile) error {
	for _, u := range tileURLs(urlTemplate, list) {
		_, status, err := fetchTile(ctx, client, u)
		for try := 0; err == nil && status == http.StatusServiceUnavailable && try < primeRetries; try++ {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Second):
			}
			_, status, err = fetchTile(ctx, client, u)
		}
		if err == nil && status != http.StatusOK && status != http.StatusNoContent {
			err = fmt.Errorf("%s: HTTP %d", u, status)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// primeRetries bounds the retries of one refused tile while priming.
const primeRetries = 5

func tileURLs(urlTemplate string, list []maptile.Tile) []string {
	urls := make([]string, len(list))
	for i, t := range list {
		urls[i] = strings.NewReplacer("{z}", strconv.Itoa(int(t.Z)), "{x}", strconv.Itoa(int(t.X)), "{y}", strconv.Itoa(int(t.Y))).Replace(urlTemplate)
	}
	return urls
}

func fetchTile(ctx context.Context, client *http.Client, url string) (int, int, error) {
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
