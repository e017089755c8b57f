package data_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/gapmap/gapmap/data/catalog"
	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/data/gdaltest"
	"github.com/gapmap/gapmap/data/ingest"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/tiles"
)

// arcgisRoad is one road of an ArcGIS-style export.
type arcgisRoad struct {
	id             int
	name, surface  string
	grade          string
	x0, y0, x1, y1 float64
}

// arcgisRoads writes roads as an ArcGIS export looks: a shapefile named
// name.shp in a directory of its own, GBK attribute table with Chinese
// column names, features numbered OBJECTID 1..n. GDAL writes it.
func arcgisRoads(t *testing.T, name string, roads []arcgisRoad) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("OBJECTID,道路名称,行政等级,路面类型,WKT\n")
	for _, r := range roads {
		fmt.Fprintf(&b, "%d,%s,%s,%s,\"LINESTRING(%.6f %.6f, %.6f %.6f)\"\n", r.id, r.name, r.grade, r.surface, r.x0, r.y0, r.x1, r.y1)
	}
	src := writeFile(t, "src.csv", b.String())
	dir := t.TempDir()
	out := filepath.Join(dir, name+".shp")
	gdaltest.Run(t, "ogr2ogr", "-f", "ESRI Shapefile", "-lco", "ENCODING=GBK", "-a_srs", "EPSG:4326", out, src,
		"-oo", "GEOM_POSSIBLE_NAMES=WKT", "-oo", "KEEP_GEOM_COLUMNS=NO", "-oo", "AUTODETECT_TYPE=YES", "-nln", name)
	return out
}

// county is three roads of a county, OBJECTID 1..3, starting at x, y.
func county(x, y float64, surface string) []arcgisRoad {
	var out []arcgisRoad
	for i := 1; i <= 3; i++ {
		d := float64(i) * 0.01
		out = append(out, arcgisRoad{id: i, name: fmt.Sprintf("%d号路", i), grade: "村道", surface: surface, x0: x + d, y0: y, x1: x + d, y1: y + 0.005})
	}
	return out
}

