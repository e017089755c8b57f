package shp

import (
	"archive/zip"
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// bufSize is the read buffer for the .shp and the .dbf each; records
// larger than it are read straight through.
const bufSize = 64 << 10

// entry is one file of the directory holding a set, wherever it lives.
type entry struct {
	name    string // base name as stored, possibly GBK bytes
	display string // for messages: UTF-8, with its directory inside a zip or fs.FS
	open    func() (io.ReadCloser, error)
}

// Open opens the shapefile set of path, a .shp whose .dbf (required),
// .shx, .prj and .cpg siblings are matched case-insensitively, or a .zip
// holding exactly one set. Messages name files by base name, or by path
// inside the zip, so that server paths never reach users.
func Open(path string, opts ...Option) (*Reader, error) {
	o := options(opts)
	base := filepath.Base(path)
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".zip":
		return openZip(path, o)
	case ".shp":
	default:
		return nil, &FormatError{File: displayName(base), Record: -1, Err: ErrMissingFile,
			Reason: "不是 .shp 或 .zip 文件"}
	}
	dir := filepath.Dir(path)
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, &FormatError{File: displayName(base), Record: -1, Err: err, Reason: "无法读取所在目录：" + err.Error()}
	}
	var list []entry
	for _, de := range des {
		if de.IsDir() {
			continue
		}
		name := de.Name()
		list = append(list, entry{name: name, display: displayName(name), open: func() (io.ReadCloser, error) {
			return os.Open(filepath.Join(dir, name))
		}})
	}
	shp, ok := find(list, base)
	if !ok {
		return nil, &FormatError{File: displayName(base), Record: -1, Err: ErrMissingFile, Reason: "文件不存在"}
	}
	return openSet(shp, list, nil, o)
}

// Option changes how Open reads a set.
type Option func(*openOptions)

type openOptions struct {
	encoding string // EncodingGBK or EncodingUTF8: overrides the dbf's own hints
}

func options(opts []Option) openOptions {
	var o openOptions
	for _, f := range opts {
		f(&o)
	}
	return o
}

// WithEncoding reads the dbf's text as EncodingGBK (GB18030, which reads
// all of GBK) or EncodingUTF8 whatever its language byte and .cpg say:
// the user's override when they are wrong. A value that is not valid
// UTF-8 is still read as GBK under EncodingUTF8, as with a UTF-8 .cpg.
// Other names are ignored.
func WithEncoding(name string) Option {
	return func(o *openOptions) {
		switch name {
		case EncodingGBK, EncodingGB18030, EncodingUTF8:
			o.encoding = name
		}
	}
}

// OpenFS is Open for a .shp at shpPath in fsys, e.g. an fstest.MapFS or
// an uploaded directory. Sibling files must sit in the same directory.
func OpenFS(fsys fs.FS, shpPath string, opts ...Option) (*Reader, error) {
	dir, base := path.Split(shpPath)
	des, err := fs.ReadDir(fsys, path.Clean("./"+dir))
	if err != nil {
		return nil, &FormatError{File: shpPath, Record: -1, Err: err, Reason: "无法读取所在目录：" + err.Error()}
	}
	var list []entry
	for _, de := range des {
		if de.IsDir() {
			continue
		}
		name := dir + de.Name()
		list = append(list, entry{name: de.Name(), display: displayName(name), open: func() (io.ReadCloser, error) {
			return fsys.Open(name)
		}})
	}
	shp, ok := find(list, base)
	if !ok || !strings.EqualFold(path.Ext(base), ".shp") {
		return nil, &FormatError{File: shpPath, Record: -1, Err: ErrMissingFile, Reason: "找不到该 .shp 文件"}
	}
	return openSet(shp, list, nil, options(opts))
}

