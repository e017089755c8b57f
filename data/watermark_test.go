package data_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

// hookStore is the store with callbacks at the moments of a scoring run
// that the races below need: right after the run has its watermark, right
// after it has listed its stale villages, and after it has read its facts.
type hookStore struct {
	*data.Store
	afterWatermark func()
	afterStale     func()
	afterFacts     func()
}

func (h hookStore) StaleVillages(ctx context.Context, base planning.Run, p planning.Profile, watermark int64) ([]int64, error) {
	ids, err := h.Store.StaleVillages(ctx, base, p, watermark)
	if h.afterStale != nil {
		h.afterStale()
	}
	return ids, err
}

func (h hookStore) ChangeWatermark(ctx context.Context) (int64, error) {
	w, err := h.Store.ChangeWatermark(ctx)
	if h.afterWatermark != nil {
		h.afterWatermark()
	}
	return w, err
}

func (h hookStore) VillageFacts(ctx context.Context, p planning.Profile, asOf time.Time, ids []int64) ([]planning.Facts, map[string]int64, error) {
	f, v, err := h.Store.VillageFacts(ctx, p, asOf, ids)
	if h.afterFacts != nil {
		h.afterFacts()
	}
	return f, v, err
}

// moveOffice moves a village's 村委会 by m metres in a fixed direction,
// far enough that its road indicators change.
const moveOffice = `UPDATE villages SET office = ST_Project(office::geography, $2, radians(60))::geometry WHERE id = $1`

// touchPV records a change of a PV station that alters no score.
const touchPV = `UPDATE pv_stations SET kw = kw WHERE id = $1`

// watermarkVillages returns n 行政村 in id order.
func watermarkVillages(t *testing.T, db *datatest.DB, n int) []int64 {
	t.Helper()
	rows, err := db.Pool.Query(datatest.Context(), `SELECT id FROM villages WHERE kind = '行政村' AND office IS NOT NULL ORDER BY id LIMIT $1`, n)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || len(ids) < n {
		t.Fatalf("villages: %v (%d of %d)", err, len(ids), n)
	}
	return ids
}

