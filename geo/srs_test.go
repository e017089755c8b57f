package geo

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func TestParseSRS(t *testing.T) {
	cases := []struct {
		in        string
		epsg      int
		datum     Datum
		projected bool
	}{
		{"EPSG:4547", 4547, "", true},
		{"epsg:4547", 4547, "", true},
		{" 4547 ", 4547, "", true},
		{"EPSG4547", 4547, "", true},
		{"ＥＰＳＧ：４５４７", 4547, "", true},
		{"4490", 4490, DatumWGS84, false},
		{"4326", 4326, DatumWGS84, false},
		{"EPSG:4610", 4610, "", false},
		{"EPSG:2414", 2414, "", true},
		{"EPSG:4822", 4822, "", true},
		{"EPSG:32649", 32649, "", true},
		{"EPSG:3857", 3857, "", true},

		{"wgs84", 4326, DatumWGS84, false},
		{"GPS", 4326, DatumWGS84, false},
		{"WGS-84", 4326, DatumWGS84, false},
		{"cgcs2000", 4490, DatumWGS84, false},
		{"CGCS_2000", 4490, DatumWGS84, false},
		{"国家2000", 4490, DatumWGS84, false},
		{"xian80", 4610, "", false},
		{"西安80", 4610, "", false},
		{"Xian 1980", 4610, "", false},
		{"beijing54", 4214, "", false},
		{"北京54", 4214, "", false},
		{"newbeijing54", 4555, "", false},
		{"New Beijing", 4555, "", false},
		{"新北京54", 4555, "", false},
		{"gcj02", 0, DatumGCJ02, false},
		{"GCJ-02", 0, DatumGCJ02, false},
		{"高德", 0, DatumGCJ02, false},
		{"bd09", 0, DatumBD09, false},
		{"百度", 0, DatumBD09, false},
		{"webmercator", 3857, "", true},
		{"utm49n", 32649, "", true},
		{"UTM 49N", 32649, "", true},
		{"wgs84-utm50", 32650, "", true},

		// Gauss-Krüger by central meridian: no zone number in the easting.
		{"cgcs2000-gk3-114", 4547, "", true},
		{"cgcs2000-gk3-114e", 4547, "", true},
		{"CGCS2000_GK3_CM114E", 4547, "", true},
		{"cgcs2000 3度带 114E", 4547, "", true},
		{"cgcs2000 3度带 114°E", 4547, "", true},
		{"cgcs2000 3度带 中央经线114", 4547, "", true},
		{"cgcs2000-gk3-111e", 4546, "", true},
		{"cgcs2000-gk6-117e", 4509, "", true},
		{"xian80-gk3-114e", 2383, "", true},
		{"西安80 3度带 114E", 2383, "", true},
		{"beijing54-gk3-114e", 2435, "", true},
		{"beijing54-gk6-117e", 21460, "", true},
		{"newbeijing54-gk3-114e", 4795, "", true},
		{"new beijing54 gk3 132e", 4812, "", true},
		// Gauss-Krüger by zone number: the easting starts with it.
		{"cgcs2000-gk3-z38", 4526, "", true},
		{"cgcs2000-gk3-zone38", 4526, "", true},
		{"cgcs2000 3度带 38带", 4526, "", true},
		{"CGCS2000 3度带38带", 4526, "", true},
		{"cgcs2000 3度带 第39带", 4527, "", true},
		{"cgcs2000-gk6-z21", 4499, "", true},
		{"xian80-gk3-z38", 2362, "", true},
		{"beijing54-gk3-z38", 2414, "", true},
		{"beijing54-gk6-z18", 21418, "", true},
		{"北京54 6度带 18带", 21418, "", true},
		{"newbeijing54-gk3-z29", 4656, "", true},
		{"newbeijing54-gk3-z30", 4766, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseSRS(tc.in)
			if err != nil {
				t.Fatalf("ParseSRS(%q) error: %v", tc.in, err)
			}
			if got.EPSG != tc.epsg || got.Datum != tc.datum || got.Projected != tc.projected || got.Name == "" {
				t.Errorf("ParseSRS(%q) = %+v, want EPSG %d, Datum %q, Projected %v", tc.in, got, tc.epsg, tc.datum, tc.projected)
			}
		})
	}
}

