package osm

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/gapmap/gapmap/data/internal/value"
)

// The .osm.pbf format (https://wiki.openstreetmap.org/wiki/PBF_Format) is
// decoded here by hand with protowire rather than with
// github.com/paulmach/osm/osmpbf: v0.8.0 of that package decodes on
// goroutines of its own and panics there — beyond any recover — on a
// block of non-dense nodes (valid PBF, written by osmium with
// pbf_dense_nodes=false) and on an out-of-range string index, and it
// allocates whatever a block's raw_size claims. An upload must not be
// able to take the server down. Decoding is single-threaded; every length
// and index is checked before use.

// Limits from the format's specification.
const (
	maxHeaderSize = 64 << 10 // BlobHeader
	maxBlobSize   = 32 << 20 // Blob, compressed or not
)

// blockInfo locates one file block. The first pass over a file records
// all of them with the element kinds they hold, so that later passes read
// only the blocks they need: the node pass skips way blocks and the way
// passes skip the much larger node blocks, without decompressing them.
type blockInfo struct {
	num     int   // 1-based; the OSMHeader is block 1
	offset  int64 // of the block's 4-byte length prefix
	blobOff int64
	blobLen int
	data    bool // an OSMData block; others are skipped
	kinds   kindSet
}

type pbfSource struct {
	name      string
	ra        io.ReaderAt
	size      int64
	closer    io.Closer
	header    blockInfo
	blocks    []blockInfo // data blocks, once indexed
	indexed   bool
	timestamp time.Time // osmosis_replication_timestamp, zero if absent

	blob []byte        // reused read buffer
	raw  bytes.Buffer  // reused decompression buffer
	zr   io.ReadCloser // reused zlib reader
	br   bytes.Reader
	dec  blockDecoder
}

// isPBF reports whether head starts like an .osm.pbf: a 4-byte length
// below 64 KiB and a BlobHeader whose first field is the type string
// "OSMHeader" or "OSMData".
func isPBF(head []byte) bool {
	if len(head) < 6 {
		return false
	}
	if n := binary.BigEndian.Uint32(head); n == 0 || n >= maxHeaderSize {
		return false
	}
	num, typ, n := protowire.ConsumeTag(head[4:])
	if n < 0 || num != 1 || typ != protowire.BytesType {
		return false
	}
	s, m := protowire.ConsumeBytes(head[4+n:])
	if m < 0 {
		// The type string runs past head: compare what there is.
		l, k := protowire.ConsumeVarint(head[4+n:])
		if k < 0 || l > 9 {
			return false
		}
		s = head[4+n+k:]
	}
	return len(s) > 0 && (strings.HasPrefix("OSMHeader", string(s)) || strings.HasPrefix("OSMData", string(s)))
}

// newPBF reads and checks the OSMHeader block of a PBF held by ra;
// closer is kept for close.
func newPBF(name string, ra io.ReaderAt, size int64, closer io.Closer) (*pbfSource, error) {
	s := &pbfSource{name: name, ra: ra, size: size, closer: closer}
	b, typ, err := s.readBlock(0, 1)
	if err != nil {
		return nil, err
	}
	if typ != "OSMHeader" {
		return nil, s.at(b, fault(ErrFormat, "第一个数据块是 %s 而不是 OSMHeader", value.Quote(typ)))
	}
	data, err := s.inflate(b)
	if err != nil {
		return nil, err
	}
	if s.timestamp, err = parseHeaderBlock(data); err != nil {
		return nil, s.at(b, err)
	}
	s.header = b
	return s, nil
}

func (s *pbfSource) close() error {
	if s.closer != nil {
		return s.closer.Close()
	}
	return nil
}

// at fills in the file and block of a decoder's error.
func (s *pbfSource) at(b blockInfo, err error) error {
	var fe *FormatError
	if !errors.As(err, &fe) {
		fe = &FormatError{Reason: ioReason("读取失败", err), Err: err}
	}
	fe.File, fe.Block, fe.Offset = s.name, b.num, b.offset
	return fe
}

