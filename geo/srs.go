package geo

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"

	"github.com/paulmach/orb"
)

// SRS is what an importer needs to know about input coordinates: either an
// EPSG SRID that PostGIS transforms to [CGCS2000] (EPSG:4490), or a [Datum]
// (WGS84, GCJ02, BD09) that Go converts with [ToWGS84].
//
// The importer's rule: if Datum is set, convert in Go with ToWGS84 and store
// the result as EPSG:4490; otherwise bind the coordinates with SRID EPSG and
// let PostGIS run ST_Transform(geom, 4490). WGS84 and CGCS2000 longitude/
// latitude have both fields set, so either path gives the same result.
type SRS struct {
	// EPSG is the SRID PostGIS knows the input by; 0 for GCJ-02 and BD-09,
	// which are not in EPSG.
	EPSG int
	// Datum is set for longitude/latitude that Go handles: DatumWGS84 for
	// EPSG:4326 and EPSG:4490, DatumGCJ02, DatumBD09. It is empty for every
	// other SRS (projected ones, Xi'an 1980 and Beijing 1954 degrees), which
	// only PostGIS can transform.
	Datum Datum
	// Name is a human name in Chinese for messages, e.g.
	// "CGCS2000 3度带高斯-克吕格 CM 114E (EPSG:4547)".
	Name string
	// Projected is true when coordinates are easting/northing in metres
	// rather than longitude/latitude in degrees.
	Projected bool
}

// String returns the Chinese name, or "EPSG:n" for an SRS built by hand.
func (s SRS) String() string {
	switch {
	case s.Name != "":
		return s.Name
	case s.EPSG != 0:
		return "EPSG:" + strconv.Itoa(s.EPSG)
	case s.Datum != "":
		return string(s.Datum)
	}
	return "未指定坐标系"
}

// ErrUnknownSRS is wrapped by every error [ParseSRS] and [SRSFromPRJ]
// return, so an importer can tell "say which coordinate system" apart from
// I/O errors with errors.Is.
var ErrUnknownSRS = errors.New("无法识别的坐标系")

// family is a geodetic datum used for Chinese data and its EPSG codes.
// The four code tables are indexed by zone or central meridian:
// gk6Zone[z-13] for 6° zones 13–23 (false easting z·10⁶+500000),
// gk6CM[(cm-75)/6] for 6° central meridians 75–135°E (false easting 500000),
// gk3Zone[z-25] for 3° zones 25–45, gk3CM[(cm-75)/3] for 3° central
// meridians 75–135°E. They are nil for a datum without Gauss-Krüger codes.
// All ranges were checked against PROJ 9.1's EPSG database and PostGIS's
// spatial_ref_sys (see srs_pg_test.go).
type family struct {
	key      string  // ParseSRS spelling, e.g. "xian80"
	label    string  // Chinese label, e.g. "西安80"
	epsgName string  // EPSG's name, which prefixes its GK codes' names
	geog     int     // EPSG code of the geographic 2D CRS
	a        float64 // ellipsoid semi-major axis, metres, to check .prj files

	gk6Zone, gk6CM, gk3Zone, gk3CM []int
}

// seq returns n consecutive codes from first.
func seq(first, n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = first + i
	}
	return s
}

