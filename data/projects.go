package data

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/ewkb"

	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
)

//go:embed queries/candidate_facts.sql
var candidateFactsSQL string

// generatedSource names the source row of generated candidates.
const generatedSource = "项目库生成"

// projectColumns is the one select list a planning.Project is scanned from
// (scanProject), over projects p, townships t and villages v.
const projectColumns = `p.id, coalesce(p.code, ''), coalesce(p.year, 0), p.name, p.category, p.subtype, p.nature,
	coalesce(p.township_code, ''), coalesce(t.name, ''), coalesce(v.code, ''), coalesce(v.name, ''),
	p.content, coalesce(p.quantity, 0), p.unit, coalesce(p.unit_price_wan, 0), p.price_source, p.cost_wan::float8, p.funding,
	coalesce(p.beneficiary_households, 0), coalesce(p.beneficiary_population, 0),
	coalesce(p.beneficiary_poor_households, 0), coalesce(p.beneficiary_poor_population, 0),
	p.mechanism, p.responsible_unit, p.status, p.planned_start, p.planned_end,
	coalesce(p.gap_dimension, ''), p.source_indicator_ids, p.gap_before, p.gap_after_est, coalesce(p.run_id, 0),
	coalesce(p.key, ''), coalesce(p.depends_on, ''), p.targets, p.exit_reason, ST_AsBinary(p.geom), p.updated_at,
	v.id IS NOT NULL, v.households, v.population, v.poor_households, v.poor_population, p.plan_reason, p.as_built,
	coalesce(p.estimate_cleared, '')`

const projectFrom = `projects p LEFT JOIN townships t ON t.code = p.township_code LEFT JOIN villages v ON v.id = p.village_id`

// scanProject reads projectColumns plus any extra destinations after them.
func scanProject(row pgx.Row, extra ...any) (planning.Project, error) {
	var p planning.Project
	var g wkbGeom
	var hasVillage bool
	var vc planning.VillageCounts
	dest := []any{&p.ID, &p.Code, &p.Year, &p.Name, &p.Category, &p.Subtype, &p.Nature,
		&p.TownshipCode, &p.TownshipName, &p.VillageCode, &p.VillageName,
		&p.Content, &p.Quantity, &p.Unit, &p.UnitPriceWan, &p.PriceSource, &p.CostWan, &p.Funding,
		&p.Households, &p.Population, &p.PoorHouseholds, &p.PoorPopulation,
		&p.Mechanism, &p.ResponsibleUnit, &p.Status, &p.PlannedStart, &p.PlannedEnd,
		&p.GapDimension, &p.SourceIndicators, &p.GapBefore, &p.GapAfter, &p.RunID,
		&p.Key, &p.DependsOn, &p.Targets, &p.ExitReason, &g, &p.UpdatedAt,
		&hasVillage, &vc.Households, &vc.Population, &vc.PoorHouseholds, &vc.PoorPopulation, &p.PlanReason, &p.AsBuilt,
		&p.EstimateCleared}
	err := row.Scan(append(dest, extra...)...)
	p.Geometry = g.g
	if hasVillage {
		p.Village = &vc
	}
	return p, err
}

// writeFields are the columns CreateProject, UpdateProject and
// SaveCandidates write, in the order of projectArgs: each with the type of
// its argument and the expression that turns the argument into the value
// (the village comes by code, newest code year; the geometry as EWKB).
var writeFields = []struct{ col, typ, expr string }{
	{"year", "smallint", "%s"}, {"name", "text", "%s"}, {"category", "text", "%s"}, {"subtype", "text", "%s"},
	{"nature", "text", "%s"}, {"township_code", "text", "nullif(%s, '')"},
	{"village_id", "text", "(SELECT id FROM villages WHERE code = nullif(%s, '') ORDER BY code_year DESC LIMIT 1)"},
	{"content", "text", "%s"}, {"quantity", "float8", "%s"}, {"unit", "text", "%s"}, {"unit_price_wan", "float8", "%s"},
	{"price_source", "text", "%s"}, {"cost_wan", "numeric", "%s"}, {"funding", "jsonb", "%s"},
	{"beneficiary_households", "int", "%s"}, {"beneficiary_population", "int", "%s"},
	{"beneficiary_poor_households", "int", "%s"}, {"beneficiary_poor_population", "int", "%s"},
	{"mechanism", "text", "%s"}, {"responsible_unit", "text", "%s"}, {"planned_start", "date", "%s"},
	{"planned_end", "date", "%s"}, {"gap_dimension", "text", "nullif(%s, '')"}, {"source_indicator_ids", "text[]", "%s"},
	{"gap_before", "float8", "%s"}, {"gap_after_est", "float8", "%s"}, {"run_id", "bigint", "nullif(%s, 0)"},
	{"depends_on", "text", "nullif(%s, '')"}, {"targets", "jsonb", "%s"}, {"geom", "bytea", "ST_GeomFromEWKB(%s)"},
}

// writeList joins f(i) over writeFields.
func writeList(f func(i int) string) string {
	parts := make([]string, len(writeFields))
	for i := range writeFields {
		parts[i] = f(i)
	}
	return strings.Join(parts, ", ")
}

