package api_test

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"

	"github.com/gapmap/gapmap/cmd/gapmap/api"
	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/data/demo"
	"github.com/gapmap/gapmap/data/gdaltest"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/tiles"
	"github.com/gapmap/gapmap/tiles/admit"
)

// countingSource counts the tile renders that reach the database.
type countingSource struct {
	tiles.Source
	renders atomic.Int64
}

func (c *countingSource) Tile(ctx context.Context, req tiles.Request) ([]byte, []string, error) {
	c.renders.Add(1)
	return c.Source.Tile(ctx, req)
}

type fixture struct {
	db     *datatest.DB
	src    *countingSource
	server *tiles.Service
	router http.Handler
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := datatest.NewDemo(t)
	if _, _, err := planning.Score(datatest.Context(), db.Store, planning.DefaultProfile(), demo.BaselineDate, true, nil); err != nil {
		t.Fatal(err)
	}
	src := &countingSource{Source: db.Store}
	s := tiles.NewService(src, tiles.NewCache(64<<20), 10*time.Second, admit.NewGate(2, 8, 2*time.Second))
	if err := s.Refresh(datatest.Context()); err != nil {
		t.Fatal(err)
	}
	r := newRouter(t, db.Store, func(c *api.Config) { c.Tiles = s })
	return &fixture{db: db, src: src, server: s, router: r}
}

func (f *fixture) get(t *testing.T, url string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	f.router.ServeHTTP(rec, req)
	return rec
}

// decodeTile reads a served tile into layers keyed by name, in tile coordinates.
func decodeTile(t *testing.T, rec *httptest.ResponseRecorder) map[string]*mvt.Layer {
	t.Helper()
	if rec.Code == http.StatusNoContent {
		return map[string]*mvt.Layer{}
	}
	if rec.Code != http.StatusOK {
		t.Fatalf("tile status %d: %s", rec.Code, rec.Body)
	}
	body := rec.Body.Bytes()
	if rec.Header().Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	layers, err := mvt.Unmarshal(body)
	if err != nil {
		t.Fatalf("decode tile: %v", err)
	}
	out := map[string]*mvt.Layer{}
	for _, l := range layers {
		out[l.Name] = l
	}
	return out
}

// seatTile returns the tile at zoom z holding the county seat.
func seatTile(t testing.TB, db *datatest.DB, z int) maptile.Tile {
	t.Helper()
	var lon, lat float64
	if err := db.Pool.QueryRow(datatest.Context(), `SELECT ST_X(seat), ST_Y(seat) FROM townships WHERE code = '430682001'`).Scan(&lon, &lat); err != nil {
		t.Fatal(err)
	}
	return maptile.At(orb.Point{lon, lat}, maptile.Zoom(z))
}

func tileURL(set string, tile maptile.Tile, query string) string {
	u := "/tiles/" + set + "/" + strconv.Itoa(int(tile.Z)) + "/" + strconv.Itoa(int(tile.X)) + "/" + strconv.Itoa(int(tile.Y)) + ".mvt"
	if query != "" {
		u += "?" + query
	}
	return u
}

// featureID returns a decoded feature's MVT id. orb decodes the wire's
// uint64 into a float64; it must be a whole number.
func featureID(t *testing.T, f *geojson.Feature) uint64 {
	t.Helper()
	id, ok := f.ID.(float64)
	if !ok || id != float64(uint64(id)) {
		t.Fatalf("feature id %v (%T), want an integer", f.ID, f.ID)
	}
	return uint64(id)
}