func TestParseSRSErrors(t *testing.T) {
	cases := []struct {
		in   string
		want string // in the error message
	}{
		{"", "为空"},
		{"EPSG:2154", "EPSG:2154 不是 gapmap 支持的坐标系"},
		{"EPSG:abc", "EPSG 代码应为数字"},
		{"99999999999999999999", "EPSG 代码应为数字"},
		{"nad83", "可用写法"},
		{"cgcs2000-gk3-38", "38 是带号还是中央经线？东坐标含带号（如 38512345）请写 z38，不含带号请写中央经线 114e"},
		{"cgcs2000-gk6-20", "请写 z20，不含带号请写中央经线 117e"},
		{"cgcs2000-gk3-113e", "3度带的中央经线应为 75–135 间 3 的倍数"},
		{"cgcs2000-gk6-114e", "6度带的中央经线应为 75、81、…、135"},
		{"cgcs2000-gk3-z20", "3度带的带号应为 25–45"},
		{"cgcs2000-gk6-z38", "6度带的带号应为 13–23"},
		{"cgcs2000-gk3-138e", "3度带的中央经线应为"},
		{"cgcs2000-gk4-114e", "带宽 \"gk4\" 应为 gk3（3度带）或 gk6（6度带）"},
		{"pulkovo-gk3-114e", "未知的基准面 \"pulkovo\""},
		{"wgs84-gk3-114e", "WGS84 没有高斯-克吕格投影的 EPSG 代码"},
		{"cgcs2000-gk3-abc", "\"abc\" 应为中央经线（如 114e）或带号（如 z38）"},
		{"utm61n", "UTM 带号应为 1–60"},
		{"utm49s", "UTM 带号应为 1–60（北半球）"},
		{"cgcs2000-3", "可用写法"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseSRS(tc.in)
			if err == nil {
				t.Fatalf("ParseSRS(%q) = %+v, want an error", tc.in, got)
			}
			if !errors.Is(err, ErrUnknownSRS) {
				t.Errorf("ParseSRS(%q) error %v does not wrap ErrUnknownSRS", tc.in, err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "cgcs2000-gk3-z38") {
				t.Errorf("ParseSRS(%q) error:\n%v\nwant it to contain %q and the accepted forms", tc.in, err, tc.want)
			}
		})
	}
}

// TestParseSRSEveryCode checks that ParseSRS takes every code gapmap can
// return, and that the DATUM-gkW-ZONE syntax reaches every Gauss-Krüger one.
func TestParseSRSEveryCode(t *testing.T) {
	for code, d := range srsByEPSG {
		got, err := ParseSRS("EPSG:" + strconv.Itoa(code))
		if err != nil || got != d.srs() {
			t.Errorf("ParseSRS(EPSG:%d) = %+v, %v; want %+v", code, got, err, d.srs())
		}
		if d.kind != kindGK {
			continue
		}
		form := fmt.Sprintf("%s-gk%d-%de", d.fam.key, d.width, d.cm)
		if d.zone != 0 {
			form = fmt.Sprintf("%s-gk%d-z%d", d.fam.key, d.width, d.zone)
		}
		if got, err := ParseSRS(form); err != nil || got.EPSG != code {
			t.Errorf("ParseSRS(%q) = %+v, %v; want EPSG:%d", form, got, err, code)
		}
	}
}

// TestSRSTable pins the EPSG ranges checked against PROJ's and PostGIS's
// databases (srs_pg_test.go checks them all against PostGIS's names).
func TestSRSTable(t *testing.T) {
	cases := []struct {
		code      int
		fam       *family
		width, cm int
		zone      int
	}{
		{4491, famCGCS2000, 6, 75, 13}, {4501, famCGCS2000, 6, 135, 23},
		{4502, famCGCS2000, 6, 75, 0}, {4512, famCGCS2000, 6, 135, 0},
		{4513, famCGCS2000, 3, 75, 25}, {4526, famCGCS2000, 3, 114, 38}, {4533, famCGCS2000, 3, 135, 45},
		{4534, famCGCS2000, 3, 75, 0}, {4547, famCGCS2000, 3, 114, 0}, {4554, famCGCS2000, 3, 135, 0},
		{2327, famXian80, 6, 75, 13}, {2338, famXian80, 6, 75, 0}, {2349, famXian80, 3, 75, 25},
		{2370, famXian80, 3, 75, 0}, {2390, famXian80, 3, 135, 0},
		{2401, famBeijing54, 3, 75, 25}, {2421, famBeijing54, 3, 135, 45}, {2422, famBeijing54, 3, 75, 0},
		{2442, famBeijing54, 3, 135, 0}, {21413, famBeijing54, 6, 75, 13}, {21463, famBeijing54, 6, 135, 0},
		{4568, famNewBeijing, 6, 75, 13}, {4589, famNewBeijing, 6, 135, 0}, {4656, famNewBeijing, 3, 87, 29},
		{4766, famNewBeijing, 3, 90, 30}, {4781, famNewBeijing, 3, 135, 45}, {4800, famNewBeijing, 3, 129, 0},
		{4812, famNewBeijing, 3, 132, 0}, {4822, famNewBeijing, 3, 135, 0},
	}
	for _, tc := range cases {
		d, ok := srsByEPSG[tc.code]
		if !ok || d.kind != kindGK || d.fam != tc.fam || d.width != tc.width || d.cm != tc.cm || d.zone != tc.zone {
			t.Errorf("EPSG:%d = %+v, want %s %d° CM %d zone %d", tc.code, d, tc.fam.key, tc.width, tc.cm, tc.zone)
		}
	}
	// 5 datums × (1 geographic + 11 + 11 + 21 + 21 GK, none for WGS 84) + 60 UTM + 3857.
	if got, want := len(srsByEPSG), 5+4*64+60+1; got != want {
		t.Errorf("%d codes, want %d", got, want)
	}
	for _, code := range []int{4326, 4490, 4610, 4214, 4555} {
		if d := srsByEPSG[code]; d.kind != kindGeographic {
			t.Errorf("EPSG:%d = %+v, want geographic", code, d)
		}
	}
	// GaussKrugerZone3 in crs.go must agree with the table.
	for lon := 73.5; lon <= 136.5; lon += 0.25 {
		code := GaussKrugerZone3(lon)
		if d := srsByEPSG[code]; d.fam != famCGCS2000 || d.width != 3 || d.zone != 0 || math.Abs(float64(d.cm)-lon) > 3 {
			t.Errorf("GaussKrugerZone3(%v) = %d, which is %+v", lon, code, d)
		}
	}
}