// The datums of Chinese county data. New Beijing's 3° codes are not
// consecutive in EPSG: zones 25–29 are 4652–4656, zones 30–45 are
// 4766–4781, and CM 132E and 135E are 4812 and 4822.
var (
	famCGCS2000 = &family{
		key: "cgcs2000", label: "CGCS2000", epsgName: "CGCS2000", geog: 4490, a: 6378137,
		gk6Zone: seq(4491, 11), gk6CM: seq(4502, 11), gk3Zone: seq(4513, 21), gk3CM: seq(4534, 21),
	}
	famXian80 = &family{
		key: "xian80", label: "西安80", epsgName: "Xian 1980", geog: 4610, a: 6378140,
		gk6Zone: seq(2327, 11), gk6CM: seq(2338, 11), gk3Zone: seq(2349, 21), gk3CM: seq(2370, 21),
	}
	famBeijing54 = &family{
		key: "beijing54", label: "北京54", epsgName: "Beijing 1954", geog: 4214, a: 6378245,
		gk6Zone: seq(21413, 11), gk6CM: seq(21453, 11), gk3Zone: seq(2401, 21), gk3CM: seq(2422, 21),
	}
	famNewBeijing = &family{
		key: "newbeijing54", label: "新北京54", epsgName: "New Beijing", geog: 4555, a: 6378245,
		gk6Zone: seq(4568, 11), gk6CM: seq(4579, 11),
		gk3Zone: append(seq(4652, 5), seq(4766, 16)...),
		gk3CM:   append(seq(4782, 19), 4812, 4822),
	}
	famWGS84 = &family{key: "wgs84", label: "WGS84", epsgName: "WGS 84", geog: 4326, a: 6378137}

	families = []*family{famCGCS2000, famXian80, famBeijing54, famNewBeijing, famWGS84}
)

// Zone ranges of Chinese Gauss-Krüger projections: 6° zone z has its
// central meridian at 6z−3 (zones 13–23, 75–135°E), 3° zone z at 3z
// (zones 25–45, 75–135°E).
const (
	gk6MinZone, gk6MaxZone = 13, 23
	gk3MinZone, gk3MaxZone = 25, 45
	gkMinCM, gkMaxCM       = 75, 135
)

// gkCentralMeridian returns the central meridian in °E of zone z of width
// 3 or 6, or 0 if there is no such zone in China.
func gkCentralMeridian(width, z int) int {
	switch {
	case width == 3 && z >= gk3MinZone && z <= gk3MaxZone:
		return 3 * z
	case width == 6 && z >= gk6MinZone && z <= gk6MaxZone:
		return 6*z - 3
	}
	return 0
}

// gkZone returns the zone number of central meridian cm (°E) in zones of
// width 3 or 6, or 0 if cm is not one of them.
func gkZone(width, cm int) int {
	switch {
	case cm < gkMinCM || cm > gkMaxCM:
		return 0
	case width == 3 && cm%3 == 0:
		return cm / 3
	case width == 6 && (cm+3)%6 == 0:
		return (cm + 3) / 6
	}
	return 0
}

// srsKind tells what sort of coordinates an srsDef describes.
type srsKind uint8

const (
	kindGeographic  srsKind = iota + 1 // longitude/latitude degrees on fam
	kindGK                             // Gauss-Krüger (transverse Mercator, k=1) on fam
	kindUTM                            // WGS 84 / UTM
	kindWebMercator                    // EPSG:3857
)

// srsDef is the structure behind an EPSG code gapmap knows.
type srsDef struct {
	kind  srsKind
	fam   *family
	width int // GK: 3 or 6 degrees
	cm    int // GK, UTM: central meridian, °E (negative west)
	zone  int // GK: the zone in the false easting, 0 for a "CM" code; UTM: 1–60
	epsg  int
}

// falseEasting returns the false easting in metres of a GK or UTM def.
func (d srsDef) falseEasting() float64 {
	if d.kind == kindGK && d.zone != 0 {
		return float64(d.zone)*1e6 + 500000
	}
	return 500000
}

// scale returns the scale factor on the central meridian.
func (d srsDef) scale() float64 {
	if d.kind == kindUTM {
		return 0.9996
	}
	return 1
}

// halfWidth returns the largest distance in degrees of longitude from the
// central meridian that CheckProjected accepts: half the zone plus 1.5°,
// because a county that straddles a zone boundary is kept in one zone.
func (d srsDef) halfWidth() float64 {
	w := d.width
	if d.kind == kindUTM {
		w = 6
	}
	return float64(w)/2 + 1.5
}

