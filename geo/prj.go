package geo

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// SRSFromPRJ identifies the SRS of a shapefile's .prj, or any WKT text. It
// reads ESRI WKT1 as ArcGIS writes it (PROJCS["CGCS2000_3_Degree_GK_CM_114E",
// GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",…]]), OGC WKT1 as GDAL
// and QGIS write it, and WKT2 (PROJCRS, GEOGCRS, BOUNDCRS, COMPOUNDCRS).
//
// It identifies the datum by name (CGCS2000 / China_2000 / D_China_2000,
// Xian_1980, Beijing_1954, New_Beijing, WGS_1984), checks it against the
// ellipsoid's semi-major axis, and then
//   - for geographic CRSs, requires degrees and Greenwich;
//   - for Transverse_Mercator / Gauss_Kruger, requires latitude of origin 0,
//     false northing 0 and metres, and reads scale factor 1 as Gauss-Krüger,
//     with the zone number in a false easting of z·10⁶+500000 (EPSG's "zone
//     z" codes) or not in 500000 ("CM" codes), and 0.9996 on WGS 84 as UTM;
//   - accepts Web Mercator (EPSG:3857) but not the ellipsoidal Mercator.
//
// A top-level AUTHORITY["EPSG",n] or ID["EPSG",n] wins when it is consistent
// with the parameters: it tells EPSG's 3° "CM 117E" code from the 6° one,
// which define the same projection. Without it the CRS's name decides
// ("CGCS2000_GK_CM_117E" and "Gauss-Kruger CM 117E" are 6°), and 3°, usual
// for county data, otherwise. When the code contradicts the parameters,
// the parameters win: they are what the software that wrote the coordinates
// used.
//
// Axis order in the WKT is ignored: GDAL's WKT1 of EPSG:4326 and EPSG:4547
// lists northing or latitude first, but shapefiles store easting or
// longitude first whatever it says. [CheckProjected] catches swapped data.
//
// The error, in Chinese, wraps [ErrUnknownSRS] and says what could not be
// identified (an unknown datum, a Lambert projection, feet), so that the user
// knows to pass --srs.
func SRSFromPRJ(wkt string) (SRS, error) {
	d, err := defFromPRJ(wkt)
	if err != nil {
		return SRS{}, fmt.Errorf("%w：.prj %w；请用 --srs 指定坐标系（如 --srs EPSG:4547）", ErrUnknownSRS, err)
	}
	return d.srs(), nil
}

// maxPRJBytes bounds the input: real .prj files are under 2 KB, and WKT2
// with its USAGE and ensemble members under 4 KB.
const maxPRJBytes = 64 << 10

func defFromPRJ(wkt string) (srsDef, error) {
	if len(wkt) > maxPRJBytes {
		return srsDef{}, fmt.Errorf("超过 %d 字节，不是坐标系定义", maxPRJBytes)
	}
	root, err := parseWKT(wkt)
	if err != nil {
		return srsDef{}, fmt.Errorf("不是有效的 WKT（%w）", err)
	}
	crs := horizontalCRS(root)
	auth, hasAuth := crs.epsgCode()
	d, err := crs.def()
	if err != nil {
		if a, ok := srsByEPSG[auth]; hasAuth && !ok {
			err = fmt.Errorf("%w（文件声明 EPSG:%d，gapmap 不支持）", err, auth)
		} else if hasAuth && ok {
			err = fmt.Errorf("%w（文件声明 EPSG:%d %s，但参数不符）", err, auth, a.label())
		}
		return srsDef{}, err
	}
	if a, ok := srsByEPSG[auth]; hasAuth && ok && a.sameAs(d) {
		return a, nil
	}
	return d, nil
}

// sameAs reports whether d and b transform coordinates the same way: equal
// but for the width of a "CM" Gauss-Krüger code, since EPSG's 3° and 6° codes
// at one central meridian differ only in their area of use. (Zone numbers
// tell the widths apart: 13–23 are 6°, 25–45 are 3°.)
func (d srsDef) sameAs(b srsDef) bool {
	return d.kind == b.kind && d.fam == b.fam && d.cm == b.cm && d.zone == b.zone
}