// roadsOf is the source's roads as "id name surface" lines, by id, read
// with SQL apart from the importer.
func roadsOf(t *testing.T, db *datatest.DB, source string) string {
	t.Helper()
	var s string
	err := db.Pool.QueryRow(datatest.Context(), `SELECT coalesce(string_agg(concat_ws(' ', ext_id, name, surface, ST_AsText(geom, 4), updated_at), E'\n' ORDER BY ext_id), '')
		FROM roads WHERE source_key = $1`, source).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestImportKeysBySource: two counties' ArcGIS exports, both numbering
// their roads OBJECTID 1..3, go into one layer side by side (the second
// was refused as existing before issue 17); an upsert of the first file
// updates its own rows only; a third county's file that happens to have
// the first one's name is refused with a hint that names the distance and
// --source, never upsert; under its own --source it goes in.
func TestImportKeysBySource(t *testing.T) {
	db := datatest.New(t)
	ctx := datatest.Context()
	linxiang := arcgisRoads(t, "临湘道路", county(113.50, 29.50, "水泥"))
	pingjiang := arcgisRoads(t, "平江道路", county(113.60, 28.70, "沥青"))

	a, err := db.Store.Import(ctx, linxiang, planning.ImportOptions{Layer: "roads"})
	if err != nil || !a.Committed || a.Inserted != 3 || a.Source != "临湘道路" || a.Phases["direct"] == 0 {
		t.Fatalf("first county: %v %+v\n%s", err, a, problemsText(a))
	}
	b, err := db.Store.Import(ctx, pingjiang, planning.ImportOptions{Layer: "roads"})
	if err != nil || !b.Committed || b.Inserted != 3 || b.Source != "平江道路" || b.Phases["direct"] == 0 {
		t.Fatalf("second county, same OBJECTIDs: %v %+v\n%s", err, b, problemsText(b))
	}
	var rows, sources int
	db.Pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT source_key) FROM roads WHERE ext_id IN ('1', '2', '3')`).Scan(&rows, &sources)
	if rows != 6 || sources != 2 {
		t.Fatalf("%d roads in %d sources, want both files' 3 each", rows, sources)
	}
	before := roadsOf(t, db, "平江道路")

	// A new version of the first county's file: road 2 is now asphalt.
	v2 := county(113.50, 29.50, "水泥")
	v2[1].surface = "沥青"
	up, err := db.Store.Import(ctx, arcgisRoads(t, "临湘道路", v2), planning.ImportOptions{Layer: "roads", Mode: planning.ImportUpsert})
	if err != nil || !up.Committed || up.Updated != 1 || up.Unchanged != 2 || up.Inserted != 0 {
		t.Fatalf("upsert of the first file: %v %+v\n%s", err, up, problemsText(up))
	}
	if got := roadsOf(t, db, "平江道路"); got != before {
		t.Errorf("the upsert changed the other county's roads:\n%s\n→\n%s", before, got)
	}
	var surface string
	db.Pool.QueryRow(ctx, `SELECT surface FROM roads WHERE source_key = '临湘道路' AND ext_id = '2'`).Scan(&surface)
	if surface != "沥青" {
		t.Errorf("road 2 of 临湘道路 is %q, want 沥青", surface)
	}

	// A third county's export that shares the first one's file name.
	snap := snapshot(t, db)
	other := arcgisRoads(t, "临湘道路", county(112.90, 29.20, "土"))
	c, err := db.Store.Import(ctx, other, planning.ImportOptions{Layer: "roads"})
	if err != nil || c.Committed || c.Rejected != 3 {
		t.Fatalf("same name, other county: %v %+v", err, c)
	}
	p, ok := findProblem(c, 1, "数据库中已存在（来源数据集“临湘道路”")
	if !ok || p.Value != "1" || !strings.Contains(p.Hint, "公里外") || !strings.Contains(p.Hint, "--source") || strings.Contains(p.Hint, "--mode upsert") {
		t.Errorf("the hint for a file that only shares the name: %+v\n%s", p, problemsText(c))
	}
	if snapshot(t, db) != snap {
		t.Fatal("the refused import changed the database")
	}
	c, err = db.Store.Import(ctx, other, planning.ImportOptions{Layer: "roads", Source: "岳阳县道路"})
	if err != nil || !c.Committed || c.Inserted != 3 || c.Source != "岳阳县道路" {
		t.Fatalf("under its own --source: %v %+v\n%s", err, c, problemsText(c))
	}
	// The first county's own file again, unchanged: the hint suggests the
	// upsert, which is safe here.
	same, err := db.Store.Import(ctx, arcgisRoads(t, "临湘道路", v2), planning.ImportOptions{Layer: "roads"})
	if err != nil || same.Committed {
		t.Fatalf("same file again: %v %+v", err, same)
	}
	if p, ok := findProblem(same, 1, "数据库中已存在"); !ok || !strings.Contains(p.Hint, "--mode upsert") || strings.Contains(p.Hint, "公里外") {
		t.Errorf("the hint for the same dataset: %+v", p)
	}
}

// TestImportDryRunCounts: a dry run of an upsert says exactly how many
// rows would be inserted, updated and left unchanged, listing the keys;
// the real import then does exactly that, as SQL on the table shows
// (updated_at and the change log move for the changed and new rows
// only). A dry run in skip mode counts the rows it would skip.
func TestImportDryRunCounts(t *testing.T) {
	db := datatest.New(t)
	ctx := datatest.Context()
	first, err := db.Store.Import(ctx, arcgisRoads(t, "临湘道路", county(113.50, 29.50, "水泥")), planning.ImportOptions{Layer: "roads"})
	if err != nil || first.Inserted != 3 {
		t.Fatalf("%v %+v", err, first)
	}
	// Road 1 changes, 2 and 3 stay, 4 is new, 5 has a grade the schema
	// refuses.
	next := county(113.50, 29.50, "水泥")
	next[0].surface = "砂石"
	next = append(next, arcgisRoad{id: 4, name: "4号路", grade: "村道", surface: "水泥", x0: 113.55, y0: 29.5, x1: 113.55, y1: 29.51},
		arcgisRoad{id: 5, name: "5号路", grade: "机耕道", surface: "土", x0: 113.56, y0: 29.5, x1: 113.56, y1: 29.51})
	path := arcgisRoads(t, "临湘道路", next)
	snap := snapshot(t, db)
	dry, err := db.Store.Import(ctx, path, planning.ImportOptions{Layer: "roads", Mode: planning.ImportUpsert, DryRun: true})
	if err != nil || dry.Committed || dry.Inserted != 1 || dry.Updated != 1 || dry.Unchanged != 2 || dry.Rejected != 1 {
		t.Fatalf("dry run: %v %+v\n%s", err, dry, problemsText(dry))
	}
	if snapshot(t, db) != snap {
		t.Fatal("the dry run changed the database")
	}
	for _, c := range []struct {
		row  int
		want string
	}{{1, "将更新"}, {2, "将保持不变"}, {3, "将保持不变"}} {
		if p, ok := findProblem(dry, c.row, c.want); !ok || p.Severity != planning.SeverityNotice || p.Value != strconv.Itoa(c.row) || p.Field != "ext_id" {
			t.Errorf("row %d: no notice %q:\n%s", c.row, c.want, problemsText(dry))
		}
	}
	if !strings.Contains(dry.Message, "将新增 1 行、更新 1 行、2 行与已有记录相同不变") {
		t.Errorf("message %q", dry.Message)
	}

	var idsBefore map[string]string
	stamps := func() map[string]string {
		out := map[string]string{}
		rows, _ := db.Pool.Query(ctx, `SELECT ext_id, updated_at::text FROM roads WHERE source_key = '临湘道路'`)
		for rows.Next() {
			var id, at string
			rows.Scan(&id, &at)
			out[id] = at
		}
		return out
	}
	idsBefore = stamps()
	var watermark int64
	db.Pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM layer_changes`).Scan(&watermark)
	real, err := db.Store.Import(ctx, path, planning.ImportOptions{Layer: "roads", Mode: planning.ImportUpsert})
	if err != nil || !real.Committed || real.Inserted != dry.Inserted || real.Updated != dry.Updated || real.Unchanged != dry.Unchanged {
		t.Fatalf("the import did not do what its dry run said: %v %+v", err, real)
	}
	after := stamps()
	if len(after) != 4 || after["2"] != idsBefore["2"] || after["3"] != idsBefore["3"] || after["1"] == idsBefore["1"] {
		t.Errorf("updated_at before %v after %v: only road 1 should have changed, and 4 be new", idsBefore, after)
	}
	var changed []string
	rows, _ := db.Pool.Query(ctx, `SELECT DISTINCT r.ext_id FROM layer_changes c JOIN roads r ON r.id = c.row_id
		WHERE c.id > $1 AND c.layer = 'roads' ORDER BY 1`, watermark)
	for rows.Next() {
		var id string
		rows.Scan(&id)
		changed = append(changed, id)
	}
	if !slices.Equal(changed, []string{"1", "4"}) {
		t.Errorf("changes logged for roads %v, want 1 and 4: an unchanged row marks no village stale", changed)
	}

	skip, err := db.Store.Import(ctx, path, planning.ImportOptions{Layer: "roads", Mode: planning.ImportSkip, DryRun: true})
	if err != nil || skip.Skipped != 4 || skip.Inserted != 0 || skip.Rejected != 1 {
		t.Errorf("skip dry run: %v %+v", err, skip)
	}
}