// label returns d's Chinese name without its code, e.g.
// "CGCS2000 3度带高斯-克吕格 CM 114E".
func (d srsDef) label() string {
	switch d.kind {
	case kindGeographic:
		return d.fam.label + " 经纬度"
	case kindGK:
		if d.zone != 0 {
			return fmt.Sprintf("%s %d度带高斯-克吕格 第%d带 含带号", d.fam.label, d.width, d.zone)
		}
		return fmt.Sprintf("%s %d度带高斯-克吕格 CM %dE", d.fam.label, d.width, d.cm)
	case kindUTM:
		return fmt.Sprintf("WGS84 UTM %dN", d.zone)
	case kindWebMercator:
		return "Web 墨卡托"
	}
	return ""
}

// srs returns the exported form of d.
func (d srsDef) srs() SRS {
	s := SRS{
		EPSG:      d.epsg,
		Name:      d.label() + " (EPSG:" + strconv.Itoa(d.epsg) + ")",
		Projected: d.kind != kindGeographic,
	}
	if d.kind == kindGeographic && (d.fam == famWGS84 || d.fam == famCGCS2000) {
		s.Datum = DatumWGS84
	}
	return s
}

// gkDef returns the def of fam's Gauss-Krüger code of the given width and
// central meridian, with the zone number in the false easting or not; ok is
// false if EPSG has no such code.
func gkDef(fam *family, width, cm int, withZone bool) (srsDef, bool) {
	z := gkZone(width, cm)
	if z == 0 {
		return srsDef{}, false
	}
	var codes []int
	var i int
	switch {
	case width == 6 && withZone:
		codes, i = fam.gk6Zone, z-gk6MinZone
	case width == 6:
		codes, i = fam.gk6CM, (cm-gkMinCM)/6
	case withZone:
		codes, i = fam.gk3Zone, z-gk3MinZone
	default:
		codes, i = fam.gk3CM, (cm-gkMinCM)/3
	}
	if i >= len(codes) {
		return srsDef{}, false
	}
	d := srsDef{kind: kindGK, fam: fam, width: width, cm: cm, epsg: codes[i]}
	if withZone {
		d.zone = z
	}
	return d, true
}

// utmNorthBase + n is WGS 84 / UTM zone nN. Southern zones (327xx) are
// left out: no Chinese data uses them.
const utmNorthBase = 32600

// srsByEPSG holds every EPSG code gapmap can return, with its structure.
var srsByEPSG = indexSRS()

func indexSRS() map[int]srsDef {
	m := make(map[int]srsDef)
	add := func(d srsDef) {
		if _, dup := m[d.epsg]; dup {
			panic(fmt.Sprintf("geo: EPSG:%d listed twice", d.epsg))
		}
		m[d.epsg] = d
	}
	for _, f := range families {
		add(srsDef{kind: kindGeographic, fam: f, epsg: f.geog})
		for _, width := range []int{3, 6} {
			for cm := gkMinCM; cm <= gkMaxCM; cm += width {
				for _, withZone := range []bool{false, true} {
					if d, ok := gkDef(f, width, cm, withZone); ok {
						add(d)
					}
				}
			}
		}
	}
	for z := 1; z <= 60; z++ {
		add(srsDef{kind: kindUTM, fam: famWGS84, cm: 6*z - 183, zone: z, epsg: utmNorthBase + z})
	}
	add(srsDef{kind: kindWebMercator, fam: famWGS84, epsg: WebMercator})
	return m
}

// Web map offsets, which have no EPSG code.
var (
	srsGCJ02 = SRS{Datum: DatumGCJ02, Name: "GCJ-02 经纬度（高德、腾讯）"}
	srsBD09  = SRS{Datum: DatumBD09, Name: "BD-09 经纬度（百度）"}
)