// horizontalCRS returns the horizontal part of a compound or bound CRS,
// and n itself otherwise.
func horizontalCRS(n *wktNode) *wktNode {
	for range 4 {
		switch n.kw {
		case "COMPD_CS", "COMPOUNDCRS":
			if len(n.nodes()) == 0 {
				return n
			}
			n = n.nodes()[0]
		case "BOUNDCRS":
			src := n.child("SOURCECRS")
			if src == nil || len(src.nodes()) == 0 {
				return n
			}
			n = src.nodes()[0]
		default:
			return n
		}
	}
	return n
}

// epsgCode returns n's own EPSG code: AUTHORITY["EPSG","4547"] in WKT1,
// ID["EPSG",4547] in WKT2.
func (n *wktNode) epsgCode() (int, bool) {
	for _, c := range n.nodes() {
		if c.kw != "AUTHORITY" && c.kw != "ID" {
			continue
		}
		if !strings.EqualFold(c.str(0), "EPSG") {
			continue
		}
		code, err := strconv.Atoi(strings.TrimSpace(c.str(1)))
		if err == nil && code > 0 {
			return code, true
		}
	}
	return 0, false
}

// Keywords of geographic and projected CRSs in WKT1 and WKT2.
var (
	geographicKeywords = []string{"GEOGCS", "GEOGCRS", "GEODCRS", "GEOGRAPHICCRS", "GEODETICCRS"}
	projectedKeywords  = []string{"PROJCS", "PROJCRS", "PROJECTEDCRS"}
	baseKeywords       = []string{"GEOGCS", "BASEGEOGCRS", "BASEGEODCRS", "GEOGCRS", "GEODCRS"}
)

// def identifies the CRS node n.
func (n *wktNode) def() (srsDef, error) {
	switch {
	case n.is(geographicKeywords...):
		return n.geographicDef()
	case n.is(projectedKeywords...):
		return n.projectedDef()
	case n.is("GEOCCS"):
		return srsDef{}, errors.New("是地心直角坐标系（GEOCCS），不是经纬度或平面坐标")
	case n.is("LOCAL_CS", "ENGCRS", "ENGINEERINGCRS"):
		return srsDef{}, fmt.Errorf("是独立（工程）坐标系 %q，没有地理参考", n.str(0))
	}
	return srsDef{}, fmt.Errorf("不是平面或地理坐标系（%s）", n.kw)
}

// geographicDef identifies a geographic CRS node.
func (n *wktNode) geographicDef() (srsDef, error) {
	if n.is("GEODCRS", "GEODETICCRS") {
		if cs := n.child("CS"); cs != nil && !strings.EqualFold(cs.str(0), "ellipsoidal") {
			return srsDef{}, fmt.Errorf("是地心直角坐标系（CS[%s]），不是经纬度", cs.str(0))
		}
	}
	fam, err := n.family()
	if err != nil {
		return srsDef{}, err
	}
	if pm := n.child("PRIMEM"); pm != nil {
		if v, err := pm.num(1); err == nil && v != 0 {
			return srsDef{}, fmt.Errorf("的本初子午线 %q 不是格林尼治", pm.str(0))
		}
	}
	// Some software writes the degree as 0.0174533: allow 1e-6 relative.
	if f, name, ok := n.unit("UNIT", "ANGLEUNIT"); ok && math.Abs(f/(math.Pi/180)-1) > 1e-6 {
		return srsDef{}, fmt.Errorf("的角度单位是 %q，不是度", name)
	}
	return srsByEPSG[fam.geog], nil
}