// readBlock reads the block at off into s.blob and returns its location
// and type.
func (s *pbfSource) readBlock(off int64, num int) (blockInfo, string, error) {
	b := blockInfo{num: num, offset: off}
	left := s.size - off
	var prefix [4]byte
	if left < 4 {
		return b, "", s.at(b, fault(ErrTruncated, "数据块被截断：长度前缀只有 %d 字节", left))
	}
	if err := s.readAt(prefix[:], off); err != nil {
		return b, "", s.at(b, err)
	}
	hl := int64(binary.BigEndian.Uint32(prefix[:]))
	if hl == 0 || hl >= maxHeaderSize {
		return b, "", s.at(b, fault(ErrCorrupt, "块头长度 %d 字节不在 1–65535 之间，文件已损坏", hl))
	}
	if left-4 < hl {
		return b, "", s.at(b, fault(ErrTruncated, "数据块被截断：块头声明 %d 字节，文件只剩 %d 字节", hl, left-4))
	}
	head := s.buffer(int(hl))
	if err := s.readAt(head, off+4); err != nil {
		return b, "", s.at(b, err)
	}
	typ, size, err := parseBlobHeader(head)
	if err != nil {
		return b, "", s.at(b, err)
	}
	b.blobOff, b.blobLen = off+4+hl, size
	if rest := s.size - b.blobOff; rest < int64(size) {
		return b, typ, s.at(b, fault(ErrTruncated, "数据块被截断：声明 %d 字节，文件只剩 %d 字节", size, rest))
	}
	b.data = typ == "OSMData"
	return b, typ, nil
}

func (s *pbfSource) readAt(p []byte, off int64) error {
	n, err := s.ra.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		return fault(ErrTruncated, "文件在偏移 %d 字节处意外结束", off+int64(n))
	}
	return err
}

func (s *pbfSource) buffer(n int) []byte {
	if cap(s.blob) < n {
		s.blob = make([]byte, n)
	}
	return s.blob[:n]
}

func parseBlobHeader(b []byte) (typ string, size int, err error) {
	hasSize := false
	for len(b) > 0 {
		num, wt, n := protowire.ConsumeTag(b)
		if n < 0 {
			return "", 0, fault(ErrCorrupt, "块头不是有效的 protobuf，文件已损坏")
		}
		b = b[n:]
		switch {
		case num == 1 && wt == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return "", 0, fault(ErrCorrupt, "块头的类型字段已损坏")
			}
			typ, b = strings.ToValidUTF8(string(v), "?"), b[n:]
		case num == 3 && wt == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return "", 0, fault(ErrCorrupt, "块头的长度字段已损坏")
			}
			if v == 0 || v > maxBlobSize {
				return "", 0, fault(ErrCorrupt, "数据块长度 %d 字节不在 1 字节–32 MiB 之间，文件已损坏", v)
			}
			size, hasSize, b = int(v), true, b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, wt, b)
			if n < 0 {
				return "", 0, fault(ErrCorrupt, "块头不是有效的 protobuf，文件已损坏")
			}
			b = b[n:]
		}
	}
	if typ == "" || !hasSize {
		return "", 0, fault(ErrCorrupt, "块头缺少类型或长度，文件已损坏")
	}
	return typ, size, nil
}

