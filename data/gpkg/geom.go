package gpkg

import (
	"encoding/binary"
	"math"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/geo"
)

// GeoPackage binary geometry header (GeoPackage 1.3, clause 2.1.3):
//
//	magic 'G' 'P' | version (0 = 1) | flags | srs_id int32 | envelope | WKB
//
// flags, from the high bit: 2 reserved bits, X extended type, Y empty
// geometry, EEE envelope indicator, B byte order of srs_id and envelope
// (1 = little endian).
const (
	flagLittleEndian = 0x01
	flagEnvelopeMask = 0x0e
	flagEmpty        = 0x10
	flagExtended     = 0x20

	headerSize = 8
)

// envelopeSize is the byte length of each envelope indicator 0–4: none,
// xy, xyz, xym, xyzm (two float64 per axis), and envelopeDims the
// ordinates beyond XY it declares.
var (
	envelopeSize = [...]int{0, 32, 48, 48, 64}
	envelopeDims = [...]geo.Dims{0, 0, geo.DimZ, geo.DimM, geo.DimZ | geo.DimM}
)

// WKB geometry type codes (OGC Simple Features). ISO WKB adds 1000 for Z,
// 2000 for M and 3000 for ZM; EWKB sets the high bits below instead.
const (
	wkbPoint              = 1
	wkbLineString         = 2
	wkbPolygon            = 3
	wkbMultiPoint         = 4
	wkbMultiLineString    = 5
	wkbMultiPolygon       = 6
	wkbGeometryCollection = 7

	ewkbZ    = 0x80000000
	ewkbM    = 0x40000000
	ewkbSRID = 0x20000000
)

// maxDepth bounds the nesting of geometry collections, so a hostile blob
// cannot exhaust the stack.
const maxDepth = 32

// maxGeometryBytes bounds one geometry blob: the largest county boundary
// is a few MiB, and a blob past this is a bomb whose decoding would hold
// several times its size. A variable so that tests can lower it.
var maxGeometryBytes = 256 << 20

// geometryTooLarge is the refusal of a blob of n bytes, past
// maxGeometryBytes.
func geometryTooLarge(n int64) *FormatError {
	return fault(ErrTooLarge, "几何数据 %d MiB 超过上限 %d MiB：文件已损坏或为恶意构造", n>>20, maxGeometryBytes>>20)
}

// decodeGeometry decodes a GeoPackage binary geometry into an orb value in
// the layer's coordinates, dropping Z and M, and reports which of them the
// blob carried: in its WKB type codes (ISO 1000/2000/3000 or the EWKB
// flags) or in its envelope (xyz, xym, xyzm). It returns nil and no dims
// for an empty geometry. Errors are FormatErrors wrapping ErrGeometry,
// without file, layer or feature, which the Reader fills in.
func decodeGeometry(b []byte) (orb.Geometry, geo.Dims, error) {
	if len(b) > maxGeometryBytes {
		return nil, 0, geometryTooLarge(int64(len(b)))
	}
	if len(b) < headerSize {
		return nil, 0, fault(ErrGeometry, "几何数据只有 %d 字节，不足 GeoPackage 几何头的 8 字节", len(b))
	}
	if b[0] != 'G' || b[1] != 'P' {
		return nil, 0, fault(ErrGeometry, "几何数据不是 GeoPackage 格式（应以“GP”开头，实际为 0x%02x%02x）", b[0], b[1])
	}
	if b[2] != 0 {
		return nil, 0, fault(ErrGeometry, "不支持的 GeoPackage 几何版本 %d", b[2])
	}
	flags := b[3]
	env := int(flags&flagEnvelopeMask) >> 1
	if env >= len(envelopeSize) {
		return nil, 0, fault(ErrGeometry, "GeoPackage 几何头的包络类型 %d 无效（应为 0–4）", env)
	}
	start := headerSize + envelopeSize[env]
	if len(b) < start {
		return nil, 0, fault(ErrGeometry, "几何数据在包络处截断（%d 字节，至少应有 %d 字节）", len(b), start)
	}
	if flags&flagEmpty != 0 {
		return nil, 0, nil
	}
	d := wkbDecoder{b: b[start:], base: start, dims: envelopeDims[env]}
	g, err := d.geometry(0, 0)
	if err != nil {
		return nil, 0, err
	}
	if geo.IsEmpty(g) {
		return nil, 0, nil
	}
	return g, d.dims, nil
}

