package shp

import (
	"encoding/binary"
	"errors"
	"io"
	"math"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/geo"
)

const (
	shpHeaderLen = 100  // bytes in the .shp (and .shx) file header
	shpFileCode  = 9994 // first word of every .shp and .shx
	minChunk     = 64 << 10
	maxChunk     = 16 << 20
)

// Size limits, so that a small file cannot make the import hold gigabytes
// (a 1 MB zip can decompress to one 1 GiB record). A real county's biggest
// record — a county outline of a million vertices — is about 16 MiB.
var (
	// maxRecordBytes bounds one .shp record.
	maxRecordBytes int64 = 256 << 20
	// A zip entry that inflates more than maxZipRatio times and past
	// zipRatioFloor bytes is taken for a bomb: shapefiles compress 3–20×.
	maxZipRatio   uint64 = 200
	zipRatioFloor uint64 = 64 << 20
)

// shpReader walks the records of a .shp stream. It never seeks, so the
// stream can be a file, a zip entry or a pipe.
type shpReader struct {
	r       io.Reader
	typ     ShapeType // from the file header
	fileLen int64     // bytes, as the file header states it
	off     int64     // bytes consumed so far
	buf     []byte    // the current record's content, reused
	dims    geo.Dims  // ordinates beyond XY seen: the header's, and M once a Z record has measures
}

// newSHPReader reads and checks the 100-byte file header. The header mixes
// byte orders: file code and length are big-endian, the rest little-endian.
func newSHPReader(r io.Reader) (*shpReader, error) {
	var h [shpHeaderLen]byte
	if n, err := io.ReadFull(r, h[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fault(ErrTruncated, "文件头不完整（只有 %d 字节，应为 100 字节），不是有效的 shp 文件", n)
		}
		return nil, err
	}
	if code := int32(binary.BigEndian.Uint32(h[0:])); code != shpFileCode {
		return nil, fault(ErrCorrupt, "不是 shp 文件（文件代码为 %d，应为 9994）", code)
	}
	typ := ShapeType(int32(binary.LittleEndian.Uint32(h[32:])))
	if _, ok := typ.base(); !ok {
		return nil, fault(ErrShapeType, "文件头的形状类型 %s 无效或不受支持", typ)
	}
	return &shpReader{
		r:    r,
		typ:  typ,
		dims: typ.dims(),
		// The length counts 16-bit words; unsigned so that a corrupt
		// header cannot make it negative.
		fileLen: int64(binary.BigEndian.Uint32(h[24:])) * 2,
		off:     shpHeaderLen,
	}, nil
}

// next reads one record and returns its geometry, nil for a null shape.
// It returns io.EOF when the stream ends cleanly between two records.
func (s *shpReader) next() (orb.Geometry, error) {
	var h [8]byte
	n, err := io.ReadFull(s.r, h[:])
	switch {
	case errors.Is(err, io.EOF):
		return nil, io.EOF
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, fault(ErrTruncated, "记录头不完整（只有 %d 字节，应为 8 字节），文件被截断", n)
	case err != nil:
		return nil, err
	}
	s.off += int64(len(h))
	// The record number (h[0:4]) is not checked: writers get it wrong and
	// the position in the stream is what pairs a shape with its dbf row.
	size := int64(int32(binary.BigEndian.Uint32(h[4:]))) * 2
	if size < 4 {
		return nil, fault(ErrCorrupt, "记录长度 %d 字节无效（至少 4 字节），文件已损坏", size)
	}
	if size > maxRecordBytes {
		return nil, fault(ErrTooLarge, "记录长度 %d MiB 超过上限 %d MiB：文件已损坏或为恶意构造", size>>20, maxRecordBytes>>20)
	}
	if err := s.readContent(size); err != nil {
		return nil, err
	}
	s.off += size
	g, err := parseShape(s.buf, s.typ)
	// Measures are optional in the Z types; look for them only until the
	// first record has some, so 2D files pay one comparison a record.
	if s.dims == geo.DimZ && err == nil && hasMeasures(s.buf) {
		s.dims |= geo.DimM
	}
	return g, err
}

// readContent reads size bytes into s.buf. It grows the buffer a chunk at
// a time, so a corrupt length of gigabytes costs memory only for the
// bytes the file really has, not for what the record header claims.
func (s *shpReader) readContent(size int64) error {
	s.buf = s.buf[:0]
	for int64(len(s.buf)) < size {
		// Chunks double with what has been read, from 64 KiB, so that a
		// lie costs at most twice the bytes really there.
		chunk := int(min(size-int64(len(s.buf)), max(int64(len(s.buf)), minChunk), maxChunk))
		start := len(s.buf)
		if cap(s.buf)-start < chunk {
			grown := make([]byte, start, max(2*cap(s.buf), start+chunk))
			copy(grown, s.buf)
			s.buf = grown
		}
		s.buf = s.buf[:start+chunk]
		n, err := io.ReadFull(s.r, s.buf[start:])
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return fault(ErrTruncated, "记录长度为 %d 字节，超出文件末尾（其后只有 %d 字节），文件被截断或记录长度已损坏",
					size, int64(start+n))
			}
			return err
		}
	}
	return nil
}