// family identifies the datum of a geographic CRS node by the datum's name,
// then the CRS's, and checks it against the ellipsoid.
func (n *wktNode) family() (*family, error) {
	datum := n.child("DATUM", "GEODETICDATUM", "TRF", "ENSEMBLE")
	if datum == nil {
		return nil, fmt.Errorf("的地理坐标系 %q 没有基准面（DATUM）", n.str(0))
	}
	fam := familyByName(datum.str(0))
	if fam == nil {
		fam = familyByName(n.str(0))
	}
	if fam == nil {
		return nil, fmt.Errorf("的基准面 %q 不是 CGCS2000、西安80、北京54、新北京54 或 WGS84", datum.str(0))
	}
	if ell := datum.child("SPHEROID", "ELLIPSOID"); ell != nil {
		if a, err := ell.num(1); err == nil && math.Abs(a-fam.a) > 0.5 {
			return nil, fmt.Errorf("的基准面 %q 与椭球 %q（长半轴 %s 米）不符", datum.str(0), ell.str(0), formatCoord(a))
		}
	}
	return fam, nil
}

// Parameters of a transverse Mercator projection, by their WKT1, ESRI and
// WKT2 names with case and punctuation removed.
var prjParams = map[string]string{
	"centralmeridian": "lon0", "longitudeofnaturalorigin": "lon0", "longitudeoforigin": "lon0", "longitudeofcenter": "lon0",
	"latitudeoforigin": "lat0", "latitudeofnaturalorigin": "lat0",
	"scalefactor": "k", "scalefactoratnaturalorigin": "k",
	"falseeasting": "fe", "falsenorthing": "fn",
}

// projectedDef identifies a projected CRS node.
func (n *wktNode) projectedDef() (srsDef, error) {
	base := n.child(baseKeywords...)
	if base == nil {
		return srsDef{}, fmt.Errorf("的投影坐标系 %q 没有地理坐标系（GEOGCS）", n.str(0))
	}
	// The base CRS's checks matter here too: WKT1 gives the central
	// meridian in its angular unit.
	g, err := base.geographicDef()
	if err != nil {
		return srsDef{}, err
	}
	fam := g.fam
	if f, name, ok := n.unit("UNIT", "LENGTHUNIT"); ok && math.Abs(f-1) > 1e-6 {
		return srsDef{}, fmt.Errorf("的坐标单位是 %q（%s 米），不是米", name, formatCoord(f))
	}
	// WKT1 puts PROJECTION and PARAMETERs in PROJCS; WKT2 in CONVERSION.
	method, holder := "", n
	if p := n.child("PROJECTION"); p != nil {
		method = p.str(0)
	} else if conv := n.child("CONVERSION", "DERIVINGCONVERSION"); conv != nil {
		holder = conv
		if m := conv.child("METHOD", "PROJECTION"); m != nil {
			method = m.str(0)
		}
	}
	params := map[string]float64{"k": 1}
	for _, p := range holder.nodes() {
		if p.kw != "PARAMETER" {
			continue
		}
		key, ok := prjParams[alnumLower(p.str(0))]
		if !ok {
			continue
		}
		v, err := p.num(1)
		if err != nil {
			return srsDef{}, fmt.Errorf("的参数 %q 不是数字", p.str(0))
		}
		// WKT2 gives each parameter its unit; WKT1 uses the CRS's units,
		// checked above and in the base CRS.
		if f, _, ok := p.unit("ANGLEUNIT"); ok {
			v = v * f * 180 / math.Pi
		} else if f, _, ok := p.unit("LENGTHUNIT"); ok {
			v *= f
		}
		params[key] = v
	}
	switch alnumLower(method) {
	case "transversemercator", "gausskruger", "gausskrueger":
		return transverseMercatorDef(fam, params, alnumLower(n.str(0)))
	case "mercatorauxiliarysphere", "popularvisualisationpseudomercator", "pseudomercator":
		return webMercatorDef(fam, params)
	case "mercator1sp", "mercator", "mercatorvarianta":
		// GDAL writes EPSG:3857 as Mercator_1SP on a sphere, with the PROJ
		// string in an EXTENSION; without it, this is the ellipsoidal
		// World Mercator, about 20 km off in China.
		name := alnumLower(n.str(0))
		ext := n.child("EXTENSION")
		code, _ := n.epsgCode()
		if strings.Contains(name, "pseudomercator") || strings.Contains(name, "webmercator") || code == WebMercator ||
			ext != nil && strings.Contains(ext.str(1), "+a=6378137") && strings.Contains(ext.str(1), "+b=6378137") {
			return webMercatorDef(fam, params)
		}
		return srsDef{}, fmt.Errorf("是椭球墨卡托投影 %q，不是 Web 墨卡托（EPSG:3857）", n.str(0))
	case "":
		return srsDef{}, fmt.Errorf("的投影坐标系 %q 没有投影方法（PROJECTION）", n.str(0))
	}
	return srsDef{}, fmt.Errorf("的投影 %q 不是高斯-克吕格、UTM 或 Web 墨卡托", method)
}

