package data

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/gapmap/gapmap/planning"
)

// A prediction is completion measured: generation writes the candidates'
// completions into the layers in a savepoint, patches the road graph for
// them as RebuildRoadGraph would, measures their villages with the
// scoring's facts, scores them with ScoreVillage and rolls the savepoint
// back, so nothing of it stays (rows, history, change log, graph). One
// rule, completion's and scoring's, instead of a model of their effect: a
// paved 通村 road becomes the routed path and moves R1, R2, R3 and R5 at
// once; a 通组 road can serve a second group; a 单村供水工程 does not lay
// the taps W5 counts.
//
// A village's gap in a dimension after several of its projects is not the
// sum of their own effects (a 通组 road generated while the village fails
// R1, a veto, closes nothing alone and most of the gap once the 通村 road
// is built), and the next run after a year's completions measures the
// village after all of them. So each village's projects of a dimension
// are applied one after another, in their sequence order (the one closing
// R1 first, then by id: the order they are generated and listed in), and
// the village is measured after each: gap_after_set is the gap once the
// project and every one before it in the sequence (predicted_after) are
// built. Realised (queries/realised.sql) compares a village's gap in a run
// with the prediction for exactly the set of its projects written before
// that run.
//
// Cost: a measurement routes on the county's whole graph whatever the
// number of villages measured, so each step measures, at once, every
// village that has a project at that place of its sequence, where the
// villages cannot see each other's projects (measuredTogether): a batch
// costs as many measurements as its longest sequence (the demo: 23
// measurements for 135 projects). On a crowded machine a round trip to
// the database cost about 4 ms whatever the statement, so a step patches
// the graph for its own changes only and the measuring sends its
// parameterless steps together (villageFacts): a generation of the demo
// went from 4,796 round trips to 2,136 (README: what that did to time).
// TestPredictionEqualsPlain checks the result against the plain method:
// each village alone, on the graph patched for everything since its first
// project.

// sequence is one village's candidates of one dimension, in order.
type sequence struct {
	village  int64
	township string
	ids      []int64
}

// predicted is one candidate's measured prediction.
type predicted struct {
	id    int64
	gap   *float64
	after []int64 // the projects of its sequence applied before it
	alone bool    // measured with none of its village's other projects
	r1    bool    // closes R1: its own 缺口后 is the measured one
}

// predictGaps stores, for each project of ids whose completion writes rows
// into the layers, the 缺口后 its sequence leaves up to it (gap_after_set,
// predicted_after), and returns how many it measured. A project closing
// R1 (通村硬化路), first of its sequence and so measured alone, also gets
// the measured gap as its own 缺口后 (gap_after_est); the others keep the
// generator's model there, which the rankings and the plan read.
func (s *Store) predictGaps(ctx context.Context, tx pgx.Tx, pred *planning.Prediction, ids []int64) (int, error) {
	// Measured afresh: a reason an edit cleared the last prediction for
	// (migration 0035) no longer holds.
	if _, err := tx.Exec(ctx, `UPDATE projects SET gap_after_set = NULL, predicted_after = NULL, prediction_cleared = NULL
		WHERE id = ANY ($1)`, ids); err != nil {
		return 0, err
	}
	// A project without a place, or of a 子类 whose completion writes
	// nothing, would write nothing: it is not completed at all.
	rows, err := tx.Query(ctx, `SELECT gap_dimension, village_id, coalesce(min(township_code), ''),
			array_agg(id ORDER BY 'R1' = ANY (source_indicator_ids) DESC, id)
		FROM projects WHERE id = ANY ($1) AND village_id IS NOT NULL AND gap_dimension IS NOT NULL
		  AND geom IS NOT NULL AND subtype = ANY ($2)
		GROUP BY gap_dimension, village_id ORDER BY gap_dimension, village_id`, ids, slices.Collect(maps.Keys(completionWriters)))
	if err != nil {
		return 0, err
	}
	byDim := map[string][]sequence{}
	var dim string
	var seq sequence
	if _, err := pgx.ForEachRow(rows, []any{&dim, &seq.village, &seq.township, &seq.ids}, func() error {
		byDim[dim] = append(byDim[dim], sequence{village: seq.village, township: seq.township, ids: slices.Clone(seq.ids)})
		return nil
	}); err != nil {
		return 0, err
	}
	var out []predicted
	for _, d := range planning.Dimensions {
		for _, batch := range measuredTogether(d, byDim[d]) {
			got, err := s.predictDimension(ctx, tx, pred, d, batch)
			if err != nil {
				return 0, err
			}
			out = append(out, got...)
		}
	}
	// One round trip for all of them.
	b := &pgx.Batch{}
	for _, p := range out {
		b.Queue(`UPDATE projects SET gap_after_set = $2, predicted_after = $3,
				gap_after_est = CASE WHEN $4 THEN $2 ELSE gap_after_est END WHERE id = $1`,
			p.id, p.gap, p.after, p.alone && p.r1)
	}
	return len(out), tx.SendBatch(ctx, b).Close()
}