// openZip opens the one set in a zip. It reads entries itself instead of
// through zip.Reader's fs.FS, which refuses names that are not UTF-8: zips
// made by Windows on Chinese systems store them in GBK.
func openZip(zipPath string, o openOptions) (*Reader, error) {
	zipName := displayName(filepath.Base(zipPath))
	zr, err := zip.OpenReader(zipPath)
	// Insecure names ("../x") do no harm here, as nothing is extracted.
	if err != nil && !(errors.Is(err, zip.ErrInsecurePath) && zr != nil) {
		return nil, &FormatError{File: zipName, Record: -1, Err: err, Reason: "不是有效的 zip 文件：" + err.Error()}
	}
	dirs := make(map[string][]entry)
	var sets []entry
	var setDirs []string
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		name := strings.ReplaceAll(displayName(f.Name), `\`, "/")
		if u, c := f.UncompressedSize64, f.CompressedSize64; u > zipRatioFloor && (c == 0 || u/c > maxZipRatio) {
			zr.Close()
			return nil, &FormatError{File: zipName, Record: -1, Err: ErrTooLarge, Reason: fmt.Sprintf(
				"压缩包中的 %s 解压后 %d MiB，压缩比超过 %d:1，疑似压缩炸弹，已拒绝", name, u>>20, maxZipRatio)}
		}
		dir, base := path.Split(name)
		// macOS adds resource forks that look like shapefiles.
		if strings.HasPrefix(name, "__MACOSX/") || strings.HasPrefix(base, "._") {
			continue
		}
		e := entry{name: base, display: name, open: f.Open}
		dirs[dir] = append(dirs[dir], e)
		if strings.EqualFold(path.Ext(base), ".shp") {
			sets = append(sets, e)
			setDirs = append(setDirs, dir)
		}
	}
	switch len(sets) {
	case 0:
		zr.Close()
		return nil, &FormatError{File: zipName, Record: -1, Err: ErrMissingFile, Reason: "压缩包中没有 .shp 文件"}
	case 1:
	default:
		zr.Close()
		names := make([]string, len(sets))
		for i, s := range sets {
			names[i] = s.display
		}
		return nil, &FormatError{File: zipName, Record: -1, Err: ErrSeveralSets,
			Reason: fmt.Sprintf("压缩包中有 %d 套 shapefile（%s），每个压缩包只能放一套", len(sets), strings.Join(names, "、"))}
	}
	return openSet(sets[0], dirs[setDirs[0]], zr, o)
}

// openSet opens the set of shp, whose siblings are in dir. closer, when
// not nil, is closed with the Reader (or at once on error).
func openSet(shp entry, dir []entry, closer io.Closer, o openOptions) (_ *Reader, err error) {
	r := &Reader{index: -1, shpName: shp.display}
	if closer != nil {
		r.closers = append(r.closers, closer)
	}
	defer func() {
		if err != nil {
			r.Close()
		}
	}()
	stem := shp.name[:len(shp.name)-len(path.Ext(shp.name))]
	displayStem := strings.TrimSuffix(shp.display, path.Ext(shp.display))

	dbf, ok := find(dir, stem+".dbf")
	if !ok {
		return nil, &FormatError{File: displayStem + ".dbf", Record: -1, Err: ErrMissingFile,
			Reason: "文件不存在：shapefile 至少需要同名的 .shp 和 .dbf（属性表）"}
	}
	r.dbfName = dbf.display
	cpg, hasCPG, err := readSmall(dir, stem+".cpg")
	if err != nil {
		return nil, err
	}
	prj, _, err := readSmall(dir, stem+".prj")
	if err != nil {
		return nil, err
	}
	r.prj = strings.TrimSpace(strings.TrimPrefix(prj, "\ufeff"))

	dbr, err := r.openEntry(dbf)
	if err != nil {
		return nil, err
	}
	h, err := readDBFHeader(dbr)
	if err != nil {
		return nil, at(err, dbf.display, -1)
	}
	text := newTextDecoder(h.ldid, cpg, hasCPG)
	if o.encoding != "" {
		text = forcedDecoder(o.encoding)
	}
	if text.needsVotes() {
		// The fallback needs the file's majority before the first value;
		// a second pass over the .dbf keeps memory flat.
		if f, err := dbf.open(); err == nil {
			scanText(bufio.NewReaderSize(f, bufSize), text)
			f.Close()
		}
	}
	if r.dbf, err = newDBFReader(dbr, h, text); err != nil {
		return nil, at(err, dbf.display, -1)
	}

	shr, err := r.openEntry(shp)
	if err != nil {
		return nil, err
	}
	if r.shp, err = newSHPReader(shr); err != nil {
		return nil, at(err, shp.display, -1)
	}

	// The .shx is optional, as records are streamed from the .shp, but
	// when present its header gives the .shp's record count up front, so
	// a mismatch is reported before anything is imported.
	if shx, ok := find(dir, stem+".shx"); ok {
		if n, ok := shxCount(shx); ok && n != h.records {
			return nil, &FormatError{File: shx.display, Record: -1, Err: ErrCountMismatch,
				Reason: fmt.Sprintf("索引记载 %d 条记录，而 %s 有 %d 条，记录数不一致", n, dbf.display, h.records)}
		}
	}
	return r, nil
}

// openEntry opens e behind a read buffer and schedules it for Close.
func (r *Reader) openEntry(e entry) (io.Reader, error) {
	f, err := e.open()
	if err != nil {
		return nil, &FormatError{File: e.display, Record: -1, Err: err, Reason: "无法打开：" + err.Error()}
	}
	r.closers = append(r.closers, f)
	return bufio.NewReaderSize(f, bufSize), nil
}

// find returns the entry named name, or else one whose name matches it
// case-insensitively: sets copied from Windows arrive as .SHP/.DBF.
func find(dir []entry, name string) (entry, bool) {
	if i := slices.IndexFunc(dir, func(e entry) bool { return e.name == name }); i >= 0 {
		return dir[i], true
	}
	if i := slices.IndexFunc(dir, func(e entry) bool { return strings.EqualFold(e.name, name) }); i >= 0 {
		return dir[i], true
	}
	return entry{}, false
}

// readSmall returns the content of a small sibling (.cpg, .prj), capped
// at 64 KiB, and whether it exists.
func readSmall(dir []entry, name string) (string, bool, error) {
	e, ok := find(dir, name)
	if !ok {
		return "", false, nil
	}
	f, err := e.open()
	if err != nil {
		return "", true, &FormatError{File: e.display, Record: -1, Err: err, Reason: "无法打开：" + err.Error()}
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return "", true, &FormatError{File: e.display, Record: -1, Err: err, Reason: "读取失败：" + err.Error()}
	}
	return string(b), true, nil
}

// shxCount returns the record count a .shx header implies, and false when
// the .shx cannot be read or is not one.
func shxCount(e entry) (int, bool) {
	f, err := e.open()
	if err != nil {
		return 0, false
	}
	defer f.Close()
	var h [shpHeaderLen]byte
	if _, err := io.ReadFull(f, h[:]); err != nil || binary.BigEndian.Uint32(h[0:]) != shpFileCode {
		return 0, false
	}
	n := (int64(binary.BigEndian.Uint32(h[24:]))*2 - shpHeaderLen) / 8
	return int(n), n >= 0
}

// displayName returns a file name fit for a message: as is when UTF-8,
// else decoded as GB18030, the encoding of names from Chinese Windows.
func displayName(name string) string {
	if utf8.ValidString(name) {
		return name
	}
	if s, err := simplifiedchinese.GB18030.NewDecoder().String(name); err == nil {
		return s
	}
	return strings.ToValidUTF8(name, "\uFFFD")
}
