// Package osm reads OpenStreetMap extracts — .osm.pbf, and OSM XML plain,
// gzipped or bzip2ed — and yields their features already mapped to
// gapmap's layers (roads, power_lines, substations, transformers,
// reservoirs, villages, tourism_sites), with attributes in the tables'
// column names and vocabulary, so the importer loads them like any other
// file:
//
//	r, err := osm.Open("hunan-latest.osm.pbf", osm.Only(osm.Roads))
//	...
//	defer r.Close()
//	for r.Next() { f := r.Feature() ... }
//	if err := r.Err(); err != nil { ... }
//	report(r.Stats())
//
// Geometry is WGS84 lon/lat as orb values. Feature IDs ("way/123") are
// stable across extracts and serve as ext_id. Store [Attribution] on the
// source row: the data are under the ODbL.
//
// # Passes and memory
//
// Ways reference nodes that come before them in the file, and a province
// has tens of millions of nodes, so the file is read in passes instead
// of holding every node:
//
//  1. ways and relations: map each one's tags; the node IDs of mapped
//     ways are collected, and reservoir multipolygons kept;
//  2. only when there are such relations: ways again, for the node
//     lists of their member ways;
//  3. nodes: the coordinates of the needed nodes are kept (sorted IDs
//     and parallel arrays: 16 bytes a needed node), and node features
//     are yielded;
//  4. ways again: way features are yielded, then relation features.
//
// A PBF's first pass indexes its blocks by the element kinds they hold,
// so later passes read and decompress only the blocks they need. XML is
// parsed whole each pass (and decompressed each time).
//
// # Mapping
//
// The rules and the reasons for them are in mapping.go, next to the code;
// in short:
//
//   - roads (highway=*): the route number decides the grade (G107 国道,
//     G4/G4513 高速, S306 省道, X 县道, Y 乡道, C 村道, Z 专用); without
//     one, motorway 高速, trunk 国道, primary 省道, secondary 县道,
//     tertiary 乡道, unclassified/residential/living_street 村道, track
//     with tracktype grade1–2 and rural service roads 通组路, private
//     service roads 专用. Footways, paths, steps, tracks of grade3–5 or
//     without tracktype, driveways, roads under construction and the like
//     are skipped and counted. surface and width_m only when tagged
//     (paved → 水泥, unpaved → 砂石; tracktype implies a surface).
//   - power_lines (power=line, minor_line, cable): the highest of the
//     tagged voltages, snapped within 10 % to 0.22/0.4/10/35/110/220/500
//     kV; minor_line without voltage is 0.4 kV, line and cable without
//     voltage are skipped. phases from phases=* or cables=*.
//   - substations (power=substation): highest voltage snapped to
//     35/110/220/500 kV, the next to secondary_kv. Substations of 10 kV or
//     less go to transformers; without voltage they are skipped.
//   - transformers (power=transformer, power=pole + transformer=
//     distribution): kva from rating=* when tagged — the column is
//     required, so the importer must default or reject the rest.
//   - reservoirs (water=reservoir, landuse=reservoir): closed ways and
//     multipolygon relations; scale from a register spelling or from the
//     capacity by SL 252; unnamed ones named "未命名水库（OSM way/…）".
//   - villages (place=village, hamlet, isolated_dwelling nodes): 自然村,
//     unless a ref carries a 12-digit 统计用区划代码 (then 行政村 or 社区,
//     and code). Unnamed places are skipped.
//   - tourism_sites (tourism=*, except information, yes, artwork): kind
//     in Chinese (attraction 景点, viewpoint 观景点, guest_house 民宿…).
//     Unnamed sites are skipped.
//
// Points come from nodes, or from the centroid of a closed way. An
// element whose tags belong to a layer but which is not yielded is
// counted in [Stats].Skipped under a Chinese reason, with sample IDs.
//
// # Errors
//
// Faults are [*FormatError] values whose Chinese message names the file
// and the PBF block and byte offset, or the XML line, and the element;
// test them with errors.Is against [ErrTruncated], [ErrCorrupt] and the
// other sentinels. A way whose nodes are missing from the file (common in
// extracts cut by a box) is not an error: it is skipped and counted. No
// input makes the package panic.
//
// The package imports only the standard library, orb, protowire,
// gapmap's geo and data/internal/value (how a value is quoted in a
// message); it knows nothing of the database.
package osm
