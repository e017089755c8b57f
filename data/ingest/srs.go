package ingest

import (
	"errors"
	"strings"

	"github.com/gapmap/gapmap/geo"
	"github.com/gapmap/gapmap/planning"
)

// ResolveSRS decides the input coordinate system: the --srs option, else
// the file's .prj or crs member, else what the format implies (WGS84 lon/lat,
// taken as CGCS2000). how says which, for the report. An error names the
// file.
func ResolveSRS(option string, info Info) (srs geo.SRS, how string, err error) {
	srs, how, err = resolveSRS(option, info)
	if err != nil {
		return srs, how, inFile(info.Name, err)
	}
	return srs, how, nil
}

func resolveSRS(option string, info Info) (srs geo.SRS, how string, err error) {
	switch {
	case option != "":
		srs, err = geo.ParseSRS(option)
		how = "由 --srs 指定"
	case info.PRJ != "":
		srs, err = geo.SRSFromPRJ(info.PRJ)
		how = "读自 .prj"
		if err != nil {
			err = planning.Errorf(planning.EInvalid, "无法识别 .prj 中的坐标系：%v；请用 --srs 指定，例如 --srs EPSG:4547", err)
		}
	case info.CRS != "":
		srs, err = geo.ParseSRS(info.CRS)
		how = "读自文件"
		if err != nil {
			// One message: the file's declaration and the way out. Most
			// files that declare something unusual are lon/lat anyway.
			err = planning.Errorf(planning.EInvalid, "无法识别文件声明的坐标系 %s；若坐标是经纬度（WGS-84 或 CGCS2000），请加 --srs wgs84 导入；高德/腾讯坐标用 --srs gcj02，投影坐标用 --srs 指定，例如 --srs EPSG:4547", info.CRS)
		}
	default:
		srs, err = geo.ParseSRS("EPSG:4490")
		how = "文件未声明，按 CGCS2000/WGS84 经纬度"
	}
	if err != nil {
		var pe *planning.Error
		if errors.As(err, &pe) {
			return srs, how, err
		}
		return srs, how, &planning.Error{Code: planning.EInvalid, Message: err.Error(), Err: err}
	}
	return srs, how, nil
}

// dataVMarks are properties DataV.GeoAtlas (areas_v3, AMap's data) gives
// every division and other sources rarely do, as prefixes of the field
// names lower-cased without "_": written (childrenNum), flattened
// (center_lon) or cut to a dBASE field's ten characters (childrenNu).
// level and parent are left out: too many files have them.
var dataVMarks = []string{"centroid", "center", "acroutes", "childrennu", "subfeature"}

// DataVFields returns the fields that mark a file as DataV's: an adcode
// and at least two of dataVMarks, one field per mark. DataV publishes
// GCJ-02 coordinates, which a GeoJSON file's implied WGS-84 hides.
func DataVFields(fields []string) []string {
	var adcode string
	var out []string
	seen := map[string]bool{}
	for _, f := range fields {
		k := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(f)), "_", "")
		if k == "adcode" {
			adcode = f
			continue
		}
		for _, m := range dataVMarks { // centroid before center
			if strings.HasPrefix(k, m) {
				if !seen[m] {
					seen[m] = true
					out = append(out, f)
				}
				break
			}
		}
	}
	if adcode == "" || len(out) < 2 {
		return nil
	}
	return append([]string{adcode}, out...)
}
