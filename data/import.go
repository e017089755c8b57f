package data

// An import request walks forward through two stages: a pure one in
// package data/ingest (no database) and the PostGIS one in this package.
// Import below is the whole walk; each step lives in the file named here.
//
//  1. Open the file: format, text encoding, attribute columns
//     (ingest.Open, data/ingest/source.go and source_formats.go).
//  2. Decide its coordinate system: --srs, a .prj, a GeoJSON crs, or
//     lon/lat (ingest.ResolveSRS, data/ingest/srs.go).
//  3. Plan the columns: the target table's description says which columns
//     are required and which constraints to evaluate (describe,
//     import_table.go); the file's columns are mapped to the layer's fields
//     (ingest.MapColumns, data/ingest/columns.go).
//  4. In one transaction, read the file: each record is parsed, mapped,
//     its values converted and its coordinates checked (GCJ-02/BD-09
//     converted) on a reading goroutine (ingest.Converter: Read in
//     data/ingest/read.go, Convert in convert.go, value.go, geometry.go),
//     and COPYed as it comes (import_copy.go), either
//     a. straight into the layer's table inside a savepoint, when nothing
//     needs SQL before the insert (import_direct.go), a large load
//     rebuilding indexes after and logging changes per cell
//     (import_bulk.go); the first problem rolls back to the savepoint and
//     the import starts again through b; or
//     b. into a staging table (import_staging.go), where set-based SQL
//     transforms projected input, repairs geometry, resolves references
//     and evaluates the table's own NOT NULL, CHECK and foreign-key
//     constraints and keys on every row, reporting each problem with its
//     row (import_check.go); then the good rows are written, skipped or
//     upserted (import_write.go).
//  5. Finish: a dry run, or errors in reject mode, roll everything back;
//     otherwise the provenance row gets its row count and the report the
//     layer's new tile version (finish, below). The layer's triggers have
//     bumped that version and logged the changes that mark villages stale
//     for re-scoring.
//
// A crash or a killed process at any point leaves the database as it was.

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gapmap/gapmap/data/catalog"
	"github.com/gapmap/gapmap/data/ingest"
	"github.com/gapmap/gapmap/geo"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
)

// importLockKey serialises imports into the same layer: two concurrent
// imports could otherwise both find a key absent and then collide.
const importLockKey = 0x67617069 // "gapi"

