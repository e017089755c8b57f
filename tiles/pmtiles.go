package tiles

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/paulmach/orb/maptile"
)

// pmtilesWriter writes a PMTiles v3 archive: the header, the root
// directory, the metadata, the leaf directories and the tile data, in that
// order (the specification's layout), with the tile data clustered (in tile
// id order) and repeated tiles stored once. Renders finish in any order and
// the directories can only be built once every tile is known, so tiles are
// spooled to a temporary file beside Out and copied in order at the end:
// memory holds the index, not the tiles.
//
// The format is written here rather than with go-pmtiles: its package also
// holds the cloud-storage readers, which link the AWS, Azure and Google
// Cloud SDKs into any binary importing it (gapmap grew from 46 to 75 MB).
// The tests read every archive back with go-pmtiles (its file server, its
// directory decoder and its Verify), so the library is the oracle of this
// encoder rather than a part of the binary.
type pmtilesWriter struct {
	out   string
	spool *os.File
	size  int64 // bytes spooled
	tiles []spooled
}

// spooled is one tile in the spool file.
type spooled struct {
	id     uint64 // PMTiles tile id (Hilbert order within a zoom)
	offset int64
	length uint32
	sum    [sha256.Size]byte
}

func newPMTilesWriter(out string) (*pmtilesWriter, error) {
	spool, err := os.CreateTemp(filepath.Dir(out), ".gapmap-pack-*.spool")
	if err != nil {
		return nil, err
	}
	return &pmtilesWriter{out: out, spool: spool}, nil
}

func (w *pmtilesWriter) add(_ context.Context, t maptile.Tile, gz []byte) error {
	if len(gz) > math.MaxUint32 {
		return fmt.Errorf("tile %d/%d/%d: %d bytes, more than PMTiles holds", t.Z, t.X, t.Y, len(gz))
	}
	if _, err := w.spool.Write(gz); err != nil {
		return err
	}
	w.tiles = append(w.tiles, spooled{id: pmtilesID(t), offset: w.size, length: uint32(len(gz)), sum: sha256.Sum256(gz)})
	w.size += int64(len(gz))
	return nil
}

