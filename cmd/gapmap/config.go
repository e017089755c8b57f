package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gapmap/gapmap/cmd/gapmap/api"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/planning/access"
)

// Config is the configuration every command shares, read once from the
// environment and the common flags (flags win) and passed down as a
// value. A command's own flags are its options, in the command's file.
type Config struct {
	DatabaseURL string // DATABASE_URL
	// ReadDatabaseURL is a streaming standby of DatabaseURL's server that
	// serves tiles and read-only API reads once it has replayed what they
	// need (GAPMAP_READ_DATABASE_URL); "": the primary serves them.
	ReadDatabaseURL string
	Addr            string        // GAPMAP_ADDR, host:port to listen on
	LogLevel        slog.Level    // GAPMAP_LOG_LEVEL: debug, info, warn, error
	RequestTimeout  time.Duration // GAPMAP_REQUEST_TIMEOUT: database budget of one API request
	MaxConns        int           // GAPMAP_MAX_CONNS: database connections in all, split between the route classes
	// TileConns and Admission are the route classes' connection budgets
	// (GAPMAP_CLASS_CONNS, else derived from MaxConns by splitConns), the
	// queues (GAPMAP_QUEUE_PER_SLOT, GAPMAP_QUEUE_WAIT) and the per-user
	// limit of heavy requests (GAPMAP_HEAVY_PER_MIN).
	TileConns      int
	Admission      api.Admission
	TileCacheBytes int64         // GAPMAP_TILE_CACHE_MB: in-process tile cache size
	TileStoreBytes int64         // GAPMAP_TILE_STORE_MB: tiles kept in PostgreSQL across restarts
	ImportMaxBytes int64         // GAPMAP_IMPORT_MAX_MB: largest upload to POST /api/v1/layers/{layer}/imports
	Web            api.WebConfig // the review map's basemap (GAPMAP_BASEMAP_*, GAPMAP_TIANDITU_KEY)
	PublicRead     bool          // GAPMAP_PUBLIC_READ=true: reading needs no login (off by default)
	// Policy is who may do what: GAPMAP_ACCESS_FILE (a JSON file shaped
	// like planning/access/default.json), else the defaults.
	Policy   *access.Policy
	Sessions access.SessionTimes // GAPMAP_SESSION_IDLE, GAPMAP_SESSION_MAX, GAPMAP_SESSION_TILE_RECHECK
	// OIDC is single sign-on (GAPMAP_OIDC_*, all or none); nil: none.
	OIDC *api.OIDCConfig
	// JobSlots caps the heavy calls running at once (GAPMAP_JOB_SLOTS).
	JobSlots int
	// JobTimeouts are the deadlines of jobs by kind (GAPMAP_JOB_TIMEOUTS,
	// e.g. score=30m,import=2h).
	JobTimeouts map[string]time.Duration
	// ExportResultTTL is how long an export job's file is kept
	// (GAPMAP_EXPORT_RESULT_TTL).
	ExportResultTTL time.Duration
}

// DefaultDatabaseURL is the database scripts/dbsetup.sh creates.
const DefaultDatabaseURL = "postgres://gapmap:gapmap@127.0.0.1:5432/gapmap?sslmode=disable"

// DefaultConfig returns the configuration used when nothing is set.
func DefaultConfig() Config {
	c := Config{
		DatabaseURL:     DefaultDatabaseURL,
		Addr:            "127.0.0.1:8080",
		LogLevel:        slog.LevelInfo,
		RequestTimeout:  10 * time.Second,
		MaxConns:        16,
		TileCacheBytes:  256 << 20,
		TileStoreBytes:  1024 << 20,
		ImportMaxBytes:  512 << 20,
		Policy:          access.Default(),
		Sessions:        access.DefaultSessionTimes,
		JobSlots:        api.DefaultJobSlots,
		JobTimeouts:     api.DefaultJobTimeouts,
		ExportResultTTL: api.DefaultExportResultTTL,
	}
	c.TileConns, c.Admission = splitConns(c.MaxConns)
	return c
}