// inflate reads the blob of b and returns its uncompressed content, valid
// until the next call.
func (s *pbfSource) inflate(b blockInfo) ([]byte, error) {
	blob := s.buffer(b.blobLen)
	if err := s.readAt(blob, b.blobOff); err != nil {
		return nil, s.at(b, err)
	}
	var raw, zdata []byte
	var rawSize uint64
	for len(blob) > 0 {
		num, wt, n := protowire.ConsumeTag(blob)
		if n < 0 {
			return nil, s.at(b, fault(ErrCorrupt, "数据块不是有效的 protobuf，文件已损坏"))
		}
		blob = blob[n:]
		var v []byte
		if wt == protowire.BytesType {
			if v, n = protowire.ConsumeBytes(blob); n < 0 {
				return nil, s.at(b, fault(ErrCorrupt, "数据块不是有效的 protobuf，文件已损坏"))
			}
		} else if n = protowire.ConsumeFieldValue(num, wt, blob); n < 0 {
			return nil, s.at(b, fault(ErrCorrupt, "数据块不是有效的 protobuf，文件已损坏"))
		}
		switch {
		case num == 1 && wt == protowire.BytesType:
			raw = v
		case num == 2 && wt == protowire.VarintType:
			rawSize, _ = protowire.ConsumeVarint(blob)
		case num == 3 && wt == protowire.BytesType:
			zdata = v
		case num >= 4 && num <= 7:
			name := map[protowire.Number]string{4: "LZMA", 5: "bzip2", 6: "LZ4", 7: "ZSTD"}[num]
			return nil, s.at(b, fault(ErrUnsupported, "数据块使用 %s 压缩，暂不支持；请先用 osmium cat 输入文件 -o 输出.osm.pbf 转为 zlib 压缩", name))
		}
		blob = blob[n:]
	}
	switch {
	case raw != nil:
		return raw, nil
	case zdata == nil:
		return nil, s.at(b, fault(ErrCorrupt, "数据块没有数据"))
	case rawSize > maxBlobSize:
		return nil, s.at(b, fault(ErrCorrupt, "数据块解压后声明 %d 字节，超过 32 MiB，文件已损坏", rawSize))
	}
	s.br.Reset(zdata)
	var err error
	if s.zr == nil {
		s.zr, err = zlib.NewReader(&s.br)
	} else {
		err = s.zr.(zlib.Resetter).Reset(&s.br, nil)
	}
	if err != nil {
		return nil, s.at(b, fault(ErrCorrupt, "zlib 数据已损坏：%v", err))
	}
	s.raw.Reset()
	s.raw.Grow(int(rawSize))
	// Read one byte past the limit to tell "exactly 32 MiB" from "more".
	if _, err := s.raw.ReadFrom(io.LimitReader(s.zr, maxBlobSize+1)); err != nil {
		return nil, s.at(b, fault(ErrCorrupt, "zlib 数据已损坏：%v", err))
	}
	switch {
	case s.raw.Len() > maxBlobSize:
		return nil, s.at(b, fault(ErrCorrupt, "数据块解压后超过 32 MiB，文件已损坏"))
	case rawSize != 0 && uint64(s.raw.Len()) != rawSize:
		return nil, s.at(b, fault(ErrCorrupt, "数据块解压后 %d 字节，与声明的 %d 字节不符，文件已损坏", s.raw.Len(), rawSize))
	}
	return s.raw.Bytes(), nil
}

// parseHeaderBlock checks the HeaderBlock's required features and returns
// the replication timestamp, if any.
func parseHeaderBlock(b []byte) (time.Time, error) {
	var ts time.Time
	for len(b) > 0 {
		num, wt, n := protowire.ConsumeTag(b)
		if n < 0 {
			return ts, fault(ErrCorrupt, "OSMHeader 不是有效的 protobuf，文件已损坏")
		}
		b = b[n:]
		switch {
		case num == 4 && wt == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return ts, fault(ErrCorrupt, "OSMHeader 已损坏")
			}
			switch f := string(v); f {
			case "OsmSchema-V0.6", "DenseNodes":
			case "HistoricalInformation":
				return ts, fault(ErrUnsupported, "这是含历史版本的 OSM 历史文件，不受支持；请使用普通的地区数据（如 Geofabrik 的 .osm.pbf）")
			default:
				return ts, fault(ErrUnsupported, "文件要求本程序不支持的特性 %s", value.Quote(f))
			}
			b = b[n:]
		case num == 32 && wt == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return ts, fault(ErrCorrupt, "OSMHeader 已损坏")
			}
			if sec := int64(v); sec > 0 && sec < 1<<40 {
				ts = time.Unix(sec, 0).UTC()
			}
			b = b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, wt, b)
			if n < 0 {
				return ts, fault(ErrCorrupt, "OSMHeader 不是有效的 protobuf，文件已损坏")
			}
			b = b[n:]
		}
	}
	return ts, nil
}

// pbfPass reads blocks one at a time: in file order the first time,
// building the index, and from the index after that.
type pbfPass struct {
	s    *pbfSource
	want kindSet
	next int   // index into s.blocks (indexed) …
	off  int64 // … or offset of the next block (first pass)
	num  int
	seen [3]int64
}

func (s *pbfSource) pass(want kindSet) (pass, error) {
	p := &pbfPass{s: s, want: want, num: 2}
	p.off = s.header.blobOff + int64(s.header.blobLen)
	return p, nil
}

