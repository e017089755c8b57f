package gpkg

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	gogeom "github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/ewkb"
	"github.com/twpayne/go-geom/encoding/wkb"
	"github.com/twpayne/go-geom/encoding/wkt"

	"github.com/gapmap/gapmap/data/gdaltest"
	"github.com/gapmap/gapmap/geo"
)

// surveyShapes are the geometries of a survey delivery, as WKT with a "~"
// after each XY where the layout's Z and M go. Heights and measures are
// far from the XY, so that a decoder that took them for XY is caught by
// the exact comparison.
var surveyShapes = []string{
	"POINT (113.45 29.48~)",
	"LINESTRING (113.1 29.1~,113.2 29.25~,113.3 29.2~)",
	"POLYGON ((113.0 29.0~,113.4 29.0~,113.4 29.3~,113.0 29.3~,113.0 29.0~)," +
		"(113.1 29.1~,113.1 29.2~,113.2 29.2~,113.2 29.1~,113.1 29.1~))",
	"MULTIPOINT ((113.1 29.1~),(113.2 29.2~),(113.3 29.15~))",
	"MULTILINESTRING ((113.0 29.0~,113.1 29.05~),(113.2 29.0~,113.25 29.1~,113.3 29.0~))",
	"MULTIPOLYGON (((113.5 29.5~,113.6 29.5~,113.6 29.6~,113.5 29.5~))," +
		"((114.0 29.0~,114.5 29.0~,114.5 29.5~,114.0 29.5~,114.0 29.0~),(114.1 29.1~,114.1 29.2~,114.2 29.2~,114.1 29.1~)))",
	"GEOMETRYCOLLECTION (POINT (113.45 29.48~),LINESTRING (113.1 29.1~,113.2 29.25~))",
}

// layouts are the four coordinate layouts with their WKT tag and Dims.
var layouts = []struct {
	name string
	tag  string // after the type name in WKT
	dims geo.Dims
}{
	{"XY", "", 0},
	{"XYZ", " Z", geo.DimZ},
	{"XYM", " M", geo.DimM},
	{"XYZM", " ZM", geo.DimZ | geo.DimM},
}

// surveyWKT fills shape in with layout d: the tag after every type name
// (a collection's members too) and, at the i-th distinct XY, height
// 30+1.25i and measure 1000+10.5i, so that a ring closes in Z and M too.
func surveyWKT(shape string, tag string, d geo.Dims) string {
	for _, typ := range []string{"GEOMETRYCOLLECTION", "MULTIPOLYGON", "MULTILINESTRING", "MULTIPOINT", "POLYGON", "LINESTRING", "POINT"} {
		shape = strings.ReplaceAll(shape, typ+" (", typ+"\x00"+" (")
	}
	shape = strings.ReplaceAll(shape, "\x00", tag)
	var b strings.Builder
	seen := map[string]int{}
	xy := 0 // where the current position's XY starts in b
	for _, c := range shape {
		switch c {
		case '(', ',':
			b.WriteRune(c)
			xy = b.Len()
			continue
		case '~':
		default:
			b.WriteRune(c)
			continue
		}
		key := b.String()[xy:]
		i, ok := seen[key]
		if !ok {
			i = len(seen)
			seen[key] = i
		}
		if d.Z() {
			fmt.Fprintf(&b, " %g", 30+1.25*float64(i))
		}
		if d.M() {
			fmt.Fprintf(&b, " %g", 1000+10.5*float64(i))
		}
	}
	return b.String()
}

// orbXY is go-geom's reading of g cut to XY, in the orb types the decoder
// returns: what data/gpkg must give for g's WKB.
func orbXY(g gogeom.T) orb.Geometry {
	pts := func(cs []gogeom.Coord) []orb.Point {
		out := make([]orb.Point, len(cs))
		for i, c := range cs {
			out[i] = orb.Point{c.X(), c.Y()}
		}
		return out
	}
	poly := func(rs [][]gogeom.Coord) orb.Polygon {
		p := make(orb.Polygon, len(rs))
		for i, r := range rs {
			p[i] = pts(r)
		}
		return p
	}
	switch g := g.(type) {
	case *gogeom.Point:
		return orb.Point{g.X(), g.Y()}
	case *gogeom.LineString:
		return orb.LineString(pts(g.Coords()))
	case *gogeom.Polygon:
		return poly(g.Coords())
	case *gogeom.MultiPoint:
		return orb.MultiPoint(pts(g.Coords()))
	case *gogeom.MultiLineString:
		ml := orb.MultiLineString{}
		for _, l := range g.Coords() {
			ml = append(ml, pts(l))
		}
		return ml
	case *gogeom.MultiPolygon:
		mp := orb.MultiPolygon{}
		for _, p := range g.Coords() {
			mp = append(mp, poly(p))
		}
		return mp
	case *gogeom.GeometryCollection:
		c := orb.Collection{}
		for _, m := range g.Geoms() {
			c = append(c, orbXY(m))
		}
		return c
	}
	panic(fmt.Sprintf("orbXY: %T", g))
}