func TestSRSString(t *testing.T) {
	cases := []struct {
		s    SRS
		want string
	}{
		{srsByEPSG[4547].srs(), "CGCS2000 3度带高斯-克吕格 CM 114E (EPSG:4547)"},
		{srsByEPSG[4526].srs(), "CGCS2000 3度带高斯-克吕格 第38带 含带号 (EPSG:4526)"},
		{srsByEPSG[21460].srs(), "北京54 6度带高斯-克吕格 CM 117E (EPSG:21460)"},
		{srsByEPSG[4610].srs(), "西安80 经纬度 (EPSG:4610)"},
		{srsByEPSG[32649].srs(), "WGS84 UTM 49N (EPSG:32649)"},
		{srsGCJ02, "GCJ-02 经纬度（高德、腾讯）"},
		{SRS{EPSG: 2154}, "EPSG:2154"},
		{SRS{Datum: DatumBD09}, "BD09"},
		{SRS{}, "未指定坐标系"},
	}
	for _, tc := range cases {
		if got := tc.s.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.s, got, tc.want)
		}
	}
}

// prjRefused are the GDAL fixtures SRSFromPRJ must refuse, with what the
// error must say.
var prjRefused = map[string]string{
	"epsg28420":  `基准面 "Pulkovo_1942"`, // WKT2 and ESRI names differ; see below
	"esri102012": `投影 "Lambert`,
	"epsg4479":   "地心直角坐标系",
}

// prjHandWritten are the fixtures not made by GDAL (see README.md).
var prjHandWritten = map[string]int{
	"arcgis10-cgcs2000-3gk-cm114e.prj":   4547,
	"arcgis10-xian80-3gk-cm114e.prj":     2383,
	"arcgispro-beijing54-3gk-zone38.prj": 2414,
	"other-cgcs2000-tm-zone38-bom.prj":   4526,
	"other-wgs84-3gk-cm114e.prj":         0,
}

var prjFileRE = regexp.MustCompile(`^(epsg|esri)(\d+)\.(esri|wkt1|wkt2)\.prj$`)

// TestSRSFromPRJGolden runs SRSFromPRJ on every file in testdata/prj:
// GDAL's ESRI WKT1, OGC WKT1 and WKT2 of each code must give that code.
func TestSRSFromPRJGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "prj", "*.prj"))
	if err != nil || len(files) < 60 {
		t.Fatalf("found %d .prj files (%v); run testdata/prj/gen.sh", len(files), err)
	}
	formats := map[string]int{}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := SRSFromPRJ(string(b))
			want, handWritten := prjHandWritten[name]
			m := prjFileRE.FindStringSubmatch(name)
			switch {
			case handWritten:
			case m == nil:
				t.Fatalf("%s is neither GDAL output nor listed in prjHandWritten", name)
			default:
				if why, refused := prjRefused[m[1]+m[2]]; refused {
					if err == nil || !errors.Is(err, ErrUnknownSRS) {
						t.Fatalf("SRSFromPRJ = %+v, %v; want an error wrapping ErrUnknownSRS", got, err)
					}
					if m[1] == "epsg" && m[2] == "28420" {
						why = "Pulkovo" // "Pulkovo_1942", "D_Pulkovo_1942", "Pulkovo 1942"
					}
					if !strings.Contains(err.Error(), why) || !strings.Contains(err.Error(), "--srs") {
						t.Errorf("error %q does not say %q and --srs", err, why)
					}
					t.Logf("%v", err)
					return
				}
				want, _ = strconv.Atoi(m[2])
				formats[m[3]]++
			}
			if want == 0 {
				if err == nil {
					t.Fatalf("SRSFromPRJ = %+v, want an error", got)
				}
				t.Logf("%v", err)
				return
			}
			if err != nil {
				t.Fatalf("SRSFromPRJ: %v", err)
			}
			if got != srsByEPSG[want].srs() {
				t.Errorf("SRSFromPRJ = %+v, want %+v", got, srsByEPSG[want].srs())
			}
		})
	}
	for _, f := range []string{"esri", "wkt1", "wkt2"} {
		if formats[f] < 20 {
			t.Errorf("%d %s fixtures identified, want 20", formats[f], f)
		}
	}
}