// TestWatermarkOutOfOrderCommit: an edit whose change row took its id
// before another edit's but commits after it, while a run starts, and an
// edit whose transaction began before the run but writes after the run has
// its watermark. Change ids come from a sequence, which is not commit
// ordered: a run that takes max(id) as its watermark while the first edit
// is still open skips it for good. Whatever the run itself saw, the next
// incremental run must equal a full scoring.
func TestWatermarkOutOfOrderCommit(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	p := planning.DefaultProfile()
	asOf := time.Date(2016, 12, 31, 0, 0, 0, 0, time.UTC)
	base, _, err := planning.Score(ctx, db.Store, p, asOf, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	v := watermarkVillages(t, db, 1)
	// PV stations of other villages: a change to one makes only its
	// village stale.
	var pv []int64
	rows, err := db.Pool.Query(ctx, `SELECT id FROM pv_stations WHERE village_id <> $1 ORDER BY id LIMIT 2`, v[0])
	if err == nil {
		pv, err = pgx.CollectRows(rows, pgx.RowTo[int64])
	}
	if err != nil || len(pv) < 2 {
		t.Fatalf("PV stations: %v (%d)", err, len(pv))
	}

	// A: takes the lower change id and stays open.
	txA, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer txA.Rollback(ctx) //nolint:errcheck // after Commit: a no-op
	if _, err := txA.Exec(ctx, moveOffice, v[0], 3000.0); err != nil {
		t.Fatal(err)
	}
	// B: a higher id, committed before the run starts. Another layer: the
	// writers of one layer queue on its layer_versions row.
	if _, err := db.Pool.Exec(ctx, touchPV, pv[0]); err != nil {
		t.Fatal(err)
	}
	// C: begun before the run, writing once the run has its watermark.
	txC, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer txC.Rollback(ctx) //nolint:errcheck // after Commit: a no-op
	if _, err := txC.Exec(ctx, `SELECT 1`); err != nil {
		t.Fatal(err)
	}

	factsRead := make(chan struct{})
	committedA := make(chan error, 1)
	go func() {
		// A commits once the run has read its facts; a run that waits for
		// A before taking its watermark never gets there, so A commits
		// after a while anyway.
		select {
		case <-factsRead:
		case <-time.After(2 * time.Second):
		}
		committedA <- txA.Commit(ctx)
	}()
	var once sync.Once
	hs := hookStore{Store: db.Store,
		afterWatermark: func() {
			once.Do(func() {
				if _, err := txC.Exec(ctx, touchPV, pv[1]); err != nil {
					t.Error(err)
				}
				if err := txC.Commit(ctx); err != nil {
					t.Error(err)
				}
			})
		},
		afterFacts: func() { close(factsRead) },
	}
	run, _, err := planning.Score(ctx, hs, p, asOf, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-committedA; err != nil {
		t.Fatal(err)
	}
	if run.BaseRunID != base.ID {
		t.Fatalf("run %d: base %d, want the incremental run on %d", run.ID, run.BaseRunID, base.ID)
	}
	// The edits matter: a full scoring now differs from the base run.
	if d := diffRun(t, db, p, asOf, base.ID); len(d) == 0 {
		t.Fatal("the edits changed no score; the test proves nothing")
	}
	next, _, err := planning.Score(ctx, db.Store, p, asOf, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("run %d: watermark %d, re-scored %d; next run %d: watermark %d, re-scored %d",
		run.ID, run.ChangeWatermark, run.Rescored, next.ID, next.ChangeWatermark, next.Rescored)
	if d := diffRun(t, db, p, asOf, next.ID); len(d) > 0 {
		t.Errorf("run %d (watermark %d) and the next incremental run %d (watermark %d, re-scored %d) miss edits a full scoring sees:\n  %s",
			run.ID, run.ChangeWatermark, next.ID, next.ChangeWatermark, next.Rescored, strings.Join(d, "\n  "))
	}
}

// TestWatermarkConcurrentEdits: two editors, each holding its transaction
// open a little after writing so that change ids commit out of order,
// while incremental runs start one after another: one sets the 户数 of a
// 自然村 unknown (its village's R2), once per village so that a lost edit is
// not made good by a later one; the other touches PV stations. Both make
// only their own village stale, so a run does not pick a lost edit up by
// chance. Once the editors stop, one more incremental run must equal a
// full scoring.
func TestWatermarkConcurrentEdits(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	p := planning.DefaultProfile()
	asOf := time.Date(2016, 12, 31, 0, 0, 0, 0, time.UTC)
	base, _, err := planning.Score(ctx, db.Store, p, asOf, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	// One 自然村 in each of 40 villages, and PV stations of other villages.
	var groups, parents []int64
	rows, err := db.Pool.Query(ctx, `SELECT DISTINCT ON (parent_id) id, parent_id FROM villages
		WHERE parent_id IS NOT NULL AND households IS NOT NULL ORDER BY parent_id, id LIMIT 40`)
	if err == nil {
		var id, parent int64
		_, err = pgx.ForEachRow(rows, []any{&id, &parent}, func() error {
			groups, parents = append(groups, id), append(parents, parent)
			return nil
		})
	}
	if err != nil || len(groups) < 40 {
		t.Fatalf("自然村: %v (%d)", err, len(groups))
	}
	var pv []int64
	rows, err = db.Pool.Query(ctx, `SELECT id FROM pv_stations WHERE NOT (coalesce(village_id, 0) = ANY ($1)) ORDER BY id LIMIT 20`, parents)
	if err == nil {
		pv, err = pgx.CollectRows(rows, pgx.RowTo[int64])
	}
	if err != nil || len(pv) == 0 {
		t.Fatalf("PV stations: %v (%d)", err, len(pv))
	}
	var next atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var edits atomic.Int64
	for g := range 2 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 20261206))
			for {
				select {
				case <-stop:
					return
				default:
				}
				err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
					if g == 0 {
						i := next.Add(1) - 1
						if i >= int64(len(groups)) {
							time.Sleep(10 * time.Millisecond)
							return nil
						}
						if _, err := tx.Exec(ctx, `UPDATE villages SET households = NULL WHERE id = $1`, groups[i]); err != nil {
							return err
						}
					} else if _, err := tx.Exec(ctx, touchPV, pv[r.IntN(len(pv))]); err != nil {
						return err
					}
					edits.Add(1)
					// Held open after its change row took its id: the 自然村
					// edits long, so that runs start while one is open and
					// PV changes with higher ids have committed.
					hold := 5 + r.IntN(10)
					if g == 0 {
						hold = 100 + r.IntN(100)
					}
					time.Sleep(time.Duration(hold) * time.Millisecond)
					return nil
				})
				if err != nil {
					t.Error(fmt.Errorf("edit: %w", err))
					return
				}
			}
		})
	}
	runs := 0
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && next.Load() < int64(len(groups)); runs++ {
		if _, _, err := planning.Score(ctx, db.Store, p, asOf, false, nil); err != nil {
			t.Error(err)
			break
		}
	}
	close(stop)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	last, _, err := planning.Score(ctx, db.Store, p, asOf, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d edits during %d incremental runs; %d villages changed", edits.Load(), runs, len(diffRun(t, db, p, asOf, base.ID)))
	if d := diffRun(t, db, p, asOf, last.ID); len(d) > 0 {
		if len(d) > 8 {
			d = append(d[:8], fmt.Sprintf("… and %d more", len(d)-8))
		}
		t.Errorf("incremental run %d after %d edits committed during %d runs differs from a full scoring:\n  %s",
			last.ID, edits.Load(), runs, strings.Join(d, "\n  "))
	}
}

