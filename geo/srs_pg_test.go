package geo

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
)

// This file cross-checks the EPSG table against a real PostGIS. Package geo
// must not import a database driver, so the test runs psql, which the
// PostGIS images ship, against GAPMAP_TEST_DATABASE_URL. Like
// data/datatest, it skips when that is unset, unless CI is set.

// psqlRows runs query through psql against GAPMAP_TEST_DATABASE_URL and
// returns its rows, fields split on '|'.
func psqlRows(tb testing.TB, query string) [][]string {
	tb.Helper()
	url := os.Getenv("GAPMAP_TEST_DATABASE_URL")
	if url == "" {
		if os.Getenv("CI") != "" {
			tb.Fatal("GAPMAP_TEST_DATABASE_URL is not set but CI is: the PostGIS cross-check must run (use `make test`)")
		}
		tb.Skip("GAPMAP_TEST_DATABASE_URL is not set")
	}
	psql, err := exec.LookPath("psql")
	if err != nil {
		tb.Fatalf("GAPMAP_TEST_DATABASE_URL is set but psql is not on PATH: %v", err)
	}
	cmd := exec.CommandContext(tb.Context(), psql, "-X", "-q", "-A", "-t", "-F", "|", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", "-")
	cmd.Stdin = strings.NewReader(query)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("psql: %v\n%s", err, stderr.String())
	}
	var rows [][]string
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		if line != "" {
			rows = append(rows, strings.Split(line, "|"))
		}
	}
	return rows
}

// pgTestPoint returns the EPSG:4490 point the cross-check transforms into
// d: 临湘 (113.45°E, 29.47°N), or for a zone elsewhere the point as far west
// of its central meridian as 临湘 is of 114°E.
func pgTestPoint(d srsDef) orb.Point {
	if d.kind == kindGK || d.kind == kindUTM {
		return orb.Point{float64(d.cm) - 0.55, 29.47}
	}
	return orb.Point{113.45, 29.47}
}

// epsgName returns the name EPSG gives d, as in spatial_ref_sys's srtext.
func (d srsDef) epsgName() string {
	switch d.kind {
	case kindGeographic:
		if d.fam == famCGCS2000 {
			return "China Geodetic Coordinate System 2000"
		}
		return d.fam.epsgName
	case kindGK:
		w := ""
		if d.width == 3 {
			w = "3-degree "
		}
		if d.zone != 0 {
			return fmt.Sprintf("%s / %sGauss-Kruger zone %d", d.fam.epsgName, w, d.zone)
		}
		return fmt.Sprintf("%s / %sGauss-Kruger CM %dE", d.fam.epsgName, w, d.cm)
	case kindUTM:
		return fmt.Sprintf("WGS 84 / UTM zone %dN", d.zone)
	case kindWebMercator:
		return "WGS 84 / Pseudo-Mercator"
	}
	return ""
}

// proj4Params parses "+k=v" terms of a PROJ string; flags get "".
func proj4Params(s string) map[string]string {
	m := map[string]string{}
	for f := range strings.FieldsSeq(s) {
		k, v, _ := strings.Cut(strings.TrimPrefix(f, "+"), "=")
		m[k] = v
	}
	return m
}

// proj4A returns the semi-major axis of a PROJ string's ellipsoid, metres.
func proj4A(p map[string]string) float64 {
	if a, err := strconv.ParseFloat(p["a"], 64); err == nil {
		return a
	}
	switch {
	case p["ellps"] == "GRS80", p["ellps"] == "WGS84", p["datum"] == "WGS84":
		return 6378137
	case p["ellps"] == "krass":
		return 6378245
	}
	return 0
}

