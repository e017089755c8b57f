package api_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gapmap/gapmap/cmd/gapmap/api"
	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/data/demo"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/tiles"
	"github.com/gapmap/gapmap/tiles/admit"
)

// storedGap is one village's scores as the run stored them.
type storedGap struct {
	id               int64
	gaps             map[string]*float64
	missing          map[string]float64
	composite        *float64
	compositeMissing float64
	unknown          []string // by planning.VillageScore.UnknownGaps
}

// unknownFixture is the demo with its power grid and water works deleted
// and scored again: 农网 then has no data at all (null gaps) and 饮水 rests
// mostly on missing data. It returns the fixture and the stored scores by
// village code.
func unknownFixture(t *testing.T) (*fixture, map[string]storedGap) {
	t.Helper()
	db := datatest.NewDemo(t)
	ctx := datatest.Context()
	for _, table := range []string{"transformers", "power_lines", "substations", "water_works"} {
		if _, err := db.Pool.Exec(ctx, `DELETE FROM `+table); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := planning.Score(ctx, db.Store, planning.DefaultProfile(), demo.BaselineDate, true, nil); err != nil {
		t.Fatal(err)
	}
	src := &countingSource{Source: db.Store}
	s := tiles.NewService(src, tiles.NewCache(64<<20), 10*time.Second, admit.NewGate(2, 8, 2*time.Second))
	if err := s.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, src: src, server: s, router: newRouter(t, db.Store, func(c *api.Config) { c.Tiles = s })}

	rows, err := db.Pool.Query(ctx, `SELECT v.code, s.village_id, s.gap_road, s.gap_water, s.gap_grid, s.gap_pv, s.composite,
			s.missing_road, s.missing_water, s.missing_grid, s.missing_pv, s.missing_weight, s.score
		FROM run_scores s JOIN villages v ON v.id = s.village_id WHERE s.run_id = (SELECT max(id) FROM scoring_runs)`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	stored := map[string]storedGap{}
	for rows.Next() {
		var code string
		var g storedGap
		var road, water, grid, pv *float64
		var mr, mw, mg, mp float64
		var doc []byte
		if err := rows.Scan(&code, &g.id, &road, &water, &grid, &pv, &g.composite, &mr, &mw, &mg, &mp, &g.compositeMissing, &doc); err != nil {
			t.Fatal(err)
		}
		var vs planning.VillageScore
		if err := json.Unmarshal(doc, &vs); err != nil {
			t.Fatal(err)
		}
		g.gaps = map[string]*float64{planning.DimRoad: road, planning.DimWater: water, planning.DimGrid: grid, planning.DimPV: pv}
		g.missing = map[string]float64{planning.DimRoad: mr, planning.DimWater: mw, planning.DimGrid: mg, planning.DimPV: mp}
		g.unknown = vs.UnknownGaps() // the Go rule, on the judgement itself
		stored[code] = g
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var nullGrid, mostlyWater int
	for _, g := range stored {
		if g.gaps[planning.DimGrid] == nil {
			nullGrid++
		}
		if g.gaps[planning.DimWater] != nil && g.missing[planning.DimWater] >= planning.UnknownShare {
			mostlyWater++
		}
	}
	if nullGrid == 0 || mostlyWater == 0 {
		t.Fatalf("without grid and water works: %d villages with a null 农网 gap, %d with a mostly missing 饮水 gap; the test proves nothing",
			nullGrid, mostlyWater)
	}
	return f, stored
}

// TestVillageTilesMarkUnknownGaps: at a low and a detailed zoom, every
// village of the tile carries in "unknown" exactly the gaps the Go rule
// calls 数据不足, null gaps and mostly missing ones alike.
func TestVillageTilesMarkUnknownGaps(t *testing.T) {
	f, stored := unknownFixture(t)
	byID := map[int64]storedGap{}
	for _, g := range stored {
		byID[g.id] = g
	}
	for _, z := range []int{8, 11} {
		layers := decodeTile(t, f.get(t, tileURL("villages", seatTile(t, f.db, z), ""), "Accept-Encoding", "gzip"))
		if layers["villages"] == nil || len(layers["villages"].Features) == 0 {
			t.Fatalf("no villages in the z%d tile at the seat", z)
		}
		for _, feat := range layers["villages"].Features {
			g, ok := byID[int64(featureID(t, feat))]
			if !ok {
				t.Fatalf("z%d: village %v has no stored score", z, feat.ID)
			}
			got, _ := feat.Properties["unknown"].(string)
			if want := strings.Join(g.unknown, ","); got != want {
				t.Errorf("z%d village %v: unknown %q, want %q (gaps %v, missing %v)", z, feat.ID, got, want, g.gaps, g.missing)
			}
			if strings.Contains(got, planning.DimGrid) && feat.Properties["gap_grid"] != nil {
				t.Errorf("z%d village %v: null 农网 gap served as %v", z, feat.ID, feat.Properties["gap_grid"])
			}
		}
	}
}

// TestGapListKeepsUnknownLast: the gap list returns every village, the
// gaps it cannot know as null and after every measured one.
func TestGapListKeepsUnknownLast(t *testing.T) {
	f, stored := unknownFixture(t)
	for _, dim := range []string{planning.DimGrid, planning.DimWater, "综合"} {
		rec := f.get(t, "/api/v1/gaps?dimension="+dim+"&page_size=1000")
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d: %s", dim, rec.Code, rec.Body)
		}
		var res struct {
			Total    int `json:"total"`
			Villages []struct {
				Code      string              `json:"code"`
				Composite *float64            `json:"composite"`
				Gaps      map[string]*float64 `json:"gaps"`
				Missing   map[string]float64  `json:"missing_weights"`
				Unknown   []string            `json:"unknown"`
			} `json:"villages"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
			t.Fatal(err)
		}
		if res.Total != len(stored) || len(res.Villages) != len(stored) {
			t.Errorf("%s: %d of %d villages listed (total %d)", dim, len(res.Villages), len(stored), res.Total)
		}
		if !bytes.Contains(rec.Body.Bytes(), []byte(`"`+planning.DimGrid+`":null`)) {
			t.Errorf("%s: no null 农网 gap in the list", dim)
		}
		seenUnknown := false
		for i, v := range res.Villages {
			want := stored[v.Code]
			if !slices.Equal(v.Unknown, want.unknown) {
				t.Errorf("%s #%d %s: unknown %v, want %v", dim, i, v.Code, v.Unknown, want.unknown)
			}
			if v.Missing[planning.DimWater] != want.missing[planning.DimWater] {
				t.Errorf("%s %s: 饮水 missing %v, want %v", dim, v.Code, v.Missing[planning.DimWater], want.missing[planning.DimWater])
			}
			if (want.gaps[planning.DimGrid] == nil) != (v.Gaps[planning.DimGrid] == nil) {
				t.Errorf("%s %s: 农网 gap %v, stored %v", dim, v.Code, v.Gaps[planning.DimGrid], want.gaps[planning.DimGrid])
			}
			unknown := slices.Contains(v.Unknown, dim)
			if seenUnknown && !unknown {
				t.Errorf("%s #%d %s: a known gap after an unknown one", dim, i, v.Code)
			}
			seenUnknown = seenUnknown || unknown
		}
	}
}

// TestVillageGapsSayUnknown: a village's breakdown gives a gap without data
// as null and lists its 数据不足 gaps.
func TestVillageGapsSayUnknown(t *testing.T) {
	f, stored := unknownFixture(t)
	checked := 0
	for code, want := range stored {
		if want.gaps[planning.DimGrid] != nil {
			continue
		}
		rec := f.get(t, "/api/v1/villages/"+code+"/gaps")
		var res struct {
			Village struct {
				Dimensions []struct {
					Dimension string          `json:"dimension"`
					Gap       json.RawMessage `json:"gap"`
				} `json:"dimensions"`
			} `json:"village"`
			Unknown []string `json:"unknown"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
			t.Fatalf("%s: %d %s", code, rec.Code, rec.Body)
		}
		for _, d := range res.Village.Dimensions {
			if d.Dimension == planning.DimGrid && string(d.Gap) != "null" {
				t.Errorf("%s: 农网 gap without data = %s, want null", code, d.Gap)
			}
		}
		if !slices.Equal(res.Unknown, want.unknown) {
			t.Errorf("%s: unknown %v, want %v", code, res.Unknown, want.unknown)
		}
		if checked++; checked == 5 {
			break
		}
	}
	if checked == 0 {
		t.Fatal("no village without a 农网 gap")
	}
}

// TestGapExportsWriteUnknownAsEmpty: the village_gaps CSV and XLSX leave a
// gap without data empty (GeoJSON: null), never 0, and carry each gap's
// missing share and the 数据不足 list (the columns are headed by title).
func TestGapExportsWriteUnknownAsEmpty(t *testing.T) {
	f, stored := unknownFixture(t)
	check := func(format string, header []string, rows [][]string) {
		t.Helper()
		col := map[string]int{}
		for i, h := range header {
			col[h] = i
		}
		for _, name := range []string{"农网缺口", "综合缺数据权重", "饮水缺数据权重", "农网缺数据权重", "数据不足"} {
			if _, ok := col[name]; !ok {
				t.Fatalf("%s: no column %s in %v", format, name, header)
			}
		}
		if len(rows) != len(stored) {
			t.Errorf("%s: %d rows, want %d", format, len(rows), len(stored))
		}
		for _, r := range rows {
			for len(r) < len(header) {
				r = append(r, "") // excelize drops trailing empty cells
			}
			want := stored[r[col["村代码"]]]
			if want.gaps[planning.DimGrid] == nil && r[col["农网缺口"]] != "" {
				t.Errorf("%s %s: 农网 gap without data written as %q", format, r[col["村代码"]], r[col["农网缺口"]])
			}
			if got := r[col["数据不足"]]; got != strings.Join(want.unknown, ",") {
				t.Errorf("%s %s: 数据不足 %q, want %q", format, r[col["村代码"]], got, strings.Join(want.unknown, ","))
			}
			if r[col["饮水缺数据权重"]] == "" {
				t.Errorf("%s %s: 饮水 missing share empty", format, r[col["村代码"]])
			}
		}
	}

	rec := f.get(t, "/api/v1/exports/village_gaps.csv")
	if rec.Code != http.StatusOK {
		t.Fatalf("csv: status %d: %s", rec.Code, rec.Body)
	}
	records, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(rec.Body.Bytes(), []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	check("csv", records[0], records[1:])

	rec = f.get(t, "/api/v1/exports/village_gaps.xlsx")
	if rec.Code != http.StatusOK {
		t.Fatalf("xlsx: status %d: %s", rec.Code, rec.Body)
	}
	x, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	sheet, err := x.GetRows(x.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	check("xlsx", sheet[0], sheet[1:])

	rec = f.get(t, "/api/v1/exports/village_gaps.geojson")
	var fc struct {
		Features []struct {
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &fc); err != nil {
		t.Fatalf("geojson: %v", err)
	}
	nulls := 0
	for _, feat := range fc.Features {
		v, ok := feat.Properties["gap_grid"]
		if !ok {
			t.Fatalf("geojson: no gap_grid in %v", feat.Properties)
		}
		if want := stored[feat.Properties["code"].(string)]; want.gaps[planning.DimGrid] == nil {
			if v != nil {
				t.Errorf("geojson %v: 农网 gap without data written as %v", feat.Properties["code"], v)
			}
			nulls++
		}
	}
	if nulls == 0 {
		t.Error("geojson: no village without a 农网 gap: the test proves nothing")
	}
}