var (
	writeColumns = writeList(func(i int) string { return writeFields[i].col })
	// writeParams reads the values from $1…$30.
	writeParams = writeList(func(i int) string {
		return fmt.Sprintf(writeFields[i].expr, fmt.Sprintf("$%d::%s", i+1, writeFields[i].typ))
	})
	// writeExcluded reads them from an INSERT's proposed row.
	writeExcluded = writeList(func(i int) string { return "excluded." + writeFields[i].col })
	// candidateTable holds generated candidates on their way in: the
	// arguments as columns (village_id holds the code, geom the EWKB).
	candidateTable = "CREATE TEMP TABLE candidates (" +
		writeList(func(i int) string { return writeFields[i].col + " " + writeFields[i].typ }) + ", key text) ON COMMIT DROP"
	writeFromCandidates = writeList(func(i int) string {
		return fmt.Sprintf(writeFields[i].expr, "c."+writeFields[i].col)
	})
)

func projectArgs(p planning.Project) ([]any, error) {
	var geom []byte
	if p.Geometry != nil {
		var err error
		if geom, err = ewkb.Marshal(p.Geometry, SRID); err != nil {
			return nil, fmt.Errorf("encode geometry of %q: %w", p.Name, err)
		}
	}
	funding, targets := p.Funding, p.Targets
	if funding == nil {
		funding = []planning.Funding{}
	}
	if targets == nil {
		targets = []planning.Target{}
	}
	indicators := p.SourceIndicators
	if indicators == nil {
		indicators = []string{}
	}
	return []any{nullIfZero(p.Year), p.Name, p.Category, p.Subtype, p.Nature, p.TownshipCode, p.VillageCode,
		p.Content, p.Quantity, p.Unit, p.UnitPriceWan, p.PriceSource, p.CostWan, funding,
		p.Households, p.Population, p.PoorHouseholds, p.PoorPopulation, p.Mechanism, p.ResponsibleUnit,
		p.PlannedStart, p.PlannedEnd, p.GapDimension, indicators, p.GapBefore, p.GapAfter, p.RunID,
		p.DependsOn, targets, geom}, nil
}

// assignCodes gives new projects their 项目编号: county code and id.
const assignCodes = `UPDATE projects SET code = left(township_code, 6) || '-' || lpad(id::text, 5, '0')
	WHERE code IS NULL AND township_code IS NOT NULL`

// sourceID returns the id of the source row (kind, name), creating it.
func sourceID(ctx context.Context, tx pgx.Tx, kind, name string) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `SELECT id FROM sources WHERE kind = $1 AND name = $2 ORDER BY id LIMIT 1`, kind, name).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		err = tx.QueryRow(ctx, `INSERT INTO sources (kind, name) VALUES ($1, $2) RETURNING id`, kind, name).Scan(&id)
	}
	return id, err
}