// srsSyntax lists the forms ParseSRS accepts, for its error.
const srsSyntax = `可用写法：
  EPSG:4547 或 4547              EPSG 代码（支持下列各坐标系的代码）
  wgs84、cgcs2000               经纬度（EPSG:4326、4490）
  xian80、beijing54、newbeijing54  西安80、北京54、新北京54 经纬度（也可写中文名）
  gcj02（高德、腾讯）、bd09（百度）  网络地图经纬度
  cgcs2000-gk3-114e             3度带高斯-克吕格，中央经线 114°E，东坐标不含带号（EPSG:4547）
  cgcs2000-gk3-z38              3度带第 38 带，东坐标含带号，如 38512345（EPSG:4526）
  xian80-gk6-117e、beijing54-gk6-z20  6度带，写法同上
  cgcs2000 3度带 114E、西安80 3度带 38带  中文写法
  utm49n                        WGS84 UTM 49N（EPSG:32649）
  webmercator                   Web 墨卡托（EPSG:3857）`

// ParseSRS returns the SRS named by s, the value of an importer's --srs
// option. Case, spaces, '-', '_', '/' and full-width characters do not
// matter. It accepts:
//
//   - an EPSG code, "EPSG:4547" or "4547", among those gapmap knows (see
//     below); others are refused rather than passed to PostGIS unchecked;
//   - longitude/latitude by datum: "wgs84", "cgcs2000", "xian80" (西安80),
//     "beijing54" (北京54), "newbeijing54" (新北京54), and the web-map
//     offsets of [ParseDatum]: "gcj02" (高德, 腾讯), "bd09" (百度);
//   - a Gauss-Krüger zone as DATUM-gkW-ZONE, where DATUM is cgcs2000,
//     xian80, beijing54 or newbeijing54, W is 3 or 6 (also "3度带"), and
//     ZONE is either a central meridian, "114", "114e" or "cm114e", for
//     eastings without the zone number (false easting 500 000 m, EPSG's
//     "CM 114E" codes), or a zone number, "z38", "zone38", "38带" or
//     "第38带", for eastings that start with it (38 512 345: false easting
//     38 500 000 m, EPSG's "zone 38" codes). This mirrors EPSG's names, so
//     cgcs2000-gk3-114e is EPSG:4547 and cgcs2000-gk3-z38 is EPSG:4526.
//     A bare zone number ("cgcs2000-gk3-38") is refused as ambiguous;
//   - "utm49n" (WGS 84 / UTM, northern zones 1–60) and "webmercator" (3857).
//
// The error, in Chinese, wraps [ErrUnknownSRS] and lists the accepted forms.
func ParseSRS(s string) (SRS, error) {
	fail := func(why string) (SRS, error) {
		if why != "" {
			why = "：" + why
		}
		return SRS{}, fmt.Errorf("%w %q%s\n%s", ErrUnknownSRS, s, why, srsSyntax)
	}
	norm := normalizeSRS(s)
	// "度带" often runs into the zone: "3度带38带".
	norm = strings.ReplaceAll(norm, "度带", "度带 ")
	toks := strings.FieldsFunc(norm, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("-_/:,;()[]、，；（）", r)
	})
	if len(toks) == 0 {
		return fail("为空")
	}
	joined := strings.Join(toks, "")

	// An EPSG code.
	if code, ok := strings.CutPrefix(joined, "epsg"); ok || allDigits(joined) {
		n, err := strconv.Atoi(code)
		if err != nil {
			return fail("EPSG 代码应为数字")
		}
		d, ok := srsByEPSG[n]
		if !ok {
			return fail(fmt.Sprintf("EPSG:%d 不是 gapmap 支持的坐标系", n))
		}
		return d.srs(), nil
	}
	// Longitude/latitude by datum.
	if f := familyByKey(joined); f != nil {
		return srsByEPSG[f.geog].srs(), nil
	}
	if d, err := ParseDatum(joined); err == nil {
		switch d {
		case DatumWGS84: // "gps"
			return srsByEPSG[WGS84].srs(), nil
		case DatumGCJ02:
			return srsGCJ02, nil
		case DatumBD09:
			return srsBD09, nil
		}
	}
	switch joined {
	case "webmercator", "pseudomercator", "googlemercator", "web墨卡托", "网络墨卡托":
		return srsByEPSG[WebMercator].srs(), nil
	}
	// WGS 84 / UTM, with or without the datum in front.
	if utm, ok := strings.CutPrefix(strings.TrimPrefix(joined, "wgs84"), "utm"); ok {
		z, err := strconv.Atoi(strings.TrimSuffix(utm, "n"))
		if err != nil || z < 1 || z > 60 {
			return fail("UTM 带号应为 1–60（北半球），如 utm49n")
		}
		return srsByEPSG[utmNorthBase+z].srs(), nil
	}
	// Gauss-Krüger: DATUM WIDTH ZONE.
	if len(toks) < 3 {
		return fail("")
	}
	fam := familyByKey(strings.Join(toks[:len(toks)-2], ""))
	if fam == nil {
		return fail(fmt.Sprintf("未知的基准面 %q，可选 cgcs2000、xian80、beijing54、newbeijing54", strings.Join(toks[:len(toks)-2], " ")))
	}
	if fam.gk3CM == nil {
		return fail(fmt.Sprintf("%s 没有高斯-克吕格投影的 EPSG 代码；CGCS2000 与 WGS84 相差不到 1 米，请用 cgcs2000-gk3-…", fam.label))
	}
	width, ok := parseWidth(toks[len(toks)-2])
	if !ok {
		return fail(fmt.Sprintf("带宽 %q 应为 gk3（3度带）或 gk6（6度带）", toks[len(toks)-2]))
	}
	n, isZone, err := parseZone(toks[len(toks)-1], width)
	if err != nil {
		return fail(err.Error())
	}
	cm := n
	if isZone {
		cm = gkCentralMeridian(width, n)
	}
	d, ok := gkDef(fam, width, cm, isZone)
	if !ok {
		return fail(fmt.Sprintf("%d度带没有中央经线 %d°E", width, cm))
	}
	return d.srs(), nil
}