func (p *pbfPass) counts() [3]int64 { return p.seen }
func (p *pbfPass) close() error     { return nil }

func (p *pbfPass) batch(fn func(*element)) error {
	s := p.s
	for {
		var b blockInfo
		if s.indexed {
			if p.next >= len(s.blocks) {
				return io.EOF
			}
			b = s.blocks[p.next]
			p.next++
			if b.kinds&p.want == 0 {
				continue
			}
		} else {
			if p.off >= s.size {
				s.indexed = true
				return io.EOF
			}
			var err error
			if b, _, err = s.readBlock(p.off, p.num); err != nil {
				return err
			}
			p.off = b.blobOff + int64(b.blobLen)
			p.num++
			if !b.data {
				continue // unknown block types are to be skipped, says the spec
			}
		}
		data, err := s.inflate(b)
		if err != nil {
			return err
		}
		kinds, err := s.dec.decode(data, p.want, fn, &p.seen)
		if err != nil {
			return s.at(b, err)
		}
		if !s.indexed {
			b.kinds = kinds
			s.blocks = append(s.blocks, b)
		}
		return nil
	}
}

// blockDecoder decodes PrimitiveBlocks, reusing its buffers.
type blockDecoder struct {
	strings         []string
	stringData      []byte // the string table message, decoded lazily
	stringsDone     bool
	granularity     int64
	latOff, lonOff  int64
	groups          [][]byte
	e               element
	ids, lats, lons []uint64
	keysVals        []uint64
	keys, vals      []uint64
	roles, memids   []uint64
	types           []uint64
	fn              func(*element)
	want            kindSet
}

// decode calls fn for each element of the kinds in want and returns the
// kinds the block holds; seen counts elements of every kind.
func (d *blockDecoder) decode(b []byte, want kindSet, fn func(*element), seen *[3]int64) (kindSet, error) {
	d.strings, d.stringData, d.stringsDone = d.strings[:0], nil, false
	d.granularity, d.latOff, d.lonOff = 100, 0, 0
	d.groups = d.groups[:0]
	d.fn, d.want = fn, want
	for len(b) > 0 {
		num, wt, n := protowire.ConsumeTag(b)
		if n < 0 {
			return 0, fault(ErrCorrupt, "PrimitiveBlock 不是有效的 protobuf，文件已损坏")
		}
		b = b[n:]
		switch {
		case num == 1 && wt == protowire.BytesType:
			d.stringData, n = protowire.ConsumeBytes(b)
		case num == 2 && wt == protowire.BytesType:
			var g []byte
			g, n = protowire.ConsumeBytes(b)
			d.groups = append(d.groups, g)
		case num == 17 && wt == protowire.VarintType:
			var v uint64
			v, n = protowire.ConsumeVarint(b)
			d.granularity = int64(int32(v))
		case num == 19 && wt == protowire.VarintType:
			var v uint64
			v, n = protowire.ConsumeVarint(b)
			d.latOff = int64(v)
		case num == 20 && wt == protowire.VarintType:
			var v uint64
			v, n = protowire.ConsumeVarint(b)
			d.lonOff = int64(v)
		default:
			n = protowire.ConsumeFieldValue(num, wt, b)
		}
		if n < 0 {
			return 0, fault(ErrCorrupt, "PrimitiveBlock 不是有效的 protobuf，文件已损坏")
		}
		b = b[n:]
	}
	if d.granularity <= 0 {
		return 0, fault(ErrCorrupt, "坐标粒度 %d 无效，文件已损坏", d.granularity)
	}
	var kinds kindSet
	for _, g := range d.groups {
		k, err := d.group(g, seen)
		if err != nil {
			return 0, err
		}
		kinds |= k
	}
	return kinds, nil
}

