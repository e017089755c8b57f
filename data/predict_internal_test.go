package data

import (
	"context"
	"math"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/gapmap/gapmap/planning"
)

// Prediction is one project's measured prediction: its gap_after_set and
// predicted_after.
type Prediction struct {
	Gap   *float64
	After []int64
}

// PredictGaps runs generation's prediction (predictGaps) for ids in a
// transaction it rolls back and returns what it stored.
func PredictGaps(ctx context.Context, s *Store, pred *planning.Prediction, ids []int64) (map[int64]Prediction, error) {
	out := map[int64]Prediction{}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	if _, err := s.predictGaps(ctx, tx, pred, ids); err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT id, gap_after_set, predicted_after FROM projects
		WHERE id = ANY ($1) AND predicted_after IS NOT NULL`, ids)
	if err != nil {
		return nil, err
	}
	var id int64
	var p Prediction
	_, err = pgx.ForEachRow(rows, []any{&id, &p.Gap, &p.After}, func() error {
		out[id] = Prediction{Gap: p.Gap, After: slices.Clone(p.After)}
		return nil
	})
	return out, err
}

// PlainPredictions predicts ids the plain way, the oracle of predictGaps:
// every project of each village's sequence of a dimension (same order) is
// completed one after another, whatever its 子类, and after each that
// wrote rows the village alone is measured on the graph patched for every
// change since the sequence's first, all in a transaction rolled back.
// predictGaps instead passes over the 子类 that write nothing, measures
// villages of different townships together and patches the graph step by
// step.
func PlainPredictions(ctx context.Context, s *Store, pred *planning.Prediction, ids []int64) (map[int64]Prediction, error) {
	out := map[int64]Prediction{}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	type seq struct {
		dim     string
		village int64
		ids     []int64
	}
	rows, err := tx.Query(ctx, `SELECT gap_dimension, village_id, array_agg(id ORDER BY 'R1' = ANY (source_indicator_ids) DESC, id)
		FROM projects WHERE id = ANY ($1) AND village_id IS NOT NULL AND gap_dimension IS NOT NULL
		GROUP BY gap_dimension, village_id`, ids)
	if err != nil {
		return nil, err
	}
	seqs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (seq, error) {
		var q seq
		return q, r.Scan(&q.dim, &q.village, &q.ids)
	})
	if err != nil {
		return nil, err
	}
	road := pred.Profile.Road
	graphM, snapM := road.GraphToleranceM.Value, road.SnapToleranceM.Value
	for _, q := range seqs {
		err := rolledBack(ctx, tx, func(sp pgx.Tx) error {
			var since int64
			if err := sp.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM layer_changes`).Scan(&since); err != nil {
				return err
			}
			applied := []int64{}
			for _, id := range q.ids {
				if _, wrote, err := s.applyCompletion(ctx, sp, pred, id); err != nil || !wrote {
					if err != nil {
						return err
					}
					continue
				}
				err := rolledBack(ctx, sp, func(m pgx.Tx) error {
					affected, err := affectedRoads(ctx, m, since, math.MaxInt64, graphM, snapM)
					if err != nil {
						return err
					}
					if len(affected) > 0 {
						if err := updateRoadGraph(ctx, m, graphM, snapM, affected); err != nil {
							return err
						}
					}
					facts, err := s.villageFacts(ctx, m, pred.Profile, pred.AsOf, []int64{q.village})
					if err != nil {
						return err
					}
					for _, f := range facts {
						out[id] = Prediction{Gap: planning.ScoreVillage(f, pred.Profile).Gap(q.dim), After: slices.Clone(applied)}
					}
					return nil
				})
				if err != nil {
					return err
				}
				applied = append(applied, id)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
