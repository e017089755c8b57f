package data_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/gapmap/gapmap/data/catalog"
	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/tiles"
)

// wellsMigration is what a new layer's migration holds, by the schema's
// conventions (see 0001_init, 0002_scoring, 0010_ext_id, 0013_source_key):
// provenance and timestamps, the validity-checked geometry with its GiST
// index, its Web Mercator copy that tiles read (0028), the feature id
// within its source as key, a CHECK named
// <table>_<column>_check, the updated_at trigger
// and the layer version tiles key their caches on. Scoring does not read
// wells, so no change-log triggers (0003).
const wellsMigration = `
CREATE TABLE wells (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL DEFAULT '',
    depth_m    double precision CONSTRAINT wells_depth_m_check CHECK (depth_m > 0 AND depth_m <= 500),
    geom       geometry(Point, 4490) NOT NULL,
    geom_3857  geometry(Point, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED,
    ext_id     text CONSTRAINT wells_ext_id_check CHECK (btrim(ext_id) <> ''),
    source_key text CONSTRAINT wells_source_key_check CHECK (CASE WHEN source_key IS NULL THEN ext_id IS NULL ELSE btrim(source_key) <> '' END),
    source_id  bigint NOT NULL REFERENCES sources (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX wells_geom_gist ON wells USING gist (geom);
CREATE INDEX wells_geom_3857_gist ON wells USING gist (geom_3857);
CREATE INDEX wells_source_id_idx ON wells (source_id);
CREATE UNIQUE INDEX wells_ext_id_key ON wells (source_key, ext_id) WHERE ext_id IS NOT NULL;
CREATE TRIGGER wells_touch BEFORE UPDATE ON wells FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
INSERT INTO layer_versions (layer) VALUES ('wells');
CREATE TRIGGER wells_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON wells
    FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version();`

// wellsEntry is the new layer's one catalogue entry: 机井, points with a
// name and a depth.
var wellsEntry = catalog.Layer{Table: "wells", Title: "机井", GeomCol: "geom", Geometry: catalog.GeomPoint, Role: catalog.RolePoint, Key: catalog.ExtKey,
	Fields: []catalog.Field{
		{Column: "name", Title: "机井名称", Aliases: []string{"name", "机井名称", "井名", "名称"}, Tile: true},
		{Column: "depth_m", Title: "井深（米）", Kind: catalog.Float, Aliases: []string{"depth_m", "井深", "深度"}, Units: []string{"m", "米"},
			Check: "井深（米）必须大于0且不超过500", Tile: true},
		catalog.SourceKey,
		catalog.ExtID,
	},
	Tile: &catalog.Tile{MinZoom: 12},
}