// TestWatermarkConcurrentRuns: two runs at once, the one that started
// later saved first. It consumed (deleted) the change log up to its
// watermark, past the watermark of the run saved after it, which becomes
// the base of the next incremental run: that run must still see the edit
// in between.
func TestWatermarkConcurrentRuns(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	p := planning.DefaultProfile()
	asOf := time.Date(2016, 12, 31, 0, 0, 0, 0, time.UTC)
	if _, _, err := planning.Score(ctx, db.Store, p, asOf, true, nil); err != nil {
		t.Fatal(err)
	}
	v := watermarkVillages(t, db, 1)
	var early, late planning.Run
	var once sync.Once
	hs := hookStore{Store: db.Store, afterStale: func() {
		once.Do(func() {
			// The edit, then a whole run that sees it, while the first run
			// has its watermark and its base before them.
			if _, err := db.Pool.Exec(ctx, moveOffice, v[0], 3000.0); err != nil {
				t.Error(err)
			}
			var err error
			if late, _, err = planning.Score(ctx, db.Store, p, asOf, false, nil); err != nil {
				t.Error(err)
			}
		})
	}}
	early, _, err := planning.Score(ctx, hs, p, asOf, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if late.ID == 0 || early.ID < late.ID || early.ChangeWatermark >= late.ChangeWatermark {
		t.Fatalf("runs: early %d (watermark %d), late %d (watermark %d); want the early one saved last with the lower watermark",
			early.ID, early.ChangeWatermark, late.ID, late.ChangeWatermark)
	}
	next, _, err := planning.Score(ctx, db.Store, p, asOf, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("early run %d: watermark %d, re-scored %d; late run %d: watermark %d, re-scored %d; next run %d: re-scored %d",
		early.ID, early.ChangeWatermark, early.Rescored, late.ID, late.ChangeWatermark, late.Rescored, next.ID, next.Rescored)
	if next.BaseRunID != early.ID {
		t.Fatalf("next run on %d, want on %d", next.BaseRunID, early.ID)
	}
	if d := diffRun(t, db, p, asOf, next.ID); len(d) > 0 {
		t.Errorf("incremental run %d on run %d (watermark %d, saved after run %d with watermark %d) misses the edit between:\n  %s",
			next.ID, early.ID, early.ChangeWatermark, late.ID, late.ChangeWatermark, strings.Join(d, "\n  "))
	}
}

// TestWatermarkRoadGraph: a road edit whose change row took its id after
// the run's watermark, still open when the run brings the road graph up to
// date while a later change has committed. The graph must not count it as
// absorbed: the edit's roads would keep their old edges for good, and every
// later run would route on them.
func TestWatermarkRoadGraph(t *testing.T) {
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	p := planning.DefaultProfile()
	asOf := time.Date(2016, 12, 31, 0, 0, 0, 0, time.UTC)
	base, _, err := planning.Score(ctx, db.Store, p, asOf, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	// v[0]'s roads are edited; v[1] is touched, a change of a layer the
	// graph is built from, so that the graph is brought up to date.
	v := watermarkVillages(t, db, 2)
	txD, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer txD.Rollback(ctx) //nolint:errcheck // after Commit: a no-op
	factsRead := make(chan struct{})
	committedD := make(chan error, 1)
	var once sync.Once
	hs := hookStore{Store: db.Store,
		afterStale: func() {
			once.Do(func() {
				// Between the run's watermark and its graph: the hardened
				// roads around a 村委会 become earth, and a later change commits.
				tag, err := txD.Exec(ctx, `UPDATE roads SET surface = '土' WHERE surface IN ('沥青', '水泥')
					AND ST_DWithin(geom::geography, (SELECT office FROM villages WHERE id = $1)::geography, 1500)`, v[0])
				if err != nil || tag.RowsAffected() == 0 {
					t.Errorf("unpave: %v (%d roads)", err, tag.RowsAffected())
				}
				if _, err := db.Pool.Exec(ctx, `UPDATE villages SET name = name WHERE id = $1`, v[1]); err != nil {
					t.Error(err)
				}
				go func() {
					// D commits once the run has read its facts, or after a
					// while when the graph waits for it.
					select {
					case <-factsRead:
					case <-time.After(2 * time.Second):
					}
					committedD <- txD.Commit(ctx)
				}()
			})
		},
		afterFacts: func() { close(factsRead) },
	}
	run, _, err := planning.Score(ctx, hs, p, asOf, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-committedD; err != nil {
		t.Fatal(err)
	}
	next, _, err := planning.Score(ctx, db.Store, p, asOf, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The full scoring compared with must not route on the graph under
	// test: a graph without state is built afresh.
	if _, err := db.Pool.Exec(ctx, `DELETE FROM road_graph_state`); err != nil {
		t.Fatal(err)
	}
	if d := diffRun(t, db, p, asOf, base.ID); len(d) == 0 {
		t.Fatal("the edit changed no score; the test proves nothing")
	}
	if d := diffRun(t, db, p, asOf, next.ID); len(d) > 0 {
		if len(d) > 8 {
			d = append(d[:8], fmt.Sprintf("… and %d more", len(d)-8))
		}
		t.Errorf("run %d (watermark %d) and the next incremental run %d (re-scored %d) route on a graph without the edit:\n  %s",
			run.ID, run.ChangeWatermark, next.ID, next.Rescored, strings.Join(d, "\n  "))
	}
}
