package geo

import "math"

// EPSG codes gapmap uses.
const (
	// CGCS2000 is the storage CRS: CGCS2000 geographic longitude/latitude
	// (EPSG:4490), the legal standard for Chinese survey data. At county
	// precision it is numerically identical to WGS84.
	CGCS2000 = 4490
	// WGS84 is EPSG:4326, used by GeoJSON (RFC 7946) and KML.
	WGS84 = 4326
	// WebMercator is EPSG:3857, the projection of vector tiles.
	WebMercator = 3857
)

// GaussKrugerZone3 returns the EPSG code of the CGCS2000 3-degree
// Gauss-Krüger projection whose central meridian is nearest lon, in its
// "CM" variant without the zone number in the false easting (EPSG:4534 for
// 75°E up to 4554 for 135°E). Hunan uses 4546 (111°E) and 4547 (114°E).
// It returns 0 for a longitude outside China's 73.5–136.5°E.
func GaussKrugerZone3(lon float64) int {
	if lon < 73.5 || lon > 136.5 {
		return 0
	}
	cm := math.Round(lon/3) * 3
	cm = math.Min(math.Max(cm, 75), 135)
	return 4534 + int(cm-75)/3
}

// earthRadiusM is the mean Earth radius in metres (IUGG), the sphere of
// the plausibility checks in srs.go.
const earthRadiusM = 6371008.8
