package data_test

import (
	"context"
	"testing"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

// BenchmarkFundRollup measures the 资金台账 views over a province-sized
// library: 35,000 projects in 300 villages of 20 townships, 200,000
// entries over 13 sources and three years (issue 20: under 1 s). Run by
// hand: go test -run '^$' -bench FundRollup -benchtime 5x ./data/
func BenchmarkFundRollup(b *testing.B) {
	db := datatest.New(b)
	ctx := context.Background()
	for _, sql := range []string{
		`INSERT INTO sources (kind, name) VALUES ('manual', 'bench')`,
		`INSERT INTO counties (code, name, outline, source_id) VALUES ('430682', '测试县', NULL, 1)`,
		`INSERT INTO townships (code, county_code, name, source_id)
			SELECT '430682' || lpad(t::text, 3, '0'), '430682', '镇' || t, 1 FROM generate_series(101, 120) t`,
		`INSERT INTO villages (code, name, township_code, kind, households, population, source_id)
			SELECT '430682' || lpad(t::text, 3, '0') || lpad(v::text, 3, '0'), '村' || t || '-' || v,
			       '430682' || lpad(t::text, 3, '0'), '行政村', 200, 800, 1
			FROM generate_series(101, 120) t, generate_series(201, 215) v`,
		`INSERT INTO projects (name, category, township_code, village_id, cost_wan, status, year, targets, source_id)
			SELECT '项目' || i, (ARRAY['基础设施-道路', '基础设施-饮水', '基础设施-电力', '产业发展-光伏', '产业发展'])[1 + i % 5],
			       v.township_code, v.id, 100, '实施中', 2018, '[{"level1":"产出指标","level3":"x","value":"1"}]', 1
			FROM generate_series(1, 35000) i JOIN (SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, township_code FROM villages) v
			  ON v.n = i % 300`,
		`INSERT INTO fund_entries (project_id, kind, source_code, amount_wan, entry_date, actor)
			SELECT p.id, (ARRAY['计划', '下达', '到位', '拨付'])[1 + (i / 35000) % 4], s.code,
			       round((10 + random() * 90)::numeric, 2), make_date(2017 + i % 3, 1 + i % 12, 1), 'bench'
			FROM generate_series(0, 199999) i
			JOIN (SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM projects) p ON p.n = i % 35000
			JOIN (SELECT row_number() OVER (ORDER BY code) - 1 AS n, code FROM fund_sources) s ON s.n = (i * 7) % 13`,
		`ANALYZE projects, villages, townships, fund_entries, fund_sources`,
	} {
		if _, err := db.Pool.Exec(ctx, sql); err != nil {
			b.Fatalf("%s: %v", sql, err)
		}
	}
	sctx := datatest.Context()
	for _, by := range planning.FundGroupings {
		b.Run(by, func(b *testing.B) {
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				groups, err := db.Store.FundRollup(sctx, planning.FundFilter{By: by})
				if err != nil || len(groups) == 0 {
					b.Fatal(groups, err)
				}
			}
		})
	}
	b.Run("township-scoped-2018", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.Store.FundRollup(sctx, planning.FundFilter{By: planning.ByVillage, Year: 2018, Scoped: true,
				Townships: []string{"430682101"}, Categories: []string{planning.CatRoad}}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ledger-rows", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rows, err := db.Store.FundLedger(sctx, planning.FundFilter{})
			if err != nil || len(rows) != 35000 {
				b.Fatal(len(rows), err)
			}
		}
	})
}