func TestReviewTileHasEveryLayerInOneRender(t *testing.T) {
	f := newFixture(t)
	tile := seatTile(t, f.db, 12)
	rec := f.get(t, tileURL("review", tile, ""), "Accept-Encoding", "gzip")
	layers := decodeTile(t, rec)
	for _, name := range []string{"county", "townships", "villages", "roads", "power_lines"} {
		l := layers[name]
		if l == nil || len(l.Features) == 0 {
			t.Errorf("layer %s missing or empty in the z12 review tile at the county seat", name)
			continue
		}
		for _, feat := range l.Features {
			if featureID(t, feat) == 0 {
				t.Fatalf("layer %s feature without an id", name)
			}
		}
	}
	if got := f.src.renders.Load(); got != 1 {
		t.Errorf("rendered %d times for one tile, want 1", got)
	}
	// Villages carry their latest scores.
	v := layers["villages"].Features[0].Properties
	for _, key := range []string{"code", "name", "composite", "gap_road", "exit_fail"} {
		if _, ok := v[key]; !ok {
			t.Errorf("village feature lacks %q: %v", key, v)
		}
	}
	// The second request is a cache hit with the same ETag; If-None-Match gives 304.
	again := f.get(t, tileURL("review", tile, ""), "Accept-Encoding", "gzip")
	if again.Header().Get("X-Cache") != "hit" || again.Header().Get("ETag") != rec.Header().Get("ETag") {
		t.Errorf("second request: X-Cache %q ETag %q, want hit and %q", again.Header().Get("X-Cache"), again.Header().Get("ETag"), rec.Header().Get("ETag"))
	}
	if nm := f.get(t, tileURL("review", tile, ""), "If-None-Match", rec.Header().Get("ETag")); nm.Code != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", nm.Code)
	}
	if got := f.src.renders.Load(); got != 1 {
		t.Errorf("rendered %d times after cache hits, want 1", got)
	}
}

// TestNoFeatureDroppedAtMaxZoom compares every road and village that
// intersects a z14 tile with the features served.
func TestNoFeatureDroppedAtMaxZoom(t *testing.T) {
	f := newFixture(t)
	tile := seatTile(t, f.db, tiles.MaxZoom)
	layers := decodeTile(t, f.get(t, tileURL("all", tile, ""), "Accept-Encoding", "gzip"))
	for _, table := range []struct{ layer, sql string }{
		{"roads", `SELECT id FROM roads WHERE ST_Intersects(geom, ST_Transform(ST_TileEnvelope($1, $2, $3), 4490))`},
		{"villages", `SELECT id FROM villages WHERE kind IN ('行政村', '社区') AND ST_Intersects(outline, ST_Transform(ST_TileEnvelope($1, $2, $3), 4490))`},
		{"transformers", `SELECT id FROM transformers WHERE ST_Intersects(geom, ST_Transform(ST_TileEnvelope($1, $2, $3), 4490))`},
	} {
		rows, err := f.db.Pool.Query(datatest.Context(), table.sql, tile.Z, tile.X, tile.Y)
		if err != nil {
			t.Fatal(err)
		}
		var want []uint64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			want = append(want, uint64(id))
		}
		rows.Close()
		var got []uint64
		if l := layers[table.layer]; l != nil {
			for _, feat := range l.Features {
				got = append(got, featureID(t, feat))
			}
		}
		for _, id := range want {
			if !slices.Contains(got, id) {
				t.Errorf("%s %d intersects z14 tile %v but is not in it", table.layer, id, tile)
			}
		}
		if len(want) == 0 {
			t.Errorf("no %s in the county seat's z14 tile: the test proves nothing", table.layer)
		}
	}
}