// candidateSteps fill the temporary tables candidate_facts.sql reads:
// the villages with their road vertices and the component of their seat,
// the road edges around them, the hardened components, and the large
// groups beyond the group radius of their seat's hardened network with the
// unhardened length of the cheapest road path to it (domain.md §2: hardened
// edges cost 0, so the path cost is exactly the length to pave).
func candidateSteps(ids []int64, p planning.Profile) []sqlStep {
	snap, minHH, radius := p.Road.SnapToleranceM.Value, int(p.Road.GroupMinHouseholds.Value), p.Road.GroupNetworkRadiusM.Value
	return []sqlStep{
		{`CREATE TEMP TABLE cf_v ON COMMIT DROP AS
		SELECT v.id, v.office, v.population, t.seat, nearest_road_vertex(v.office, $2, false) AS any_vid,
		       nearest_road_vertex(v.office, $2, true) AS hard_vid, nearest_road_vertex(t.seat, $2, true) AS seat_vid,
		       NULL::bigint AS seat_comp, false AS connected
		FROM villages v JOIN townships t ON t.code = v.township_code
		WHERE v.id = ANY ($1) AND v.kind IN ('行政村', '社区')`, []any{ids, snap}},
		{`CREATE TEMP TABLE cf_edges ON COMMIT DROP AS
		SELECT e.id, e.source, e.target, e.length_m, e.hardened, e.geom FROM road_edges e
		WHERE e.geom && (SELECT ST_Expand(ST_Extent(g), $1) FROM (
			SELECT office AS g FROM cf_v UNION ALL SELECT seat FROM cf_v) x)`, []any{subgraphMarginDeg}},
		{`ALTER TABLE cf_edges ADD PRIMARY KEY (id)`, nil},
		{`CREATE INDEX ON cf_edges USING gist (geom)`, nil},
		{`ANALYZE cf_v, cf_edges`, nil},
		{`CREATE TEMP TABLE cf_comp ON COMMIT DROP AS SELECT node, component FROM pgr_connectedComponents(
		'SELECT id, source, target, 1.0::float8 AS cost, 1.0::float8 AS reverse_cost FROM cf_edges WHERE hardened')`, nil},
		{`ALTER TABLE cf_comp ADD PRIMARY KEY (node)`, nil},
		{`UPDATE cf_v v SET seat_comp = c.component FROM cf_comp c WHERE c.node = v.seat_vid`, nil},
		// R1: the 村委会 on its seat's hardened network.
		{`UPDATE cf_v v SET connected = true FROM cf_comp c WHERE c.node = v.hard_vid AND c.component = v.seat_comp`, nil},
		// R2's test, on the same network: a group is served when a hardened
		// edge of its seat's component lies within the radius. The road to
		// an unserved group goes to that network, or, in a village not
		// connected itself (R1), to its 村委会's road vertex if nearer: the
		// village's 通村硬化路 project paves from there to the seat, and
		// counting that length again for each of its groups would pave the
		// same road twice.
		{`CREATE TEMP TABLE cf_groups ON COMMIT DROP AS
		SELECT g.id, g.parent_id, g.name, g.households, g.population, g.poor_households, g.poor_population,
		       v.seat_vid, CASE WHEN NOT v.connected THEN v.any_vid END AS office_vid, nearest_road_vertex(g.office, $1, false) AS vid,
		       near.m AS near_m, near.line AS near_line, NULL::float8 AS net_m, NULL::geometry AS net_geom
		FROM villages g JOIN cf_v v ON v.id = g.parent_id
		CROSS JOIN LATERAL (
			SELECT ST_Distance(x.geom::geography, g.office::geography) AS m, ST_ShortestLine(g.office, x.geom) AS line
			FROM ((SELECT e.geom FROM cf_edges e JOIN cf_comp c ON c.node = e.source
			       WHERE e.hardened AND c.component = v.seat_comp ORDER BY e.geom <-> g.office LIMIT 5)
			      UNION ALL SELECT v.office WHERE NOT v.connected) x
			ORDER BY 1 LIMIT 1) near
		WHERE g.households >= $2 AND v.seat_comp IS NOT NULL
		  AND NOT EXISTS (SELECT 1 FROM cf_edges e JOIN cf_comp c ON c.node = e.source
		                  WHERE e.hardened AND c.component = v.seat_comp
		                    AND e.geom && ST_Expand(g.office, $3 / 80000.0)
		                    AND ST_DWithin(e.geom::geography, g.office::geography, $3))`, []any{snap, minHH, radius}},
		{`WITH d AS (
		SELECT * FROM pgr_dijkstra(
			'SELECT id, source, target, CASE WHEN hardened THEN 0 ELSE length_m END AS cost,
			        CASE WHEN hardened THEN 0 ELSE length_m END AS reverse_cost FROM cf_edges',
			'SELECT seat_vid AS source, vid AS target FROM cf_groups WHERE vid IS NOT NULL AND seat_vid <> vid
			 UNION SELECT office_vid, vid FROM cf_groups WHERE vid IS NOT NULL AND office_vid IS NOT NULL AND office_vid <> vid',
			false)),
	  -- An edge of unknown surface is paved too, as its cost says.
	  p AS (SELECT d.start_vid, d.end_vid, coalesce(sum(e.length_m) FILTER (WHERE e.hardened IS NOT TRUE), 0) AS m,
	               ST_Collect(e.geom) FILTER (WHERE e.hardened IS NOT TRUE) AS g
	        FROM d JOIN cf_edges e ON e.id = d.edge GROUP BY d.start_vid, d.end_vid),
	  best AS (SELECT DISTINCT ON (gr.id) gr.id, p.m, p.g FROM cf_groups gr
	           JOIN p ON p.end_vid = gr.vid AND p.start_vid IN (gr.seat_vid, gr.office_vid)
	           ORDER BY gr.id, p.m)
	  UPDATE cf_groups gr SET net_m = best.m, net_geom = best.g FROM best WHERE gr.id = best.id`, nil},
		{`ANALYZE cf_groups`, nil},
	}
}

// sqlStep is one statement of a multi-step measurement and its arguments.
type sqlStep struct {
	sql  string
	args []any
}

// CandidateFacts implements planning.LibraryStore: every fact is measured
// for its own village (each row scans into its own values).
func (s *Store) CandidateFacts(ctx context.Context, p planning.Profile, ids []int64) (map[int64]planning.CandidateFacts, error) {
	out := map[int64]planning.CandidateFacts{}
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		for i, st := range candidateSteps(ids, p) {
			t := time.Now()
			if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
				return err
			}
			s.log.Debug("candidate facts step", "step", i, "took", time.Since(t))
		}
		t := time.Now()
		defer func() { s.log.Debug("candidate facts query", "took", time.Since(t)) }()
		rows, err := tx.Query(ctx, candidateFactsSQL, p.Projects.DangerousBridgeRadiusM.Value,
			p.Projects.WaterDesignLitres.Value, p.Projects.MainExtensionMaxM.Value, p.Road.SnapToleranceM.Value)
		if err != nil {
			return err
		}
		var (
			vid, id        int64
			kind, name     string
			n1, n2, n3, n4 int
			m1, m2         *float64
			g              wkbGeom
		)
		_, err = pgx.ForEachRow(rows, []any{&vid, &kind, &name, &n1, &n2, &n3, &n4, &m1, &m2, &id, &g}, func() error {
			// pgx reuses m1 and m2 for every row: copy what they point at,
			// or every village ends up with the last row's distances.
			m1, m2 := copyFloat(m1), copyFloat(m2)
			cf := out[vid]
			switch kind {
			case "office":
				if pt, ok := g.g.(orb.Point); ok {
					cf.Office = pt
				}
			case "group":
				gr := planning.GroupGap{Name: name, Households: n1, Population: n2,
					PoorHouseholds: n3, PoorPopulation: n4, RoadM: m2, Line: g.g}
				if m1 != nil {
					gr.DistanceM = *m1
				}
				cf.Groups = append(cf.Groups, gr)
			case "bridge":
				pt, _ := g.g.(orb.Point)
				cf.Bridges = append(cf.Bridges, planning.BridgeGap{ID: id, Name: name, LengthM: m1, Point: pt})
			case "works":
				cf.SpareWorks, cf.SpareWorksM, cf.SpareWorksRoadM, cf.SpareWorksTo = name, m1, m2, g.g
			case "line10":
				cf.Line10kVM, cf.Line10kVTo = m1, g.g
			}
			out[vid] = cf
			return nil
		})
		return err
	})
	return out, translate(err, "candidate facts")
}