// str returns string i of the block's table, decoding the table on first
// use: blocks a pass only counts never pay for it.
func (d *blockDecoder) str(i uint64) (string, error) {
	if !d.stringsDone {
		d.stringsDone = true
		b := d.stringData
		for len(b) > 0 {
			num, wt, n := protowire.ConsumeTag(b)
			if n < 0 {
				return "", fault(ErrCorrupt, "字符串表已损坏")
			}
			b = b[n:]
			if num == 1 && wt == protowire.BytesType {
				v, n := protowire.ConsumeBytes(b)
				if n < 0 {
					return "", fault(ErrCorrupt, "字符串表已损坏")
				}
				s := string(v)
				if !utf8.ValidString(s) {
					s = strings.ToValidUTF8(s, "\uFFFD")
				}
				d.strings = append(d.strings, s)
				b = b[n:]
				continue
			}
			if n = protowire.ConsumeFieldValue(num, wt, b); n < 0 {
				return "", fault(ErrCorrupt, "字符串表已损坏")
			}
			b = b[n:]
		}
	}
	if i >= uint64(len(d.strings)) {
		return "", fault(ErrCorrupt, "字符串下标 %d 超出字符串表（%d 项），文件已损坏", i, len(d.strings))
	}
	return d.strings[i], nil
}

func (d *blockDecoder) group(b []byte, seen *[3]int64) (kindSet, error) {
	var kinds kindSet
	for len(b) > 0 {
		num, wt, n := protowire.ConsumeTag(b)
		if n < 0 {
			return 0, fault(ErrCorrupt, "PrimitiveGroup 不是有效的 protobuf，文件已损坏")
		}
		b = b[n:]
		if wt != protowire.BytesType || num < 1 || num > 4 {
			if n = protowire.ConsumeFieldValue(num, wt, b); n < 0 {
				return 0, fault(ErrCorrupt, "PrimitiveGroup 不是有效的 protobuf，文件已损坏")
			}
			b = b[n:]
			continue
		}
		msg, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return 0, fault(ErrCorrupt, "PrimitiveGroup 不是有效的 protobuf，文件已损坏")
		}
		b = b[n:]
		var err error
		switch num {
		case 1:
			kinds |= nodes
			seen[nodeType]++
			if d.want.has(nodeType) {
				err = d.node(msg)
			}
		case 2:
			kinds |= nodes
			err = d.dense(msg, seen)
		case 3:
			kinds |= ways
			seen[wayType]++
			if d.want.has(wayType) {
				err = d.way(msg)
			}
		case 4:
			kinds |= relations
			seen[relationType]++
			if d.want.has(relationType) {
				err = d.relation(msg)
			}
		}
		if err != nil {
			return 0, err
		}
	}
	return kinds, nil
}

// varints appends the values of a repeated scalar field, packed (the
// norm) or not.
func varints(dst []uint64, wt protowire.Type, b []byte) ([]uint64, int) {
	if wt == protowire.VarintType {
		v, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return dst, n
		}
		return append(dst, v), n
	}
	if wt != protowire.BytesType {
		return dst, protowire.ConsumeFieldValue(0, wt, b)
	}
	packed, n := protowire.ConsumeBytes(b)
	if n < 0 {
		return dst, n
	}
	for len(packed) > 0 {
		v, m := protowire.ConsumeVarint(packed)
		if m < 0 {
			return dst, m
		}
		dst = append(dst, v)
		packed = packed[m:]
	}
	return dst, n
}

// countVarints counts the values of a packed field without decoding them.
func countVarints(wt protowire.Type, b []byte) (int64, int) {
	if wt == protowire.VarintType {
		_, n := protowire.ConsumeVarint(b)
		return 1, n
	}
	if wt != protowire.BytesType {
		return 0, protowire.ConsumeFieldValue(0, wt, b)
	}
	packed, n := protowire.ConsumeBytes(b)
	var c int64
	for _, x := range packed {
		if x < 0x80 {
			c++
		}
	}
	return c, n
}

// location converts a raw coordinate pair to 1e-7 degrees.
func (d *blockDecoder) location(e *element, lat, lon int64) error {
	// Nanodegrees; a hostile granularity may overflow, which the range
	// check below then catches (or yields a wrong but harmless value).
	latN := d.latOff + d.granularity*lat
	lonN := d.lonOff + d.granularity*lon
	if latN < -90e9 || latN > 90e9 || lonN < -180e9 || lonN > 180e9 {
		return &FormatError{Offset: -1, Element: elementID(nodeType, e.id), Err: ErrCorrupt,
			Reason: "坐标超出经纬度范围，文件已损坏"}
	}
	e.lat, e.lon, e.coords = nanoToE7(latN), nanoToE7(lonN), true
	return nil
}