// gdalPRJ returns the named fixture, for tests that edit one.
func gdalPRJ(tb testing.TB, name string) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "prj", name))
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func TestSRSFromPRJ(t *testing.T) {
	esri4547 := gdalPRJ(t, "epsg4547.esri.prj")
	wkt1_4547 := gdalPRJ(t, "epsg4547.wkt1.prj")
	wkt1_4509 := gdalPRJ(t, "epsg4509.wkt1.prj")
	wkt2_4547 := gdalPRJ(t, "epsg4547.wkt2.prj")
	wkt1_3857 := gdalPRJ(t, "epsg3857.wkt1.prj")
	cases := []struct {
		name string
		wkt  string
		epsg int
	}{
		// The authority tells 3° from 6° at the same central meridian.
		{"authority 6° CM 117E", wkt1_4509, 4509},
		{"authority 3° CM 117E", strings.Replace(wkt1_4509, `AUTHORITY["EPSG","4509"]]`+"\n", `AUTHORITY["EPSG","4548"]]`, 1), 4548},
		{"no authority 6° CM 117E by name", strings.Replace(wkt1_4509, ",\n    AUTHORITY[\"EPSG\",\"4509\"]]", `]`, 1), 4509},
		{"no authority, no width: 3°", `PROJCS["x",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["Central_Meridian",117.0],PARAMETER["Scale_Factor",1.0],UNIT["Meter",1.0]]`, 4548},
		// The parameters win over a contradicting authority.
		{"authority contradicts false easting", strings.Replace(wkt1_4547, `"false_easting",500000`, `"false_easting",38500000`, 1), 4526},
		{"authority contradicts datum", strings.Replace(esri4547, `UNIT["Meter",1.0]]`, `UNIT["Meter",1.0],AUTHORITY["EPSG",2383]]`, 1), 4547},
		{"parentheses", strings.NewReplacer("[", "(", "]", ")").Replace(esri4547), 4547},
		{"Chinese datum name", strings.Replace(esri4547, `D_China_2000`, `2000国家大地坐标系`, 1), 4547},
		{"degree to 6 digits", strings.Replace(esri4547, `0.0174532925199433`, `0.0174533`, 1), 4547},
		{"quote in WKT2 string", strings.Replace(wkt2_4547, `SCOPE["Cadastre`, `SCOPE["""Cadastre""`, 1), 4547},
		{"WKT2 false easting in km", strings.Replace(wkt2_4547, `PARAMETER["False easting",500000,
            LENGTHUNIT["metre",1]`, `PARAMETER["False easting",500,
            LENGTHUNIT["kilometre",1000]`, 1), 4547},
		{"3857 by PROJ4 extension", strings.Replace(wkt1_3857, `"WGS 84 / Pseudo-Mercator"`, `"unnamed"`, 1), 3857},
		{"WKT2 bound CRS", `BOUNDCRS[SOURCECRS[` + wkt2_4547 + `],TARGETCRS[GEOGCRS["WGS 84",DATUM["World Geodetic System 1984",ELLIPSOID["WGS 84",6378137,298.257223563]],CS[ellipsoidal,2],AXIS["latitude",north],AXIS["longitude",east],ANGLEUNIT["degree",0.0174532925199433]]],ABRIDGEDTRANSFORMATION["x",METHOD["Geocentric translations"],PARAMETER["X-axis translation",0]]]`, 4547},
		{"WKT1 compound CRS", `COMPD_CS["x",` + wkt1_4547 + `,VERT_CS["Yellow Sea 1985 height",VERT_DATUM["Yellow Sea 1985",2005],UNIT["metre",1],AXIS["Up",UP]]]`, 4547},
		{"trailing text", esri4547 + "\n\x00junk", 4547},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SRSFromPRJ(tc.wkt)
			if err != nil {
				t.Fatalf("SRSFromPRJ: %v", err)
			}
			if got.EPSG != tc.epsg {
				t.Errorf("SRSFromPRJ = %v, want EPSG:%d", got, tc.epsg)
			}
		})
	}
}