// TestNewLayerNeedsOneEntry adds a layer as one catalogue entry plus its
// migration, and shows that, with no other code, the store lists it,
// imports it from GeoJSON and CSV with Chinese column names, rejects a bad
// value with the entry's reason, exports it with its Chinese titles, and
// draws it in tiles. The extended catalogue belongs to this test's Store:
// the built-in one, and every other test's Store, never see wells.
func TestNewLayerNeedsOneEntry(t *testing.T) {
	db := datatest.New(t)
	ctx := datatest.Context()
	mustExec(t, db, wellsMigration)
	cat, err := catalog.Default().With(wellsEntry)
	if err != nil {
		t.Fatal(err)
	}
	st := db.Store.WithCatalog(cat)

	// Listed, with its title.
	layers, err := st.Layers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(layers, func(l planning.Layer) bool { return l.Name == "wells" })
	if i != len(layers)-1 || layers[i].Title != "机井" || layers[i].Geometry != "Point" || layers[i].Count != 0 {
		t.Fatalf("wells in the listing: %+v", layers)
	}

	// Imported from GeoJSON whose properties have Chinese names and units.
	gj := writeFile(t, "机井.geojson", `{"type": "FeatureCollection", "features": [
		{"type": "Feature", "properties": {"井名": "一号井", "井深(米)": "35m", "唯一编号": "w1"}, "geometry": {"type": "Point", "coordinates": [113.45, 29.48]}},
		{"type": "Feature", "properties": {"井名": "二号井", "井深(米)": "120米", "唯一编号": "w2"}, "geometry": {"type": "Point", "coordinates": [113.4502, 29.4801]}}]}`)
	rep, err := st.Import(ctx, gj, planning.ImportOptions{Layer: "wells"})
	if err != nil || !rep.Committed || rep.Inserted != 2 {
		t.Fatalf("GeoJSON import: %v %+v\n%s", err, rep, problemsText(rep))
	}
	var depths []float64
	if err := db.Pool.QueryRow(ctx, `SELECT array_agg(depth_m ORDER BY ext_id) FROM wells`).Scan(&depths); err != nil || !slices.Equal(depths, []float64{35, 120}) {
		t.Fatalf("stored depths %v (%v), want [35 120]", depths, err)
	}

	// A CSV with a depth the CHECK refuses and one that is no number:
	// both rejected, with the entry's reason.
	bad := writeFile(t, "机井.csv", "名称,深度,经度,纬度,要素编号\n三号井,-3,113.46,29.49,w3\n四号井,很深,113.47,29.49,w4\n五号井,80,113.48,29.49,w5\n")
	rep, err = st.Import(ctx, bad, planning.ImportOptions{Layer: "wells"})
	if err != nil || rep.Committed || rep.Rejected != 2 {
		t.Fatalf("CSV import with bad depths: %v %+v\n%s", err, rep, problemsText(rep))
	}
	for _, row := range []int{2, 3} {
		if p, ok := findProblem(rep, row, "井深（米）必须大于0且不超过500"); !ok || p.Field != "depth_m" {
			t.Errorf("row %d: the depth's reason is not reported:\n%s", row, problemsText(rep))
		}
	}
	rep, err = st.Import(ctx, bad, planning.ImportOptions{Layer: "wells", Mode: planning.ImportSkip})
	if err != nil || !rep.Committed || rep.Inserted != 1 {
		t.Fatalf("CSV import skipping bad rows: %v %+v\n%s", err, rep, problemsText(rep))
	}
	if layers, err = st.Layers(ctx); err != nil || layers[len(layers)-1].Count != 3 || layers[len(layers)-1].Extent == nil {
		t.Errorf("wells after the imports: %+v (%v)", layers[len(layers)-1], err)
	}

	// Exported with the fields' Chinese titles, and read back by the import.
	var csv bytes.Buffer
	if err := st.Export(ctx, &csv, planning.ExportOptions{Layers: []string{"wells"}, Format: "csv"}); err != nil {
		t.Fatal(err)
	}
	header, _, _ := strings.Cut(csv.String(), "\r\n")
	if header != "\uFEFFWKT,序号,机井名称,井深（米）,来源数据集,要素编号" || !strings.Contains(csv.String(), "POINT (113.45 29.48),1,一号井,35,机井,w1") {
		t.Errorf("CSV export:\n%s", csv.String())
	}
	back := filepath.Join(t.TempDir(), "wells.csv")
	if err := os.WriteFile(back, csv.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// Each row keeps its source (机井, not the export's file name): the
	// export's rows are the stored ones, unchanged.
	if rep, err = st.Import(ctx, back, planning.ImportOptions{Layer: "wells", Mode: planning.ImportUpsert, DryRun: true}); err != nil ||
		rep.Unchanged != 3 || rep.Updated != 0 || rep.Inserted != 0 {
		t.Errorf("re-import of the export: %v %+v\n%s", err, rep, problemsText(rep))
	}
	var gj2 bytes.Buffer
	if err := st.Export(ctx, &gj2, planning.ExportOptions{Layers: []string{"wells"}, Format: "geojson"}); err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []struct {
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(gj2.Bytes(), &fc); err != nil || len(fc.Features) != 3 || fc.Features[0].Properties["depth_m"] != 35.0 {
		t.Errorf("GeoJSON export: %v\n%s", err, gj2.String())
	}

	// Drawn in tiles, with its attributes.
	var wellsTile tiles.Layer
	for _, l := range tiles.CatalogLayers(cat) {
		if l.ID == "wells" {
			wellsTile = l
		}
	}
	if wellsTile.Title != "机井" || wellsTile.MinZoom != 12 || wellsTile.MaxZoom != tiles.MaxZoom || wellsTile.Fields["depth_m"] != "Number" {
		t.Fatalf("wells tile layer: %+v", wellsTile)
	}
	tile := maptile.At(orb.Point{113.45, 29.48}, 14)
	raw, cut, err := st.Tile(ctx, tiles.Request{Layers: []tiles.Layer{wellsTile}, Z: 14, X: int(tile.X), Y: int(tile.Y)})
	if err != nil || len(cut) != 0 {
		t.Fatalf("wells tile: %v, cut %v", err, cut)
	}
	decoded, err := mvt.Unmarshal(raw)
	if err != nil || len(decoded) != 1 || decoded[0].Name != "wells" || len(decoded[0].Features) != 2 {
		t.Fatalf("decoded wells tile: %v %+v", err, decoded)
	}
	props := decoded[0].Features[0].Properties
	if props["name"] != "一号井" || props["depth_m"] != 35.0 {
		t.Errorf("first well's attributes: %v", props)
	}
	versions, err := st.Versions(ctx)
	if err != nil || versions["wells"] < 2 {
		t.Errorf("wells version %d (%v), want bumped by the imports", versions["wells"], err)
	}

	// The built-in catalogue and the test database's own Store know
	// nothing of wells.
	if catalog.Default().Layer("wells") != nil || slices.ContainsFunc(tiles.Layers, func(l tiles.Layer) bool { return l.ID == "wells" }) {
		t.Error("the built-in catalogue or tile registry gained wells")
	}
	if _, err := db.Store.Import(ctx, gj, planning.ImportOptions{Layer: "wells"}); planning.ErrorCode(err) != planning.ENotFound {
		t.Errorf("the default Store imported wells: %v", err)
	}
}