// Import implements planning.ImportStore.
func (s *Store) Import(ctx context.Context, path string, opt planning.ImportOptions) (planning.ImportReport, error) {
	start := time.Now()
	layer := s.layers.Layer(opt.Layer)
	if layer == nil {
		return planning.ImportReport{}, planning.Errorf(planning.ENotFound, "没有可导入的图层 %q；可导入：%s", opt.Layer, strings.Join(s.layers.Tables(), "、"))
	}
	if err := s.allow(ctx, access.LayerEdit, access.Object{Layer: opt.Layer}); err != nil {
		return planning.ImportReport{}, err
	}
	pr, _ := access.From(ctx)
	mode, err := planning.ParseImportMode(string(opt.Mode))
	if err != nil {
		return planning.ImportReport{}, err
	}
	name := opt.Name
	if name == "" {
		name = filepath.Base(path)
	}
	rep := planning.ImportReport{Layer: opt.Layer, File: name, Mode: mode, DryRun: opt.DryRun, Problems: []planning.ImportProblem{}}

	// 1. Open the file, and name the dataset its feature ids belong to.
	openOpt := ingest.OpenOptions{Encoding: opt.Encoding}
	src, info, err := ingest.OpenWith(path, name, layer.Table, openOpt)
	if err != nil {
		return rep, err
	}
	defer func() { src.Close() }()
	rep.Format, rep.Encoding = info.Format, info.Encoding
	if err := ingest.ResolveSource(opt.Source, &info, &rep); err != nil {
		return rep, err
	}

	// 2. Its coordinate system.
	srs, how, err := ingest.ResolveSRS(opt.SRS, info)
	if err != nil {
		return rep, err
	}
	rep.SRS = srs.Name + "（" + how + "）"

	// 3. Which file column fills which field, given what the table requires.
	table, err := s.describe(ctx, layer.Table)
	if err != nil {
		return rep, err
	}
	cols, err := ingest.MapColumns(layer, info, opt.Mapping, table.required(), &rep)
	if err != nil {
		return rep, err
	}
	conv := ingest.NewConverter(cols, srs, &rep)
	im := &importer{layer: layer, layers: s.layers.Catalog, table: table, conv: conv, cols: conv.Fields(), srs: srs, rep: &rep,
		size: info.Size, progress: opt.Progress, log: s.log, actor: pr.Via + ":" + pr.Login, attribution: credit(info.Attribution, opt.Attribution), dryRun: opt.DryRun,
		margin: opt.MarginMetres, strict: opt.Strict}
	if im.margin <= 0 {
		im.margin = planning.DefaultMarginMetres
	}
	if opt.SRS == "" && srs.Datum == geo.DatumWGS84 {
		// A user who names the coordinate system has looked.
		im.dataV = ingest.DataVFields(info.Fields)
	}

	// 4. Read it into the table, directly or through the staging table.
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if !opt.ValidFrom.IsZero() {
			if err := SetEffective(ctx, tx, opt.ValidFrom.Format(time.DateOnly)); err != nil {
				return err
			}
		}
		if err := im.begin(ctx, tx); err != nil {
			return err
		}
		// The triggers of migration 0035 clear the set predictions an
		// import into the projects layer makes stale, as they do an
		// edit's; each cleared one gets its audit entry (auditCleared).
		var preds map[int64]setPrediction
		if layer.Table == "projects" {
			var err error
			if preds, err = standingPredictions(ctx, tx); err != nil {
				return err
			}
		}
		done := false
		if im.directable() {
			before := rep
			var err error
			if done, err = im.tryDirect(ctx, tx, src); err != nil {
				return err
			}
			if !done { // start again through the staging table
				phases := rep.Phases
				rep, rep.Phases = before, phases
				src.Close()
				if src, _, err = ingest.OpenWith(path, name, layer.Table, openOpt); err != nil {
					return err
				}
			}
		}
		if !done {
			if err := im.viaStaging(ctx, tx, src, mode); err != nil {
				return err
			}
		}
		// 5. Finish.
		if opt.DryRun {
			return errRollback
		}
		if err := im.finish(ctx, tx); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, auditEntry{Action: "layer.import", Kind: "layer", ID: opt.Layer,
			Detail: map[string]any{"file": name, "mode": mode, "format": rep.Format, "srs": rep.SRS, "source_id": rep.SourceID,
				"inserted": rep.Inserted, "updated": rep.Updated, "unchanged": rep.Unchanged, "skipped": rep.Skipped}}); err != nil {
			return err
		}
		return s.auditCleared(ctx, tx, preds)
	})
	switch {
	case errors.Is(err, errRollback):
		if opt.DryRun {
			rep.SourceID, rep.DataVersion = 0, 0
		} else {
			rep.Inserted, rep.Updated, rep.Unchanged, rep.Skipped = 0, 0, 0, 0
		}
	case err != nil:
		var pe *planning.Error
		if errors.As(err, &pe) {
			return rep, err
		}
		return rep, translate(err, "import "+opt.Layer)
	default:
		rep.Committed = true
	}
	if rep.Committed && rep.Inserted+rep.Updated >= analyzeRows {
		// The planner must see the new rows before the next scoring run:
		// autovacuum analyses only after a delay (or never, where it is
		// off), and until then a bulk-loaded layer is planned as the small
		// table it was — a 200,000-road upsert made every API scoring run
		// time out.
		analyzeStart := time.Now()
		if _, err := s.pool.Exec(ctx, "ANALYZE "+pgx.Identifier{layer.Table}.Sanitize()); err != nil {
			return rep, translate(err, "analyse "+opt.Layer)
		}
		s.log.Debug("import: layer analysed", "layer", opt.Layer, "ms", time.Since(analyzeStart).Milliseconds())
	}
	rep.Summarise(time.Since(start))
	// The low-zoom road tables are not rebuilt here: tiles read them only
	// while current, and the server rebuilds them when it hears the
	// version bump (cmd/gapmap followVersions).
	return rep, nil
}