func TestSRSFromPRJErrors(t *testing.T) {
	esri4547 := gdalPRJ(t, "epsg4547.esri.prj")
	wkt1_4547 := gdalPRJ(t, "epsg4547.wkt1.prj")
	wkt1_3857 := gdalPRJ(t, "epsg3857.wkt1.prj")
	cases := []struct {
		name string
		wkt  string
		want string
	}{
		{"empty", "", "不是有效的 WKT（第 1 字节：应为关键字"},
		{"not WKT", "hello", "不是有效的 WKT（第 6 字节：hello 后应为 ["},
		{"unterminated", `GEOGCS["x",DATUM["D_China_2000"`, "没有结束的 ]"},
		{"unterminated string", `GEOGCS["x`, "字符串没有结束的引号"},
		{"too deep", strings.Repeat("A[", 100) + strings.Repeat("]", 100), "嵌套超过 32 层"},
		{"too long", strings.Repeat(" ", maxPRJBytes+1), "超过 65536 字节"},
		{"unknown datum", strings.NewReplacer("D_China_2000", "D_Unknown", "GCS_China_Geodetic_Coordinate_System_2000", "GCS_Unknown").Replace(esri4547), `基准面 "D_Unknown" 不是 CGCS2000、西安80、北京54、新北京54 或 WGS84`},
		{"datum vs ellipsoid", strings.Replace(esri4547, "6378137.0", "6378245.0", 1), `基准面 "D_China_2000" 与椭球 "CGCS2000"（长半轴 6378245 米）不符`},
		{"feet", strings.Replace(esri4547, `UNIT["Meter",1.0]]`, `UNIT["Foot_US",0.3048006096012192]]`, 1), `坐标单位是 "Foot_US"（0.3048006096012192 米），不是米`},
		{"grads", strings.Replace(esri4547, `UNIT["Degree",0.0174532925199433]`, `UNIT["Grad",0.01570796326794897]`, 1), `角度单位是 "Grad"，不是度`},
		{"Paris meridian", strings.Replace(esri4547, `PRIMEM["Greenwich",0.0]`, `PRIMEM["Paris",2.33722917]`, 1), `本初子午线 "Paris" 不是格林尼治`},
		{"odd central meridian", strings.Replace(esri4547, `"Central_Meridian",114.0`, `"Central_Meridian",113.0`, 1), "中央经线 113°E 不是中国的高斯-克吕格投影带"},
		{"fractional central meridian", strings.Replace(esri4547, `"Central_Meridian",114.0`, `"Central_Meridian",114.5`, 1), "中央经线 114.5 不是整度数"},
		{"zone vs central meridian", strings.Replace(esri4547, `"False_Easting",500000.0`, `"False_Easting",39500000.0`, 1), "带号 39 与中央经线 114°E 不符（3度带第 39 带的中央经线是 117°E）"},
		{"zone outside China", strings.Replace(esri4547, `"False_Easting",500000.0`, `"False_Easting",24500000.0`, 1), "带号 24 不是中国的投影带"},
		{"odd false easting", strings.Replace(esri4547, `"False_Easting",500000.0`, `"False_Easting",400000.0`, 1), "假东距 400000 既不是 500000"},
		{"false northing", strings.Replace(esri4547, `"False_Northing",0.0`, `"False_Northing",-3000000.0`, 1), "假北距 -3000000 不是 0"},
		{"latitude of origin", strings.Replace(esri4547, `"Latitude_Of_Origin",0.0`, `"Latitude_Of_Origin",30.0`, 1), "原点纬度 30 不是 0"},
		{"scale factor", strings.Replace(esri4547, `"Scale_Factor",1.0`, `"Scale_Factor",0.9999`, 1), "比例因子 0.9999 的横轴墨卡托"},
		{"UTM on CGCS2000", strings.NewReplacer(`"Scale_Factor",1.0`, `"Scale_Factor",0.9996`, `"Central_Meridian",114.0`, `"Central_Meridian",111.0`).Replace(esri4547), "不是 WGS84 北半球 UTM 投影带（中央经线 111"},
		{"UTM south", strings.Replace(gdalPRJ(t, "epsg32649.esri.prj"), `"False_Northing",0.0`, `"False_Northing",10000000.0`, 1), "假北距 10000000"},
		{"not a number", strings.Replace(esri4547, `"Central_Meridian",114.0`, `"Central_Meridian",NaN`, 1), `参数 "Central_Meridian" 不是数字`},
		{"no projection", strings.Replace(esri4547, `PROJECTION["Gauss_Kruger"],`, ``, 1), "没有投影方法"},
		{"no datum", `GEOGCS["x",PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]`, "没有基准面"},
		{"no base CRS", `PROJCS["x",PROJECTION["Transverse_Mercator"]]`, "没有地理坐标系"},
		{"World Mercator", strings.NewReplacer(`"WGS 84 / Pseudo-Mercator"`, `"WGS 84 / World Mercator"`, "+b=6378137", "+b=6356752.314", `"3857"`, `"3395"`).Replace(wkt1_3857), "椭球墨卡托投影"},
		{"declared authority", strings.Replace(gdalPRJ(t, "esri102012.wkt1.prj"), "\n", "", -1) + "", "Lambert_Conformal_Conic"},
		{"declared unknown authority", strings.Replace(wkt1_4547, `"latitude_of_origin",0`, `"latitude_of_origin",1`, 1), "原点纬度 1 不是 0（文件声明 EPSG:4547 CGCS2000 3度带高斯-克吕格 CM 114E，但参数不符）"},
		{"local CS", `LOCAL_CS["工地坐标系",LOCAL_DATUM["x",0],UNIT["metre",1]]`, `独立（工程）坐标系 "工地坐标系"`},
		{"vertical", `VERT_CS["Yellow Sea 1985 height",VERT_DATUM["Yellow Sea 1985",2005]]`, "不是平面或地理坐标系（VERT_CS）"},
		{"trailing comma", `GEOGCS["x",]`, "多余的逗号"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SRSFromPRJ(tc.wkt)
			if err == nil {
				t.Fatalf("SRSFromPRJ = %+v, want an error", got)
			}
			if !errors.Is(err, ErrUnknownSRS) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "请用 --srs 指定坐标系") {
				t.Errorf("SRSFromPRJ error:\n%v\nwant ErrUnknownSRS and %q", err, tc.want)
			}
		})
	}
}

