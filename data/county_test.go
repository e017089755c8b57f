package data_test

import (
	"compress/gzip"
	"encoding/csv"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/data/demo"
	"github.com/gapmap/gapmap/planning"
)

// readCodeCSV reads a code list CSV as maps by header. The files are
// byte-identical copies of shared/data/real: linxiang_*_2023.csv in
// data/demo, hunan_villages_2023.csv gzipped in data/province/testdata.
func readCodeCSV(t testing.TB, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

// stored lists "code name" (and kind, township) of a table's rows, sorted.
func stored(t *testing.T, db *datatest.DB, sql string, args ...any) []string {
	t.Helper()
	rows, err := db.Pool.Query(datatest.Context(), sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func sameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	sort.Strings(want)
	if len(got) != len(want) {
		t.Errorf("%s: %d rows, want %d", what, len(got), len(want))
	}
	for i := 0; i < len(got) && i < len(want); i++ {
		if got[i] != want[i] {
			t.Errorf("%s: %q, want %q", what, got[i], want[i])
			return
		}
	}
}

// kindByCode is the NBS rule for a village code's last three digits
// (001–199 居民委员会: 社区; 200–399 村民委员会: 行政村), the oracle the
// stored kinds are checked against, independent of the names.
func kindByCode(t *testing.T, code string) string {
	d, err := strconv.Atoi(code[9:])
	if err != nil {
		t.Fatal(err)
	}
	if d < 200 || (d >= 400 && d < 500) {
		return "社区"
	}
	return "行政村"
}

// TestCountyInitLinxiang: `county init 430682` gives exactly the 14
// townships and 161 villages of the real code list (linxiang_*_2023.csv),
// without locations, classed by the code, and records 临湘 as the county
// being set up; running it again changes nothing.
func TestCountyInitLinxiang(t *testing.T) {
	db := datatest.New(t)
	ctx := datatest.Context()
	res, err := db.Store.InitCounty(ctx, "430682", false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Name != "临湘市" || res.City != "岳阳市" || res.Province != "湖南省" || res.Townships != 14 || res.Villages != 161 ||
		res.AddedTownships != 14 || res.AddedVillages != 161 || res.Unlocated != 161 || res.Communities != 47 {
		t.Errorf("result %+v", res)
	}
	var wantT, wantV []string
	for _, r := range readCodeCSV(t, "demo/linxiang_townships_2023.csv") {
		wantT = append(wantT, r["township_code"]+" "+r["township_name"])
	}
	for _, r := range readCodeCSV(t, "demo/linxiang_villages_2023.csv") {
		wantV = append(wantV, r["village_code"]+" "+r["village_name"]+" "+r["township_code"]+" "+kindByCode(t, r["village_code"])+" 未定位 init")
	}
	sameLines(t, "townships", stored(t, db, `SELECT code || ' ' || name FROM townships WHERE seat IS NULL AND location_source = 'init'`), wantT)
	sameLines(t, "villages", stored(t, db, `SELECT code || ' ' || name || ' ' || township_code || ' ' || kind || ' '
		|| CASE WHEN office IS NULL THEN '未定位' ELSE '' END || ' ' || location_source FROM villages`), wantV)
	code, name, outline, err := db.Store.CountySetup(ctx)
	if err != nil || code != "430682" || name != "临湘市" || outline != nil {
		t.Errorf("CountySetup = %q %q %v %v", code, name, outline, err)
	}

	var changes int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM layer_changes`).Scan(&changes); err != nil {
		t.Fatal(err)
	}
	var setAt time.Time
	if err := db.Pool.QueryRow(ctx, `SELECT set_at FROM county_setup`).Scan(&setAt); err != nil {
		t.Fatal(err)
	}
	again, err := db.Store.InitCounty(ctx, "430682", false)
	if err != nil {
		t.Fatal(err)
	}
	if again.AddedTownships != 0 || again.AddedVillages != 0 || again.Villages != 161 {
		t.Errorf("second run: %+v", again)
	}
	var changes2, sources int
	var setAt2 time.Time
	if err := db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM layer_changes), (SELECT count(*) FROM sources), (SELECT set_at FROM county_setup)`).
		Scan(&changes2, &sources, &setAt2); err != nil {
		t.Fatal(err)
	}
	if changes2 != changes || sources != 1 || !setAt2.Equal(setAt) {
		t.Errorf("second run changed something: layer_changes %d → %d, %d sources, set_at %v → %v", changes, changes2, sources, setAt, setAt2)
	}
}

// TestCountyInitOtherCounty: 岳阳楼区 (430602), whose code list has the
// long forms (…村民委员会, …村委会, …社区居委会), matches
// the real code list (hunan_villages_2023.csv): same codes and townships, kinds by the code,
// long names stored short. Setting it up while 临湘 has data is refused
// naming 临湘, and --replace swaps the counties.
func TestCountyInitOtherCounty(t *testing.T) {
	db := datatest.New(t)
	ctx := datatest.Context()
	if _, err := db.Store.InitCounty(ctx, "430682", false); err != nil {
		t.Fatal(err)
	}
	_, err := db.Store.InitCounty(ctx, "430602", false)
	if planning.ErrorCode(err) != planning.EConflict || !strings.Contains(planning.ErrorMessage(err), "430682 临湘市") ||
		!strings.Contains(planning.ErrorMessage(err), "--replace") {
		t.Fatalf("init of another county over 临湘: %v", err)
	}
	res, err := db.Store.InitCounty(ctx, "430602", true)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Replaced) != 1 || res.Replaced[0] != "430682 临湘市" || res.Name != "岳阳楼区" {
		t.Errorf("result %+v", res)
	}
	var want []string
	shortened := 0
	for _, r := range readCodeCSV(t, "province/testdata/hunan_villages_2023.csv.gz") {
		if r["county_code"] != "430602" {
			continue
		}
		name := r["village_name"]
		for _, s := range []struct{ long, short string }{{"村民委员会", "村"}, {"村委会", "村"}, {"社区居委会", "社区"}, {"社区居民委员会", "社区"}} {
			if stem, ok := strings.CutSuffix(name, s.long); ok {
				name = stem + s.short
				shortened++
				break
			}
		}
		want = append(want, r["village_code"]+" "+name+" "+r["township_code"]+" "+kindByCode(t, r["village_code"]))
	}
	if len(want) != 181 || shortened == 0 {
		t.Fatalf("fixture: %d villages of 430602, %d long names", len(want), shortened)
	}
	// Names the oracle does not shorten (…居委会 and the like) are compared as stored.
	got := stored(t, db, `SELECT code || ' ' || name || ' ' || township_code || ' ' || kind FROM villages`)
	sort.Strings(want)
	if len(got) != len(want) {
		t.Fatalf("%d villages, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := strings.Fields(got[i]), strings.Fields(want[i])
		if g[0] != w[0] || g[2] != w[2] || g[3] != w[3] {
			t.Errorf("village %s: stored %q, want %q", w[0], got[i], want[i])
		}
		if g[1] != w[1] && (strings.HasSuffix(w[1], "村") || strings.HasSuffix(w[1], "社区")) {
			t.Errorf("village %s: name %q, want %q", w[0], g[1], w[1])
		}
	}
	var counties, runs int
	var setup string
	if err := db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM counties), (SELECT count(*) FROM scoring_runs), (SELECT county_code FROM county_setup)`).
		Scan(&counties, &runs, &setup); err != nil {
		t.Fatal(err)
	}
	if counties != 1 || setup != "430602" {
		t.Errorf("after --replace: %d counties, set up %s", counties, setup)
	}
}

// TestDemoRefusedOverRealCounty: the demo never mixes with, nor fails
// obscurely on, a county set up for real (the old code had no such
// county; a demo load over county init 430682 hit the unique code).
func TestDemoRefusedOverRealCounty(t *testing.T) {
	db := datatest.New(t)
	ctx := datatest.Context()
	if _, err := db.Store.InitCounty(ctx, "430682", false); err != nil {
		t.Fatal(err)
	}
	_, err := db.Store.LoadDemo(ctx, demo.Generate())
	if planning.ErrorCode(err) != planning.EConflict || !strings.Contains(planning.ErrorMessage(err), "430682 临湘市") {
		t.Errorf("demo over a real county: %v", err)
	}
}

// TestCountyInitUnknownCode: a code the list lacks, or no code at all, is
// an error naming it, and writes nothing.
func TestCountyInitUnknownCode(t *testing.T) {
	db := datatest.New(t)
	ctx := datatest.Context()
	for code, want := range map[string]string{"430699": planning.ENotFound, "43068": planning.EInvalid, "4306821": planning.EInvalid} {
		_, err := db.Store.InitCounty(ctx, code, false)
		if planning.ErrorCode(err) != want || !strings.Contains(planning.ErrorMessage(err), code) {
			t.Errorf("init %s: %v, want %s naming the code", code, err, want)
		}
	}
	var n int
	if err := db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM counties) + (SELECT count(*) FROM county_setup) + (SELECT count(*) FROM sources)`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d rows written", n)
	}
}

// BenchmarkCountyInit sets up 浦东新区 (310115), the county with the most
// village units in the list (1,526), after another county (--replace).
func BenchmarkCountyInit(b *testing.B) {
	db := datatest.New(b)
	ctx := datatest.Context()
	for b.Loop() {
		b.StopTimer()
		if _, err := db.Store.InitCounty(ctx, "430682", true); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := db.Store.InitCounty(ctx, "310115", true)
		if err != nil {
			b.Fatal(err)
		}
		if res.AddedVillages != 1526 {
			b.Fatalf("%+v", res)
		}
	}
}