// Validate reports every problem with c, each naming its setting.
func (c Config) Validate() error {
	var errs []error
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL is empty"))
	} else if err := data.CheckURL(c.DatabaseURL); err != nil {
		errs = append(errs, fmt.Errorf("DATABASE_URL: %w", err))
	}
	if c.ReadDatabaseURL != "" {
		if err := data.CheckURL(c.ReadDatabaseURL); err != nil {
			errs = append(errs, fmt.Errorf("GAPMAP_READ_DATABASE_URL: %w", err))
		}
	}
	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		errs = append(errs, fmt.Errorf("GAPMAP_ADDR %q: want host:port, such as 127.0.0.1:8080", c.Addr))
	}
	if c.RequestTimeout <= 0 {
		errs = append(errs, fmt.Errorf("request timeout %s: must be positive", c.RequestTimeout))
	}
	if c.MaxConns < 4 || c.MaxConns > 1000 {
		errs = append(errs, fmt.Errorf("max conns %d: must be between 4 (one per route class) and 1000", c.MaxConns))
	} else if n := c.TileConns + c.Admission.Conns(); c.TileConns < 1 || c.Admission.API < 1 || c.Admission.Export < 1 || c.Admission.Heavy < 1 || n > c.MaxConns {
		errs = append(errs, fmt.Errorf("GAPMAP_CLASS_CONNS tile=%d,api=%d,export=%d,heavy=%d: each must be at least 1 and their sum %d at most GAPMAP_MAX_CONNS %d",
			c.TileConns, c.Admission.API, c.Admission.Export, c.Admission.Heavy, n, c.MaxConns))
	}
	return errors.Join(errs...)
}

// settings is the shared configuration while the flags are parsed: the
// environment (or the default) fills it, the common flags a command takes
// override it, and config checks it into a Config. The settings held as
// text are checked only then, so that a bad environment variable and a
// bad flag get the same message.
type settings struct {
	cfg                                                                       Config // DatabaseURL, Addr and Web: no parsing needed
	logLevel, requestTimeout, maxConns, tileCacheMB, tileStoreMB, importMaxMB string
	publicRead, accessFile, sessionIdle, sessionMax, tileRecheck              string
	classConns, queuePerSlot, queueWait, heavyPerMin, jobSlots, jobTimeouts   string
	exportResultTTL                                                           string
	oidcErr                                                                   error // from GAPMAP_OIDC_*, reported by config
}

// readSettings reads the shared settings from the environment.
func readSettings(getenv func(string) string) *settings {
	cfg := DefaultConfig()
	s := &settings{logLevel: cfg.LogLevel.String(), requestTimeout: cfg.RequestTimeout.String(),
		maxConns: fmt.Sprint(cfg.MaxConns), tileCacheMB: fmt.Sprint(cfg.TileCacheBytes >> 20), tileStoreMB: fmt.Sprint(cfg.TileStoreBytes >> 20), importMaxMB: fmt.Sprint(cfg.ImportMaxBytes >> 20),
		publicRead: "false", sessionIdle: cfg.Sessions.Idle.String(), sessionMax: cfg.Sessions.Max.String(), tileRecheck: cfg.Sessions.TileRecheck.String(),
		queuePerSlot: fmt.Sprint(cfg.Admission.QueuePerSlot), queueWait: cfg.Admission.QueueWait.String(), heavyPerMin: fmt.Sprint(cfg.Admission.HeavyPerMinute),
		jobSlots: fmt.Sprint(cfg.JobSlots), exportResultTTL: cfg.ExportResultTTL.String()}
	for _, e := range []struct {
		name string
		to   *string
	}{
		{"DATABASE_URL", &cfg.DatabaseURL},
		{"GAPMAP_READ_DATABASE_URL", &cfg.ReadDatabaseURL},
		{"GAPMAP_ADDR", &cfg.Addr},
		{"GAPMAP_LOG_LEVEL", &s.logLevel},
		{"GAPMAP_REQUEST_TIMEOUT", &s.requestTimeout},
		{"GAPMAP_MAX_CONNS", &s.maxConns},
		{"GAPMAP_TILE_CACHE_MB", &s.tileCacheMB},
		{"GAPMAP_TILE_STORE_MB", &s.tileStoreMB},
		{"GAPMAP_IMPORT_MAX_MB", &s.importMaxMB},
		{"GAPMAP_PUBLIC_READ", &s.publicRead},
		{"GAPMAP_ACCESS_FILE", &s.accessFile},
		{"GAPMAP_SESSION_IDLE", &s.sessionIdle},
		{"GAPMAP_SESSION_MAX", &s.sessionMax},
		{"GAPMAP_SESSION_TILE_RECHECK", &s.tileRecheck},
		{"GAPMAP_CLASS_CONNS", &s.classConns},
		{"GAPMAP_QUEUE_PER_SLOT", &s.queuePerSlot},
		{"GAPMAP_QUEUE_WAIT", &s.queueWait},
		{"GAPMAP_HEAVY_PER_MIN", &s.heavyPerMin},
		{"GAPMAP_JOB_SLOTS", &s.jobSlots},
		{"GAPMAP_JOB_TIMEOUTS", &s.jobTimeouts},
		{"GAPMAP_EXPORT_RESULT_TTL", &s.exportResultTTL},
	} {
		if v := getenv(e.name); v != "" {
			*e.to = v
		}
	}
	cfg.Web = api.WebConfigFromEnv(getenv)
	cfg.OIDC, s.oidcErr = api.OIDCConfigFromEnv(getenv)
	s.cfg = cfg
	return s
}