// wkbDecoder reads standard, ISO and EWKB well-known binary. Every count
// is checked against the bytes left before anything is allocated, so a
// bad count cannot make it allocate more than a small multiple of the
// input.
type wkbDecoder struct {
	b    []byte
	off  int
	base int      // offset of b in the whole blob, for messages
	dims geo.Dims // the ordinates beyond XY of the headers read so far
}

// truncated is the error for WKB that ends before its counts say.
func (d *wkbDecoder) truncated() error {
	return fault(ErrGeometry, "几何数据在第 %d 字节处截断（WKB 不完整）", d.base+len(d.b))
}

// header reads a byte-order byte and a type code, skipping an EWKB SRID.
// It returns the byte order, the 2D type code 1–7, and the number of
// float64 values per position, and adds the code's Z and M to d.dims.
func (d *wkbDecoder) header() (binary.ByteOrder, uint32, int, error) {
	if len(d.b)-d.off < 5 {
		return nil, 0, 0, d.truncated()
	}
	var order binary.ByteOrder
	switch d.b[d.off] {
	case 0:
		order = binary.BigEndian
	case 1:
		order = binary.LittleEndian
	default:
		return nil, 0, 0, fault(ErrGeometry, "WKB 字节序标志 %d 无效（第 %d 字节，应为 0 或 1）", d.b[d.off], d.base+d.off)
	}
	code := order.Uint32(d.b[d.off+1:])
	d.off += 5
	dims := 2
	if code&ewkbZ != 0 {
		dims++
		d.dims |= geo.DimZ
	}
	if code&ewkbM != 0 {
		dims++
		d.dims |= geo.DimM
	}
	if code&ewkbSRID != 0 {
		if len(d.b)-d.off < 4 {
			return nil, 0, 0, d.truncated()
		}
		d.off += 4
	}
	code &^= ewkbZ | ewkbM | ewkbSRID
	typ := code % 1000
	switch code / 1000 {
	case 0:
	case 1:
		dims++
		d.dims |= geo.DimZ
	case 2:
		dims++
		d.dims |= geo.DimM
	case 3:
		dims += 2
		d.dims |= geo.DimZ | geo.DimM
	default:
		return nil, 0, 0, fault(ErrGeometry, "WKB 几何类型代码 %d 不受支持", code)
	}
	if typ < wkbPoint || typ > wkbGeometryCollection || dims > 4 {
		return nil, 0, 0, fault(ErrGeometry, "WKB 几何类型代码 %d 不受支持（只支持点、线、面及其多部件和几何集合）", code)
	}
	return order, typ, dims, nil
}

// count reads an element count and checks that count elements of at least
// minSize bytes each fit in what is left.
func (d *wkbDecoder) count(order binary.ByteOrder, minSize int) (int, error) {
	if len(d.b)-d.off < 4 {
		return 0, d.truncated()
	}
	n := order.Uint32(d.b[d.off:])
	d.off += 4
	if uint64(n)*uint64(minSize) > uint64(len(d.b)-d.off) {
		return 0, d.truncated()
	}
	return int(n), nil
}

// point reads one position of dims float64 values and keeps x and y.
// The caller has checked that the bytes are there.
func (d *wkbDecoder) point(order binary.ByteOrder, dims int) orb.Point {
	x := math.Float64frombits(order.Uint64(d.b[d.off:]))
	y := math.Float64frombits(order.Uint64(d.b[d.off+8:]))
	d.off += 8 * dims
	return orb.Point{x, y}
}