// 临湘 (113.45°E, 29.47°N) in several SRSs, transformed from EPSG:4490 by
// GDAL 3.6.2 / PROJ 9.1.1 (gdaltransform -s_srs EPSG:4490 -t_srs EPSG:n
// -output_xy); srs_pg_test.go checks such values against PostGIS.
var (
	linxiang4547  = orb.Point{446652.405815247, 3261489.9325989}  // 3° CM 114E
	linxiang4526  = orb.Point{38446652.4058152, 3261489.9325989}  // 3° zone 38
	linxiang4498  = orb.Point{20155553.7740964, 3266617.92881644} // 6° zone 20 (CM 117E)
	linxiang4546  = orb.Point{737675.027303627, 3263864.89443141} // 3° CM 111E
	linxiang2435  = orb.Point{446651.508686703, 3261547.91292365} // Beijing 1954 3° CM 114E
	linxiang32649 = orb.Point{737579.957291764, 3262559.34856772}
	linxiang3857  = orb.Point{12629196.2304969, 3435603.59440635}
)

func TestCheckProjected(t *testing.T) {
	srs := func(code int) SRS { return srsByEPSG[code].srs() }
	swap := func(p orb.Point) orb.Point { return orb.Point{p[1], p[0]} }
	cases := []struct {
		name   string
		s      SRS
		p      orb.Point
		err    error // nil: accepted
		likely int
		msg    string // in the error, if set
	}{
		{"CM data, CM code", srs(4547), linxiang4547, nil, 0, ""},
		{"zone data, zone code", srs(4526), linxiang4526, nil, 0, ""},
		{"6° zone data, 6° zone code", srs(4498), linxiang4498, nil, 0, ""},
		{"neighbour CM zone", srs(4546), linxiang4546, nil, 0, ""},
		{"Beijing 1954", srs(2435), linxiang2435, nil, 0, ""},
		{"UTM", srs(32649), linxiang32649, nil, 0, ""},
		{"Web Mercator", srs(3857), linxiang3857, nil, 0, ""},
		// 116.9°E is 1.4° past the edge of the 114E zone: kept.
		{"past the zone edge", srs(4547), orb.Point{781347.492647182, 3264868.7433005}, nil, 0, ""},
		{"6° CM 117E from 113.45E", srs(4509), orb.Point{155553.774096354, 3266617.92881644}, nil, 0, ""},

		{"zone data, CM code", srs(4547), linxiang4526, ErrZoneNumber, 4526,
			"坐标 (38446652.4058152, 3261489.9325989) 与 CGCS2000 3度带高斯-克吕格 CM 114E (EPSG:4547) 不符：东坐标 38446652.4058152 含带号 38，应为 EPSG:4526（CGCS2000 3度带高斯-克吕格 第38带 含带号）而非 EPSG:4547"},
		{"CM data, zone code", srs(4526), linxiang4547, ErrNoZoneNumber, 4547,
			"东坐标 446652.405815247 不含带号 38，应为 EPSG:4547（CGCS2000 3度带高斯-克吕格 CM 114E）而非 EPSG:4526"},
		{"zone 38 data, zone 39 code", srs(4527), linxiang4526, ErrZoneNumber, 4526, "东坐标 38446652.4058152 的带号 38 与第 39 带不符，应为 EPSG:4526"},
		{"6° zone data, 3° CM code", srs(4547), linxiang4498, ErrZoneNumber, 4498, "含带号 20，应为 EPSG:4498"},
		{"zone data, Beijing 1954 CM code", srs(2435), linxiang4526, ErrZoneNumber, 2414, "应为 EPSG:2414（北京54 3度带高斯-克吕格 第38带 含带号）"},
		{"zone data, UTM code", srs(32649), linxiang4526, ErrZoneNumber, 4526, "含带号 38，应为 EPSG:4526"},
		{"degrees, CGCS2000 GK", srs(4547), orb.Point{113.45, 29.47}, ErrDegrees, 4490, "是经纬度（度）而不是投影坐标（米），应为 EPSG:4490"},
		{"degrees swapped, Xian 1980 GK", srs(2383), orb.Point{29.47, 113.45}, ErrDegrees, 4610, ""},
		{"degrees, UTM", srs(32649), orb.Point{113.45, 29.47}, ErrDegrees, 4326, ""},
		{"degrees outside China", srs(4547), orb.Point{2.35, 48.85}, ErrDegrees, 0, ""},
		{"swapped CM data", srs(4547), swap(linxiang4547), ErrAxesSwapped, 0, "东、北坐标可能颠倒"},
		{"swapped zone data", srs(4526), swap(linxiang4526), ErrAxesSwapped, 0, ""},
		{"swapped Web Mercator", srs(3857), swap(linxiang3857), ErrAxesSwapped, 0, ""},
		{"NaN", srs(4547), orb.Point{math.NaN(), 3261489}, ErrNotFinite, 0, "不是有效数字"},
		{"north of China", srs(4547), orb.Point{446652, 9e6}, ErrOutsideZone, 0, "换算后不在该投影带的中国境内范围"},
		{"south of the equator", srs(4547), orb.Point{446652, -3261489}, ErrOutsideZone, 0, ""},
		// 117.2°E, 40°N is 3.2° from 114E: another zone's data.
		{"beyond the zone", srs(4547), orb.Point{773285.285256799, 4434437.29969806}, ErrOutsideZone, 0, ""},
		{"GK data, Web Mercator code", srs(3857), linxiang4547, ErrOutsideZone, 0, ""},
		{"zone number outside China", srs(4547), orb.Point{60446652, 3261489}, ErrOutsideZone, 0, ""},
		{"zone 38 prefix, far off", srs(4547), orb.Point{38999999, 3261489}, ErrOutsideZone, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckProjected(tc.s, tc.p)
			if tc.err == nil {
				if err != nil {
					t.Fatalf("CheckProjected(%v, %v) = %v, want nil", tc.s, tc.p, err)
				}
				return
			}
			var pe *ProjectedError
			if !errors.As(err, &pe) || !errors.Is(err, tc.err) {
				t.Fatalf("CheckProjected(%v, %v) = %v, want a *ProjectedError for %v", tc.s, tc.p, err, tc.err)
			}
			if pe.Likely.EPSG != tc.likely {
				t.Errorf("Likely = %v, want EPSG:%d", pe.Likely, tc.likely)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error:\n%v\nwant it to contain %q", err, tc.msg)
			}
		})
	}
}