func copyFloat(p *float64) *float64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// GapVillages implements planning.GenerateStore.
func (s *Store) GapVillages(ctx context.Context, runID int64, all bool) ([]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT s.village_id FROM run_scores s JOIN villages v ON v.id = s.village_id
		WHERE s.run_id = $1 AND coalesce(s.composite, 0) > 0 AND ($2 OR v.is_poor_village OR v.poor_population > 0)
		ORDER BY s.village_id`, runID, all)
	if err != nil {
		return nil, translate(err, "gap villages")
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return ids, translate(err, "gap villages")
}

// SaveCandidates implements planning.LibraryStore. A candidate replaces the
// row with its key while that row is still at 需求摸底; once a row has moved
// on, the bureau owns it and generation leaves it alone. Earlier candidates
// at 需求摸底 that were not generated again (their gap is closed) go.
func (s *Store) SaveCandidates(ctx context.Context, runID int64, ps []planning.Project, pred *planning.Prediction) (planning.GenerateReport, error) {
	var rep planning.GenerateReport
	if err := s.allow(ctx, access.Generate, access.Object{}); err != nil {
		return rep, err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		src, err := sourceID(ctx, tx, "generator", generatedSource)
		if err != nil {
			return err
		}
		// Generation writes each candidate's 缺口后 as it sized it, in the
		// statement that changes its 工程量 or path: the figure stands even
		// when it equals the old one (migration 0038).
		if _, err := tx.Exec(ctx, `SELECT set_config('gapmap.estimates', 'sized', true)`); err != nil {
			return err
		}
		// The set predictions of projects a bureau has moved on may assume
		// a candidate this generation rewrites or deletes built.
		var ours []int64
		if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(id), '{}') FROM projects
			WHERE key IS NOT NULL AND status = '需求摸底'`).Scan(&ours); err != nil {
			return err
		}
		deps, err := dependentPredictions(ctx, tx, ours)
		if err != nil {
			return err
		}
		// COPY into a temporary table and merge in one statement: a
		// statement per candidate took 44 s for the province's 35,000.
		if _, err := tx.Exec(ctx, candidateTable); err != nil {
			return err
		}
		keys := make([]string, len(ps))
		rows := make([][]any, len(ps))
		for i, p := range ps {
			keys[i] = p.Key
			rep.CostWan += p.CostWan
			args, err := projectArgs(p)
			if err != nil {
				return err
			}
			rows[i] = append(args, p.Key)
		}
		cols := make([]string, 0, len(writeFields)+1)
		for _, f := range writeFields {
			cols = append(cols, f.col)
		}
		cols = append(cols, "key")
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"candidates"}, cols, pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		merged, err := tx.Query(ctx, `INSERT INTO projects (`+writeColumns+`, key, status, source_id)
			SELECT `+writeFromCandidates+`, c.key, '需求摸底', $1 FROM candidates c
			ON CONFLICT (key) DO UPDATE SET (`+writeColumns+`) = (SELECT `+writeExcluded+`)
			WHERE projects.status = '需求摸底'
			RETURNING xmax = 0, id`, src)
		if err != nil {
			return err
		}
		var ids []int64
		var ins bool
		var id int64
		if _, err := pgx.ForEachRow(merged, []any{&ins, &id}, func() error {
			if ins {
				rep.Added++
			} else {
				rep.Updated++
			}
			ids = append(ids, id)
			return nil
		}); err != nil {
			return err
		}
		rep.Kept = len(ps) - len(ids) // rows a bureau has moved on
		if pred != nil {
			if rep.Predicted, err = s.predictGaps(ctx, tx, pred, ids); err != nil {
				return fmt.Errorf("predict gaps: %w", err)
			}
		}
		// A candidate whose gap closed goes, unless money was recorded
		// against it: the 资金台账 is kept, and so is its project.
		tag, err := tx.Exec(ctx, `DELETE FROM projects WHERE key IS NOT NULL AND status = '需求摸底' AND NOT (key = ANY ($1))
			AND NOT EXISTS (SELECT 1 FROM fund_entries e WHERE e.project_id = projects.id)`, keys)
		if err != nil {
			return err
		}
		rep.Removed = int(tag.RowsAffected())
		if _, err = tx.Exec(ctx, assignCodes); err != nil {
			return err
		}
		// The candidates written again were measured afresh just now.
		for _, id := range ids {
			delete(deps, id)
		}
		if err := s.auditCleared(ctx, tx, deps); err != nil {
			return err
		}
		return s.audit(ctx, tx, auditEntry{Action: "projects.generate", Kind: "library", ID: "projects",
			Detail: map[string]any{"run_id": runID, "candidates": len(ps), "added": rep.Added, "updated": rep.Updated,
				"removed": rep.Removed, "kept": rep.Kept, "predicted": rep.Predicted}})
	})
	return rep, translate(err, "save candidates")
}

