package data

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
)

// saveChunk bounds the villages written per statement.
const saveChunk = 2000

// SaveRun implements planning.ScoreStore. Scores go in through unnest()
// over bound arrays: one statement per chunk instead of one per row. The
// villages a partial run did not re-score are its base run's rows, by
// reference (run_villages).
func (s *Store) SaveRun(ctx context.Context, run *planning.Run, scores []planning.VillageScore) error {
	if err := s.allow(ctx, access.ScoreRun, access.Object{}); err != nil {
		return err
	}
	profile, err := json.Marshal(run.Profile)
	if err != nil {
		return fmt.Errorf("encode profile: %w", err)
	}
	var base *int64
	if run.BaseRunID != 0 {
		base = &run.BaseRunID
	}
	var consumed int64
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO scoring_runs (profile, profile_name, profile_hash, as_of, data_version, status,
				rescored, base_run_id, change_watermark, started_at, finished_at, layers_as_of)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
			profile, run.ProfileName, run.ProfileHash, run.AsOf, run.DataVersion, run.Status,
			run.Rescored, base, run.ChangeWatermark, run.StartedAt, run.FinishedAt, s.LayersAsOf()).Scan(&run.ID); err != nil {
			return err
		}
		for start := 0; start < len(scores); start += saveChunk {
			if err := saveScores(ctx, tx, run.ID, scores[start:min(start+saveChunk, len(scores))]); err != nil {
				return err
			}
		}
		// The run holds what it scored itself and, from its base, every
		// other village (deleted ones drop out of run_scores).
		if _, err := tx.Exec(ctx, `INSERT INTO run_villages (run_id, village_id, scored_run_id)
			SELECT $1, village_id, $1 FROM village_scores WHERE run_id = $1
			UNION ALL
			SELECT $1, b.village_id, b.scored_run_id FROM run_villages b
			WHERE $2::bigint IS NOT NULL AND b.run_id = $2
			  AND NOT EXISTS (SELECT 1 FROM village_scores n WHERE n.run_id = $1 AND n.village_id = b.village_id)`,
			run.ID, base); err != nil {
			return err
		}
		// The change log is needed only past the newest run and the graph.
		tag, err := tx.Exec(ctx, `DELETE FROM layer_changes
			WHERE id <= least($1, coalesce((SELECT change_watermark FROM road_graph_state), 0))`, run.ChangeWatermark)
		if err != nil {
			return err
		}
		consumed = tag.RowsAffected()
		run.LayersAsOf = s.LayersAsOf()
		if err := tx.QueryRow(ctx, `UPDATE scoring_runs SET villages = (SELECT count(*) FROM run_scores WHERE run_id = $1)
			WHERE id = $1 RETURNING villages`, run.ID).Scan(&run.Villages); err != nil {
			return err
		}
		return s.audit(ctx, tx, auditEntry{Action: "run.create", Kind: "run", ID: strconv.FormatInt(run.ID, 10),
			Detail: map[string]any{"profile": run.ProfileName, "profile_hash": run.ProfileHash, "as_of": run.AsOf,
				"base_run_id": base, "rescored": run.Rescored, "villages": run.Villages}})
	})
	if err != nil {
		return translate(err, "save scoring run")
	}
	if consumed > vacuumChanges {
		// After an import the log held a row per imported feature; its dead
		// rows would make every later change lookup scan them (a second at
		// province scale) until autovacuum, which may be off, comes by.
		if _, err := s.pool.Exec(ctx, `VACUUM (ANALYZE) layer_changes`); err != nil {
			return translate(err, "vacuum change log")
		}
	}
	return nil
}

// vacuumChanges is the number of consumed change rows above which SaveRun
// vacuums the change log.
const vacuumChanges = 10000