// TestSRSAgainstPostGIS checks every code gapmap can return against the
// PostGIS at GAPMAP_TEST_DATABASE_URL: the srid is in spatial_ref_sys under
// its EPSG name, its PROJ parameters are the ones the table assumes, a
// point transformed into it and back round-trips, and the point PostGIS
// computes passes CheckProjected for that code while the code's zone-number
// twin rejects it with that code as Likely.
//
// Geographic codes are transformed from EPSG:4490; projected ones from
// their own datum's geographic code, which the geographic rows tie to
// EPSG:4490. Going from EPSG:4490 directly would test the same thing at
// 20 times the cost: PROJ takes about 60 ms to set up each transformation
// between datums, and PostGIS 3.3.2 with PROJ 9.1.1 applies no shift
// between CGCS2000 and Beijing 1954 or Xi'an 1980 anyway (its EPSG data has
// no such transformation; TestLinxiangAgainstPostGIS logs the shift).
func TestSRSAgainstPostGIS(t *testing.T) {
	codes := make([]int, 0, len(srsByEPSG))
	for code := range srsByEPSG {
		codes = append(codes, code)
	}
	sort.Ints(codes)
	var values strings.Builder
	for i, code := range codes {
		d := srsByEPSG[code]
		p, from := pgTestPoint(d), d.fam.geog
		if d.kind == kindGeographic {
			from = CGCS2000
		}
		if i > 0 {
			values.WriteString(",\n")
		}
		fmt.Fprintf(&values, "(%d, %d, %s, %s)", code, from, formatCoord(p[0]), formatCoord(p[1]))
	}
	// Each row is srid|auth|name|proj4text|x|y|back_lon|back_lat.
	rows := psqlRows(t, `
WITH c(srid, src, lon, lat) AS (VALUES `+values.String()+`),
p AS (
  SELECT c.srid, c.src, s.auth_name || ':' || s.auth_srid AS auth,
         substring(s.srtext from '^[A-Z_]+\["([^"]+)"') AS name, s.proj4text,
         ST_Transform(ST_SetSRID(ST_Point(c.lon, c.lat), c.src), c.srid) AS g
  FROM c LEFT JOIN spatial_ref_sys s ON s.srid = c.srid
)
SELECT srid, coalesce(auth, ''), coalesce(name, ''), coalesce(proj4text, ''),
       ST_X(g), ST_Y(g), ST_X(ST_Transform(g, src)), ST_Y(ST_Transform(g, src))
FROM p ORDER BY srid;
`)
	if len(rows) != len(codes) {
		t.Fatalf("psql returned %d rows for %d codes", len(rows), len(codes))
	}
	for i, row := range rows {
		code := codes[i]
		d := srsByEPSG[code]
		if len(row) != 8 || row[0] != strconv.Itoa(code) {
			t.Fatalf("row %d = %q, want 8 fields for EPSG:%d", i, row, code)
		}
		if row[1] != "EPSG:"+row[0] {
			t.Errorf("EPSG:%d: spatial_ref_sys has %q", code, row[1])
			continue
		}
		if row[2] != d.epsgName() {
			t.Errorf("EPSG:%d is %q in spatial_ref_sys, want %q (%s)", code, row[2], d.epsgName(), d.label())
		}
		p4 := proj4Params(row[3])
		if a := proj4A(p4); math.Abs(a-d.fam.a) > 0.5 {
			t.Errorf("EPSG:%d: ellipsoid a = %v in %q, want %v", code, a, row[3], d.fam.a)
		}
		switch d.kind {
		case kindGeographic:
			if p4["proj"] != "longlat" {
				t.Errorf("EPSG:%d: %q is not longlat", code, row[3])
			}
		case kindGK:
			want := fmt.Sprintf("tmerc lat_0=0 lon_0=%d k=1 x_0=%s y_0=0", d.cm, formatCoord(d.falseEasting()))
			got := fmt.Sprintf("%s lat_0=%s lon_0=%s k=%s x_0=%s y_0=%s", p4["proj"], p4["lat_0"], p4["lon_0"], p4["k"], p4["x_0"], p4["y_0"])
			if got != want {
				t.Errorf("EPSG:%d: %q, want %s", code, row[3], want)
			}
		case kindUTM:
			_, south := p4["south"]
			if p4["proj"] != "utm" || p4["zone"] != strconv.Itoa(d.zone) || south {
				t.Errorf("EPSG:%d: %q, want UTM zone %dN", code, row[3], d.zone)
			}
		case kindWebMercator:
			if p4["proj"] != "merc" || p4["a"] != "6378137" || p4["b"] != "6378137" {
				t.Errorf("EPSG:%d: %q is not spherical Mercator", code, row[3])
			}
		}

		var f [4]float64
		for j := range f {
			v, err := strconv.ParseFloat(row[4+j], 64)
			if err != nil {
				t.Fatalf("EPSG:%d: field %d %q: %v", code, 4+j, row[4+j], err)
			}
			f[j] = v
		}
		in, got, back := pgTestPoint(d), orb.Point{f[0], f[1]}, orb.Point{f[2], f[3]}
		if math.Abs(back[0]-in[0]) > 1e-7 || math.Abs(back[1]-in[1]) > 1e-7 {
			t.Errorf("EPSG:%d: %v → %v → %v does not round-trip", code, in, got, back)
		}
		if !inChinaBox(in) {
			continue // UTM zones outside China
		}
		if err := CheckProjected(d.srs(), got); err != nil {
			t.Errorf("EPSG:%d: PostGIS puts %v at %v, which CheckProjected rejects: %v", code, in, got, err)
		}
		if d.kind != kindGK {
			continue
		}
		twin, _ := gkDef(d.fam, d.width, d.cm, d.zone == 0)
		want := ErrZoneNumber
		if d.zone == 0 {
			want = ErrNoZoneNumber
		}
		var pe *ProjectedError
		if err := CheckProjected(twin.srs(), got); !errors.As(err, &pe) || !errors.Is(err, want) || pe.Likely.EPSG != code {
			t.Errorf("EPSG:%d point %v checked as EPSG:%d = %v, want %v with Likely EPSG:%d", code, got, twin.epsg, err, want, code)
		}
	}
}