// commonFlags registers the settings every command takes as flags.
func (s *settings) commonFlags(fs *flag.FlagSet) {
	fs.StringVar(&s.cfg.DatabaseURL, "database-url", s.cfg.DatabaseURL, "PostgreSQL URL (env DATABASE_URL)")
	fs.StringVar(&s.logLevel, "log-level", s.logLevel, "debug, info, warn or error (env GAPMAP_LOG_LEVEL)")
}

// serveFlags registers the settings of the HTTP server as flags, for the
// commands that serve (serve, demo).
func (s *settings) serveFlags(fs *flag.FlagSet) {
	fs.StringVar(&s.cfg.Addr, "addr", s.cfg.Addr, "listen address host:port (env GAPMAP_ADDR)")
	fs.StringVar(&s.requestTimeout, "request-timeout", s.requestTimeout, "database time budget per request (env GAPMAP_REQUEST_TIMEOUT)")
	fs.StringVar(&s.maxConns, "max-conns", s.maxConns, "database connections in all, split between the route classes (env GAPMAP_MAX_CONNS)")
	fs.StringVar(&s.tileCacheMB, "tile-cache-mb", s.tileCacheMB, "tile cache size in MiB, 0 to disable (env GAPMAP_TILE_CACHE_MB)")
	fs.StringVar(&s.importMaxMB, "import-max-mb", s.importMaxMB, "largest upload to the import API in MiB (env GAPMAP_IMPORT_MAX_MB)")
	fs.StringVar(&s.jobSlots, "job-slots", s.jobSlots, "heavy calls (scoring, plans, generation, imports) running at once; the others wait (env GAPMAP_JOB_SLOTS)")
	fs.StringVar(&s.jobTimeouts, "job-timeouts", s.jobTimeouts, "job deadlines by kind, e.g. score=30m,plan=10m,generate=30m,import=2h,export=30m (env GAPMAP_JOB_TIMEOUTS)")
	fs.StringVar(&s.exportResultTTL, "export-result-ttl", s.exportResultTTL, "how long the file of an export job is kept (env GAPMAP_EXPORT_RESULT_TTL)")
}

// benchFlags registers the settings of the servers bench-tiles starts.
func (s *settings) benchFlags(fs *flag.FlagSet) {
	fs.StringVar(&s.tileCacheMB, "tile-cache-mb", s.tileCacheMB, "tile cache size in MiB for the warm runs (env GAPMAP_TILE_CACHE_MB)")
	fs.StringVar(&s.maxConns, "max-conns", s.maxConns, "database connections in all, split between the route classes (env GAPMAP_MAX_CONNS)")
}