func saveScores(ctx context.Context, tx pgx.Tx, runID int64, scores []planning.VillageScore) error {
	var (
		vid                                  []int64
		composite, road, water, grid, pv, mw []*float64
		mRoad, mWater, mGrid, mPV            []float64
		unknown                              []string // comma-separated: unnest flattens a text[][]
		doc                                  [][]byte
		exitFail, exitNoData                 []int16
	)
	var (
		ivid                          []int64
		ind, dim, unit, src, st, note []string
		val, score, need              []*float64
		thr, weight                   []float64
		veto                          []bool
		geom                          [][]byte
	)
	for _, vs := range scores {
		b, err := json.Marshal(vs)
		if err != nil {
			return err
		}
		gaps := map[string]*float64{}
		missingOf := map[string]float64{}
		for _, d := range vs.Dimensions {
			gaps[d.Dimension], missingOf[d.Dimension] = d.Gap, d.MissingWeight
			for _, is := range d.Indicators {
				ivid = append(ivid, vs.VillageID)
				ind, dim, unit = append(ind, is.ID), append(dim, is.Dimension), append(unit, is.Unit)
				src, st, note = append(src, is.ThresholdSource), append(st, is.Status), append(note, is.Note)
				val, score, need = append(val, is.Value), append(score, is.Score), append(need, is.Need)
				thr, weight, veto = append(thr, is.Threshold), append(weight, is.Weight), append(veto, is.Veto)
				var g []byte
				if is.Geometry != nil {
					if g, err = wkb.Marshal(is.Geometry); err != nil {
						return err
					}
				}
				geom = append(geom, g)
			}
		}
		var fail, noData int16
		for _, e := range vs.Exit {
			switch e.Status {
			case planning.StatusFail:
				fail++
			case planning.StatusNoData:
				noData++
			}
		}
		exitFail, exitNoData = append(exitFail, fail), append(exitNoData, noData)
		missing := vs.MissingWeight
		vid, doc = append(vid, vs.VillageID), append(doc, b)
		composite, mw = append(composite, vs.Composite), append(mw, &missing)
		road, water = append(road, gaps[planning.DimRoad]), append(water, gaps[planning.DimWater])
		grid, pv = append(grid, gaps[planning.DimGrid]), append(pv, gaps[planning.DimPV])
		mRoad, mWater = append(mRoad, missingOf[planning.DimRoad]), append(mWater, missingOf[planning.DimWater])
		mGrid, mPV = append(mGrid, missingOf[planning.DimGrid]), append(mPV, missingOf[planning.DimPV])
		unknown = append(unknown, strings.Join(vs.UnknownGaps(), ","))
	}
	if _, err := tx.Exec(ctx, `INSERT INTO village_scores (run_id, village_id, composite, gap_road, gap_water, gap_grid, gap_pv,
			missing_weight, score, exit_fail, exit_no_data, missing_road, missing_water, missing_grid, missing_pv, unknown_gaps)
		SELECT $1, u.vid, u.c, u.r, u.w, u.g, u.p, u.mw, u.doc, u.ef, u.en, u.mr, u.mwa, u.mg, u.mp, string_to_array(u.unk, ',')
		FROM unnest($2::bigint[], $3::float8[], $4::float8[], $5::float8[], $6::float8[], $7::float8[], $8::float8[],
			$9::jsonb[], $10::smallint[], $11::smallint[], $12::float8[], $13::float8[], $14::float8[], $15::float8[], $16::text[])
			AS u(vid, c, r, w, g, p, mw, doc, ef, en, mr, mwa, mg, mp, unk)`,
		runID, vid, composite, road, water, grid, pv, mw, doc, exitFail, exitNoData, mRoad, mWater, mGrid, mPV, unknown); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO indicator_scores (run_id, village_id, indicator, dimension, value, unit, threshold,
			threshold_source, score, status, weight, veto, note, geom, need)
		SELECT $1, u.vid, u.ind, u.dim, u.val, u.unit, u.thr, u.src, u.score, u.st, u.w, u.veto, u.note,
		       CASE WHEN u.g IS NULL THEN NULL ELSE ST_GeomFromWKB(u.g, 4490) END, u.need
		FROM unnest($2::bigint[], $3::text[], $4::text[], $5::float8[], $6::text[], $7::float8[], $8::text[], $9::float8[],
		            $10::text[], $11::float8[], $12::bool[], $13::text[], $14::bytea[], $15::float8[])
		     AS u(vid, ind, dim, val, unit, thr, src, score, st, w, veto, note, g, need)`,
		runID, ivid, ind, dim, val, unit, thr, src, score, st, weight, veto, note, geom, need)
	return err
}

// LatestRun implements planning.ScoreStore.
//
// Of a live Store, the latest run whatever layers it read (the one just
// made, for display); of a snapshot (AsOf) or a live Store standing for a
// date (LayersOn), the latest run of the layers
// as of its date.
func (s *Store) LatestRun(ctx context.Context) (planning.Run, error) {
	var id int64
	err := s.apiRead(ctx, func(pool *pgxpool.Pool) error {
		return pool.QueryRow(ctx, `SELECT id FROM scoring_runs WHERE status = 'done' AND ($1::date IS NULL OR layers_as_of = $1)
			ORDER BY id DESC LIMIT 1`, s.LayersAsOf()).Scan(&id)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return planning.Run{}, planning.Errorf(planning.ENotFound, "尚未进行评分：请先运行 gapmap score 或 POST /api/v1/scoring-runs")
	}
	if err != nil {
		return planning.Run{}, translate(err, "latest run")
	}
	return s.Run(ctx, id)
}

// Run implements planning.RunStore.
func (s *Store) Run(ctx context.Context, id int64) (planning.Run, error) {
	var r planning.Run
	var profile []byte
	var finished *time.Time
	var base *int64
	err := s.apiRead(ctx, func(pool *pgxpool.Pool) error {
		return pool.QueryRow(ctx, `SELECT id, profile_name, profile_hash, profile, as_of, data_version, status, villages,
				rescored, base_run_id, change_watermark, started_at, finished_at, layers_as_of
			FROM scoring_runs WHERE id = $1`, id).
			Scan(&r.ID, &r.ProfileName, &r.ProfileHash, &profile, &r.AsOf, &r.DataVersion, &r.Status, &r.Villages,
				&r.Rescored, &base, &r.ChangeWatermark, &r.StartedAt, &finished, &r.LayersAsOf)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return r, planning.Errorf(planning.ENotFound, "没有编号为 %d 的评分批次", id)
	}
	if err != nil {
		return r, translate(err, "run")
	}
	if finished != nil {
		r.FinishedAt = *finished
	}
	if base != nil {
		r.BaseRunID = *base
	}
	return r, json.Unmarshal(profile, &r.Profile)
}

// RunScores returns every village's score in run runID, the villages it
// re-scored and those it took from earlier runs alike, in village id order.
// The explaining geometry is not read.
func (s *Store) RunScores(ctx context.Context, runID int64) ([]planning.VillageScore, error) {
	rows, err := s.pool.Query(ctx, `SELECT score FROM run_scores WHERE run_id = $1 ORDER BY village_id`, runID)
	if err != nil {
		return nil, translate(err, "run scores")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (planning.VillageScore, error) {
		var doc []byte
		var vs planning.VillageScore
		if err := row.Scan(&doc); err != nil {
			return vs, err
		}
		if err := json.Unmarshal(doc, &vs); err != nil {
			return vs, fmt.Errorf("decode village score: %w", err)
		}
		return vs, nil
	})
	return out, translate(err, "run scores")
}

// VillageGaps implements planning.RunStore.
func (s *Store) VillageGaps(ctx context.Context, runID int64, code string) (planning.VillageScore, error) {
	var vs planning.VillageScore
	var geoms map[string]orb.Geometry
	err := s.apiRead(ctx, func(pool *pgxpool.Pool) error {
		var doc []byte
		err := pool.QueryRow(ctx, `SELECT vs.score FROM run_scores vs JOIN villages v ON v.id = vs.village_id
			WHERE vs.run_id = $1 AND v.code = $2 ORDER BY v.code_year DESC LIMIT 1`, runID, code).Scan(&doc)
		if err != nil {
			return err
		}
		vs = planning.VillageScore{}
		if err := json.Unmarshal(doc, &vs); err != nil {
			return fmt.Errorf("decode village score: %w", err)
		}
		rows, err := pool.Query(ctx, `SELECT indicator, ST_AsBinary(geom) FROM run_indicators
			WHERE run_id = $1 AND village_id = $2 AND geom IS NOT NULL`, runID, vs.VillageID)
		if err != nil {
			return err
		}
		geoms = map[string]orb.Geometry{}
		var id string
		var g wkbGeom
		_, err = pgx.ForEachRow(rows, []any{&id, &g}, func() error { geoms[id] = g.g; return nil })
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return vs, planning.Errorf(planning.ENotFound, "评分批次 %d 中没有代码为 %s 的村", runID, code)
	}
	if err != nil {
		return vs, translate(err, "village gaps")
	}
	for d := range vs.Dimensions {
		for i := range vs.Dimensions[d].Indicators {
			vs.Dimensions[d].Indicators[i].Geometry = geoms[vs.Dimensions[d].Indicators[i].ID]
		}
	}
	return vs, nil
}

// gapColumns is the allowlist of sortable gap columns by dimension.
var gapColumns = map[string]string{
	"":                "composite",
	planning.DimRoad:  "gap_road",
	planning.DimWater: "gap_water",
	planning.DimGrid:  "gap_grid",
	planning.DimPV:    "gap_pv",
}

// missingColumns names the missing share beside each gap column.
var missingColumns = map[string]string{
	"composite": "missing_weight",
	"gap_road":  "missing_road",
	"gap_water": "missing_water",
	"gap_grid":  "missing_grid",
	"gap_pv":    "missing_pv",
}

// Gaps implements planning.RunStore: worst first on the chosen gap, the
// gaps shown as 数据不足 (planning.VillageScore.UnknownGaps) after every
// measured one.
func (s *Store) Gaps(ctx context.Context, f planning.GapFilter) ([]planning.GapRow, int, error) {
	col, ok := gapColumns[f.Dimension]
	if !ok {
		return nil, 0, planning.Errorf(planning.EInvalid, "未知的维度 %q；可用：通路、饮水、农网、光伏", f.Dimension)
	}
	c := pgx.Identifier{col}.Sanitize()
	sql := fmt.Sprintf(`SELECT v.code, v.name, v.township_code, t.name, v.is_poor_village, v.poor_population,
			s.composite, s.gap_road, s.gap_water, s.gap_grid, s.gap_pv, s.missing_weight,
			s.missing_road, s.missing_water, s.missing_grid, s.missing_pv, s.unknown_gaps, count(*) OVER ()
		FROM run_scores s JOIN villages v ON v.id = s.village_id JOIN townships t ON t.code = v.township_code
		WHERE s.run_id = $1 AND ($2 = '' OR t.code = $2 OR t.name = $2)
		  AND ($3::float8 IS NULL OR s.%[1]s >= $3)
		  AND (NOT $4 OR v.is_poor_village)
		ORDER BY $7 = ANY (s.unknown_gaps), s.%[1]s DESC NULLS LAST, v.poor_population DESC NULLS LAST, v.code
		LIMIT $5 OFFSET $6`, c)
	key := f.Dimension
	if key == "" {
		key = planning.CompositeKey
	}
	var total int
	var out []planning.GapRow
	err := s.apiRead(ctx, func(pool *pgxpool.Pool) error {
		rows, err := pool.Query(ctx, sql, f.RunID, f.Township, f.MinScore, f.PoorOnly, f.Limit, f.Offset, key)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanGapRow(&total))
		return err
	})
	return out, total, translate(err, "gaps")
}

// scanGapRow scans a row of Gaps, the window's count into total.
func scanGapRow(total *int) pgx.RowToFunc[planning.GapRow] {
	return func(row pgx.CollectableRow) (planning.GapRow, error) {
		var g planning.GapRow
		var road, water, grid, pv *float64
		var mRoad, mWater, mGrid, mPV float64
		err := row.Scan(&g.Code, &g.Name, &g.TownshipCode, &g.TownshipName, &g.IsPoor, &g.PoorPopulation,
			&g.Composite, &road, &water, &grid, &pv, &g.MissingWeight, &mRoad, &mWater, &mGrid, &mPV, &g.Unknown, total)
		g.Gaps = map[string]*float64{planning.DimRoad: road, planning.DimWater: water, planning.DimGrid: grid, planning.DimPV: pv}
		g.MissingWeights = map[string]float64{planning.DimRoad: mRoad, planning.DimWater: mWater, planning.DimGrid: mGrid, planning.DimPV: mPV}
		return g, err
	}
}

// DiffRuns implements planning.RunStore.
func (s *Store) DiffRuns(ctx context.Context, a, b int64) ([]planning.VillageDiff, error) {
	for _, id := range []int64{a, b} {
		if _, err := s.Run(ctx, id); err != nil {
			return nil, err
		}
	}
	var out []planning.VillageDiff
	err := s.apiRead(ctx, func(pool *pgxpool.Pool) error {
		rows, err := pool.Query(ctx, diffRunsSQL, a, b)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanVillageDiff)
		return err
	})
	return out, translate(err, "diff runs")
}

// diffRunsSQL lists the villages whose gaps differ between runs $1 and $2.
const diffRunsSQL = `
		SELECT v.code, v.name,
		       x.composite, x.gap_road, x.gap_water, x.gap_grid, x.gap_pv,
		       y.composite, y.gap_road, y.gap_water, y.gap_grid, y.gap_pv,
		       coalesce((SELECT jsonb_object_agg(i.indicator, jsonb_build_array(i.status, j.status))
		                 FROM indicator_scores i JOIN indicator_scores j
		                   ON j.run_id = y.scored_run_id AND j.village_id = i.village_id AND j.indicator = i.indicator
		                 WHERE i.run_id = x.scored_run_id AND i.village_id = x.village_id AND i.status <> j.status), '{}')
		FROM run_scores x
		JOIN run_scores y ON y.village_id = x.village_id AND y.run_id = $2
		JOIN villages v ON v.id = x.village_id
		-- Rows measured by the same run are the same.
		WHERE x.run_id = $1 AND x.scored_run_id <> y.scored_run_id
		  AND (x.composite, x.gap_road, x.gap_water, x.gap_grid, x.gap_pv) IS DISTINCT FROM
		      (y.composite, y.gap_road, y.gap_water, y.gap_grid, y.gap_pv)
		ORDER BY v.code`

// scanVillageDiff scans a row of diffRunsSQL.
func scanVillageDiff(row pgx.CollectableRow) (planning.VillageDiff, error) {
	d := planning.VillageDiff{}
	var b [5]*float64
	var a [5]*float64
	var status map[string][2]string
	err := row.Scan(&d.Code, &d.Name, &a[0], &a[1], &a[2], &a[3], &a[4], &b[0], &b[1], &b[2], &b[3], &b[4], &status)
	keys := []string{"综合", planning.DimRoad, planning.DimWater, planning.DimGrid, planning.DimPV}
	d.Before, d.After = map[string]*float64{}, map[string]*float64{}
	for i, k := range keys {
		d.Before[k], d.After[k] = a[i], b[i]
	}
	if len(status) > 0 {
		d.Status = status
	}
	return d, err
}
