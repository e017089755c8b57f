package data

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gapmap/gapmap/planning"
)

// replica is a PostgreSQL streaming standby that serves tiles and the
// read-only API reads (GAPMAP_READ_DATABASE_URL). It serves a read only
// when it has replayed the primary's WAL up to need: the primary's WAL
// insert position when the store last read the data versions (Versions,
// on the primary), which is past the commit of every write those versions
// count. A tile server drops a tile when it learns a new version and then
// renders it again: from a standby that has not replayed that write yet,
// the old tile would be cached under the new version until the next
// write. Otherwise, and whenever the standby fails, the primary serves.
type replica struct {
	tile  *pgxpool.Pool // tile renders: settings as the primary's tile pool
	read  *pgxpool.Pool // API reads
	check *pgxpool.Pool // one connection that asks the replay position, never queued behind reads
	addr  string        // host:port/db, for messages

	// need is the WAL position (bytes from 0/0) reads must see: raised by
	// Versions, never lowered. Until Versions has run (a command that
	// renders tiles without the engine, such as tiles pack) nothing says
	// what reads need, and the primary serves them.
	need  atomic.Int64
	known atomic.Bool

	// The standby's replay position is asked at most every replayFresh
	// (replayRetry while it is down), by one caller at a time; the others
	// decide on the last answer meanwhile.
	mu       sync.Mutex
	replay   int64 // last replay position read; valid when up
	up       bool
	checked  time.Time
	checking bool

	// Reads served by the standby, and by the primary instead of it
	// (standby behind need, down, or failing the read).
	onReplica, onPrimary atomic.Int64
}

const (
	// replayFresh is how long a read of the standby's replay position is
	// trusted: a few ms, so that a tile request pays one round trip to
	// the standby for that at most every replayFresh, not per tile.
	replayFresh = 5 * time.Millisecond
	// replayRetry is how long a standby found down is left alone before it
	// is tried again: reads meanwhile go to the primary at once.
	replayRetry = time.Second
	// replayTimeout bounds one ask of the replay position.
	replayTimeout = 500 * time.Millisecond
)

// WithReadReplica makes s read tiles and read-only API reads from the
// streaming standby at url, with pools as large as s's (tileConns for
// tiles, maxConns for the API; 0: pgx's default): see replica. It does not
// connect. Call it once, right after Open.
func (s *Store) WithReadReplica(url string, maxConns, tileConns int32) error {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("invalid read database URL: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	cfg.ConnConfig.RuntimeParams["jit"] = "off"
	cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	cfg.ConnConfig.RuntimeParams["application_name"] = "gapmap-read"
	read, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return fmt.Errorf("create read replica pool: %w", err)
	}
	tile, err := newTilePool(cfg, tileConns)
	if err != nil {
		read.Close()
		return fmt.Errorf("create read replica tile pool: %w", err)
	}
	checkCfg := cfg.Copy()
	checkCfg.MinConns, checkCfg.MaxConns = 0, 1
	checkCfg.ConnConfig.RuntimeParams["application_name"] = "gapmap-replay"
	check, err := pgxpool.NewWithConfig(context.Background(), checkCfg)
	if err != nil {
		read.Close()
		tile.Close()
		return fmt.Errorf("create read replica check pool: %w", err)
	}
	s.replica = &replica{tile: tile, read: read, check: check, addr: target(cfg.ConnConfig)}
	return nil
}

// ReplicaReads reports how many reads the read replica served and how
// many the primary served instead of it; both 0 without a replica.
func (s *Store) ReplicaReads() (onReplica, onPrimary int64) {
	if s.replica == nil {
		return 0, 0
	}
	return s.replica.onReplica.Load(), s.replica.onPrimary.Load()
}

// needLSN raises the position reads must see to lsn.
func (r *replica) needLSN(lsn int64) {
	defer r.known.Store(true)
	for {
		cur := r.need.Load()
		if lsn <= cur || r.need.CompareAndSwap(cur, lsn) {
			return
		}
	}
}