// TestImportOSMLineVoltages: OSM power lines with the voltage only in
// the name ("220kV立头-桂水", "110kV嘉栗线", real names of Hunan lines)
// load with that voltage, a line with none loads with the voltage
// unknown (NULL), and the report counts both.
func TestImportOSMLineVoltages(t *testing.T) {
	db := datatest.New(t)
	ctx := datatest.Context()
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<osm version="0.6" generator="test">` + "\n")
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&b, ` <node id="%d" lat="29.%02d" lon="113.%02d"/>`+"\n", i, 40+i, 40+i)
	}
	line := func(id, a, z int, tags ...string) {
		fmt.Fprintf(&b, ` <way id="%d"><nd ref="%d"/><nd ref="%d"/>`, id, a, z)
		for i := 0; i < len(tags); i += 2 {
			fmt.Fprintf(&b, `<tag k="%s" v="%s"/>`, tags[i], tags[i+1])
		}
		b.WriteString("</way>\n")
	}
	line(10, 1, 2, "power", "line", "name", "220kV立头-桂水")
	line(11, 2, 3, "power", "line", "name", "110kV嘉栗线")
	line(12, 3, 4, "power", "line", "voltage", "35000", "name", "35kV聂市线")
	line(13, 4, 5, "power", "line")
	line(14, 5, 6, "power", "minor_line", "name", "10kV白羊线")
	line(15, 6, 7, "power", "cable", "ref", "10kV")
	b.WriteString("</osm>\n")
	path := writeFile(t, "lines.osm", b.String())

	rep, err := db.Store.Import(ctx, path, planning.ImportOptions{Layer: "power_lines"})
	if err != nil || !rep.Committed || rep.Inserted != 6 {
		t.Fatalf("%v %+v\n%s", err, rep, problemsText(rep))
	}
	got := map[string]string{}
	rows, _ := db.Pool.Query(ctx, `SELECT ext_id, coalesce(voltage_kv::text, 'NULL') FROM power_lines WHERE source_key = 'osm'`)
	for rows.Next() {
		var id, kv string
		rows.Scan(&id, &kv)
		got[id] = kv
	}
	want := map[string]string{"osm:way/10": "220", "osm:way/11": "110", "osm:way/12": "35", "osm:way/13": "NULL", "osm:way/14": "10", "osm:way/15": "10"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("voltages %v, want %v", got, want)
	}
	for _, note := range []string{"2 个 OSM 要素已导入，但 power=line 未标 voltage，电压取自名称", "1 个 OSM 要素已导入，但 power=minor_line 未标 voltage，电压取自名称",
		"1 个 OSM 要素已导入，但 power=cable 未标 voltage，电压取自编号（ref）", "1 个 OSM 要素已导入，但 power=line 未标电压（名称和编号中也没有），按电压未知导入"} {
		if _, ok := findProblem(rep, 0, note); !ok {
			t.Errorf("no %q:\n%s", note, problemsText(rep))
		}
	}
}

// TestImportRoadsWithoutAttributes: 200 real satellite-extracted roads
// of 陇西县 (no .prj, no name, grade, surface or width) load with those
// unknown (NULL), as many as GDAL counts and as long; tiles draw them from
// z12, as the least grade; re-imported, they are the same rows.
func TestImportRoadsWithoutAttributes(t *testing.T) {
	db := datatest.New(t)
	ctx := datatest.Context()
	path := realData + "longxi_edges_200.shp"
	rep, err := db.Store.Import(ctx, path, planning.ImportOptions{Layer: "roads"})
	if err != nil || !rep.Committed {
		t.Fatalf("%v %+v\n%s", err, rep, problemsText(rep))
	}
	out := gdaltest.Run(t, "ogrinfo", "-ro", "-al", "-dialect", "sqlite", "-sql",
		"SELECT count(*) AS n, printf('%.9f', sum(ST_Length(geometry))) AS len FROM longxi_edges_200", path)
	var n int
	var length float64
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), " = "); ok {
			switch {
			case strings.HasPrefix(k, "n "):
				n, _ = strconv.Atoi(v)
			case strings.HasPrefix(k, "len "):
				length, _ = strconv.ParseFloat(v, 64)
			}
		}
	}
	var stored, unknown int
	var storedLen float64
	db.Pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE grade IS NULL AND surface IS NULL AND width_m IS NULL AND name = ''), sum(ST_Length(geom))
		FROM roads WHERE source_id = $1`, rep.SourceID).Scan(&stored, &unknown, &storedLen)
	if n != 200 || stored != n || unknown != n || rep.Inserted != int64(n) || fmt.Sprintf("%.9f", storedLen) != fmt.Sprintf("%.9f", length) {
		t.Errorf("GDAL: %d roads %.9f°; stored %d, %d with grade, surface and width unknown, %.9f°\n%s", n, length, stored, unknown, storedLen, out)
	}

	roads := tiles.CatalogLayers(catalog.Default())
	i := slices.IndexFunc(roads, func(l tiles.Layer) bool { return l.ID == "roads" })
	var at orb.Point
	db.Pool.QueryRow(ctx, `SELECT ST_X(ST_StartPoint(geom)), ST_Y(ST_StartPoint(geom)) FROM roads WHERE source_id = $1 ORDER BY id LIMIT 1`, rep.SourceID).Scan(&at[0], &at[1])
	count := func(z int) int {
		tile := maptile.At(at, maptile.Zoom(z))
		raw, _, err := db.Store.Tile(ctx, tiles.Request{Layers: roads[i : i+1], Z: z, X: int(tile.X), Y: int(tile.Y)})
		if err != nil {
			t.Fatal(err)
		}
		layers, err := mvt.Unmarshal(raw)
		if err != nil {
			t.Fatal(err)
		}
		if len(layers) == 0 {
			return 0
		}
		return len(layers[0].Features)
	}
	if z11, z12 := count(11), count(12); z11 != 0 || z12 == 0 {
		t.Errorf("roads of unknown grade in tiles: %d at z11, %d at z12; want none, then some", z11, z12)
	}

	again, err := db.Store.Import(ctx, path, planning.ImportOptions{Layer: "roads", Mode: planning.ImportUpsert})
	if err != nil || again.Unchanged != 200 || again.Inserted != 0 || again.Updated != 0 {
		t.Errorf("re-import: %v %+v", err, again)
	}
}

