package data

import (
	"context"
	_ "embed"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gapmap/gapmap/planning"
)

//go:embed queries/progress_facts.sql
var progressFactsSQL string

// YearEndRun implements planning.ProgressStore.
func (s *Store) YearEndRun(ctx context.Context, profileHash string, day time.Time) (int64, error) {
	var id int64
	err := s.apiRead(ctx, func(pool *pgxpool.Pool) error {
		return pool.QueryRow(ctx, `SELECT id FROM scoring_runs WHERE status = 'done' AND profile_hash = $1
			AND as_of = $2 AND layers_as_of = $2 ORDER BY id DESC LIMIT 1`, profileHash, day).Scan(&id)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return id, translate(err, "year-end run")
}

// ProgressFacts implements planning.ProgressStore (queries/progress_facts.sql).
func (s *Store) ProgressFacts(ctx context.Context, from, to int) ([]planning.ProgressFact, error) {
	rows, err := s.pool.Query(ctx, progressFactsSQL, from, to)
	if err != nil {
		return nil, translate(err, "progress facts")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (planning.ProgressFact, error) {
		var f planning.ProgressFact
		return f, row.Scan(&f.Year, &f.TownshipCode, &f.Projects, &f.Km, &f.PaidCents)
	})
	return out, translate(err, "progress facts")
}