// normalizeSRS lower-cases s and folds full-width ASCII (ＥＰＳＧ：４５４７)
// and the degree sign away, as users paste from Chinese documents.
func normalizeSRS(s string) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r >= '！' && r <= '～':
			r -= '！' - '!'
		case r == '\u3000':
			r = ' '
		case r == '°' || r == 'º':
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// familyKeys are the datum names ParseSRS accepts, normalised by
// alnumLower.
var familyKeys = map[string]*family{
	"cgcs2000": famCGCS2000, "cgcs": famCGCS2000, "china2000": famCGCS2000, "国家2000": famCGCS2000, "2000国家大地坐标系": famCGCS2000,
	"xian80": famXian80, "xian1980": famXian80, "西安80": famXian80, "西安1980": famXian80,
	"beijing54": famBeijing54, "beijing1954": famBeijing54, "bj54": famBeijing54, "北京54": famBeijing54, "北京1954": famBeijing54,
	"newbeijing54": famNewBeijing, "newbeijing": famNewBeijing, "新北京54": famNewBeijing, "新北京": famNewBeijing,
	"wgs84": famWGS84, "wgs1984": famWGS84,
}

// familyByKey returns the datum named exactly by name in ParseSRS, or nil.
func familyByKey(name string) *family { return familyKeys[alnumLower(name)] }

// familyByName returns the datum a .prj's datum or CRS name denotes, or
// nil. name is matched after lower-casing and dropping everything but
// letters and digits, so "D_China_2000", "China Geodetic Coordinate System
// 2000" and "GCS_Xian_1980" all work.
func familyByName(name string) *family {
	n := alnumLower(name)
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(n, s) {
				return true
			}
		}
		return false
	}
	switch {
	case has("cgcs2000", "china2000", "chinageodeticcoordinatesystem2000", "国家2000", "2000国家大地坐标系"):
		return famCGCS2000
	case has("xian1980", "xian80", "西安80", "西安1980"):
		return famXian80
	case has("newbeijing", "新北京"):
		return famNewBeijing
	case has("beijing1954", "beijing54", "北京54", "北京1954"):
		return famBeijing54
	case has("wgs1984", "wgs84", "worldgeodeticsystem1984"):
		return famWGS84
	}
	return nil
}