// projectOrders are the allowlisted ORDER BY clauses of a listing.
var projectOrders = map[string]string{
	"":                 "rank_need",
	planning.RankNeed:  "rank_need",
	planning.RankPoor:  "rank_poor",
	planning.RankValue: "rank_value",
	"cost":             "p.cost_wan DESC, p.id",
	"code":             "p.code, p.id",
	"year":             "p.year NULLS LAST, p.code, p.id",
}

// Projects implements planning.LibraryStore: the filtered projects with
// their place in each ranking among them.
func (s *Store) Projects(ctx context.Context, f planning.ProjectFilter) (planning.ProjectPage, error) {
	var page planning.ProjectPage
	if err := f.Validate(); err != nil {
		return page, err
	}
	limit := any(nil)
	if f.Limit > 0 {
		limit = f.Limit
	}
	sql := `WITH f AS (
			SELECT p.id FROM projects p LEFT JOIN townships t ON t.code = p.township_code LEFT JOIN villages v ON v.id = p.village_id
			WHERE ($1 = '' OR p.township_code = $1 OR t.name = $1) AND ($2 = '' OR v.code = $2)
			  AND ($3 = '' OR p.category = $3) AND ($4 = '' OR p.status = $4)
			  AND ($5 = 0 OR p.year = $5 OR ($5 = -1 AND p.year IS NULL))
			  AND (NOT $8 OR p.township_code = ANY ($9) OR v.code = ANY ($10))),
		m AS (
			SELECT p.id,
			       rank() OVER (ORDER BY p.gap_before DESC NULLS LAST, p.id) AS rank_need,
			       rank() OVER (ORDER BY p.beneficiary_poor_population DESC NULLS LAST, p.id) AS rank_poor,
			       -- An unknown 缺口后 under a scored gap (planning.Project.BenefitUnknown)
			       -- ranks after every known value, 0 included: unknown is not 0.
			       rank() OVER (ORDER BY p.gap_before IS NOT NULL AND p.gap_after_est IS NULL,
			                             coalesce((p.gap_before - p.gap_after_est) * p.beneficiary_poor_population
			                                      / nullif(p.cost_wan, 0), 0) DESC, p.id) AS rank_value,
			       count(*) OVER () AS total, sum(p.cost_wan) OVER ()::float8 AS cost
			FROM f JOIN projects p ON p.id = f.id),
		-- Each covered village once, however many of its projects match.
		c AS (
			SELECT count(*)::int AS villages, coalesce(sum(v.poor_population), 0)::int AS poor,
			       count(*) FILTER (WHERE v.poor_population IS NULL)::int AS unknown,
			       (SELECT count(*) FROM f JOIN projects p ON p.id = f.id WHERE p.village_id IS NULL)::int AS unplaced
			FROM villages v WHERE v.id IN (SELECT p.village_id FROM f JOIN projects p ON p.id = f.id))
		SELECT ` + projectColumns + `, m.rank_need, m.rank_poor, m.rank_value, m.total, m.cost,
		       c.villages, c.poor, c.unknown, c.unplaced
		FROM m CROSS JOIN c JOIN ` + projectFrom + ` ON p.id = m.id
		ORDER BY ` + projectOrders[f.Sort] + `
		LIMIT $6 OFFSET $7`
	err := s.apiRead(ctx, func(pool *pgxpool.Pool) error {
		page = planning.ProjectPage{}
		rows, err := pool.Query(ctx, sql, f.Township, f.Village, f.Category, f.Status, f.Year, limit, f.Offset,
			f.Scoped, f.Townships, f.Villages)
		if err != nil {
			return err
		}
		page.Projects, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (planning.RankedProject, error) {
			var r planning.RankedProject
			var err error
			r.Project, err = scanProject(row, &r.RankNeed, &r.RankPoor, &r.RankValue, &page.Total, &page.CostWan,
				&page.Covered.Villages, &page.Covered.PoorPopulation, &page.Covered.Unknown, &page.Covered.Unplaced)
			return r, err
		})
		return err
	})
	if page.Projects == nil {
		page.Projects = []planning.RankedProject{}
	}
	return page, translate(err, "list projects")
}