// measuredTogether splits the sequences of dimension dim into those
// measured together. A road reaches beyond its village: it becomes part
// of a neighbour's routed path to their township seat, serves its groups
// (R2) and people (R5), and a neighbour's 通村 road paves, at 4.5 m, the
// narrow road another village's 窄路加宽 was to widen. Measured together,
// the demo's poor villages' road predictions took in their neighbours'
// projects (4 of 11 通村硬化路, in 聂市镇 and 羊楼司镇, predicted
// 5.3–10.5 points below the gap realised
// when they alone were built that year), so villages of one township are
// never measured together for roads: a batch holds at most one village of
// each township. The other dimensions' facts are the village's own
// (transformers, PV, lines to its 村委会, its works' treatment): they are
// measured for all villages at once.
//
// A batch costs as many measurements as its longest sequence, so each
// township's villages are placed longest sequence first: the longest go
// together into the first batch rather than one into each.
func measuredTogether(dim string, seqs []sequence) [][]sequence {
	if dim != planning.DimRoad {
		return [][]sequence{seqs}
	}
	seqs = slices.Clone(seqs)
	slices.SortStableFunc(seqs, func(a, b sequence) int { return cmp.Compare(len(b.ids), len(a.ids)) })
	var out [][]sequence
	nth := map[string]int{} // how many of a township's villages are placed
	for _, q := range seqs {
		k := nth[q.township]
		nth[q.township]++
		if k == len(out) {
			out = append(out, nil)
		}
		out[k] = append(out[k], q)
	}
	return out
}