func TestCheckProjectedOther(t *testing.T) {
	// Longitude/latitude SRSs get CheckLonLat.
	for _, s := range []SRS{srsByEPSG[4490].srs(), srsByEPSG[4214].srs(), srsGCJ02} {
		if err := CheckProjected(s, orb.Point{113.45, 29.47}); err != nil {
			t.Errorf("CheckProjected(%v, 临湘) = %v", s, err)
		}
		if err := CheckProjected(s, linxiang4547); !errors.Is(err, ErrProjected) {
			t.Errorf("CheckProjected(%v, %v) = %v, want ErrProjected", s, linxiang4547, err)
		}
	}
	// A projected SRS gapmap does not know gets only the degrees test.
	lambert := SRS{EPSG: 2154, Projected: true}
	if err := CheckProjected(lambert, orb.Point{652000, 6862000}); err != nil {
		t.Errorf("CheckProjected(%v, metres) = %v", lambert, err)
	}
	var pe *ProjectedError
	if err := CheckProjected(lambert, orb.Point{2.35, 48.85}); !errors.As(err, &pe) || !errors.Is(err, ErrDegrees) || pe.Likely != (SRS{}) {
		t.Errorf("CheckProjected(%v, degrees) = %v, want ErrDegrees and no Likely", lambert, err)
	}
	// Nor does it know the SRS's bounds: a slip such as 1e308 must still
	// be refused before PostGIS transforms it (issue 23).
	for _, p := range []orb.Point{{1e308, 6862000}, {652000, -1e308}, {1.5e8, 0}} {
		if err := CheckProjected(lambert, p); !errors.Is(err, ErrTooFar) {
			t.Errorf("CheckProjected(%v, %v) = %v, want ErrTooFar", lambert, p, err)
		}
	}
}