// parseWidth reads "gk3", "3", "3度带", "3度" or "3deg" (and 6) as a zone
// width in degrees.
func parseWidth(tok string) (int, bool) {
	t := strings.TrimPrefix(tok, "gk")
	for _, suf := range []string{"度带", "度", "deg"} {
		t = strings.TrimSuffix(t, suf)
	}
	switch t {
	case "3":
		return 3, true
	case "6":
		return 6, true
	}
	return 0, false
}

// parseZone reads the last token of a Gauss-Krüger SRS: a zone number
// ("z38", "zone38", "38带", "第38带"; isZone true) or a central meridian
// ("114", "114e", "cm114e", "中央经线114"; isZone false), checked against
// the zones of the given width.
func parseZone(tok string, width int) (n int, isZone bool, err error) {
	t := tok
	for _, p := range []string{"zone", "z", "第"} {
		if rest, ok := strings.CutPrefix(t, p); ok {
			t, isZone = rest, true
			break
		}
	}
	if rest, ok := strings.CutSuffix(t, "带"); ok {
		t, isZone = rest, true
	}
	explicitCM := false
	if !isZone {
		for _, p := range []string{"cm", "中央经线", "中央子午线"} {
			if rest, ok := strings.CutPrefix(t, p); ok {
				t, explicitCM = rest, true
				break
			}
		}
		for _, suf := range []string{"e", "度"} {
			if rest, ok := strings.CutSuffix(t, suf); ok {
				t, explicitCM = rest, true
			}
		}
	}
	n, convErr := strconv.Atoi(t)
	if convErr != nil || n <= 0 {
		return 0, false, fmt.Errorf("%q 应为中央经线（如 114e）或带号（如 z38）", tok)
	}
	minZ, maxZ := gk3MinZone, gk3MaxZone
	if width == 6 {
		minZ, maxZ = gk6MinZone, gk6MaxZone
	}
	switch {
	case isZone && gkCentralMeridian(width, n) == 0:
		return 0, false, fmt.Errorf("%d度带的带号应为 %d–%d", width, minZ, maxZ)
	case isZone:
		return n, true, nil
	case gkZone(width, n) != 0:
		return n, false, nil
	case !explicitCM && gkCentralMeridian(width, n) != 0:
		return 0, false, fmt.Errorf("%d 是带号还是中央经线？东坐标含带号（如 %d512345）请写 z%d，"+
			"不含带号请写中央经线 %de", n, n, n, gkCentralMeridian(width, n))
	case width == 3:
		return 0, false, fmt.Errorf("3度带的中央经线应为 %d–%d 间 3 的倍数", gkMinCM, gkMaxCM)
	}
	return 0, false, fmt.Errorf("6度带的中央经线应为 75、81、…、135")
}

// The causes [CheckProjected] reports, wrapped in a [*ProjectedError];
// match them with errors.Is. [ErrNotFinite] is reported too.
var (
	// ErrDegrees is a longitude/latitude in a file whose SRS is projected:
	// the .prj is wrong.
	ErrDegrees = errors.New("是经纬度（度）而不是投影坐标（米）")
	// ErrTooFar is a projected coordinate no projection of the Earth
	// reaches (above 1e8 m; a Gauss-Krüger easting with its zone number
	// is below 4e7): a slip such as 1e308, which an SRS without known
	// bounds would otherwise let through to the database.
	ErrTooFar = errors.New("超出地球范围（投影坐标的绝对值应小于 1 亿米）")
	// ErrZoneNumber is an easting that starts with a zone number the SRS
	// does not have: the "CM" code was given for "zone" data, or a
	// neighbouring zone.
	ErrZoneNumber = errors.New("东坐标的带号与坐标系不符")
	// ErrNoZoneNumber is an easting without the zone number that the SRS's
	// false easting includes: a "zone" code was given for "CM" data.
	ErrNoZoneNumber = errors.New("东坐标不含带号")
	// ErrAxesSwapped is a point that fits the SRS once easting and northing
	// are swapped; Chinese surveyors call northing X.
	ErrAxesSwapped = errors.New("东、北坐标可能颠倒（测绘中 X 为北坐标、Y 为东坐标）")
	// ErrOutsideZone is a point that is not within the SRS's zone in China.
	ErrOutsideZone = errors.New("换算后不在该投影带的中国境内范围，请检查坐标系")
)