// analyzeRows is how many inserted or updated rows make an import refresh
// its layer's planner statistics at once (fewer are autovacuum's to see).
const analyzeRows = 1000

// importer is the PostGIS stage of one import.
type importer struct {
	layer       *catalog.Layer
	layers      *catalog.Catalog // for the titles of referenced tables
	table       *tableDesc
	conv        *ingest.Converter
	cols        []string // the fields the import fills (conv.Fields()): staged in this order after row_no, part, fid, geom
	srs         geo.SRS
	rep         *planning.ImportReport
	size        int64 // the file's size in bytes
	progress    func(int64)
	log         *slog.Logger
	actor       string       // who imports, for the provenance row
	attribution string       // the credit the file's source requires
	sourceID    int64        // the provenance row's id, reserved by begin
	bad         map[int]bool // rows with an error found in SQL
	skip        map[int]bool // rows left out because their key exists (skip mode)
	dryRun      bool         // list the rows an upsert would update or leave unchanged
	// Where the rows lie (import_spatial.go).
	county     countyArea
	margin     float64    // metres outside the county a row may lie
	strict     bool       // suspicions are errors and the import writes nothing
	dataV      []string   // the DataV fields the file carries, when read as WGS-84 without --srs
	gcj        gcjVerdict // what the GCJ-02 offset test measured
	suspectErr bool       // a spatial finding is an error: write nothing
}

// begin prepares the import's transaction: it takes the layer's import
// lock and reserves the provenance row's id. The row itself is written
// only once the import holds the locks a bulk load takes (beginBulk), so
// that two imports never wait on sources for each other.
func (im *importer) begin(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, importLockKey, im.layer.Table); err != nil {
		return err
	}
	// The key checks sort and hash every staged row.
	if _, err := tx.Exec(ctx, `SET LOCAL work_mem = '64MB'`); err != nil {
		return err
	}
	im.rep.Phases = map[string]float64{}
	if err := im.loadCounty(ctx, tx); err != nil {
		return err
	}
	if !im.county.loaded && im.layer.Table != "counties" {
		im.rep.Add(planning.ImportProblem{Field: "geom", Severity: planning.SeverityNotice,
			Reason: "尚未加载县界：未检查数据是否在县域内（县界外、其他省份、范围过大）", Hint: "先导入县界（--layer counties），再导入其他图层"})
	}
	return tx.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('sources', 'id'))`).Scan(&im.sourceID)
}

// writeSource writes the provenance row of the rows the import writes.
func (im *importer) writeSource(ctx context.Context, tx pgx.Tx) error {
	rep := im.rep
	detail := map[string]any{
		"layer": rep.Layer, "format": rep.Format, "encoding": rep.Encoding, "srs": rep.SRS,
		"mode": string(rep.Mode), "actor": im.actor, "columns": rep.Columns,
	}
	if im.attribution != "" {
		detail["attribution"] = im.attribution
	}
	_, err := tx.Exec(ctx, `INSERT INTO sources (id, kind, name, version, detail) OVERRIDING SYSTEM VALUE VALUES ($1, 'import', $2, $3, $4)`,
		im.sourceID, rep.File, time.Now().UTC().Format(time.RFC3339), detail)
	return err
}

// finish records the rows read on the import's provenance row and reads
// the layer's new tile version.
func (im *importer) finish(ctx context.Context, tx pgx.Tx) error {
	rep := im.rep
	rep.SourceID = im.sourceID
	if _, err := tx.Exec(ctx, `UPDATE sources SET detail = detail || jsonb_build_object('rows', $2::bigint) WHERE id = $1`, rep.SourceID, rep.Read); err != nil {
		return err
	}
	return tx.QueryRow(ctx, `SELECT coalesce((SELECT version FROM layer_versions WHERE layer = $1), 0)`, rep.Layer).Scan(&rep.DataVersion)
}

// errRollback ends the import transaction without an error to report.
var errRollback = errors.New("import rolled back")

// credit joins the credit a format carries (OSM) with the one the user
// declares for the file, each once.
func credit(format, declared string) string {
	declared = strings.TrimSpace(declared)
	switch {
	case declared == "" || declared == format:
		return format
	case format == "":
		return declared
	}
	return format + "; " + declared
}