// TestCheckProjectedEveryZone projects a point at each Gauss-Krüger zone's
// central meridian and its edges with the spherical formula, and checks
// that each code accepts its own points, that the CM and zone variants
// reject each other's with the other as Likely, and that the neighbouring
// zone's points are told apart when they carry zone numbers.
func TestCheckProjectedEveryZone(t *testing.T) {
	codes := make([]int, 0, len(srsByEPSG))
	for code, d := range srsByEPSG {
		if d.kind == kindGK {
			codes = append(codes, code)
		}
	}
	sort.Ints(codes)
	for _, code := range codes {
		d := srsByEPSG[code]
		other, _ := gkDef(d.fam, d.width, d.cm, d.zone == 0)
		for _, dLon := range []float64{-float64(d.width) / 2, 0, float64(d.width) / 2} {
			for _, lat := range []float64{18.2, 30, 53.5} {
				p := forwardTM(d, dLon, lat)
				if err := CheckProjected(d.srs(), p); err != nil {
					t.Errorf("EPSG:%d, %+.1f° from CM, %v°N: %v", code, dLon, lat, err)
				}
				var pe *ProjectedError
				err := CheckProjected(other.srs(), p)
				want := ErrZoneNumber
				if d.zone == 0 {
					want = ErrNoZoneNumber
				}
				if !errors.As(err, &pe) || !errors.Is(err, want) || pe.Likely.EPSG != code {
					t.Errorf("EPSG:%d point checked as EPSG:%d = %v, want %v with Likely EPSG:%d", code, other.epsg, err, want, code)
				}
			}
		}
	}
}

// forwardTM projects the point dLon degrees east of d's central meridian at
// latitude lat with the spherical transverse Mercator that fits inverts.
func forwardTM(d srsDef, dLon, lat float64) orb.Point {
	l, p := dLon*math.Pi/180, lat*math.Pi/180
	b := math.Cos(p) * math.Sin(l)
	x := 0.5 * math.Log((1+b)/(1-b)) * fitRadiusM * d.scale()
	y := math.Atan2(math.Tan(p), math.Cos(l)) * fitRadiusM * d.scale()
	return orb.Point{x + d.falseEasting(), y}
}

func ExampleParseSRS() {
	for _, s := range []string{"EPSG:4547", "cgcs2000-gk3-z38", "西安80 3度带 114E", "gcj02"} {
		srs, err := ParseSRS(s)
		fmt.Println(srs, err)
	}
	// Output:
	// CGCS2000 3度带高斯-克吕格 CM 114E (EPSG:4547) <nil>
	// CGCS2000 3度带高斯-克吕格 第38带 含带号 (EPSG:4526) <nil>
	// 西安80 3度带高斯-克吕格 CM 114E (EPSG:2383) <nil>
	// GCJ-02 经纬度（高德、腾讯） <nil>
}

func ExampleSRSFromPRJ() {
	prj := `PROJCS["CGCS2000_3_Degree_GK_Zone_38",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",` +
		`DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],` +
		`UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",38500000.0],` +
		`PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",114.0],PARAMETER["Scale_Factor",1.0],` +
		`PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
	srs, err := SRSFromPRJ(prj)
	fmt.Println(srs.EPSG, srs.Projected, err)
	// Output:
	// 4526 true <nil>
}

func ExampleCheckProjected() {
	srs, _ := ParseSRS("EPSG:4547") // what the .prj says
	err := CheckProjected(srs, orb.Point{38446652.4, 3261489.9})
	fmt.Println(err)
	// Output:
	// 坐标 (38446652.4, 3261489.9) 与 CGCS2000 3度带高斯-克吕格 CM 114E (EPSG:4547) 不符：东坐标 38446652.4 含带号 38，应为 EPSG:4526（CGCS2000 3度带高斯-克吕格 第38带 含带号）而非 EPSG:4547
}
