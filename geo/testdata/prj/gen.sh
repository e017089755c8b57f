#!/bin/sh
# gen.sh regenerates the GDAL-written .prj fixtures in this directory; see
# README.md. Run it here with GDAL's gdalsrsinfo on PATH (Debian: apt-get
# install gdal-bin). The committed files come from GDAL 3.6.2 / PROJ 9.1.1.
# Hand-written fixtures (arcgis*.prj, other-*.prj) are not touched.
set -eu

# Codes SRSFromPRJ identifies, and codes it must refuse (EPSG:28420 Pulkovo
# 1942 GK zone 20, a Krassowsky datum that is not Beijing 1954;
# ESRI:102012 Asia Lambert; EPSG:4479 CGCS2000 geocentric).
codes="EPSG:4326 EPSG:4490 EPSG:4547 EPSG:4546 EPSG:4526 EPSG:4527 EPSG:4499 EPSG:4509
EPSG:2383 EPSG:2362 EPSG:2435 EPSG:2414 EPSG:21460 EPSG:21418 EPSG:4610 EPSG:4214
EPSG:4555 EPSG:4795 EPSG:3857 EPSG:32649 EPSG:28420 ESRI:102012 EPSG:4479"

for c in $codes; do
	base=$(echo "$c" | tr 'A-Z' 'a-z' | tr -d ':')
	# ESRI WKT1 on one line, as ArcGIS and GDAL's shapefile driver write .prj files.
	# GDAL cannot write every CRS as ESRI WKT (geocentric ones), so allow failure.
	if out=$(gdalsrsinfo --single-line -o wkt_esri "$c" 2>/dev/null | sed '/^$/d') && [ -n "$out" ]; then
		printf '%s\n' "$out" >"$base.esri.prj"
	fi
	# OGC WKT1 with AUTHORITY nodes, as GDAL 2 and QGIS 2 write them.
	gdalsrsinfo -o wkt1 "$c" | sed '/^$/d' >"$base.wkt1.prj"
	# WKT2 (ISO 19162:2019), as GDAL 3 and QGIS 3 write them.
	gdalsrsinfo -o wkt2 "$c" | sed '/^$/d' >"$base.wkt2.prj"
done