// layoutDims is the Dims of a go-geom layout.
func layoutDims(l gogeom.Layout) geo.Dims {
	var d geo.Dims
	if l.ZIndex() >= 0 {
		d |= geo.DimZ
	}
	if l.MIndex() >= 0 {
		d |= geo.DimM
	}
	return d
}

// gpkgBlob wraps WKB in a little-endian GeoPackage header for SRS 4490
// with envelope indicator env (0 none, 1 xy, 2 xyz, 3 xym, 4 xyzm), the
// envelope taken from go-geom's bounds of g.
func gpkgBlob(g gogeom.T, env int, wkbBytes []byte) []byte {
	b := []byte{'G', 'P', 0, byte(flagLittleEndian | env<<1)}
	b = binary.LittleEndian.AppendUint32(b, 4490)
	bounds := g.Bounds()
	axes := [][]int{nil, {0, 1}, {0, 1, 2}, {0, 1, 3}, {0, 1, 2, 3}}[env]
	for _, axis := range axes {
		// go-geom numbers the axes of its layout; the envelope names them:
		// x, y, z, m. A missing axis (an xyz envelope of XY) is written as
		// NaN, which no reader uses.
		lo, hi := math.NaN(), math.NaN()
		if i := layoutIndex(g.Layout(), axis); i >= 0 {
			lo, hi = bounds.Min(i), bounds.Max(i)
		}
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(lo))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(hi))
	}
	return append(b, wkbBytes...)
}

// layoutIndex is where axis (0 x, 1 y, 2 z, 3 m) is in layout l, or -1.
func layoutIndex(l gogeom.Layout, axis int) int {
	switch axis {
	case 2:
		return l.ZIndex()
	case 3:
		return l.MIndex()
	}
	return axis
}

// TestDimsGoGeom makes go-geom the oracle of the WKB decoder: every survey
// shape in every layout, encoded by go-geom as ISO WKB and as EWKB (with
// and without an SRID) in both byte orders, wrapped in a GeoPackage header
// with no envelope and with the layout's, must decode to go-geom's XY,
// exactly, and report the layout's Z and M.
func TestDimsGoGeom(t *testing.T) {
	for _, shape := range surveyShapes {
		for _, l := range layouts {
			text := surveyWKT(shape, l.tag, l.dims)
			g, err := wkt.Unmarshal(text)
			if err != nil {
				t.Fatalf("go-geom cannot parse %s: %v", text, err)
			}
			if got := layoutDims(g.Layout()); got != l.dims {
				t.Fatalf("go-geom reads %s as %v, want %v", text, g.Layout(), l.name)
			}
			want := orbXY(g)
			withSRID, err := gogeom.SetSRID(g, 4490)
			if err != nil {
				t.Fatal(err)
			}
			encodings := []struct {
				name string
				enc  func() ([]byte, error)
			}{
				{"ISO WKB NDR", func() ([]byte, error) { return wkb.Marshal(g, wkb.NDR) }},
				{"ISO WKB XDR", func() ([]byte, error) { return wkb.Marshal(g, wkb.XDR) }},
				{"EWKB NDR", func() ([]byte, error) { return ewkb.Marshal(g, ewkb.NDR) }},
				{"EWKB XDR with SRID", func() ([]byte, error) { return ewkb.Marshal(withSRID, ewkb.XDR) }},
			}
			envs := []int{0, 1 + int(l.dims)} // none, and the layout's: 1 xy, 2 xyz, 3 xym, 4 xyzm
			for _, e := range encodings {
				raw, err := e.enc()
				if err != nil {
					t.Fatalf("%s %s: %v", e.name, text, err)
				}
				for _, env := range envs {
					got, dims, err := decodeGeometry(gpkgBlob(g, env, raw))
					if err != nil {
						t.Errorf("%s, envelope %d, %s: %v", e.name, env, text, err)
						continue
					}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("%s, envelope %d, %s:\ngot  %v\nwant %v (go-geom)", e.name, env, text, got, want)
					}
					if dims != l.dims {
						t.Errorf("%s, envelope %d, %s: dims %v, want %v", e.name, env, text, dims, l.dims)
					}
				}
			}
		}
	}
}