// config checks the settings held as text and returns the Config, not yet
// validated, with every problem found.
func (s *settings) config() (Config, error) {
	cfg := s.cfg
	var errs []error
	if err := cfg.LogLevel.UnmarshalText([]byte(s.logLevel)); err != nil {
		errs = append(errs, fmt.Errorf("log level %q: want debug, info, warn or error", s.logLevel))
	}
	d, err := time.ParseDuration(s.requestTimeout)
	if err != nil {
		errs = append(errs, fmt.Errorf("request timeout %q: want a duration such as 10s", s.requestTimeout))
	}
	cfg.RequestTimeout = d
	if _, err := fmt.Sscan(s.maxConns, &cfg.MaxConns); err != nil {
		errs = append(errs, fmt.Errorf("max conns %q: want a whole number", s.maxConns))
	}
	var mb int64
	if _, err := fmt.Sscan(s.tileCacheMB, &mb); err != nil || mb < 0 {
		errs = append(errs, fmt.Errorf("tile cache %q MiB: want a whole number ≥ 0", s.tileCacheMB))
	}
	cfg.TileCacheBytes = mb << 20
	if _, err := fmt.Sscan(s.tileStoreMB, &mb); err != nil || mb < 0 {
		errs = append(errs, fmt.Errorf("tile store %q MiB: want a whole number ≥ 0", s.tileStoreMB))
	}
	cfg.TileStoreBytes = mb << 20
	if _, err := fmt.Sscan(s.importMaxMB, &mb); err != nil || mb <= 0 {
		errs = append(errs, fmt.Errorf("import max %q MiB: want a whole number > 0", s.importMaxMB))
	}
	cfg.ImportMaxBytes = mb << 20
	if cfg.PublicRead, err = strconv.ParseBool(s.publicRead); err != nil {
		errs = append(errs, fmt.Errorf("GAPMAP_PUBLIC_READ %q: want true or false", s.publicRead))
	}
	if s.accessFile != "" {
		b, err := os.ReadFile(s.accessFile)
		if err == nil {
			cfg.Policy, err = access.Parse(b)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("GAPMAP_ACCESS_FILE %s: %w", s.accessFile, err))
		}
	}
	for _, d := range []struct {
		name, text string
		to         *time.Duration
	}{{"GAPMAP_SESSION_IDLE", s.sessionIdle, &cfg.Sessions.Idle}, {"GAPMAP_SESSION_MAX", s.sessionMax, &cfg.Sessions.Max}} {
		if v, err := time.ParseDuration(d.text); err != nil || v < time.Minute {
			errs = append(errs, fmt.Errorf("%s %q: want a duration of at least 1m, such as 2h", d.name, d.text))
		} else {
			*d.to = v
		}
	}
	if v, err := time.ParseDuration(s.tileRecheck); err != nil || v < 0 || v > time.Minute {
		errs = append(errs, fmt.Errorf("GAPMAP_SESSION_TILE_RECHECK %q: want a duration from 0 to 1m, such as 5s", s.tileRecheck))
	} else {
		cfg.Sessions.TileRecheck = v
	}
	if err := s.admission(&cfg); err != nil {
		errs = append(errs, err)
	}
	if _, err := fmt.Sscan(s.jobSlots, &cfg.JobSlots); err != nil || cfg.JobSlots < 1 || cfg.JobSlots > 64 {
		errs = append(errs, fmt.Errorf("GAPMAP_JOB_SLOTS %q: want a whole number from 1 to 64", s.jobSlots))
	}
	if cfg.JobTimeouts, err = api.ParseJobTimeouts(s.jobTimeouts); err != nil {
		errs = append(errs, err)
	}
	if cfg.ExportResultTTL, err = time.ParseDuration(s.exportResultTTL); err != nil || cfg.ExportResultTTL < time.Minute {
		errs = append(errs, fmt.Errorf("GAPMAP_EXPORT_RESULT_TTL %q: want a duration of at least 1m, such as 1h", s.exportResultTTL))
	}
	if s.oidcErr != nil {
		errs = append(errs, s.oidcErr)
	}
	return cfg, errors.Join(errs...)
}

// splitConns divides n (≥ 4) connections between the route classes: half
// for tiles (their own pool), but at least one for each of the other three,
// and the rest by api.DefaultAdmission.
func splitConns(n int) (tile int, a api.Admission) {
	tile = max(1, min(n/2, n-3))
	return tile, api.DefaultAdmission(n - tile)
}

// admission fills cfg's class budgets (derived from MaxConns unless
// GAPMAP_CLASS_CONNS names them), queues and per-user rate.
func (s *settings) admission(cfg *Config) error {
	var errs []error
	cfg.TileConns, cfg.Admission = splitConns(cfg.MaxConns)
	if s.classConns != "" {
		budgets := map[string]*int{"tile": &cfg.TileConns, "api": &cfg.Admission.API, "export": &cfg.Admission.Export, "heavy": &cfg.Admission.Heavy}
		seen := 0
		for _, part := range strings.Split(s.classConns, ",") {
			name, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			to, ok := budgets[name]
			n, err := strconv.Atoi(v)
			if !ok || err != nil {
				errs = append(errs, fmt.Errorf("GAPMAP_CLASS_CONNS %q: want tile=N,api=N,export=N,heavy=N", s.classConns))
				break
			}
			*to = n
			seen++
		}
		if seen != len(budgets) && len(errs) == 0 {
			errs = append(errs, fmt.Errorf("GAPMAP_CLASS_CONNS %q: name all four classes, tile=N,api=N,export=N,heavy=N", s.classConns))
		}
	}
	if n, err := strconv.Atoi(s.queuePerSlot); err != nil || n < 0 {
		errs = append(errs, fmt.Errorf("GAPMAP_QUEUE_PER_SLOT %q: want a whole number ≥ 0", s.queuePerSlot))
	} else {
		cfg.Admission.QueuePerSlot = n
	}
	if d, err := time.ParseDuration(s.queueWait); err != nil || d < 0 {
		errs = append(errs, fmt.Errorf("GAPMAP_QUEUE_WAIT %q: want a duration such as 5s", s.queueWait))
	} else {
		cfg.Admission.QueueWait = d
	}
	if n, err := strconv.Atoi(s.heavyPerMin); err != nil || n < 0 {
		errs = append(errs, fmt.Errorf("GAPMAP_HEAVY_PER_MIN %q: want a whole number ≥ 0 (0: no limit)", s.heavyPerMin))
	} else {
		cfg.Admission.HeavyPerMinute = n
	}
	return errors.Join(errs...)
}