// finish lays the tile data out in tile id order, one copy per distinct
// tile, with runs of equal consecutive tiles in one directory entry, and
// writes the archive.
func (w *pmtilesWriter) finish(ctx context.Context, m packMeta) error {
	defer w.abort()
	slices.SortFunc(w.tiles, func(a, b spooled) int { return cmp.Compare(a.id, b.id) })
	type stored struct{ offset uint64 }
	first := make(map[[sha256.Size]byte]stored, len(w.tiles))
	var entries []pmtilesEntry
	var order []spooled // the distinct tiles, in the order their data is written
	var dataLen uint64
	for i, t := range w.tiles {
		if i > 0 && t.sum == w.tiles[i-1].sum {
			if last := &entries[len(entries)-1]; last.TileID+uint64(last.RunLength) == t.id {
				last.RunLength++
				continue
			}
		}
		s, seen := first[t.sum]
		if !seen {
			s = stored{offset: dataLen}
			first[t.sum] = s
			order = append(order, t)
			dataLen += uint64(t.length)
		}
		entries = append(entries, pmtilesEntry{TileID: t.id, Offset: s.offset, Length: t.length, RunLength: 1})
	}

	meta, err := gzipJSON(map[string]any{
		"name": "gapmap " + m.set, "description": description, "attribution": m.attribution,
		"type": "overlay", "version": "1", "vector_layers": m.vectorLayers,
	})
	if err != nil {
		return err
	}
	// The root directory must end within the first 16 KiB, header included.
	root, leaves, err := pmtilesDirectories(entries, 16384-pmtilesHeaderLen)
	if err != nil {
		return err
	}
	b := m.bounds
	h := pmtilesHeader{
		rootOffset: pmtilesHeaderLen, rootLength: uint64(len(root)),
		addressedTiles: uint64(len(w.tiles)), tileEntries: uint64(len(entries)), tileContents: uint64(len(order)),
		minZoom: uint8(m.minZoom), maxZoom: uint8(m.maxZoom), centerZoom: uint8((m.minZoom + m.maxZoom) / 2),
		bounds: [4]int32{e7(b[0]), e7(b[1]), e7(b[2]), e7(b[3])}, center: [2]int32{e7((b[0] + b[2]) / 2), e7((b[1] + b[3]) / 2)},
	}
	h.metadataOffset = h.rootOffset + h.rootLength
	h.metadataLength = uint64(len(meta))
	h.leafOffset = h.metadataOffset + h.metadataLength
	h.leafLength = uint64(len(leaves))
	h.tileDataOffset = h.leafOffset + h.leafLength
	h.tileDataLength = dataLen

	f, err := os.OpenFile(w.out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	for _, part := range [][]byte{h.bytes(), root, meta, leaves} {
		if _, err := bw.Write(part); err != nil {
			f.Close()
			return err
		}
	}
	for _, t := range order {
		if err := ctx.Err(); err != nil {
			f.Close()
			return err
		}
		if _, err := io.Copy(bw, io.NewSectionReader(w.spool, t.offset, int64(t.length))); err != nil {
			f.Close()
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// abort removes the spool file.
func (w *pmtilesWriter) abort() {
	_ = w.spool.Close()
	_ = os.Remove(w.spool.Name())
}

// e7 is a coordinate in the header's units (1e-7 degrees).
func e7(deg float64) int32 { return int32(math.Round(deg * 1e7)) }

// pmtilesEntry is one directory entry: RunLength consecutive tile ids
// sharing the data at Offset (relative to the tile data section), or, with
// RunLength 0, a leaf directory at Offset in the leaf section.
type pmtilesEntry struct {
	TileID    uint64
	Offset    uint64
	Length    uint32
	RunLength uint32
}

// pmtilesID is a tile's id: the tiles of all lower zooms, then the tile's
// position along the Hilbert curve of its zoom.
func pmtilesID(t maptile.Tile) uint64 {
	var id uint64
	for z := range uint(t.Z) {
		id += 1 << (2 * z)
	}
	n := uint64(1) << t.Z
	x, y := uint64(t.X), uint64(t.Y)
	var d uint64
	for s := n / 2; s > 0; s /= 2 {
		var rx, ry uint64
		if x&s != 0 {
			rx = 1
		}
		if y&s != 0 {
			ry = 1
		}
		d += s * s * ((3 * rx) ^ ry)
		// Rotate the quadrant so the curve's sub-square starts where it should.
		if ry == 0 {
			if rx == 1 {
				x, y = s-1-x, s-1-y
			}
			x, y = y, x
		}
	}
	return id + d
}

// pmtilesDirectory is the gzipped varint encoding of entries: their count,
// then the tile id deltas, the run lengths, the lengths and the offsets,
// each column apart (offset 0 means "right after the previous entry",
// else offset+1).
func pmtilesDirectory(entries []pmtilesEntry) ([]byte, error) {
	var raw []byte
	raw = binary.AppendUvarint(raw, uint64(len(entries)))
	var last uint64
	for _, e := range entries {
		raw = binary.AppendUvarint(raw, e.TileID-last)
		last = e.TileID
	}
	for _, e := range entries {
		raw = binary.AppendUvarint(raw, uint64(e.RunLength))
	}
	for _, e := range entries {
		raw = binary.AppendUvarint(raw, uint64(e.Length))
	}
	for i, e := range entries {
		if i > 0 && e.Offset == entries[i-1].Offset+uint64(entries[i-1].Length) {
			raw = binary.AppendUvarint(raw, 0)
		} else {
			raw = binary.AppendUvarint(raw, e.Offset+1)
		}
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// pmtilesDirectories returns the root directory, within maxRoot bytes, and
// the leaf directories: every entry in the root when it fits, else leaves
// of a growing number of entries each until the root of their references
// fits (the layout of the reference writer).
func pmtilesDirectories(entries []pmtilesEntry, maxRoot int) (root, leaves []byte, err error) {
	if root, err = pmtilesDirectory(entries); err != nil || len(root) <= maxRoot {
		return root, nil, err
	}
	for leafSize := max(len(entries)/3500, 4096); ; leafSize += leafSize / 5 {
		var refs []pmtilesEntry
		leaves = leaves[:0]
		for start := 0; start < len(entries); start += leafSize {
			leaf, err := pmtilesDirectory(entries[start:min(start+leafSize, len(entries))])
			if err != nil {
				return nil, nil, err
			}
			refs = append(refs, pmtilesEntry{TileID: entries[start].TileID, Offset: uint64(len(leaves)), Length: uint32(len(leaf))})
			leaves = append(leaves, leaf...)
		}
		if root, err = pmtilesDirectory(refs); err != nil || len(root) <= maxRoot {
			return root, leaves, err
		}
	}
}

// pmtilesHeaderLen is the size of a PMTiles v3 header.
const pmtilesHeaderLen = 127

// pmtilesHeader is the part of a PMTiles v3 header a pack varies; the
// rest is fixed: clustered, gzip for directories and tiles, vector tiles.
type pmtilesHeader struct {
	rootOffset, rootLength, metadataOffset, metadataLength, leafOffset, leafLength uint64
	tileDataOffset, tileDataLength, addressedTiles, tileEntries, tileContents      uint64
	minZoom, maxZoom, centerZoom                                                   uint8
	bounds                                                                         [4]int32 // west, south, east, north in 1e-7 degrees
	center                                                                         [2]int32
}

// Codes of the header's fixed fields.
const (
	pmtilesGzip = 2
	pmtilesMVT  = 1
)

func (h pmtilesHeader) bytes() []byte {
	b := make([]byte, 0, pmtilesHeaderLen)
	b = append(b, "PMTiles"...)
	b = append(b, 3) // specification version
	for _, v := range []uint64{h.rootOffset, h.rootLength, h.metadataOffset, h.metadataLength, h.leafOffset, h.leafLength,
		h.tileDataOffset, h.tileDataLength, h.addressedTiles, h.tileEntries, h.tileContents} {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	b = append(b, 1, pmtilesGzip, pmtilesGzip, pmtilesMVT, h.minZoom, h.maxZoom) // clustered, compressions, tile type
	for _, v := range h.bounds {
		b = binary.LittleEndian.AppendUint32(b, uint32(v))
	}
	b = append(b, h.centerZoom)
	for _, v := range h.center {
		b = binary.LittleEndian.AppendUint32(b, uint32(v))
	}
	return b
}

// gzipJSON is v as gzipped JSON (the archive's metadata).
func gzipJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(v); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