// TestImportVillageLongNames: the code list's long names are stored short,
// with the kind they name, as SQL on the table reads them.
func TestImportVillageLongNames(t *testing.T) {
	db := datatest.New(t)
	loadFixture(t, db)
	ctx := datatest.Context()
	path := writeFile(t, "村.csv", "村代码,村名称,经度,纬度\n"+
		"430682101203,罗巷村民委员会,113.50,29.50\n"+
		"430682101001,桂花社区居民委员会,113.51,29.50\n"+
		"430682101221,罗巷新村村民委委会,113.52,29.50\n"+
		"430682101598,红色农场虚拟生活区,113.53,29.50\n"+
		"430682101002,湖塘鱼场居民委员会,113.54,29.50\n")
	rep, err := db.Store.Import(ctx, path, planning.ImportOptions{Layer: "villages"})
	if err != nil || !rep.Committed || rep.Inserted != 5 {
		t.Fatalf("%v %+v\n%s", err, rep, problemsText(rep))
	}
	var got string
	db.Pool.QueryRow(ctx, `SELECT string_agg(code || ' ' || name || ' ' || kind, E'\n' ORDER BY code) FROM villages WHERE source_id = $1`, rep.SourceID).Scan(&got)
	want := "430682101001 桂花社区 社区\n430682101002 湖塘鱼场居委会 社区\n430682101203 罗巷村 行政村\n430682101221 罗巷新村 行政村\n430682101598 红色农场虚拟生活区 行政村"
	if got != want {
		t.Errorf("stored\n%s\nwant\n%s", got, want)
	}
}

