package osm

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// A minimal PBF encoder for crafting files osmium would never write.

func frame(typ string, blob []byte) []byte {
	var h []byte
	h = protowire.AppendTag(h, 1, protowire.BytesType)
	h = protowire.AppendString(h, typ)
	h = protowire.AppendTag(h, 3, protowire.VarintType)
	h = protowire.AppendVarint(h, uint64(len(blob)))
	out := binary.BigEndian.AppendUint32(nil, uint32(len(h)))
	return append(append(out, h...), blob...)
}

func rawBlob(data []byte) []byte {
	b := protowire.AppendTag(nil, 1, protowire.BytesType)
	return protowire.AppendBytes(b, data)
}

func zlibBlob(tb testing.TB, data []byte, rawSize uint64) []byte {
	tb.Helper()
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	b := protowire.AppendTag(nil, 2, protowire.VarintType)
	b = protowire.AppendVarint(b, rawSize)
	b = protowire.AppendTag(b, 3, protowire.BytesType)
	return protowire.AppendBytes(b, z.Bytes())
}

func msg(fields ...[]byte) []byte { return bytes.Join(fields, nil) }

func bytesField(num protowire.Number, v []byte) []byte {
	b := protowire.AppendTag(nil, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func varintField(num protowire.Number, v uint64) []byte {
	b := protowire.AppendTag(nil, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func packed(num protowire.Number, vs ...uint64) []byte {
	var p []byte
	for _, v := range vs {
		p = protowire.AppendVarint(p, v)
	}
	return bytesField(num, p)
}

// zigzag delta-encodes absolute values as PBF's sint64 arrays are.
func zigzag(vs ...int64) []uint64 {
	out := make([]uint64, len(vs))
	var prev int64
	for i, v := range vs {
		out[i] = protowire.EncodeZigZag(v - prev)
		prev = v
	}
	return out
}

func headerBlob(features ...string) []byte {
	var b []byte
	for _, f := range features {
		b = append(b, bytesField(4, []byte(f))...)
	}
	return rawBlob(b)
}

// primitiveBlock builds a block with string table strs (index 0 must be
// "") and the given PrimitiveGroups.
func primitiveBlock(strs []string, groups ...[]byte) []byte {
	var st []byte
	for _, s := range strs {
		st = append(st, bytesField(1, []byte(s))...)
	}
	b := bytesField(1, st)
	for _, g := range groups {
		b = append(b, bytesField(2, g)...)
	}
	return b
}

// wayGroup is a PrimitiveGroup of one way.
func wayGroup(id int64, keys, vals []uint64, refs ...int64) []byte {
	w := msg(varintField(1, uint64(id)), packed(2, keys...), packed(3, vals...), packed(8, zigzag(refs...)...))
	return bytesField(3, w)
}

// denseGroup is a PrimitiveGroup of dense nodes at granularity 100, with
// coordinates in 1e-7 degrees.
func denseGroup(ids, lats, lons []int64, keysVals ...uint64) []byte {
	d := msg(packed(1, zigzag(ids...)...), packed(8, zigzag(lats...)...), packed(9, zigzag(lons...)...))
	if len(keysVals) > 0 {
		d = append(d, packed(10, keysVals...)...)
	}
	return bytesField(2, d)
}

var testStrings = []string{"", "highway", "tertiary", "name", "测试路"}

// craft writes a PBF of an OSMHeader and the given data blobs.
func craft(tb testing.TB, header []byte, blobs ...[]byte) string {
	tb.Helper()
	file := frame("OSMHeader", header)
	for _, b := range blobs {
		file = append(file, frame("OSMData", b)...)
	}
	path := filepath.Join(tb.TempDir(), "crafted.osm.pbf")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// validBlobs is a two-node, one-way extract in two blocks.
func validBlobs(tb testing.TB) [][]byte {
	nodes := primitiveBlock([]string{""}, denseGroup([]int64{1, 2}, []int64{294700000, 294710000}, []int64{1134500000, 1134510000}))
	way := primitiveBlock(testStrings, wayGroup(10, []uint64{1, 3}, []uint64{2, 4}, 1, 2))
	return [][]byte{zlibBlob(tb, nodes, uint64(len(nodes))), rawBlob(way)}
}

func TestCraftedPBF(t *testing.T) {
	blobs := validBlobs(t)
	fs, st := mustReadAll(t, craft(t, headerBlob("OsmSchema-V0.6", "DenseNodes"), blobs...))
	if len(fs) != 1 || fs[0].ID != "way/10" || fs[0].Attrs["name"] != "测试路" || fs[0].Attrs["grade"] != "乡道" {
		t.Fatalf("features %+v", fs)
	}
	if st.Nodes != 2 || st.Ways != 1 {
		t.Errorf("stats %+v", st)
	}
}

// faultCase describes a crafted file and the error it must give.
type faultCase struct {
	name   string
	path   string
	err    error
	block  int    // 0: not checked
	reason string // substring of the message
}

func checkFault(t *testing.T, tc faultCase) {
	t.Helper()
	_, _, err := readAll(t, tc.path)
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T), want a *FormatError", err, err)
	}
	if !errors.Is(err, tc.err) {
		t.Errorf("error %v does not wrap %v", err, tc.err)
	}
	if tc.block != 0 && fe.Block != tc.block {
		t.Errorf("block %d, want %d (%v)", fe.Block, tc.block, err)
	}
	if !strings.Contains(err.Error(), tc.reason) || !strings.HasPrefix(err.Error(), filepath.Base(tc.path)+"：") {
		t.Errorf("message %q, want it to start with the file name and contain %q", err, tc.reason)
	}
}

func TestCorruptPBF(t *testing.T) {
	blobs := validBlobs(t)
	nodes := blobs[0]
	std := headerBlob("OsmSchema-V0.6", "DenseNodes")
	badIndex := rawBlob(primitiveBlock(testStrings, wayGroup(10, []uint64{1, 30}, []uint64{2, 4}, 1, 2)))
	keysVals := rawBlob(primitiveBlock(testStrings, wayGroup(10, []uint64{1, 3}, []uint64{2}, 1, 2)))
	dense := rawBlob(primitiveBlock([]string{""}, denseGroup([]int64{1, 2}, []int64{1}, []int64{1, 2})))
	denseTag := rawBlob(primitiveBlock(testStrings, denseGroup([]int64{1}, []int64{1}, []int64{1}, 1)))
	farNode := rawBlob(primitiveBlock([]string{""}, denseGroup([]int64{7}, []int64{950000000}, []int64{1})))
	lz4 := msg(varintField(2, 10), bytesField(6, []byte("xxxxxxxx")))
	bomb := msg(varintField(2, 1<<31), bytesField(3, []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01}))
	notProto := rawBlob([]byte{0xff, 0xff, 0xff})
	relation := msg(varintField(1, 5), packed(8, 1), packed(9, zigzag(1, 2)...), packed(10, 1, 1))
	badMembers := rawBlob(primitiveBlock(testStrings, bytesField(4, relation)))
	cases := []faultCase{
		{"string index out of range", craft(t, std, nodes, badIndex), ErrCorrupt, 3, "字符串下标 30 超出字符串表（5 项）"},
		{"keys without values", craft(t, std, nodes, keysVals), ErrCorrupt, 3, "way/10：标签的键与值数目不符"},
		{"dense arrays disagree", craft(t, std, dense), ErrCorrupt, 2, "密集节点的编号与坐标数目不符"},
		{"dense key without value", craft(t, std, denseTag), ErrCorrupt, 2, "node/1：标签的键没有对应的值"},
		{"node off the globe", craft(t, std, farNode), ErrCorrupt, 2, "node/7：坐标超出经纬度范围"},
		{"relation arrays disagree", craft(t, std, nodes, badMembers), ErrCorrupt, 3, "relation/5：成员的编号、类型与角色数目不符"},
		{"lz4 block", craft(t, std, lz4), ErrUnsupported, 2, "数据块使用 LZ4 压缩"},
		{"zip bomb claim", craft(t, std, bomb), ErrCorrupt, 2, "超过 32 MiB"},
		{"not protobuf", craft(t, std, notProto), ErrCorrupt, 2, "不是有效的 protobuf"},
		{"history file", craft(t, headerBlob("OsmSchema-V0.6", "HistoricalInformation")), ErrUnsupported, 1, "历史文件"},
		{"unknown feature", craft(t, headerBlob("Sort.Geographic.Hilbert")), ErrUnsupported, 1, `"Sort.Geographic.Hilbert"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkFault(t, tc) })
	}
}

// TestZipBombClaim checks that a block claiming a 2 GiB raw_size is
// refused before anything of that size is allocated.
func TestZipBombClaim(t *testing.T) {
	bomb := msg(varintField(2, 1<<31), bytesField(3, []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01}))
	path := craft(t, headerBlob(), bomb)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	readAll(t, path)
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
		t.Errorf("allocated %d MiB reading a 2 GiB claim", grew>>20)
	}
}

func TestFirstBlockNotHeader(t *testing.T) {
	file := frame("OSMData", validBlobs(t)[1])
	path := filepath.Join(t.TempDir(), "noheader.osm.pbf")
	os.WriteFile(path, file, 0o644)
	checkFault(t, faultCase{path: path, err: ErrFormat, block: 1, reason: `第一个数据块是 "OSMData" 而不是 OSMHeader`})
}

// TestTruncatedPBF cuts the fixture at every byte. A cut inside a block
// is ErrTruncated naming that block and its offset; a cut exactly at a
// block boundary cannot be told from a smaller file (PBF has no trailer)
// and reads as one; a cut in the first 7 bytes leaves too little to
// recognize.
func TestTruncatedPBF(t *testing.T) {
	data, err := os.ReadFile("testdata/linxiang.osm.pbf")
	if err != nil {
		t.Fatal(err)
	}
	offsets := []int64{0, 113, 1250, 2504, int64(len(data))} // blocks 1–4 (osmium writes one per element type)
	for cut := 0; cut < len(data); cut++ {
		_, _, err := readBytes(t, "cut.osm.pbf", data[:cut])
		block := 0
		for block+1 < len(offsets) && int64(cut) > offsets[block+1] {
			block++
		}
		var fe *FormatError
		switch {
		case cut < 7:
			if !errors.Is(err, ErrFormat) {
				t.Errorf("cut at %d: %v, want ErrFormat", cut, err)
			}
		case int64(cut) == offsets[block+1]:
			if err != nil {
				t.Errorf("cut at block boundary %d: %v, want none", cut, err)
			}
		case !errors.As(err, &fe) || !errors.Is(err, ErrTruncated):
			t.Errorf("cut at %d: %v, want ErrTruncated", cut, err)
		case fe.Block != block+1 || fe.Offset != offsets[block] || fe.File != "cut.osm.pbf":
			t.Errorf("cut at %d: %q, want block %d at offset %d", cut, err, block+1, offsets[block])
		}
	}
	// One message in full, as a user sees it, through Open.
	path := filepath.Join(t.TempDir(), "cut.osm.pbf")
	if err := os.WriteFile(path, data[:1800], 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = readAll(t, path)
	want := "cut.osm.pbf：第 3 个数据块（偏移 1250 字节）：数据块被截断：声明 1238 字节，文件只剩 534 字节"
	if err == nil || err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
}

// TestCorruptZlib flips one byte inside the zlib data of each block.
func TestCorruptZlib(t *testing.T) {
	data, err := os.ReadFile("testdata/linxiang.osm.pbf")
	if err != nil {
		t.Fatal(err)
	}
	blocks := []struct {
		num     int
		offset  int64
		blobOff int
		blobLen int
	}{{2, 113, 129, 1121}, {3, 1250, 1266, 1238}, {4, 2504, 2520, 171}}
	for _, b := range blocks {
		bad := bytes.Clone(data)
		bad[b.blobOff+b.blobLen/2] ^= 0x55
		path := filepath.Join(t.TempDir(), "flipped.osm.pbf")
		os.WriteFile(path, bad, 0o644)
		_, _, err := readAll(t, path)
		var fe *FormatError
		if !errors.As(err, &fe) || !errors.Is(err, ErrCorrupt) || fe.Block != b.num || fe.Offset != b.offset {
			t.Errorf("byte flipped in block %d: %v, want ErrCorrupt naming the block", b.num, err)
		}
	}
}

func TestNotOSM(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		return p
	}
	var gz bytes.Buffer
	zw := zlib.NewWriter(&gz) // zlib, not gzip: just binary noise to the sniffer
	zw.Write([]byte("hello"))
	zw.Close()
	cases := []faultCase{
		{"empty", write("empty.osm.pbf", nil), ErrFormat, 0, "不是 OpenStreetMap 文件"},
		{"html", write("map.osm", []byte("<!DOCTYPE html><html><body>404</body></html>")), ErrFormat, 0, "不是 OpenStreetMap 文件"},
		{"shapefile renamed", write("roads.osm.pbf", append([]byte{0, 0, 0x27, 0x0a}, make([]byte, 96)...)), ErrFormat, 0, "不是 OpenStreetMap 文件"},
		{"geojson", write("roads.osm", []byte(`{"type":"FeatureCollection","features":[]}`)), ErrUnsupported, 0, "JSON"},
		{"o5m", write("hunan.o5m", []byte{0xff, 0xe0, 0x04, 'o', '5', 'm', '2'}), ErrUnsupported, 0, "o5m"},
		{"osmChange", write("diff.osc", []byte(`<?xml version="1.0"?><osmChange version="0.6"><create/></osmChange>`)), ErrUnsupported, 0, "osmChange"},
		{"other XML", write("kml.osm", []byte(`<?xml version="1.0"?><kml><Document/></kml>`)), ErrFormat, 0, "不是 OpenStreetMap 文件"},
		{"zlib noise", write("noise.osm.pbf", gz.Bytes()), ErrFormat, 0, "不是 OpenStreetMap 文件"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkFault(t, tc) })
	}

	_, err := Open(filepath.Join(dir, "没有这个文件.osm.pbf"))
	if !errors.Is(err, fs.ErrNotExist) || err.Error() != "没有这个文件.osm.pbf：文件不存在" {
		t.Errorf("missing file: %v", err)
	}
	// Messages never carry the server's path.
	sub := filepath.Join(dir, "上传")
	os.Mkdir(sub, 0o755)
	_, err = Open(sub)
	if err == nil || strings.Contains(err.Error(), dir) || !strings.HasPrefix(err.Error(), "上传：") {
		t.Errorf("directory: %v, want an error naming only 上传", err)
	}
}
