package data

import (
	"context"
	_ "embed"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/gapmap/gapmap/planning"
)

//go:embed queries/villages.sql
var villagesSQL string

func scanVillage(row pgx.CollectableRow) (planning.Village, error) {
	var v planning.Village
	err := row.Scan(&v.ID, &v.Code, &v.CodeYear, &v.Name, &v.TownshipCode, &v.TownshipName, &v.Kind,
		wkb.Scanner(&v.Office), wkb.Scanner(&v.Outline), &v.Located, &v.LocationSource,
		&v.Households, &v.Population, &v.IsPoor, &v.PoorHouseholds, &v.PoorPopulation, &v.ExitYear)
	return v, err
}

// Villages implements planning.Store. It lists 行政村 and 社区 (not their
// 村民组) in code order. An unknown township is an EInvalid error rather
// than an empty page, so that a misspelt name is noticed.
func (s *Store) Villages(ctx context.Context, f planning.VillageFilter) (planning.VillagePage, error) {
	var page planning.VillagePage
	var townshipKnown bool
	err := s.apiRead(ctx, func(pool *pgxpool.Pool) error {
		page = planning.VillagePage{}
		return pool.SendBatch(ctx, villagesBatch(f, &page, &townshipKnown)).Close()
	})
	if err != nil {
		return page, translate(err, "list villages")
	}
	if !townshipKnown {
		return page, planning.Errorf(planning.EInvalid, "没有名称或代码为 %q 的乡镇", f.Township)
	}
	return page, nil
}

// villagesBatch queues Villages' queries, which fill page and
// townshipKnown.
func villagesBatch(f planning.VillageFilter, page *planning.VillagePage, townshipKnown *bool) *pgx.Batch {
	b := &pgx.Batch{}
	b.Queue(`SELECT $1 = '' OR EXISTS (SELECT 1 FROM townships WHERE code = $1 OR name = $1)`, f.Township).
		QueryRow(func(row pgx.Row) error { return row.Scan(townshipKnown) })
	b.Queue(`SELECT count(*) FROM villages v JOIN townships t ON t.code = v.township_code
		WHERE v.kind IN ('行政村', '社区') AND ($1 = '' OR t.code = $1 OR t.name = $1) AND (NOT $2 OR v.is_poor_village)`,
		f.Township, f.PoorOnly).
		QueryRow(func(row pgx.Row) error { return row.Scan(&page.Total) })
	b.Queue(villagesSQL, f.Township, f.PoorOnly, "", f.Limit, f.Offset).
		Query(func(rows pgx.Rows) error {
			var err error
			page.Villages, err = pgx.CollectRows(rows, scanVillage)
			return err
		})
	return b
}

// Village implements planning.Store: the unit with this code in its newest
// code year.
func (s *Store) Village(ctx context.Context, code string) (planning.Village, error) {
	var v planning.Village
	err := s.apiRead(ctx, func(pool *pgxpool.Pool) error {
		rows, err := pool.Query(ctx, villagesSQL, "", false, code, 1, 0)
		if err != nil {
			return err
		}
		v, err = pgx.CollectExactlyOneRow(rows, scanVillage)
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return v, planning.Errorf(planning.ENotFound, "没有代码为 %s 的村", code)
	}
	return v, translate(err, "village "+code)
}