// Project implements planning.LibraryStore.
func (s *Store) Project(ctx context.Context, id int64) (planning.Project, error) {
	var p planning.Project
	err := s.apiRead(ctx, func(pool *pgxpool.Pool) error {
		var err error
		p, err = scanProject(pool.QueryRow(ctx, `SELECT `+projectColumns+` FROM `+projectFrom+` WHERE p.id = $1`, id))
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return p, planning.Errorf(planning.ENotFound, "没有编号为 %d 的项目", id)
	}
	return p, translate(err, "project")
}

// CreateProject implements planning.LibraryStore: a project entered by hand
// starts at 需求摸底.
func (s *Store) CreateProject(ctx context.Context, p planning.Project) (planning.Project, error) {
	if err := p.Validate(); err != nil {
		return p, err
	}
	var id int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := checkPlace(ctx, tx, &p); err != nil {
			return err
		}
		if err := s.allow(ctx, access.ProjectEdit, access.ProjectObject(p)); err != nil {
			return err
		}
		if err := checkValid(ctx, tx, p.Geometry); err != nil {
			return err
		}
		if err := s.checkInCounty(ctx, "几何（geometry）", p.Geometry); err != nil {
			return err
		}
		args, err := projectArgs(p)
		if err != nil {
			return err
		}
		src, err := sourceID(ctx, tx, "manual", "手工录入")
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO projects (`+writeColumns+`, status, source_id)
			VALUES (`+writeParams+`, '需求摸底', $31) RETURNING id`, append(args, src)...).Scan(&id); err != nil {
			return err
		}
		if _, err = tx.Exec(ctx, assignCodes); err != nil {
			return err
		}
		after, err := projectRow(ctx, tx, id)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, auditEntry{Action: "project.create", Kind: "project", ID: strconv.FormatInt(id, 10),
			Detail: map[string]any{"after": after}})
	})
	if err != nil {
		return p, translate(err, "create project")
	}
	return s.Project(ctx, id)
}

// checkValid refuses a geometry PostGIS holds invalid (a self-crossing
// ring, a hole outside its shell) with its reason: such a shape breaks
// area sums and overlays later, far from the edit that made it.
// planning.CheckGeometry has already refused what cannot be parsed at all
// (open rings, non-finite or out-of-China coordinates).
func checkValid(ctx context.Context, tx pgx.Tx, g orb.Geometry) error {
	if g == nil {
		return nil
	}
	b, err := ewkb.Marshal(g, SRID)
	if err != nil {
		return fmt.Errorf("encode geometry: %w", err)
	}
	var valid bool
	var reason string
	if err := tx.QueryRow(ctx, `SELECT ST_IsValid(g), ST_IsValidReason(g) FROM ST_GeomFromEWKB($1) g`, b).Scan(&valid, &reason); err != nil {
		return translate(err, "check geometry")
	}
	if !valid {
		return planning.Errorf(planning.EInvalid, "几何（geometry）无效：%s（如自相交的面），请修正后再保存", reason)
	}
	return nil
}

// checkPlace names an unknown township or village code instead of letting
// it become a NULL or a foreign-key error, and gives a project placed by
// its village alone the village's township: the township's users see and
// review their villages' projects by it (row scope, 乡镇审核), and the
// project's code is numbered from it.
func checkPlace(ctx context.Context, tx pgx.Tx, p *planning.Project) error {
	var township, village bool
	var villageTownship string
	if err := tx.QueryRow(ctx, `SELECT $1 = '' OR EXISTS (SELECT 1 FROM townships WHERE code = $1),
			$2 = '' OR EXISTS (SELECT 1 FROM villages WHERE code = $2 AND ($1 = '' OR township_code = $1)),
			coalesce((SELECT township_code FROM villages WHERE code = $2 ORDER BY code_year DESC LIMIT 1), '')`,
		p.TownshipCode, p.VillageCode).Scan(&township, &village, &villageTownship); err != nil {
		return err
	}
	switch {
	case !township:
		return planning.Errorf(planning.EInvalid, "乡镇代码 %q 不存在", p.TownshipCode)
	case !village:
		return planning.Errorf(planning.EInvalid, "村代码 %q 不存在或不属于乡镇 %s", p.VillageCode, p.TownshipCode)
	}
	if p.TownshipCode == "" {
		p.TownshipCode = villageTownship
	}
	return nil
}

// UpdateProject implements planning.LibraryStore. The status moves only
// through Transition, so it is not written here; a project in the library
// must keep its 绩效目标.
func (s *Store) UpdateProject(ctx context.Context, p planning.Project) (planning.Project, error) {
	if err := p.Validate(); err != nil {
		return p, err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := checkPlace(ctx, tx, &p); err != nil {
			return err
		}
		if err := checkValid(ctx, tx, p.Geometry); err != nil {
			return err
		}
		if err := s.checkInCounty(ctx, "几何（geometry）", p.Geometry); err != nil {
			return err
		}
		args, err := projectArgs(p)
		if err != nil {
			return err
		}
		old, err := lockProject(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		// The editor must hold the project both where it was and where it
		// goes: a township cannot move a project into another's village.
		if err := s.allow(ctx, access.ProjectEdit, access.ProjectObject(old)); err != nil {
			return err
		}
		if err := s.allow(ctx, access.ProjectEdit, access.ProjectObject(p)); err != nil {
			return err
		}
		before, err := projectRow(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		deps, err := dependentPredictions(ctx, tx, []int64{p.ID})
		if err != nil {
			return err
		}
		// The triggers of migrations 0035 and 0038 clear what the edit
		// makes stale; the row's before and after below show its own.
		if _, err := tx.Exec(ctx, `UPDATE projects SET (`+writeColumns+`) = (SELECT `+writeParams+`) WHERE id = $31`, append(args, p.ID)...); err != nil {
			return err
		}
		after, err := projectRow(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		b, a := changedFields(before, after)
		if err := s.audit(ctx, tx, auditEntry{Action: "project.update", Kind: "project", ID: strconv.FormatInt(p.ID, 10),
			Detail: map[string]any{"before": b, "after": a}}); err != nil {
			return err
		}
		if err := s.auditCleared(ctx, tx, deps); err != nil {
			return err
		}
		// Its 计划 follows its 资金来源 while its ledger is open.
		if _, changed := a["funding"]; !changed {
			return nil
		}
		synced, err := planSynced(ctx, tx, old)
		if err != nil || !synced {
			return err
		}
		p.Status = old.Status
		return s.syncPlanned(ctx, tx, p, "编辑项目")
	})
	if err != nil {
		return p, translate(err, "update project")
	}
	return s.Project(ctx, p.ID)
}

// DeleteProject implements planning.LibraryStore.
func (s *Store) DeleteProject(ctx context.Context, id int64) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		p, err := lockProject(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.allow(ctx, access.ProjectEdit, access.ProjectObject(p)); err != nil {
			return err
		}
		if p.Status != planning.StateSurvey {
			return planning.Errorf(planning.EConflict, "项目“%s”已进入“%s”，不能删除；请改为出库并填写理由", p.Name, p.Status)
		}
		// Its 资金台账 entries keep the project (the ledger is never
		// rewritten): a planned project that is dropped is withdrawn.
		var funded bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM fund_entries WHERE project_id = $1)`, id).Scan(&funded); err != nil {
			return err
		}
		if funded {
			return planning.Errorf(planning.EConflict, "项目“%s”已有资金台账分录，不能删除；请改为出库并填写理由", p.Name)
		}
		before, err := projectRow(ctx, tx, id)
		if err != nil {
			return err
		}
		deps, err := dependentPredictions(ctx, tx, []int64{id})
		if err != nil {
			return err
		}
		if _, err = tx.Exec(ctx, `DELETE FROM projects WHERE id = $1`, id); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, auditEntry{Action: "project.delete", Kind: "project", ID: strconv.FormatInt(id, 10),
			Detail: map[string]any{"before": before}}); err != nil {
			return err
		}
		return s.auditCleared(ctx, tx, deps)
	})
	return translate(err, "delete project")
}