// parseShape decodes one record's content (shape type onwards) into an
// orb geometry, dropping Z and M. header is the file's shape type.
func parseShape(b []byte, header ShapeType) (orb.Geometry, error) {
	if len(b) < 4 {
		return nil, fault(ErrCorrupt, "记录只有 %d 字节，缺少形状类型", len(b))
	}
	t := ShapeType(int32(binary.LittleEndian.Uint32(b)))
	base, ok := t.base()
	if !ok {
		return nil, fault(ErrShapeType, "形状类型 %s 无效或不受支持", t)
	}
	// The spec allows only null shapes besides the header's type. A
	// different type is almost always a misaligned read after a corrupt
	// record length, so it is reported rather than decoded.
	if hb, _ := header.base(); base != Null && base != hb {
		return nil, fault(ErrShapeType, "形状类型 %s 与文件头的 %s 不一致", t, header)
	}
	switch base {
	case Null:
		return nil, nil
	case Point:
		if len(b) < 20 {
			return nil, fault(ErrCorrupt, "点记录只有 %d 字节，应至少 20 字节", len(b))
		}
		return orb.Point{f64(b[4:]), f64(b[12:])}, nil
	case MultiPoint:
		return parseMultiPoint(b)
	case PolyLine:
		return parseParts(b, false)
	default: // Polygon
		return parseParts(b, true)
	}
}

// parseMultiPoint decodes a MultiPoint: type, box (32 bytes), count, XY
// pairs; Z and M arrays follow and are ignored.
func parseMultiPoint(b []byte) (orb.Geometry, error) {
	if len(b) < 40 {
		return nil, fault(ErrCorrupt, "多点记录只有 %d 字节，不足 40 字节的头部", len(b))
	}
	n := int64(binary.LittleEndian.Uint32(b[36:]))
	if need := 40 + 16*n; need > int64(len(b)) {
		return nil, fault(ErrCorrupt, "多点记录声明 %d 个点，需要 %d 字节，但记录只有 %d 字节", n, need, len(b))
	}
	if n == 0 {
		return nil, nil
	}
	mp := make(orb.MultiPoint, n)
	readPoints(mp, b[40:])
	return mp, nil
}

// parseParts decodes a PolyLine or Polygon: type, box, part count, point
// count, part start indexes, XY pairs; Z and M arrays follow and are
// ignored.
func parseParts(b []byte, polygon bool) (orb.Geometry, error) {
	if len(b) < 44 {
		return nil, fault(ErrCorrupt, "记录只有 %d 字节，不足 44 字节的头部", len(b))
	}
	np := int64(binary.LittleEndian.Uint32(b[36:]))
	npts := int64(binary.LittleEndian.Uint32(b[40:]))
	// int64 arithmetic cannot overflow for uint32 counts, and checking the
	// size before allocating bounds memory by the record's real length.
	if need := 44 + 4*np + 16*npts; need > int64(len(b)) {
		return nil, fault(ErrCorrupt, "记录声明 %d 个部分、%d 个点，需要 %d 字节，但记录只有 %d 字节", np, npts, need, len(b))
	}
	if np == 0 {
		if npts != 0 {
			return nil, fault(ErrCorrupt, "记录有 %d 个点却没有部分", npts)
		}
		return nil, nil
	}
	parts := b[44 : 44+4*np]
	pts := make([]orb.Point, npts)
	readPoints(pts, b[44+4*np:])

	// One backing array serves every part; the three-index slices keep an
	// append that closes one ring from overwriting the next.
	var lines orb.MultiLineString
	var rings orb.Polygon // a Polygon already, for the common single ring
	if polygon {
		rings = make(orb.Polygon, 0, np)
	} else {
		lines = make(orb.MultiLineString, 0, np)
	}
	for i := range np {
		start := int64(binary.LittleEndian.Uint32(parts[4*i:]))
		end := npts
		if i+1 < np {
			end = int64(binary.LittleEndian.Uint32(parts[4*i+4:]))
		}
		if (i == 0 && start != 0) || start > end || end > npts {
			return nil, fault(ErrCorrupt, "第 %d 个部分的起止点序号 %d–%d 无效（共 %d 个点）", i+1, start, end, npts)
		}
		seg := pts[start:end:end]
		if !polygon {
			lines = append(lines, orb.LineString(seg))
			continue
		}
		if len(seg) < 4 {
			return nil, fault(ErrRing, "第 %d 个环只有 %d 个点，闭合的环至少需要 4 个点", i+1, len(seg))
		}
		ring := orb.Ring(seg)
		// The spec requires closed rings; close one a writer left open
		// rather than reject the record, as GDAL does.
		if ring[0] != ring[len(ring)-1] {
			ring = append(ring, ring[0])
		}
		rings = append(rings, ring)
	}
	if !polygon {
		if len(lines) == 1 {
			return lines[0], nil
		}
		return lines, nil
	}
	if len(rings) == 1 {
		return rings, nil
	}
	return assemble(rings), nil
}

// hasMeasures reports whether the content b of a Z-type record, which
// parseShape has accepted, goes on past its Z array to the optional M
// array, as GDAL's reader decides (it then reads the record as XYZM).
func hasMeasures(b []byte) bool {
	var need int64
	switch ShapeType(int32(binary.LittleEndian.Uint32(b))) {
	case PointZ: // type, x, y, z, m
		need = 4 + 4*8
	case MultiPointZ: // type, box, count, xy, z range and array, m range and array
		n := int64(binary.LittleEndian.Uint32(b[36:]))
		need = 40 + 16*n + 2*(16+8*n)
	case PolyLineZ, PolygonZ: // type, box, counts, part starts, xy, z, m
		np := int64(binary.LittleEndian.Uint32(b[36:]))
		n := int64(binary.LittleEndian.Uint32(b[40:]))
		need = 44 + 4*np + 16*n + 2*(16+8*n)
	default: // a null shape
		return false
	}
	return int64(len(b)) >= need
}

// readPoints fills pts from little-endian XY pairs in b.
func readPoints(pts []orb.Point, b []byte) {
	for i := range pts {
		pts[i] = orb.Point{f64(b[16*i:]), f64(b[16*i+8:])}
	}
}

func f64(b []byte) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b)) }