// nanoToE7 rounds nanodegrees to 1e-7 degrees, half away from zero.
func nanoToE7(n int64) int32 {
	q, r := n/100, n%100
	switch {
	case r >= 50:
		q++
	case r <= -50:
		q--
	}
	return int32(q)
}

func (d *blockDecoder) tagsFrom(e *element, keys, vals []uint64) error {
	if len(keys) != len(vals) {
		return &FormatError{Offset: -1, Element: elementID(e.typ, e.id), Err: ErrCorrupt,
			Reason: "标签的键与值数目不符，文件已损坏"}
	}
	for i := range keys {
		k, err := d.str(keys[i])
		if err != nil {
			return err
		}
		v, err := d.str(vals[i])
		if err != nil {
			return err
		}
		e.tags = append(e.tags, tag{k, v})
	}
	return nil
}

func corruptMsg(what string) error {
	return fault(ErrCorrupt, "%s不是有效的 protobuf，文件已损坏", what)
}

func (d *blockDecoder) node(b []byte) error {
	e := &d.e
	e.reset(nodeType)
	d.keys, d.vals = d.keys[:0], d.vals[:0]
	var lat, lon int64
	for len(b) > 0 {
		num, wt, n := protowire.ConsumeTag(b)
		if n < 0 {
			return corruptMsg("节点")
		}
		b = b[n:]
		switch {
		case num == 1 && wt == protowire.VarintType:
			var v uint64
			v, n = protowire.ConsumeVarint(b)
			e.id = protowire.DecodeZigZag(v)
		case num == 2:
			d.keys, n = varints(d.keys, wt, b)
		case num == 3:
			d.vals, n = varints(d.vals, wt, b)
		case num == 8 && wt == protowire.VarintType:
			var v uint64
			v, n = protowire.ConsumeVarint(b)
			lat = protowire.DecodeZigZag(v)
		case num == 9 && wt == protowire.VarintType:
			var v uint64
			v, n = protowire.ConsumeVarint(b)
			lon = protowire.DecodeZigZag(v)
		default:
			n = protowire.ConsumeFieldValue(num, wt, b)
		}
		if n < 0 {
			return corruptMsg("节点")
		}
		b = b[n:]
	}
	if err := d.location(e, lat, lon); err != nil {
		return err
	}
	if err := d.tagsFrom(e, d.keys, d.vals); err != nil {
		return err
	}
	d.fn(e)
	return nil
}

func (d *blockDecoder) dense(b []byte, seen *[3]int64) error {
	want := d.want.has(nodeType)
	d.ids, d.lats, d.lons, d.keysVals = d.ids[:0], d.lats[:0], d.lons[:0], d.keysVals[:0]
	for len(b) > 0 {
		num, wt, n := protowire.ConsumeTag(b)
		if n < 0 {
			return corruptMsg("密集节点")
		}
		b = b[n:]
		switch {
		case num == 1 && !want:
			var c int64
			c, n = countVarints(wt, b)
			seen[nodeType] += c
		case num == 1:
			d.ids, n = varints(d.ids, wt, b)
		case num == 8 && want:
			d.lats, n = varints(d.lats, wt, b)
		case num == 9 && want:
			d.lons, n = varints(d.lons, wt, b)
		case num == 10 && want:
			d.keysVals, n = varints(d.keysVals, wt, b)
		default:
			n = protowire.ConsumeFieldValue(num, wt, b)
		}
		if n < 0 {
			return corruptMsg("密集节点")
		}
		b = b[n:]
	}
	if !want {
		return nil
	}
	seen[nodeType] += int64(len(d.ids))
	if len(d.lats) != len(d.ids) || len(d.lons) != len(d.ids) {
		return fault(ErrCorrupt, "密集节点的编号与坐标数目不符（%d、%d、%d），文件已损坏", len(d.ids), len(d.lats), len(d.lons))
	}
	e := &d.e
	var id, lat, lon int64
	kv := d.keysVals
	for i := range d.ids {
		id += protowire.DecodeZigZag(d.ids[i])
		lat += protowire.DecodeZigZag(d.lats[i])
		lon += protowire.DecodeZigZag(d.lons[i])
		e.reset(nodeType)
		e.id = id
		if err := d.location(e, lat, lon); err != nil {
			return err
		}
		// keys_vals: (key, value)* 0 per node; empty when no node in
		// the block has tags.
		for len(kv) > 0 && kv[0] != 0 {
			if len(kv) < 2 {
				return &FormatError{Offset: -1, Element: elementID(nodeType, id), Err: ErrCorrupt,
					Reason: "标签的键没有对应的值，文件已损坏"}
			}
			k, err := d.str(kv[0])
			if err != nil {
				return err
			}
			v, err := d.str(kv[1])
			if err != nil {
				return err
			}
			e.tags = append(e.tags, tag{k, v})
			kv = kv[2:]
		}
		if len(kv) > 0 {
			kv = kv[1:]
		}
		d.fn(e)
	}
	return nil
}