// near reports whether a and b differ by less than tol.
func near(a, b, tol float64) bool { return math.Abs(a-b) < tol }

// transverseMercatorDef identifies Gauss-Krüger and UTM zones. name is the
// projected CRS's name, normalised, used only to tell a 3° "CM" code from
// a 6° one.
func transverseMercatorDef(fam *family, p map[string]float64, name string) (srsDef, error) {
	lon0, k, fe, fn := p["lon0"], p["k"], p["fe"], p["fn"]
	if !near(p["lat0"], 0, 1e-9) {
		return srsDef{}, fmt.Errorf("的原点纬度 %s 不是 0", formatCoord(p["lat0"]))
	}
	cm := int(math.Round(lon0))
	if !near(lon0, float64(cm), 1e-6) {
		return srsDef{}, fmt.Errorf("的中央经线 %s 不是整度数", formatCoord(lon0))
	}
	switch {
	case near(k, 0.9996, 1e-9):
		z := (cm + 183) / 6
		if fam != famWGS84 || (cm+183)%6 != 0 || z < 1 || z > 60 || !near(fe, 500000, 1e-3) ||
			!near(fn, 0, 1e-3) {
			return srsDef{}, fmt.Errorf("是比例因子 0.9996 的横轴墨卡托，但不是 WGS84 北半球 UTM 投影带（中央经线 %d，假东距 %s，假北距 %s）",
				cm, formatCoord(fe), formatCoord(fn))
		}
		return srsByEPSG[utmNorthBase+z], nil
	case !near(k, 1, 1e-9):
		return srsDef{}, fmt.Errorf("是比例因子 %s 的横轴墨卡托，不是高斯-克吕格（1）或 UTM（0.9996）", formatCoord(k))
	}
	if !near(fn, 0, 1e-3) {
		return srsDef{}, fmt.Errorf("的假北距 %s 不是 0", formatCoord(fn))
	}
	if fam.gk3CM == nil {
		return srsDef{}, fmt.Errorf("是 %s 的高斯-克吕格投影，EPSG 没有此类代码；CGCS2000 与 WGS84 相差不到 1 米，可用 --srs cgcs2000-gk3-%de", fam.label, cm)
	}
	if near(fe, 500000, 1e-3) {
		// A "CM" code: the width is not in the parameters. Take 6° only when
		// the name says so, as EPSG ("Gauss-Kruger CM 117E") and ESRI
		// ("GK_CM_117E") name 6° codes without a width.
		width := 3
		if gkZone(6, cm) != 0 && !strings.Contains(name, "3degree") && !strings.Contains(name, "3度") &&
			(strings.Contains(name, "6degree") || strings.Contains(name, "6度") ||
				strings.Contains(name, "gausskrugercm") || strings.Contains(name, "gkcm")) {
			width = 6
		}
		if d, ok := gkDef(fam, width, cm, false); ok {
			return d, nil
		}
		return srsDef{}, fmt.Errorf("的中央经线 %d°E 不是中国的高斯-克吕格投影带（75–135°E，3 的倍数）", cm)
	}
	zf := (fe - 500000) / 1e6
	z := int(math.Round(zf))
	if !near(zf, float64(z), 1e-9) {
		return srsDef{}, fmt.Errorf("的假东距 %s 既不是 500000，也不是“带号×1000000+500000”", formatCoord(fe))
	}
	width := 3
	if z >= gk6MinZone && z <= gk6MaxZone {
		width = 6
	}
	want := gkCentralMeridian(width, z)
	if want == 0 {
		return srsDef{}, fmt.Errorf("的假东距 %s 中的带号 %d 不是中国的投影带（6度带 13–23，3度带 25–45）", formatCoord(fe), z)
	}
	if want != cm {
		return srsDef{}, fmt.Errorf("的假东距 %s 中的带号 %d 与中央经线 %d°E 不符（%d度带第 %d 带的中央经线是 %d°E）",
			formatCoord(fe), z, cm, width, z, want)
	}
	d, _ := gkDef(fam, width, cm, true)
	return d, nil
}