// TestDimsEnvelope: an envelope with z or m says the geometry has them,
// whatever its WKB says; an empty geometry carries nothing.
func TestDimsEnvelope(t *testing.T) {
	g, err := wkt.Unmarshal("LINESTRING (113.1 29.1,113.2 29.25)")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := wkb.Marshal(g, wkb.NDR)
	if err != nil {
		t.Fatal(err)
	}
	for env, want := range []geo.Dims{0, 0, geo.DimZ, geo.DimM, geo.DimZ | geo.DimM} {
		if _, dims, err := decodeGeometry(gpkgBlob(g, env, raw)); err != nil || dims != want {
			t.Errorf("XY line with envelope %d: dims %v, %v; want %v", env, dims, err, want)
		}
	}
	empty := gp(2, flagEmpty, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
	if got, dims, err := decodeGeometry(empty); got != nil || dims != 0 || err != nil {
		t.Errorf("empty geometry with xyz envelope: %v, %v, %v; want nil, XY, nil", got, dims, err)
	}
	emptyZ := gp(0, 0, byte(1), 1001, math.NaN(), math.NaN(), math.NaN())
	if got, dims, err := decodeGeometry(emptyZ); got != nil || dims != 0 || err != nil {
		t.Errorf("empty ISO point Z: %v, %v, %v; want nil, XY, nil", got, dims, err)
	}
}

// TestDimsGDAL reads GeoPackages GDAL wrote from the survey shapes in each
// layout (ogr2ogr from a CSV of WKT, -dim setting the layer's): the Reader
// must give go-geom's XY exactly and report what ogrinfo reports.
func TestDimsGDAL(t *testing.T) {
	gdaltest.Tool(t, "ogr2ogr")
	dir := t.TempDir()
	path := filepath.Join(dir, "survey.gpkg")
	for i, l := range layouts {
		var csv strings.Builder
		csv.WriteString("WKT,n\n")
		for j, shape := range surveyShapes {
			fmt.Fprintf(&csv, "\"%s\",%d\n", surveyWKT(shape, l.tag, l.dims), j)
		}
		src := filepath.Join(dir, l.name+".csv")
		if err := os.WriteFile(src, []byte(csv.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		args := []string{"-f", "GPKG", path, src, "-a_srs", "EPSG:4490", "-nln", "survey_" + strings.ToLower(l.name), "-dim", l.name}
		if i > 0 {
			args = append([]string{"-update"}, args...)
		}
		run(t, "ogr2ogr", args...)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, l := range layouts {
		layer := "survey_" + strings.ToLower(l.name)
		t.Run(l.name, func(t *testing.T) {
			r, err := f.Read(layer)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			var n int
			for ; r.Next(); n++ {
				text := surveyWKT(surveyShapes[n], l.tag, l.dims)
				g, err := wkt.Unmarshal(text)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := r.Record().Geometry, orbXY(g); !reflect.DeepEqual(got, want) {
					t.Errorf("feature %d:\ngot  %v\nwant %v (go-geom's XY of %s)", n, got, want, text)
				}
			}
			if err := r.Err(); err != nil {
				t.Fatal(err)
			}
			if n != len(surveyShapes) {
				t.Fatalf("read %d features, want %d", n, len(surveyShapes))
			}
			if r.Dims() != l.dims {
				t.Errorf("Dims() = %v, want %v", r.Dims(), l.dims)
			}
			info := run(t, "ogrinfo", "-so", path, layer)
			var gdalDims geo.Dims
			for _, line := range strings.Split(info, "\n") {
				if typ, ok := strings.CutPrefix(line, "Geometry: "); ok {
					if strings.Contains(typ, "3D") {
						gdalDims |= geo.DimZ
					}
					if strings.Contains(typ, "Measured") {
						gdalDims |= geo.DimM
					}
				}
			}
			if gdalDims != r.Dims() {
				t.Errorf("Dims() = %v, ogrinfo says %v:\n%s", r.Dims(), gdalDims, info)
			}
		})
	}
}