// TestEditChangesNextTile renames a village and paves a road; the next tile
// served shows both, never the cached old one.
func TestEditChangesNextTile(t *testing.T) {
	f := newFixture(t)
	tile := seatTile(t, f.db, 14)
	before := decodeTile(t, f.get(t, tileURL("all", tile, ""), "Accept-Encoding", "gzip"))
	var villageID, roadID uint64
	for _, feat := range before["villages"].Features {
		villageID = featureID(t, feat)
		break
	}
	for _, feat := range before["roads"].Features {
		roadID = featureID(t, feat)
		break
	}
	ctx := datatest.Context()
	if _, err := f.db.Pool.Exec(ctx, `UPDATE villages SET name = '改名村' WHERE id = $1`, int64(villageID)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Pool.Exec(ctx, `UPDATE roads SET surface = '土' WHERE id = $1`, int64(roadID)); err != nil {
		t.Fatal(err)
	}
	if err := f.server.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	after := decodeTile(t, f.get(t, tileURL("all", tile, ""), "Accept-Encoding", "gzip"))
	found := 0
	for _, feat := range after["villages"].Features {
		if featureID(t, feat) == villageID && feat.Properties["name"] == "改名村" {
			found++
		}
	}
	for _, feat := range after["roads"].Features {
		if featureID(t, feat) == roadID && feat.Properties["surface"] == "土" {
			found++
		}
	}
	if found != 2 {
		t.Errorf("after the edits the tile shows %d of 2 changes", found)
	}
}

func TestTileRequestsAreValidatedBeforeSQL(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name, url string
		status    int
		message   string
	}{
		{"x beyond the zoom", "/tiles/review/3/8/1.mvt", 400, "瓦片坐标无效"},
		{"zoom too deep", "/tiles/review/23/0/0.mvt", 400, "瓦片坐标无效"},
		{"unknown set", "/tiles/nothing/3/1/1.mvt", 404, "没有图层或图层组"},
		{"unknown filter", "/tiles/review/12/3352/1694.mvt?colour=red", 400, "未知的瓦片参数"},
		{"bad dimension", "/tiles/villages/12/3352/1694.mvt?dimension=水", 400, "dimension"},
		{"bad min_score", "/tiles/villages/12/3352/1694.mvt?min_score=200", 400, "min_score"},
		{"outside the data", "/tiles/review/10/0/0.mvt", 204, ""},
		{"below every layer's zoom", "/tiles/transformers/5/25/13.mvt", 204, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := f.get(t, tc.url)
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.message) {
				t.Errorf("status %d %q, want %d with %q", rec.Code, rec.Body, tc.status, tc.message)
			}
		})
	}
	if n := f.src.renders.Load(); n != 0 {
		t.Errorf("%d renders reached the database for invalid or empty tiles, want 0", n)
	}
}

func TestFilteredVillageTile(t *testing.T) {
	f := newFixture(t)
	tile := seatTile(t, f.db, 10)
	all := decodeTile(t, f.get(t, tileURL("villages", tile, "")))
	worst := decodeTile(t, f.get(t, tileURL("villages", tile, "dimension=通路&min_score=100")))
	if all["villages"] == nil || worst["villages"] == nil {
		t.Fatal("village layer missing")
	}
	if len(worst["villages"].Features) >= len(all["villages"].Features) {
		t.Errorf("min_score=100 kept %d of %d villages, want fewer", len(worst["villages"].Features), len(all["villages"].Features))
	}
	for _, feat := range worst["villages"].Features {
		if g, _ := feat.Properties["gap_road"].(float64); g < 100 {
			t.Errorf("village %v with 通路 gap %v passed min_score=100", feat.Properties["name"], g)
		}
	}
}

func TestTileJSONAndStyle(t *testing.T) {
	f := newFixture(t)
	var doc struct {
		TileJSON     string `json:"tilejson"`
		Tiles        []string
		Bounds       []float64
		MinZoom      int
		MaxZoom      int
		VectorLayers []struct {
			ID     string
			Fields map[string]string
		} `json:"vector_layers"`
	}
	rec := f.get(t, "/tiles/review.json")
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if doc.TileJSON != "3.0.0" || len(doc.Tiles) != 1 || !strings.Contains(doc.Tiles[0], "?v=") || len(doc.Bounds) != 4 {
		t.Errorf("TileJSON: %+v", doc)
	}
	if len(doc.VectorLayers) != len(tiles.LayerSets["review"]) || len(doc.VectorLayers[0].Fields) == 0 {
		t.Errorf("vector_layers: %+v", doc.VectorLayers)
	}
	// A tile fetched through the TileJSON URL is immutable.
	u := strings.TrimPrefix(doc.Tiles[0], "http://example.com")
	tile := seatTile(t, f.db, 12)
	u = strings.NewReplacer("{z}", "12", "{x}", strconv.Itoa(int(tile.X)), "{y}", strconv.Itoa(int(tile.Y))).Replace(u)
	if cc := f.get(t, u).Header().Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("tile from the TileJSON URL: Cache-Control %q, want immutable", cc)
	}
	var style struct {
		Version int
		Layers  []map[string]any
	}
	if err := json.Unmarshal(f.get(t, "/tiles/style.json").Body.Bytes(), &style); err != nil || style.Version != 8 || len(style.Layers) < 5 {
		t.Errorf("style.json: version %d, %d layers, err %v", style.Version, len(style.Layers), err)
	}
}