// predictDimension measures the sequences of dimension dim step by step
// in a savepoint it rolls back: step k writes the next project of every
// sequence that has one (a project whose completion writes nothing, or
// is refused for want of an as-built value, is passed over and gets no
// prediction), patches the road graph for that step's changes, and
// measures the step's villages in a nested savepoint (the measuring's
// temporary tables go with it; the completions and the graph stay for
// the next step).
//
// The graph is patched step by step, as the live graph is by each run
// after edits (RebuildRoadGraph), not for every change since the first
// step: that re-split the same roads again at each step, and a step's
// roads spread over the county (one village of each township) took in
// most of its roads by the last step.
func (s *Store) predictDimension(ctx context.Context, tx pgx.Tx, pred *planning.Prediction, dim string, seqs []sequence) ([]predicted, error) {
	var out []predicted
	err := rolledBack(ctx, tx, func(sp pgx.Tx) error {
		var since int64
		if err := sp.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM layer_changes`).Scan(&since); err != nil {
			return err
		}
		next := make([]int, len(seqs))        // the next project of each sequence
		applied := make([][]int64, len(seqs)) // the projects of each sequence written so far
		for {
			var step []predicted
			var villages []int64
			for i, q := range seqs {
				for next[i] < len(q.ids) {
					id := q.ids[next[i]]
					next[i]++
					p, wrote, err := s.applyCompletion(ctx, sp, pred, id)
					if err != nil {
						return err
					}
					if !wrote {
						continue
					}
					// after is never nil: NULL would read as not measured.
					step = append(step, predicted{id: id, after: append([]int64{}, applied[i]...), alone: len(applied[i]) == 0,
						r1: slices.Contains(p.SourceIndicators, "R1")})
					applied[i] = append(applied[i], id)
					villages = append(villages, q.village)
					break
				}
			}
			if len(step) == 0 {
				return nil
			}
			var err error
			if since, err = patchGraph(ctx, sp, pred.Profile.Road, since); err != nil {
				return err
			}
			gaps, err := s.measureGaps(ctx, sp, pred, dim, villages)
			if err != nil {
				return err
			}
			for i := range step {
				if g, ok := gaps[villages[i]]; ok {
					step[i].gap = g
					out = append(out, step[i])
				}
			}
		}
	})
	return out, err
}

// applyCompletion writes project id's completion in its own savepoint,
// kept when it wrote rows; wrote is false (and nothing stays) when it
// writes none or completion refuses for want of an as-built value.
func (s *Store) applyCompletion(ctx context.Context, tx pgx.Tx, pred *planning.Prediction, id int64) (p planning.Project, wrote bool, err error) {
	sp, err := tx.Begin(ctx)
	if err != nil {
		return p, false, err
	}
	if p, err = lockProject(ctx, sp, id); err != nil {
		return p, false, rollbackWith(ctx, sp, err)
	}
	done, err := s.completeProject(ctx, sp, p, pred.Profile)
	if planning.ErrorCode(err) == planning.EInvalid || err == nil && done["rows_written"] == 0 {
		return p, false, rollbackWith(ctx, sp, nil)
	} else if err != nil {
		return p, false, rollbackWith(ctx, sp, err)
	}
	return p, true, sp.Commit(ctx)
}

// rollbackWith rolls sp back and returns err, or the rollback's error.
func rollbackWith(ctx context.Context, sp pgx.Tx, err error) error {
	if rerr := sp.Rollback(ctx); err == nil {
		return rerr
	}
	return err
}

// patchGraph patches the road graph in tx for the changes of the log
// after since, as RebuildRoadGraph would, and returns the last change
// it patched for.
func patchGraph(ctx context.Context, tx pgx.Tx, road planning.RoadParams, since int64) (int64, error) {
	var upTo int64
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM layer_changes`).Scan(&upTo); err != nil || upTo == since {
		return upTo, err
	}
	graphM, snapM := road.GraphToleranceM.Value, road.SnapToleranceM.Value
	affected, err := affectedRoads(ctx, tx, since, upTo, graphM, snapM)
	if err != nil || len(affected) == 0 {
		return upTo, err
	}
	return upTo, updateRoadGraph(ctx, tx, graphM, snapM, affected)
}

// measureGaps measures villages and returns each one's gap in dim (nil:
// 数据不足), in a savepoint it rolls back.
func (s *Store) measureGaps(ctx context.Context, tx pgx.Tx, pred *planning.Prediction, dim string,
	villages []int64) (map[int64]*float64, error) {
	gaps := map[int64]*float64{}
	err := rolledBack(ctx, tx, func(sp pgx.Tx) error {
		facts, err := s.villageFacts(ctx, sp, pred.Profile, pred.AsOf, villages)
		if err != nil {
			return err
		}
		for _, f := range facts {
			gaps[f.VillageID] = planning.ScoreVillage(f, pred.Profile).Gap(dim)
		}
		return nil
	})
	return gaps, err
}

// rolledBack runs f in a savepoint of tx and rolls it back whatever f did:
// nothing of a prediction stays.
func rolledBack(ctx context.Context, tx pgx.Tx, f func(sp pgx.Tx) error) error {
	sp, err := tx.Begin(ctx)
	if err != nil {
		return err
	}
	return rollbackWith(ctx, sp, f(sp))
}

// setPrediction is one project's standing set prediction (gap_after_set,
// predicted_after): what the triggers of migration 0035 clear when a
// project it assumed built is edited, withdrawn or deleted.
type setPrediction struct {
	gap   *float64
	after []int64
}

// dependentPredictions reads, in tx before a write, the set predictions
// that assume one of ids built: those the write may clear.
func dependentPredictions(ctx context.Context, tx pgx.Tx, ids []int64) (map[int64]setPrediction, error) {
	return setPredictions(ctx, tx, `predicted_after && $1::bigint[]`, ids)
}

// standingPredictions reads, in tx before an import into the projects
// layer, every set prediction: such an import may change any project, and
// it has no entry per project whose before and after would show a changed
// project's own prediction going, as an edit's project.update does.
func standingPredictions(ctx context.Context, tx pgx.Tx) (map[int64]setPrediction, error) {
	return setPredictions(ctx, tx, `predicted_after IS NOT NULL`)
}

// setPredictions reads the set predictions of the projects where (a
// constant condition, its values bound as args) holds.
func setPredictions(ctx context.Context, tx pgx.Tx, where string, args ...any) (map[int64]setPrediction, error) {
	rows, err := tx.Query(ctx, `SELECT id, gap_after_set, predicted_after FROM projects WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	out := map[int64]setPrediction{}
	var id int64
	var sp setPrediction
	_, err = pgx.ForEachRow(rows, []any{&id, &sp.gap, &sp.after}, func() error {
		out[id] = setPrediction{gap: copyFloat(sp.gap), after: slices.Clone(sp.after)}
		return nil
	})
	return out, err
}

// auditCleared appends to the audit trail, for each project of before
// whose set prediction is gone after the write, an entry of its own
// with why (prediction_cleared, which names the project whose write
// caused it and what changed): the trigger that clears it cannot append (the actor is the Go side's),
// and the cleared project's history (its card) must say why its
// prediction went, not only the edited project's.
func (s *Store) auditCleared(ctx context.Context, tx pgx.Tx, before map[int64]setPrediction) error {
	if len(before) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT id, coalesce(prediction_cleared, '') FROM projects
		WHERE id = ANY ($1) AND predicted_after IS NULL ORDER BY id`, slices.Collect(maps.Keys(before)))
	if err != nil {
		return err
	}
	type cleared struct {
		ID  int64
		Why string
	}
	cs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[cleared])
	if err != nil {
		return err
	}
	for _, c := range cs {
		b := before[c.ID]
		if err := s.audit(ctx, tx, auditEntry{Action: "project.prediction_cleared", Kind: "project", ID: strconv.FormatInt(c.ID, 10),
			Detail: map[string]any{
				"before": map[string]any{"gap_after_set": b.gap, "predicted_after": b.after},
				"after":  map[string]any{"gap_after_set": nil, "predicted_after": nil},
				"reason": c.Why}}); err != nil {
			return err
		}
	}
	return nil
}
