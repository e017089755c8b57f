package shp

import (
	"bufio"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// testSet describes a shapefile set written by writeSet, the tests' own
// writer, which controls every byte GDAL would not let us choose.
type testSet struct {
	typ    ShapeType // header type; Z and M types get zero Z/M arrays
	fields []Field
	ldid   byte
	cpg    *string // nil: no .cpg
	noSHX  bool
	// record returns record i: its geometry (nil: null shape), its raw
	// dbf values in field order, already encoded, and whether it is deleted.
	record func(i int) (g orb.Geometry, values []string, deleted bool)
	n      int
}

// writeSet writes dir/stem.{shp,shx,dbf[,cpg]} streaming, so that the
// benchmarks can write large files in bounded memory.
func writeSet(tb testing.TB, dir, stem string, s testSet) string {
	tb.Helper()
	shpPath := filepath.Join(dir, stem+".shp")
	shpF, shp := create(tb, shpPath)
	shxF, shx := create(tb, filepath.Join(dir, stem+".shx"))
	dbfF, dbf := create(tb, filepath.Join(dir, stem+".dbf"))

	// Headers are written as placeholders and patched at the end, when
	// lengths are known.
	shp.Write(make([]byte, 100))
	shx.Write(make([]byte, 100))
	recLen := 1
	for _, f := range s.fields {
		recLen += f.Length
	}
	dbf.Write(dbfHeader32(s.n, len(s.fields), recLen, s.ldid))
	for _, f := range s.fields {
		var d [32]byte
		copy(d[:11], f.Name)
		d[11] = f.Type
		d[16] = byte(f.Length)
		d[17] = byte(f.Decimals)
		dbf.Write(d[:])
	}
	dbf.WriteByte(0x0D)

	off := int64(100)
	bound := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	var content []byte
	for i := range s.n {
		g, values, deleted := s.record(i)
		if g != nil {
			bound = bound.Union(g.Bound())
		}
		content = encodeShape(content[:0], s.typ, g)
		var h [8]byte
		binary.BigEndian.PutUint32(h[0:], uint32(i+1))
		binary.BigEndian.PutUint32(h[4:], uint32(len(content)/2))
		shp.Write(h[:])
		shp.Write(content)
		binary.BigEndian.PutUint32(h[0:], uint32(off/2))
		shx.Write(h[:])
		off += 8 + int64(len(content))

		if deleted {
			dbf.WriteByte('*')
		} else {
			dbf.WriteByte(' ')
		}
		for j, f := range s.fields {
			v := values[j]
			if len(v) > f.Length {
				v = v[:f.Length]
			}
			if f.Type == 'N' || f.Type == 'F' {
				v = strings.Repeat(" ", f.Length-len(v)) + v
			} else {
				v += strings.Repeat(" ", f.Length-len(v))
			}
			dbf.WriteString(v)
		}
	}
	dbf.WriteByte(0x1A)
	for _, w := range []*bufio.Writer{shp, shx, dbf} {
		if err := w.Flush(); err != nil {
			tb.Fatal(err)
		}
	}
	if s.n == 0 {
		bound = orb.Bound{}
	}
	shpF.WriteAt(shpHeader(s.typ, off, bound), 0)
	shxF.WriteAt(shpHeader(s.typ, 100+8*int64(s.n), bound), 0)
	for _, f := range []*os.File{shpF, shxF, dbfF} {
		if err := f.Close(); err != nil {
			tb.Fatal(err)
		}
	}
	if s.noSHX {
		os.Remove(filepath.Join(dir, stem+".shx"))
	}
	if s.cpg != nil {
		if err := os.WriteFile(filepath.Join(dir, stem+".cpg"), []byte(*s.cpg), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return shpPath
}

func create(tb testing.TB, path string) (*os.File, *bufio.Writer) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	return f, bufio.NewWriterSize(f, 64<<10)
}

func shpHeader(typ ShapeType, fileLen int64, b orb.Bound) []byte {
	h := make([]byte, 100)
	binary.BigEndian.PutUint32(h[0:], shpFileCode)
	binary.BigEndian.PutUint32(h[24:], uint32(fileLen/2))
	binary.LittleEndian.PutUint32(h[28:], 1000)
	binary.LittleEndian.PutUint32(h[32:], uint32(typ))
	for i, v := range []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]} {
		binary.LittleEndian.PutUint64(h[36+8*i:], math.Float64bits(v))
	}
	return h
}

func dbfHeader32(n, nfields, recLen int, ldid byte) []byte {
	h := make([]byte, 32)
	h[0] = 0x03
	h[1], h[2], h[3] = 124, 1, 1 // 2024-01-01
	binary.LittleEndian.PutUint32(h[4:], uint32(n))
	binary.LittleEndian.PutUint16(h[8:], uint16(32+32*nfields+1))
	binary.LittleEndian.PutUint16(h[10:], uint16(recLen))
	h[29] = ldid
	return h
}

// encodeShape appends the record content of g, as typ (or as a null shape
// when g is nil), to b. Polygon rings are written as given, so tests
// choose their orientation.
func encodeShape(b []byte, typ ShapeType, g orb.Geometry) []byte {
	le := binary.LittleEndian
	f64 := func(v float64) { b = le.AppendUint64(b, math.Float64bits(v)) }
	if g == nil {
		return le.AppendUint32(b, uint32(Null))
	}
	b = le.AppendUint32(b, uint32(typ))
	base, _ := typ.base()
	var parts [][]orb.Point
	switch g := g.(type) {
	case orb.Point:
		f64(g[0])
		f64(g[1])
		if typ != base {
			f64(0) // Z or M
			if typ == PointZ {
				f64(0) // M
			}
		}
		return b
	case orb.MultiPoint:
		parts = [][]orb.Point{g}
	case orb.LineString:
		parts = [][]orb.Point{g}
	case orb.MultiLineString:
		for _, l := range g {
			parts = append(parts, l)
		}
	case orb.Polygon:
		for _, r := range g {
			parts = append(parts, r)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				parts = append(parts, r)
			}
		}
	}
	npts := 0
	for _, p := range parts {
		npts += len(p)
	}
	bd := g.Bound()
	f64(bd.Min[0])
	f64(bd.Min[1])
	f64(bd.Max[0])
	f64(bd.Max[1])
	if base != MultiPoint {
		b = le.AppendUint32(b, uint32(len(parts)))
	}
	b = le.AppendUint32(b, uint32(npts))
	if base != MultiPoint {
		start := 0
		for _, p := range parts {
			b = le.AppendUint32(b, uint32(start))
			start += len(p)
		}
	}
	for _, p := range parts {
		for _, pt := range p {
			f64(pt[0])
			f64(pt[1])
		}
	}
	if typ != base {
		// Z range and values (Z types), then M range and values.
		arrays := 1
		if typ >= PointZ && typ < PointM {
			arrays = 2
		}
		for range arrays {
			f64(0)
			f64(0)
			for range npts {
				f64(0)
			}
		}
	}
	return b
}

// gbk encodes s in GBK for raw dbf values.
func gbk(tb testing.TB, s string) string {
	tb.Helper()
	out, err := simplifiedchinese.GBK.NewEncoder().String(s)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func ptr[T any](v T) *T { return &v }