// TestGDALReadsServedTile has GDAL's MVT driver, an independent decoder,
// read a tile as served.
func TestGDALReadsServedTile(t *testing.T) {
	gdaltest.Tool(t, "ogrinfo")
	f := newFixture(t)
	tile := seatTile(t, f.db, 12)
	rec := f.get(t, tileURL("review", tile, ""))
	dir := t.TempDir()
	path := filepath.Join(dir, strconv.Itoa(int(tile.Z)), strconv.Itoa(int(tile.X)), strconv.Itoa(int(tile.Y))+".pbf")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, rec.Body.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := gdaltest.Run(t, "ogrinfo", "-ro", "-so", "-al", "MVT:"+path)
	for _, want := range []string{"Layer name: villages", "Layer name: roads", "Feature Count:"} {
		if !strings.Contains(out, want) {
			t.Errorf("ogrinfo output lacks %q:\n%s", want, out)
		}
	}
}

// TestTilesAndExportsAsOf renames a village with effective date 2019-01-01:
// tiles and exports as of 2018-12-31 show the old name, as of 2019-01-01
// and without as_of the new one; a bad as_of is a 400 in Chinese.
func TestTilesAndExportsAsOf(t *testing.T) {
	f := newFixture(t)
	tile := seatTile(t, f.db, 14)
	before := decodeTile(t, f.get(t, tileURL("all", tile, ""), "Accept-Encoding", "gzip"))
	var villageID uint64
	var oldName string
	for _, feat := range before["villages"].Features {
		villageID, oldName = featureID(t, feat), feat.Properties["name"].(string)
		break
	}
	if villageID == 0 {
		t.Fatal("no village in the seat's tile: the test proves nothing")
	}
	ctx := datatest.Context()
	if err := f.db.ExecOn("2019-01-01", `UPDATE villages SET name = '改名村' WHERE id = $1`, int64(villageID)); err != nil {
		t.Fatal(err)
	}
	if err := f.server.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	for asOf, want := range map[string]string{"2018-12-31": oldName, "2019-01-01": "改名村", "": "改名村"} {
		q := ""
		if asOf != "" {
			q = "as_of=" + asOf
		}
		got := ""
		for _, feat := range decodeTile(t, f.get(t, tileURL("all", tile, q), "Accept-Encoding", "gzip"))["villages"].Features {
			if featureID(t, feat) == villageID {
				got = feat.Properties["name"].(string)
			}
		}
		if got != want {
			t.Errorf("tile as of %q: village %d is %q, want %q", asOf, villageID, got, want)
		}
		u := "/api/v1/exports/villages.csv"
		if q != "" {
			u += "?" + q
		}
		rec := f.get(t, u)
		body := rec.Body.String()
		if rec.Code != http.StatusOK || !strings.Contains(body, want) || (want == oldName) == strings.Contains(body, "改名村") {
			t.Errorf("export as of %q: %d, has %q: %v, has 改名村: %v", asOf, rec.Code, want, strings.Contains(body, want), strings.Contains(body, "改名村"))
		}
	}
	for _, u := range []string{tileURL("all", tile, "as_of=2018-13-01"), "/api/v1/exports/villages.csv?as_of=昨天"} {
		if rec := f.get(t, u); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "as_of 应为日期") {
			t.Errorf("%s: %d %s, want 400 as_of 应为日期", u, rec.Code, rec.Body.String())
		}
	}
}