// points reads a counted list of positions.
func (d *wkbDecoder) points(order binary.ByteOrder, dims int) ([]orb.Point, error) {
	n, err := d.count(order, 8*dims)
	if err != nil {
		return nil, err
	}
	ps := make([]orb.Point, n)
	for i := range ps {
		ps[i] = d.point(order, dims)
	}
	return ps, nil
}

// minElem is the smallest WKB geometry: a header and an empty count.
const minElem = 9

// geometry reads one WKB geometry; want, when not 0, is the type a
// multi-geometry requires of its members.
func (d *wkbDecoder) geometry(depth int, want uint32) (orb.Geometry, error) {
	if depth > maxDepth {
		return nil, fault(ErrGeometry, "几何集合嵌套超过 %d 层", maxDepth)
	}
	order, typ, dims, err := d.header()
	if err != nil {
		return nil, err
	}
	if want != 0 && typ != want {
		return nil, fault(ErrGeometry, "多部件几何中含有类型 %d 的成员（应为 %d）", typ, want)
	}
	switch typ {
	case wkbPoint:
		if len(d.b)-d.off < 8*dims {
			return nil, d.truncated()
		}
		return d.point(order, dims), nil
	case wkbLineString:
		ps, err := d.points(order, dims)
		return orb.LineString(ps), err
	case wkbPolygon:
		return d.polygon(order, dims)
	case wkbMultiPoint:
		n, err := d.count(order, minElem)
		if err != nil {
			return nil, err
		}
		mp := make(orb.MultiPoint, 0, n)
		for range n {
			g, err := d.geometry(depth+1, wkbPoint)
			if err != nil {
				return nil, err
			}
			if p := g.(orb.Point); !emptyPoint(p) {
				mp = append(mp, p)
			}
		}
		return mp, nil
	case wkbMultiLineString:
		ls, err := members[orb.LineString](d, order, depth, wkbLineString)
		return orb.MultiLineString(ls), err
	case wkbMultiPolygon:
		ps, err := members[orb.Polygon](d, order, depth, wkbPolygon)
		return orb.MultiPolygon(ps), err
	default: // wkbGeometryCollection; header accepts nothing else
		gs, err := members[orb.Geometry](d, order, depth, 0)
		return orb.Collection(gs), err
	}
}

// members reads the counted members of a multi-geometry or collection at
// depth, each of type want (any when 0), as T. It returns nil on error.
func members[T orb.Geometry](d *wkbDecoder, order binary.ByteOrder, depth int, want uint32) ([]T, error) {
	n, err := d.count(order, minElem)
	if err != nil {
		return nil, err
	}
	out := make([]T, n)
	for i := range out {
		g, err := d.geometry(depth+1, want)
		if err != nil {
			return nil, err
		}
		out[i] = g.(T)
	}
	return out, nil
}

// polygon reads the rings of a polygon after its header.
func (d *wkbDecoder) polygon(order binary.ByteOrder, dims int) (orb.Polygon, error) {
	n, err := d.count(order, 4)
	if err != nil {
		return nil, err
	}
	p := make(orb.Polygon, n)
	for i := range p {
		ps, err := d.points(order, dims)
		if err != nil {
			return nil, err
		}
		p[i] = orb.Ring(ps)
	}
	return p, nil
}

// emptyPoint reports whether p is WKB's empty point (NaN coordinates).
func emptyPoint(p orb.Point) bool { return math.IsNaN(p[0]) && math.IsNaN(p[1]) }

// encoder writes GeoPackage binary geometries, little endian, into one
// buffer it reuses, so writing a feature allocates nothing once the
// buffer has grown to the largest geometry.
type encoder struct {
	buf []byte
	// bound of the last geometry encoded, filled while writing positions
	minX, minY, maxX, maxY float64
	finite                 bool // all positions were finite numbers
}