// TestLinxiangAgainstPostGIS checks the GDAL-computed coordinates of 临湘
// that the unit tests use against PostGIS, to 1 mm, and logs how far
// PostGIS moves 临湘 between CGCS2000 and the older datums.
func TestLinxiangAgainstPostGIS(t *testing.T) {
	want := map[int]orb.Point{
		4547: linxiang4547, 4526: linxiang4526, 4498: linxiang4498, 4546: linxiang4546,
		2435: linxiang2435, 32649: linxiang32649, 3857: linxiang3857,
	}
	rows := psqlRows(t, `
SELECT srid, ST_X(g), ST_Y(g)
FROM (SELECT srid, ST_Transform(ST_SetSRID(ST_Point(113.45, 29.47), 4490), srid) AS g
      FROM unnest(ARRAY[4547, 4526, 4498, 4546, 2435, 32649, 3857, 4214, 4610, 4555]) AS srid) t
ORDER BY srid;`)
	for _, row := range rows {
		code, _ := strconv.Atoi(row[0])
		x, _ := strconv.ParseFloat(row[1], 64)
		y, _ := strconv.ParseFloat(row[2], 64)
		if w, ok := want[code]; ok {
			if math.Abs(x-w[0]) > 1e-3 || math.Abs(y-w[1]) > 1e-3 {
				t.Errorf("临湘 in EPSG:%d: PostGIS %v, %v; unit tests use %v", code, x, y, w)
			}
			continue
		}
		t.Logf("临湘 113.45, 29.47 (EPSG:4490) is %.7f, %.7f in EPSG:%d (%s): moved %.1f m",
			x, y, code, srsByEPSG[code].label(), orbgeo.DistanceHaversine(orb.Point{x, y}, orb.Point{113.45, 29.47}))
	}
}
