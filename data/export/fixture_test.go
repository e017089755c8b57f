package export

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

// esri4490 is `gdalsrsinfo -o wkt_esri EPSG:4490` on one line: the .prj
// ArcGIS and GDAL write for CGCS2000 lon/lat.
const esri4490 = `GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`

var cst = time.FixedZone("CST", 8*3600)

func day(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, cst) }

// testFields covers every type, a name that must be shortened and one
// whose shortened form collides with it.
var testFields = []Field{
	{Name: "name", Title: "名称", Type: String},
	{Name: "poor_population", Title: "贫困人口", Type: Int},
	{Name: "poor_population_households", Title: "贫困户数", Type: Int},
	{Name: "poverty_rate", Title: "贫困发生率", Type: Float},
	{Name: "electrified", Title: "通电", Type: Bool},
	{Name: "surveyed", Title: "调查日期", Type: Date},
	{Name: "updated_at", Title: "更新时间", Type: DateTime},
	{Name: "note", Title: "备注", Type: String},
}

// longNote is 130 CJK characters: 390 bytes in UTF-8 and 260 in GBK, so
// a Shapefile cuts it in both encodings (to 84 and 127 characters).
var longNote = strings.Repeat("柘", 130)

// testRows are the attribute rows; feature i of a layer takes row i%4.
var testRows = [][]any{
	{"羊楼司镇柘庄村", int64(123), int64(45), 36.31, true, day(2016, 12, 31), time.Date(2024, 3, 5, 14, 30, 0, 0, cst), `村部位于 A&B <路口>, "老街"`},
	{"坦渡乡 🌾", int64(430682101201), 7, 0.1, false, day(2020, 2, 29), time.Date(2023, 12, 31, 23, 59, 59, 0, cst), longNote},
	{nil, nil, nil, nil, nil, nil, nil, nil},
	{"=SUM(A1)", int64(-5), nil, -1234.5678, nil, day(1999, 1, 1), nil, "第一行\n第二行"},
}

// testLayer is a layer of the fixture and its geometries.
type testLayer struct {
	layer Layer
	geoms []orb.Geometry
}

func fixtureLayer(name, title, geom string, geoms ...orb.Geometry) testLayer {
	return testLayer{
		layer: Layer{Name: name, Title: title, Description: title + "（测试数据）", Geometry: geom,
			SRID: 4490, SRSName: "CGCS2000 经纬度（EPSG:4490）", PRJ: esri4490, Fields: testFields},
		geoms: geoms,
	}
}

// Polygons in RFC 7946 orientation (exterior counter-clockwise) unless
// named otherwise.
var (
	township = orb.Polygon{
		{{113.0, 29.0}, {113.4, 29.0}, {113.4, 29.3}, {113.0, 29.3}, {113.0, 29.0}},
		{{113.1, 29.1}, {113.1, 29.2}, {113.2, 29.2}, {113.2, 29.1}, {113.1, 29.1}}, // hole, clockwise
	}
	twoParts = orb.MultiPolygon{
		{{{113.5, 29.5}, {113.6, 29.5}, {113.6, 29.6}, {113.5, 29.5}}},
		{
			{{114.0, 29.0}, {114.5, 29.0}, {114.5, 29.5}, {114.0, 29.5}, {114.0, 29.0}},
			{{114.1, 29.1}, {114.1, 29.2}, {114.2, 29.2}, {114.2, 29.1}, {114.1, 29.1}},
		},
	}
	// clockwiseOpen has its exterior clockwise and its ring not closed.
	clockwiseOpen = orb.Polygon{{{112.0, 28.0}, {112.0, 28.1}, {112.1, 28.1}, {112.1, 28.0}}}
)

var (
	villages = fixtureLayer("villages", "村庄", GeomPoint,
		orb.Point{113.4512345, 29.4812345},
		orb.MultiPoint{{113.5, 29.6}}, // one point: written as a Point
		nil,
		orb.Point{113.6000001, 29.7},
	)
	roads = fixtureLayer("roads", "道路", GeomLineString,
		orb.LineString{{113.1, 29.1}, {113.2, 29.25}, {113.3, 29.2}},
		orb.MultiLineString{{{113.0, 29.0}, {113.1, 29.05}}, {{113.2, 29.0}, {113.25, 29.1}, {113.3, 29.0}}},
		nil,
		orb.LineString{{112.9, 28.9}, {112.95, 28.95}},
	)
	townships = fixtureLayer("townships", "乡镇", GeomMultiPolygon,
		township, twoParts, nil, clockwiseOpen)
	mixed = fixtureLayer("mixed", "混合", GeomGeometry,
		orb.Point{113.45, 29.48},
		orb.LineString{{113.1, 29.1}, {113.2, 29.25}},
		township,
		nil,
		orb.Collection{orb.Point{113.7, 29.7}, clockwiseOpen},
	)
)

// testMeta is the export's Meta; "empty" is requested but never written.
var testMeta = Meta{
	Layers:      []string{"villages", "roads", "townships", "mixed", "empty"},
	Filters:     map[string]string{"乡镇": "羊楼司镇", "年度": "2024"},
	DataVersion: "2024-06 普查",
	ExportedAt:  time.Date(2024, 6, 1, 9, 30, 0, 0, cst),
	Source:      "临湘市脱贫攻坚规划系统",
	Attribution: "© 临湘市乡村振兴局",
	CRS:         "CGCS2000 经纬度（EPSG:4490）",
}

// writeLayers writes the layers through w, feature i taking testRows[i%4],
// and closes it with testMeta.
func writeLayers(tb testing.TB, w Writer, layers ...testLayer) {
	tb.Helper()
	for _, tl := range layers {
		if err := w.BeginLayer(tl.layer); err != nil {
			tb.Fatalf("BeginLayer(%s): %v", tl.layer.Name, err)
		}
		for i, g := range tl.geoms {
			if err := w.Write(g, testRows[i%len(testRows)]); err != nil {
				tb.Fatalf("Write(%s #%d): %v", tl.layer.Name, i, err)
			}
		}
		if err := w.EndLayer(); err != nil {
			tb.Fatalf("EndLayer(%s): %v", tl.layer.Name, err)
		}
	}
	if err := w.Close(testMeta); err != nil {
		tb.Fatalf("Close: %v", err)
	}
}

// writeFile writes the layers with the writer newWriter makes into a file
// named name in a fresh temporary directory and returns its path.
func writeFile(tb testing.TB, name string, newWriter func(io.Writer) Writer, layers ...testLayer) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	writeLayers(tb, newWriter(f), layers...)
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// wgs84 returns the layer relabelled as EPSG:4326, as GeoJSON and KML
// want (the coordinates are the same numbers).
func wgs84(tl testLayer) testLayer {
	tl.layer.SRID, tl.layer.SRSName, tl.layer.PRJ = 4326, "WGS 84", ""
	return tl
}