// encode returns the blob for g in SRS srsID, valid until the next call,
// and whether g is empty. Non-point geometries carry their xy envelope
// [minx, maxx, miny, maxy] in the header, as GDAL and the R-tree triggers
// expect; points need none. The envelope and finiteness are left in e.
func (e *encoder) encode(g orb.Geometry, srsID int32) (blob []byte, empty bool) {
	e.minX, e.minY = math.Inf(1), math.Inf(1)
	e.maxX, e.maxY = math.Inf(-1), math.Inf(-1)
	e.finite = true
	empty = geo.IsEmpty(g)
	_, isPoint := g.(orb.Point)

	flags := byte(flagLittleEndian)
	switch {
	case empty:
		flags |= flagEmpty
	case !isPoint:
		flags |= 1 << 1 // envelope xy
	}
	b := append(e.buf[:0], 'G', 'P', 0, flags)
	b = binary.LittleEndian.AppendUint32(b, uint32(srsID))
	envAt := len(b)
	if flags&flagEnvelopeMask != 0 {
		b = append(b, make([]byte, 32)...) // filled in below
	}
	b = e.wkb(b, g)
	if flags&flagEnvelopeMask != 0 {
		for i, v := range [4]float64{e.minX, e.maxX, e.minY, e.maxY} {
			binary.LittleEndian.PutUint64(b[envAt+8*i:], math.Float64bits(v))
		}
	}
	if isPoint && !empty {
		p := g.(orb.Point)
		e.minX, e.maxX, e.minY, e.maxY = p[0], p[0], p[1], p[1]
	}
	e.buf = b
	return b, empty
}

// pos appends one xy position and widens the bound.
func (e *encoder) pos(b []byte, p orb.Point) []byte {
	if math.IsNaN(p[0]) || math.IsInf(p[0], 0) || math.IsNaN(p[1]) || math.IsInf(p[1], 0) {
		e.finite = false
	}
	e.minX, e.maxX = min(e.minX, p[0]), max(e.maxX, p[0])
	e.minY, e.maxY = min(e.minY, p[1]), max(e.maxY, p[1])
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p[0]))
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(p[1]))
}

// head appends a little-endian WKB header with a count.
func head(b []byte, typ uint32, n int) []byte {
	b = append(b, 1)
	b = binary.LittleEndian.AppendUint32(b, typ)
	return binary.LittleEndian.AppendUint32(b, uint32(n))
}

// wkb appends g as 2D little-endian WKB. An empty point is written with
// NaN coordinates, as the GeoPackage spec asks.
func (e *encoder) wkb(b []byte, g orb.Geometry) []byte {
	switch g := g.(type) {
	case orb.Point:
		b = append(b, 1)
		b = binary.LittleEndian.AppendUint32(b, wkbPoint)
		if emptyPoint(g) {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(math.NaN()))
			return binary.LittleEndian.AppendUint64(b, math.Float64bits(math.NaN()))
		}
		return e.pos(b, g)
	case orb.MultiPoint:
		b = head(b, wkbMultiPoint, len(g))
		for _, p := range g {
			b = e.wkb(b, p)
		}
	case orb.LineString:
		b = head(b, wkbLineString, len(g))
		for _, p := range g {
			b = e.pos(b, p)
		}
	case orb.Ring:
		return e.wkb(b, orb.Polygon{g})
	case orb.Bound:
		return e.wkb(b, g.ToPolygon())
	case orb.Polygon:
		b = head(b, wkbPolygon, len(g))
		for _, r := range g {
			b = binary.LittleEndian.AppendUint32(b, uint32(len(r)))
			for _, p := range r {
				b = e.pos(b, p)
			}
		}
	case orb.MultiLineString:
		b = head(b, wkbMultiLineString, len(g))
		for _, l := range g {
			b = e.wkb(b, l)
		}
	case orb.MultiPolygon:
		b = head(b, wkbMultiPolygon, len(g))
		for _, p := range g {
			b = e.wkb(b, p)
		}
	case orb.Collection:
		b = head(b, wkbGeometryCollection, len(g))
		for _, m := range g {
			b = e.wkb(b, m)
		}
	}
	return b
}