// planSynced says whether p's 计划 entries follow its 资金来源: in the
// library (已入库 through 绩效评价), or withdrawn from it (已出库 after
// having been 已入库: its ledger stays, and stays one with its 资金来源).
// A project before the library, or withdrawn before it, has no ledger.
func planSynced(ctx context.Context, tx pgx.Tx, p planning.Project) (bool, error) {
	if planning.InLibrary(p.Status) {
		return true, nil
	}
	if p.Status != planning.StateWithdrawn {
		return false, nil
	}
	var was bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM project_transitions WHERE project_id = $1 AND to_status = $2)`,
		p.ID, planning.StateInLibrary).Scan(&was)
	return was, err
}

// lockProject reads a project under a row lock.
func lockProject(ctx context.Context, tx pgx.Tx, id int64) (planning.Project, error) {
	p, err := scanProject(tx.QueryRow(ctx, `SELECT `+projectColumns+` FROM `+projectFrom+` WHERE p.id = $1 FOR UPDATE OF p`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return p, planning.Errorf(planning.ENotFound, "没有编号为 %d 的项目", id)
	}
	return p, err
}

// projectRow is a project's stored row as JSON, for the audit trail's
// before and after (geometry as GeoJSON).
func projectRow(ctx context.Context, tx pgx.Tx, id int64) (map[string]any, error) {
	var row map[string]any
	err := tx.QueryRow(ctx, `SELECT to_jsonb(p) - 'geom' || jsonb_build_object('geom', ST_AsGeoJSON(p.geom, 7)::jsonb)
		FROM projects p WHERE p.id = $1`, id).Scan(&row)
	return row, err
}

// changedFields keeps, of two rows, the fields whose values differ.
func changedFields(before, after map[string]any) (b, a map[string]any) {
	b, a = map[string]any{}, map[string]any{}
	for k, v := range after {
		if !reflect.DeepEqual(before[k], v) {
			b[k], a[k] = before[k], v
		}
	}
	for k, v := range before {
		if _, ok := after[k]; !ok {
			b[k] = v
		}
	}
	return b, a
}

// Transition implements planning.LibraryStore.
func (s *Store) Transition(ctx context.Context, id int64, to, reason string) (planning.Project, error) {
	pr, ok := access.From(ctx)
	if !ok || pr.Login == "" {
		return planning.Project{}, errNoActor
	}
	// The county's profile names the state at which a project is written
	// into the layers.
	prof, err := planning.CountyProfile(ctx, s, nil)
	if err != nil {
		return planning.Project{}, err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return s.move(ctx, tx, pr, prof, id, to, reason)
	})
	if err != nil {
		return planning.Project{}, translate(err, "project transition")
	}
	return s.Project(ctx, id)
}

// move takes one lifecycle step in tx for pr: checked by CheckTransition
// and the access policy under a row lock, recorded in project_transitions
// and the audit trail, with completion's writes into the layers. Applying
// a scenario takes many in one transaction.
func (s *Store) move(ctx context.Context, tx pgx.Tx, pr access.Principal, prof planning.Profile, id int64, to, reason string) error {
	p, err := lockProject(ctx, tx, id)
	if err != nil {
		return err
	}
	if err := planning.CheckTransition(p, to, reason); err != nil {
		return err
	}
	obj := access.ProjectObject(p)
	ts, err := transitions(ctx, tx, id)
	if err != nil {
		return err
	}
	obj.DeclaredBy = planning.Declarer(ts)
	if err := s.policy.AllowMove(pr, p.Status, to, obj); err != nil {
		return err
	}
	// Only 出库 and its undoing change a set (migration 0035); a scenario
	// applies many other steps in one transaction.
	var deps map[int64]setPrediction
	if to == planning.StateWithdrawn || p.Status == planning.StateWithdrawn {
		if deps, err = dependentPredictions(ctx, tx, []int64{id}); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE projects SET status = $2,
				exit_reason = CASE WHEN $2 = '已出库' THEN $3 WHEN status = '已出库' THEN '' ELSE exit_reason END
			WHERE id = $1`, id, to, reason); err != nil {
		return err
	}
	var actorID *int64
	if pr.UserID != 0 {
		actorID = &pr.UserID
	}
	if _, err = tx.Exec(ctx, `INSERT INTO project_transitions (project_id, from_status, to_status, actor, actor_id, reason)
			VALUES ($1, $2, $3, $4, $5, $6)`, id, p.Status, to, pr.Title(), actorID, reason); err != nil {
		return err
	}
	detail := map[string]any{"before": map[string]any{"status": p.Status}, "after": map[string]any{"status": to}, "reason": reason}
	// Completion writes the project into the layers; a move back
	// before the completion state restores them.
	switch {
	case planning.Completes(p.Status, to, prof.CompletionState):
		if detail["layers"], err = s.completeProject(ctx, tx, p, prof); err != nil {
			return err
		}
	case planning.Uncompletes(p.Status, to, prof.CompletionState):
		if detail["layers_undone"], err = s.undoCompletion(ctx, tx, p); err != nil {
			return err
		}
	}
	if err := s.audit(ctx, tx, auditEntry{Action: "project.move", Kind: "project", ID: strconv.FormatInt(id, 10),
		Detail: detail}); err != nil {
		return err
	}
	if err := s.auditCleared(ctx, tx, deps); err != nil {
		return err
	}
	// The ledger starts when the project enters the library: its 计划
	// becomes its 资金来源 (and again when it comes back from the annual
	// plan, which changes nothing if they agree).
	if to == planning.StateInLibrary {
		p.Status = to
		return s.syncPlanned(ctx, tx, p, "项目入库")
	}
	return nil
}