// ProjectedError is a point [CheckProjected] rejected, why, and the SRS it
// is probably in.
type ProjectedError struct {
	SRS    SRS       // the SRS the input claims, from its .prj or --srs
	Point  orb.Point // as given: easting, northing in metres
	Err    error     // ErrNotFinite, ErrTooFar, ErrDegrees, ErrZoneNumber, ErrNoZoneNumber, ErrAxesSwapped or ErrOutsideZone
	Likely SRS       // the SRS the point fits, if one was found; zero otherwise
}

// Error names the point, the likely cause and, where known, the SRS to use,
// in Chinese: "坐标 (38512345, 3262000) 与 CGCS2000 3度带高斯-克吕格 CM 114E
// (EPSG:4547) 不符：东坐标 38512345 含带号 38，应为 EPSG:4526（CGCS2000
// 3度带高斯-克吕格 第38带 含带号）而非 EPSG:4547".
func (e *ProjectedError) Error() string {
	msg := "坐标 (" + formatCoord(e.Point[0]) + ", " + formatCoord(e.Point[1]) + ") 与 " + e.SRS.String() + " 不符："
	east := formatCoord(e.Point[0])
	claimed := srsByEPSG[e.SRS.EPSG]
	switch {
	case errors.Is(e.Err, ErrZoneNumber) && (claimed.kind != kindGK || claimed.zone == 0):
		msg += fmt.Sprintf("东坐标 %s 含带号 %d", east, int(e.Point[0]/1e6))
	case errors.Is(e.Err, ErrZoneNumber):
		msg += fmt.Sprintf("东坐标 %s 的带号 %d 与第 %d 带不符", east, int(e.Point[0]/1e6), claimed.zone)
	case errors.Is(e.Err, ErrNoZoneNumber):
		msg += fmt.Sprintf("东坐标 %s 不含带号 %d", east, claimed.zone)
	default:
		msg += e.Err.Error()
	}
	if e.Likely.EPSG != 0 && e.Likely.EPSG != e.SRS.EPSG {
		msg += fmt.Sprintf("，应为 EPSG:%d（%s）而非 EPSG:%d", e.Likely.EPSG, srsByEPSG[e.Likely.EPSG].label(), e.SRS.EPSG)
	}
	return msg
}

// Unwrap returns the cause, so errors.Is(err, ErrZoneNumber) works.
func (e *ProjectedError) Unwrap() error { return e.Err }

