package tiles

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb/maptile"
	"github.com/protomaps/go-pmtiles/pmtiles"
)

// TestPMTilesEncodingAgainstGoPMTiles checks the archive encoder against
// the reference implementation, go-pmtiles: tile ids of random tiles at
// every zoom, the header, and random directories decoded by its reader,
// small ones in the root and large ones through leaves found by its
// FindTile.
func TestPMTilesEncodingAgainstGoPMTiles(t *testing.T) {
	r := rand.New(rand.NewPCG(20261207, 1))
	for range 5000 {
		z := uint32(r.IntN(MaxZoom + 2))
		tile := maptile.New(r.Uint32N(1<<z), r.Uint32N(1<<z), maptile.Zoom(z))
		if got, want := pmtilesID(tile), pmtiles.ZxyToID(uint8(z), tile.X, tile.Y); got != want {
			t.Fatalf("tile %d/%d/%d: id %d, go-pmtiles %d", z, tile.X, tile.Y, got, want)
		}
	}

	h := pmtilesHeader{rootOffset: 127, rootLength: 300, metadataOffset: 427, metadataLength: 50, leafOffset: 477, leafLength: 9,
		tileDataOffset: 486, tileDataLength: 12345, addressedTiles: 77, tileEntries: 70, tileContents: 60,
		minZoom: 3, maxZoom: 14, centerZoom: 8, bounds: [4]int32{1125000000, 290000000, 1135000000, 297000000}, center: [2]int32{1130000000, 293500000}}
	got, err := pmtiles.DeserializeHeader(h.bytes())
	if err != nil {
		t.Fatal(err)
	}
	want := pmtiles.HeaderV3{SpecVersion: 3, RootOffset: 127, RootLength: 300, MetadataOffset: 427, MetadataLength: 50,
		LeafDirectoryOffset: 477, LeafDirectoryLength: 9, TileDataOffset: 486, TileDataLength: 12345,
		AddressedTilesCount: 77, TileEntriesCount: 70, TileContentsCount: 60, Clustered: true,
		InternalCompression: pmtiles.Gzip, TileCompression: pmtiles.Gzip, TileType: pmtiles.Mvt, MinZoom: 3, MaxZoom: 14,
		MinLonE7: 1125000000, MinLatE7: 290000000, MaxLonE7: 1135000000, MaxLatE7: 297000000,
		CenterZoom: 8, CenterLonE7: 1130000000, CenterLatE7: 293500000}
	if got != want {
		t.Fatalf("header read back as\n%+v\nwant\n%+v", got, want)
	}

	for _, n := range []int{1, 17, 3000, 200_000} {
		entries := randomEntries(r, n)
		root, leaves, err := pmtilesDirectories(entries, 16384-pmtilesHeaderLen)
		if err != nil {
			t.Fatal(err)
		}
		if len(root) > 16384-pmtilesHeaderLen {
			t.Fatalf("%d entries: root of %d bytes", n, len(root))
		}
		if n <= 3000 && len(leaves) != 0 {
			t.Errorf("%d entries need no leaves, got %d bytes", n, len(leaves))
		}
		if n == 200_000 && len(leaves) == 0 {
			t.Fatalf("%d entries all in a root of %d bytes", n, len(root))
		}
		top := pmtiles.DeserializeEntries(bytes.NewBuffer(root), pmtiles.Gzip)
		for _, i := range append([]int{0, n - 1}, r.Perm(n)[:min(n, 500)]...) {
			e := entries[i]
			found, ok := pmtiles.FindTile(top, e.TileID)
			if ok && found.RunLength == 0 { // a leaf: the entry is in it
				leaf := pmtiles.DeserializeEntries(bytes.NewBuffer(leaves[found.Offset:found.Offset+uint64(found.Length)]), pmtiles.Gzip)
				found, ok = pmtiles.FindTile(leaf, e.TileID)
			}
			if !ok || found != (pmtiles.EntryV3{TileID: e.TileID, Offset: e.Offset, Length: e.Length, RunLength: e.RunLength}) {
				t.Fatalf("%d entries: entry %d %+v read back as %+v (found %v)", n, i, e, found, ok)
			}
		}
	}
}

// randomEntries are n entries in tile id order with runs, gaps, data laid
// out contiguously and some repeated offsets (deduplicated tiles).
func randomEntries(r *rand.Rand, n int) []pmtilesEntry {
	out := make([]pmtilesEntry, 0, n)
	var id, offset uint64
	for range n {
		id += 1 + uint64(r.IntN(3))*uint64(r.IntN(50))
		e := pmtilesEntry{TileID: id, Length: 1 + r.Uint32N(40000), RunLength: 1 + uint32(r.IntN(3))/2*r.Uint32N(5)}
		if len(out) > 0 && r.IntN(10) == 0 {
			e.Offset, e.Length = out[r.IntN(len(out))].Offset, out[len(out)-1].Length
		} else {
			e.Offset = offset
			offset += uint64(e.Length)
		}
		id += uint64(e.RunLength) - 1
		out = append(out, e)
	}
	return out
}