// Transitions implements planning.LibraryStore, oldest first.
func (s *Store) Transitions(ctx context.Context, id int64) ([]planning.Transition, error) {
	if _, err := s.Project(ctx, id); err != nil {
		return nil, err
	}
	ts, err := transitions(ctx, s.pool, id)
	return ts, translate(err, "project transitions")
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// transitions reads a project's moves, oldest first.
func transitions(ctx context.Context, q querier, id int64) ([]planning.Transition, error) {
	rows, err := q.Query(ctx, `SELECT id, project_id, from_status, to_status, actor, actor_id, reason, at
		FROM project_transitions WHERE project_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	ts, err := pgx.CollectRows(rows, pgx.RowToStructByPos[planning.Transition])
	if ts == nil {
		ts = []planning.Transition{}
	}
	return ts, err
}

// ScheduleProjects implements planning.LibraryStore.
func (s *Store) ScheduleProjects(ctx context.Context, plan map[int64]planning.Scheduled) error {
	if err := s.allow(ctx, access.PlanApply, access.Object{}); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return s.schedule(ctx, tx, plan, auditEntry{Action: "plan.apply", Kind: "library", ID: "projects"})
	})
	return translate(err, "schedule projects")
}

// schedule writes plan's years and reasons in tx and audits them as e
// (its Detail set here): the projects' count and those whose year changed.
func (s *Store) schedule(ctx context.Context, tx pgx.Tx, plan map[int64]planning.Scheduled, e auditEntry) error {
	ids := make([]int64, 0, len(plan))
	ys := make([]int32, 0, len(plan))
	reasons := make([]string, 0, len(plan))
	for id, sc := range plan {
		ids, ys, reasons = append(ids, id), append(ys, int32(sc.Year)), append(reasons, sc.Reason)
	}
	rows, err := tx.Query(ctx, `WITH old AS (SELECT id, year FROM projects WHERE id = ANY ($1) FOR UPDATE)
			UPDATE projects p SET year = nullif(u.y, 0), plan_reason = u.reason
			FROM unnest($1::bigint[], $2::int[], $3::text[]) AS u(id, y, reason), old
			WHERE p.id = u.id AND old.id = p.id
			RETURNING p.id, old.year, p.year`, ids, ys, reasons)
	if err != nil {
		return err
	}
	type change struct {
		ID     int64 `json:"id"`
		Before *int  `json:"before"`
		After  *int  `json:"after"`
	}
	changes, err := pgx.CollectRows(rows, pgx.RowToStructByPos[change])
	if err != nil {
		return err
	}
	if len(changes) != len(ids) {
		return planning.Errorf(planning.ENotFound, "部分项目不存在（%d 个中找到 %d 个）", len(ids), len(changes))
	}
	// Only the projects whose year changed are listed: a plan over a
	// whole library moves few of them.
	moved := slices.DeleteFunc(changes, func(c change) bool { return reflect.DeepEqual(c.Before, c.After) })
	e.Detail = map[string]any{"projects": len(ids), "year_changed": moved}
	return s.audit(ctx, tx, e)
}
