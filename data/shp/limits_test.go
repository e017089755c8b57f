package shp

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// setLimits lowers the size limits for one test, so that a bomb need not
// be gigabytes to be one.
func setLimits(t *testing.T, record int64, floor uint64) {
	t.Helper()
	r, f := maxRecordBytes, zipRatioFloor
	maxRecordBytes, zipRatioFloor = record, floor
	t.Cleanup(func() { maxRecordBytes, zipRatioFloor = r, f })
}

// TestZipBombRefused: a zip entry that inflates far beyond what shapefiles
// compress to is refused before a byte of it is read.
func TestZipBombRefused(t *testing.T) {
	setLimits(t, maxRecordBytes, 1<<20)
	zipPath := filepath.Join(t.TempDir(), "bomb.zip")
	f, err := os.Create(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	w, _ := zw.Create("村界.shp")
	w.Write(make([]byte, 8<<20)) // 8 MiB of zeros: about 1000:1
	w, _ = zw.Create("村界.dbf")
	w.Write([]byte("x"))
	zw.Close()
	f.Close()
	_, err = Open(zipPath)
	wantFormatError(t, err, ErrTooLarge, "bomb.zip", "村界.shp", "压缩炸弹")
}

// TestRecordOverLimitRefused: a record whose header claims more than the
// limit is refused without reading it, even when the bytes are there.
func TestRecordOverLimitRefused(t *testing.T) {
	setLimits(t, 1<<20, zipRatioFloor)
	dir := t.TempDir()
	writeSet(t, dir, "路", roadSet(t, 2))
	shpPath := filepath.Join(dir, "路.shp")
	b, err := os.ReadFile(shpPath)
	if err != nil {
		t.Fatal(err)
	}
	// The first record's length (16-bit words) becomes 2 MiB, and 2 MiB of
	// content follows, so only the limit can stop it.
	binary.BigEndian.PutUint32(b[shpHeaderLen+4:], (2<<20)/2)
	b = append(b, bytes.Repeat([]byte{0}, 2<<20)...)
	if err := os.WriteFile(shpPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = readErr(t, shpPath)
	wantFormatError(t, err, ErrTooLarge, "超过上限 1 MiB")
}