// webMercatorDef accepts the Web Mercator parameters EPSG:3857 has.
func webMercatorDef(fam *family, p map[string]float64) (srsDef, error) {
	if fam != famWGS84 || !near(p["lon0"], 0, 1e-9) || !near(p["fe"], 0, 1e-3) || !near(p["fn"], 0, 1e-3) {
		return srsDef{}, errors.New("是非标准的 Web 墨卡托（基准面、中央经线或假东距、假北距不是 EPSG:3857 的）")
	}
	return srsByEPSG[WebMercator], nil
}

// alnumLower lower-cases s and keeps only its letters and digits.
func alnumLower(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// wktNode is a WKT keyword with its bracketed arguments: KEYWORD[arg, ...].
// An argument is a nested node, or a quoted string, number or bare word
// (NORTH, Cartesian) kept as text.
type wktNode struct {
	kw   string // upper case
	args []wktArg
}

type wktArg struct {
	node *wktNode // nil for a text argument
	text string   // quoted string without its quotes, number, or bare word
}

// is reports whether n's keyword is one of kws.
func (n *wktNode) is(kws ...string) bool {
	for _, kw := range kws {
		if n.kw == kw {
			return true
		}
	}
	return false
}

// nodes returns n's child nodes in order.
func (n *wktNode) nodes() []*wktNode {
	var out []*wktNode
	for _, a := range n.args {
		if a.node != nil {
			out = append(out, a.node)
		}
	}
	return out
}

// child returns n's first child node with one of the keywords, or nil.
func (n *wktNode) child(kws ...string) *wktNode {
	for _, a := range n.args {
		if a.node != nil && a.node.is(kws...) {
			return a.node
		}
	}
	return nil
}

// str returns n's i-th argument as text, "" if it is absent or a node.
func (n *wktNode) str(i int) string {
	if i < len(n.args) && n.args[i].node == nil {
		return n.args[i].text
	}
	return ""
}

// num returns n's i-th argument as a number.
func (n *wktNode) num(i int) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(n.str(i)), 64)
	if err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
		err = errors.New("not finite")
	}
	return v, err
}

// unit returns the conversion factor and name of the first unit node with
// one of the keywords among n's children, or else among its AXIS nodes'
// children, where WKT2 puts it.
func (n *wktNode) unit(kws ...string) (factor float64, name string, ok bool) {
	find := func(m *wktNode) (float64, string, bool) {
		if u := m.child(kws...); u != nil {
			if f, err := u.num(1); err == nil {
				return f, u.str(0), true
			}
		}
		return 0, "", false
	}
	if f, name, ok := find(n); ok {
		return f, name, ok
	}
	for _, c := range n.nodes() {
		if c.kw == "AXIS" {
			if f, name, ok := find(c); ok {
				return f, name, ok
			}
		}
	}
	return 0, "", false
}