// replicaUsable reports whether the standby may serve a read now: it is up and
// has replayed need, by an answer at most replayFresh old (replayRetry
// while down).
func (s *Store) replicaUsable(ctx context.Context) bool {
	r := s.replica
	if !r.known.Load() {
		return false
	}
	need := r.need.Load()
	r.mu.Lock()
	age := time.Since(r.checked)
	fresh := (r.up && age < replayFresh) || (!r.up && age < replayRetry && !r.checked.IsZero())
	if fresh || r.checking {
		ok := r.up && r.replay >= need
		r.mu.Unlock()
		return ok
	}
	r.checking = true
	wasUp, first := r.up, r.checked.IsZero()
	r.mu.Unlock()

	replay, err := r.replayLSN(ctx)
	r.mu.Lock()
	r.checking = false
	if err != nil && ctx.Err() != nil {
		// The caller gave up, not the standby: decide on the last answer.
		ok := r.up && r.replay >= need
		r.mu.Unlock()
		return ok
	}
	r.checked = time.Now()
	r.up = err == nil
	if r.up {
		r.replay = replay
	}
	ok := r.up && r.replay >= need
	r.mu.Unlock()
	switch {
	case err != nil && (wasUp || first):
		s.log.Warn("read replica unavailable; the primary serves its reads", "replica", r.addr, "err", err)
	case err == nil && (!wasUp || first):
		s.log.Info("read replica serving", "replica", r.addr)
	}
	return ok
}

// replayLSN asks the standby how far it has replayed the primary's WAL. A
// server not in recovery (a promoted standby, or a read URL naming the
// primary) has everything it shows: its insert position.
func (r *replica) replayLSN(ctx context.Context) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, replayTimeout)
	defer cancel()
	var lsn *int64
	err := r.check.QueryRow(ctx, `SELECT pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()
		ELSE pg_current_wal_insert_lsn() END, '0/0')::bigint`).Scan(&lsn)
	if err != nil {
		return 0, err
	}
	if lsn == nil {
		return 0, errors.New("the read replica has replayed no WAL (not a streaming standby?)")
	}
	return *lsn, nil
}

// replicaFailed marks the standby down after a read on it failed, so that the
// next reads go to the primary without trying it for replayRetry.
func (s *Store) replicaFailed(err error) {
	r := s.replica
	r.mu.Lock()
	wasUp := r.up
	r.up, r.checked = false, time.Now()
	r.mu.Unlock()
	if wasUp {
		s.log.Warn("read on the read replica failed; the primary serves its reads", "replica", r.addr, "err", err)
	}
}

// onReplica runs read on the standby's pool (pick chooses tiles' or the
// API's) when the standby may serve it, else, or when the read fails
// there, on primary: a standby that is down, lagging or cancelling queries
// for replay conflicts costs a retry, never an error. read must reset
// what it collects, since it may run twice. A read-only request's first
// read chooses for all of its reads (planning.ReadPin): the run id a
// request reads first is then looked up on the server that showed it.
func (s *Store) onReplica(ctx context.Context, primary *pgxpool.Pool, pick func(*replica) *pgxpool.Pool, read func(*pgxpool.Pool) error) error {
	r := s.replica
	if r == nil {
		return read(primary)
	}
	pin := planning.ReadPinOf(ctx)
	if pin.Replica(func() bool { return s.replicaUsable(ctx) }) {
		err := read(pick(r))
		if err == nil {
			r.onReplica.Add(1)
			return nil
		}
		if ctx.Err() != nil || !replicaFault(err) {
			return err
		}
		s.replicaFailed(err)
		pin.Primary()
	}
	r.onPrimary.Add(1)
	return read(primary)
}

// apiRead runs a read of the API through onReplica when ctx is
// planning.ReadOnly, else on the primary's main pool.
func (s *Store) apiRead(ctx context.Context, read func(*pgxpool.Pool) error) error {
	if !planning.IsReadOnly(ctx) {
		return read(s.pool)
	}
	return s.onReplica(ctx, s.pool, func(r *replica) *pgxpool.Pool { return r.read }, read)
}

// apiReadStore runs read, which reads through s's methods, as apiRead
// runs one read: on the standby, read gets a copy of s whose main pool is
// the standby's (and which has no replica of its own), so that every query
// of a read that spans many methods (the village table's export path)
// meets one server.
func (s *Store) apiReadStore(ctx context.Context, read func(*Store) error) error {
	return s.apiRead(ctx, func(pool *pgxpool.Pool) error {
		if pool == s.pool {
			return read(s)
		}
		st := *s
		st.pool, st.replica = pool, nil
		return read(&st)
	})
}

// replicaFault reports whether a read's error may be the standby's rather
// than the read's own: anything but no rows and the errors a query earns
// by its input or the data (classes 22 data exception, 23 integrity, 42
// syntax or access, P0 raised), which the primary would answer alike.
func replicaFault(err error) bool {
	if errors.Is(err, pgx.ErrNoRows) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code[:2] {
		case "22", "23", "42", "P0":
			return false
		}
	}
	return true
}