func (d *blockDecoder) way(b []byte) error {
	e := &d.e
	e.reset(wayType)
	d.keys, d.vals, d.ids = d.keys[:0], d.vals[:0], d.ids[:0]
	for len(b) > 0 {
		num, wt, n := protowire.ConsumeTag(b)
		if n < 0 {
			return corruptMsg("way ")
		}
		b = b[n:]
		switch {
		case num == 1 && wt == protowire.VarintType:
			var v uint64
			v, n = protowire.ConsumeVarint(b)
			e.id = int64(v)
		case num == 2:
			d.keys, n = varints(d.keys, wt, b)
		case num == 3:
			d.vals, n = varints(d.vals, wt, b)
		case num == 8:
			d.ids, n = varints(d.ids, wt, b)
		default:
			n = protowire.ConsumeFieldValue(num, wt, b)
		}
		if n < 0 {
			return corruptMsg("way ")
		}
		b = b[n:]
	}
	var ref int64
	for _, v := range d.ids {
		ref += protowire.DecodeZigZag(v)
		e.refs = append(e.refs, ref)
	}
	if err := d.tagsFrom(e, d.keys, d.vals); err != nil {
		return err
	}
	d.fn(e)
	return nil
}

func (d *blockDecoder) relation(b []byte) error {
	e := &d.e
	e.reset(relationType)
	d.keys, d.vals, d.roles, d.memids, d.types = d.keys[:0], d.vals[:0], d.roles[:0], d.memids[:0], d.types[:0]
	for len(b) > 0 {
		num, wt, n := protowire.ConsumeTag(b)
		if n < 0 {
			return corruptMsg("relation ")
		}
		b = b[n:]
		switch {
		case num == 1 && wt == protowire.VarintType:
			var v uint64
			v, n = protowire.ConsumeVarint(b)
			e.id = int64(v)
		case num == 2:
			d.keys, n = varints(d.keys, wt, b)
		case num == 3:
			d.vals, n = varints(d.vals, wt, b)
		case num == 8:
			d.roles, n = varints(d.roles, wt, b)
		case num == 9:
			d.memids, n = varints(d.memids, wt, b)
		case num == 10:
			d.types, n = varints(d.types, wt, b)
		default:
			n = protowire.ConsumeFieldValue(num, wt, b)
		}
		if n < 0 {
			return corruptMsg("relation ")
		}
		b = b[n:]
	}
	if len(d.roles) != len(d.memids) || len(d.types) != len(d.memids) {
		return &FormatError{Offset: -1, Element: elementID(relationType, e.id), Err: ErrCorrupt,
			Reason: "成员的编号、类型与角色数目不符，文件已损坏"}
	}
	var ref int64
	for i, v := range d.memids {
		ref += protowire.DecodeZigZag(v)
		if d.types[i] > 2 {
			return &FormatError{Offset: -1, Element: elementID(relationType, e.id), Err: ErrCorrupt,
				Reason: "成员类型无效，文件已损坏"}
		}
		role, err := d.str(uint64(int32(d.roles[i])))
		if err != nil {
			return err
		}
		e.members = append(e.members, member{typ: elemType(d.types[i]), ref: ref, role: role})
	}
	if err := d.tagsFrom(e, d.keys, d.vals); err != nil {
		return err
	}
	d.fn(e)
	return nil
}