// TestMigrationSourceKey runs migration 0013 over rows an earlier version
// imported: each row with an ext_id gets the source key a new import of
// its file computes (ingest.DefaultSource of the provenance row's name,
// osm for OSM ids), rows without one keep none, nothing is logged as a
// change, and the ext_id indexes are what the importer relies on.
func TestMigrationSourceKey(t *testing.T) {
	db := datatest.New(t)
	ctx := datatest.Context()
	// Back to the schema before 0013.
	mustExec(t, db, `DO $$
	DECLARE t text;
	BEGIN
		FOREACH t IN ARRAY ARRAY['counties', 'townships', 'villages', 'roads', 'bridges', 'bus_stops',
			'reservoirs', 'water_works', 'water_mains', 'substations', 'power_lines', 'transformers',
			'pv_stations', 'tourism_sites', 'projects']
		LOOP
			EXECUTE format('DROP INDEX IF EXISTS %I', t || '_ext_id_key');
			EXECUTE format('ALTER TABLE %I DROP COLUMN source_key', t);
			EXECUTE format('CREATE UNIQUE INDEX %I ON %I (ext_id) WHERE ext_id IS NOT NULL', t || '_ext_id_key', t);
		END LOOP;
	END $$`)
	mustExec(t, db, `ALTER TABLE roads ALTER COLUMN grade SET NOT NULL`)
	mustExec(t, db, `ALTER TABLE power_lines ALTER COLUMN voltage_kv SET NOT NULL`)
	names := []string{"道路.shp", "Roads.SHP.ZIP", "roads.shp.zip", "a.b.csv", ".csv", "道路2", " 道路3 .geojson", "linxiang.osm.pbf"}
	for i, name := range names {
		ext := fmt.Sprintf("e%d", i)
		if strings.HasSuffix(name, ".pbf") {
			ext = "osm:way/1"
		}
		mustExec(t, db, `WITH s AS (INSERT INTO sources (kind, name) VALUES ('import', $1) RETURNING id)
			INSERT INTO roads (grade, ext_id, geom, source_id) SELECT '村道', $2, ST_GeomFromText('LINESTRING(113.5 29.5, 113.6 29.6)', 4490), id FROM s`, name, ext)
	}
	mustExec(t, db, `INSERT INTO roads (grade, geom, source_id) SELECT '村道', ST_GeomFromText('LINESTRING(113.5 29.5, 113.6 29.6)', 4490), min(id) FROM sources`)
	var changes, version int64
	var stamps string
	state := func() (int64, int64, string) {
		var c, v int64
		var s string
		db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM layer_changes), (SELECT coalesce(sum(version), 0) FROM layer_versions),
			(SELECT string_agg(updated_at::text, ',' ORDER BY id) FROM roads)`).Scan(&c, &v, &s)
		return c, v, s
	}
	changes, version, stamps = state()
	sql, err := os.ReadFile("migrations/0013_source_key.sql")
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, string(sql))

	rows, err := db.Pool.Query(ctx, `SELECT s.name, r.ext_id, r.source_key FROM roads r JOIN sources s ON s.id = r.source_id ORDER BY r.id`)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for rows.Next() {
		var name string
		var ext, key *string
		rows.Scan(&name, &ext, &key)
		n++
		switch {
		case ext == nil:
			if key != nil {
				t.Errorf("a row without ext_id got source %q", *key)
			}
		case strings.HasPrefix(*ext, "osm:"):
			if key == nil || *key != "osm" {
				t.Errorf("OSM row: source %v", key)
			}
		case key == nil || *key != ingest.DefaultSource(name):
			t.Errorf("file %q: source %v, a new import computes %q", name, key, ingest.DefaultSource(name))
		}
	}
	if n != len(names)+1 {
		t.Fatalf("%d rows", n)
	}
	if c, v, s := state(); c != changes || v != version || s != stamps {
		t.Errorf("the migration logged changes (%d → %d), bumped versions (%d → %d) or touched rows", changes, c, version, v)
	}
	var roadsKey, villagesKey string
	db.Pool.QueryRow(ctx, `SELECT coalesce((SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'roads_ext_id_key'), ''),
		coalesce((SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'villages_ext_id_key'), '')`).Scan(&roadsKey, &villagesKey)
	if !strings.Contains(roadsKey, "UNIQUE INDEX") || !strings.Contains(roadsKey, "(source_key, ext_id)") || villagesKey != "" {
		t.Errorf("roads key %q, villages key %q", roadsKey, villagesKey)
	}
	// A row with an ext_id and no source is refused.
	if _, err := db.Pool.Exec(ctx, `INSERT INTO roads (ext_id, geom, source_id) VALUES ('x', ST_GeomFromText('LINESTRING(113.5 29.5, 113.6 29.6)', 4490), 1)`); err == nil ||
		!strings.Contains(err.Error(), "roads_source_key_check") {
		t.Errorf("ext_id without source: %v", err)
	}
}