// CheckProjected returns nil if p, a point of input in SRS s, can belong
// to s, and otherwise a [*ProjectedError] naming the likely cause and, where
// it can tell, the SRS p is probably in. It is the check that catches a
// wrong .prj before PostGIS transforms garbage. In order:
//   - NaN or ±Inf: ErrNotFinite;
//   - either value beyond ±1e8 m: ErrTooFar;
//   - both values within ±180: ErrDegrees, Likely the datum's degrees if p
//     is in China either way round;
//   - p fits s: nil;
//   - p fits s swapped: ErrAxesSwapped;
//   - a zone number in the easting that s lacks, or another one:
//     ErrZoneNumber, Likely the code with that zone number;
//   - no zone number where s has one: ErrNoZoneNumber, Likely s's "CM" code;
//   - anything else: ErrOutsideZone.
//
// "Fits" means p, projected back with a spherical approximation, lies in
// China's box (see [CheckLonLat]) and, for a Gauss-Krüger or UTM zone,
// within half the zone width plus 1.5° of its central meridian. That is
// loose enough for counties kept in one zone across a boundary, and tight
// enough to tell every zone-number confusion; it cannot tell two zones
// without zone numbers apart (CM 111E from CM 114E), which look alike.
//
// For a longitude/latitude SRS (s.Projected false) it returns
// [CheckLonLat](p). For a projected SRS gapmap does not know, only the
// degrees test applies.
func CheckProjected(s SRS, p orb.Point) error {
	if !s.Projected {
		return CheckLonLat(p)
	}
	fail := func(cause error, likely SRS) error {
		return &ProjectedError{SRS: s, Point: p, Err: cause, Likely: likely}
	}
	e, n := p[0], p[1]
	if math.IsNaN(e) || math.IsNaN(n) || math.IsInf(e, 0) || math.IsInf(n, 0) {
		return fail(ErrNotFinite, SRS{})
	}
	if math.Abs(e) > 1e8 || math.Abs(n) > 1e8 {
		return fail(ErrTooFar, SRS{})
	}
	d, known := srsByEPSG[s.EPSG]
	if math.Abs(e) <= 180 && math.Abs(n) <= 180 { // 180: latitude may come first
		var likely SRS
		if known && (inChinaBox(p) || inChinaBox(orb.Point{n, e})) {
			likely = srsByEPSG[d.fam.geog].srs()
		}
		return fail(ErrDegrees, likely)
	}
	if !known {
		return nil
	}
	if d.fits(e, n) {
		return nil
	}
	if d.fits(n, e) {
		return fail(ErrAxesSwapped, SRS{})
	}
	// Look for a zone number in the easting. WGS 84 has no Gauss-Krüger
	// codes; data with zone numbers in a UTM file is likely CGCS2000, which
	// is within a metre of WGS 84.
	fam := d.fam
	if fam.gk3CM == nil {
		fam = famCGCS2000
	}
	z := math.Floor(e / 1e6)
	if z == 0 && d.kind == kindGK && d.zone != 0 {
		if alt, ok := gkDef(fam, d.width, d.cm, false); ok && alt.fits(e, n) {
			return fail(ErrNoZoneNumber, alt.srs())
		}
	}
	if z >= gk6MinZone && z <= gk3MaxZone {
		width := 3
		if z <= gk6MaxZone {
			width = 6
		}
		if alt, ok := gkDef(fam, width, gkCentralMeridian(width, int(z)), true); ok && alt.fits(e, n) {
			return fail(ErrZoneNumber, alt.srs())
		}
	}
	return fail(ErrOutsideZone, SRS{})
}

// Plausibility bounds: the China box widened by fitMarginDeg, which covers
// the error of the spherical inverse projections below (under 0.2°).
const (
	fitMarginDeg = 0.5
	// fitRadiusM is the sphere the inverse projections use: the mean Earth
	// radius for transverse Mercator, whose meridian arc it matches within
	// 0.3% in China, and the WGS 84 semi-major axis that EPSG:3857 uses.
	fitRadiusM    = earthRadiusM
	webMercatorRM = 6378137
)

// fits reports whether easting e and northing n, in metres, can be a point
// of d in China.
func (d srsDef) fits(e, n float64) bool {
	var lon, lat float64
	switch d.kind {
	case kindGK, kindUTM:
		k := d.scale() * fitRadiusM
		x, y := (e-d.falseEasting())/k, n/k
		if math.Abs(x) > 1 { // over 6000 km from the central meridian
			return false
		}
		lat = math.Asin(math.Sin(y)/math.Cosh(x)) * 180 / math.Pi
		dLon := math.Atan2(math.Sinh(x), math.Cos(y)) * 180 / math.Pi
		if math.Abs(dLon) > d.halfWidth() {
			return false
		}
		lon = float64(d.cm) + dLon
	case kindWebMercator:
		lon = e / webMercatorRM * 180 / math.Pi
		lat = (2*math.Atan(math.Exp(n/webMercatorRM)) - math.Pi/2) * 180 / math.Pi
	default:
		return false
	}
	return lon >= chinaMinLon-fitMarginDeg && lon <= chinaMaxLon+fitMarginDeg &&
		lat >= chinaMinLat-fitMarginDeg && lat <= chinaMaxLat+fitMarginDeg
}