// maxWKTDepth bounds nesting; real WKT2 nests six deep.
const maxWKTDepth = 32

// parseWKT parses the first WKT node in s, ignoring what follows it. It
// accepts '[' or '(' as brackets, "" as a quote inside a string (WKT2), and
// a byte-order mark.
func parseWKT(s string) (*wktNode, error) {
	p := wktParser{s: strings.TrimPrefix(s, "\ufeff")}
	p.skipSpace()
	return p.node(0)
}

type wktParser struct {
	s   string
	pos int
}

func (p *wktParser) errorf(format string, args ...any) error {
	return fmt.Errorf("第 %d 字节：%s", p.pos+1, fmt.Sprintf(format, args...))
}

func (p *wktParser) skipSpace() {
	for p.pos < len(p.s) && strings.IndexByte(" \t\r\n\f\v", p.s[p.pos]) >= 0 {
		p.pos++
	}
}

// word reads a keyword or bare word: letters, digits and '_'.
func (p *wktParser) word() string {
	start := p.pos
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			p.pos++
			continue
		}
		break
	}
	return p.s[start:p.pos]
}

func (p *wktParser) node(depth int) (*wktNode, error) {
	if depth > maxWKTDepth {
		return nil, p.errorf("嵌套超过 %d 层", maxWKTDepth)
	}
	kw := p.word()
	if kw == "" {
		return nil, p.errorf("应为关键字（如 PROJCS、GEOGCS）")
	}
	p.skipSpace()
	if p.pos >= len(p.s) || (p.s[p.pos] != '[' && p.s[p.pos] != '(') {
		return nil, p.errorf("%s 后应为 [", kw)
	}
	p.pos++
	n := &wktNode{kw: strings.ToUpper(kw)}
	for {
		p.skipSpace()
		if p.pos >= len(p.s) {
			return nil, p.errorf("%s[ 没有结束的 ]", kw)
		}
		switch c := p.s[p.pos]; {
		case c == ']' || c == ')':
			if len(n.args) > 0 {
				return nil, p.errorf("多余的逗号")
			}
			p.pos++
			return n, nil
		case c == '"':
			text, err := p.quoted()
			if err != nil {
				return nil, err
			}
			n.args = append(n.args, wktArg{text: text})
		case c == '+' || c == '-' || c == '.' || c >= '0' && c <= '9':
			start := p.pos
			for p.pos < len(p.s) && strings.IndexByte("+-.0123456789eE", p.s[p.pos]) >= 0 {
				p.pos++
			}
			n.args = append(n.args, wktArg{text: p.s[start:p.pos]})
		default:
			start := p.pos
			w := p.word()
			if w == "" {
				return nil, p.errorf("意外的字符 %q", p.s[p.pos:p.pos+1])
			}
			p.skipSpace()
			if p.pos < len(p.s) && (p.s[p.pos] == '[' || p.s[p.pos] == '(') {
				p.pos = start
				child, err := p.node(depth + 1)
				if err != nil {
					return nil, err
				}
				n.args = append(n.args, wktArg{node: child})
			} else {
				n.args = append(n.args, wktArg{text: w})
			}
		}
		p.skipSpace()
		if p.pos >= len(p.s) {
			return nil, p.errorf("%s[ 没有结束的 ]", kw)
		}
		switch p.s[p.pos] {
		case ',':
			p.pos++
		case ']', ')':
			p.pos++
			return n, nil
		default:
			return nil, p.errorf("应为逗号或 ]")
		}
	}
}

// quoted reads a double-quoted string; "" inside it is one quote.
func (p *wktParser) quoted() (string, error) {
	p.pos++ // opening quote
	var b strings.Builder
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		p.pos++
		if c != '"' {
			b.WriteByte(c)
			continue
		}
		if p.pos < len(p.s) && p.s[p.pos] == '"' {
			b.WriteByte('"')
			p.pos++
			continue
		}
		return b.String(), nil
	}
	return "", p.errorf("字符串没有结束的引号")
}
