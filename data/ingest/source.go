package ingest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gapmap/gapmap/data/feature"
	"github.com/gapmap/gapmap/data/shp"
	"github.com/gapmap/gapmap/geo"
	"github.com/gapmap/gapmap/planning"
)

// Source streams the features of one file, whatever its format, as
// feature.Records in the file's own coordinates.
type Source interface {
	Next() bool
	Record() feature.Record
	Err() error
	Close() error
	// Dims says which coordinates beyond X and Y the records read so far
	// carried: the readers drop Z and M (every layer is stored 2D), and
	// the report says so.
	Dims() geo.Dims
}

// Info is what a file says about itself.
type Info struct {
	Name        string   // the file's name as the user knows it, for messages
	Size        int64    // in bytes; 0 if unknown
	Format      string   // for the report
	Encoding    string   // text encoding and how it was decided
	Fields      []string // attribute columns in file order
	PRJ         string   // a shapefile's .prj WKT
	CRS         string   // a GeoJSON crs member ("EPSG:4490") or a GeoPackage layer's SRS ("EPSG:4546")
	Attribution string   // credit the source requires (OSM)
	// Mapped is true when the reader already yields gapmap column names
	// and vocabulary (OSM), so no column mapping applies.
	Mapped bool
	// Summary, when set, adds the reader's own findings to the report
	// once the file is read (OSM elements it skipped and why).
	Summary func() []planning.ImportProblem
	// RowIsLine is true when Record.Line is the number users see (CSV rows
	// as Excel numbers them, GeoJSONSeq lines); else it is Index+1.
	RowIsLine bool
	// Source is the dataset the file's feature ids belong to: "osm" for
	// OpenStreetMap, else the file's name without extension (see
	// DefaultSource) until ResolveSource sets the user's.
	Source string
}

// OpenOptions are the user's choices about reading a file.
type OpenOptions struct {
	// Encoding overrides the detected text encoding of a Shapefile's dbf
	// or a CSV: "utf-8" or "gbk" (and their usual spellings); "" detects.
	Encoding string
}

// Format names for the report.
const (
	formatGeoJSON    = "GeoJSON"
	formatGeoJSONSeq = "GeoJSONSeq"
	formatCSV        = "CSV"
	formatShapefile  = "Shapefile"
	formatGeoPackage = "GeoPackage"
	formatOSM        = "OpenStreetMap"
)

// sniffFormat decides a file's format from its name and, when the name
// says nothing, its first bytes.
func sniffFormat(path string) (string, error) {
	name := strings.ToLower(filepath.Base(path))
	switch {
	case strings.HasSuffix(name, ".zip"), strings.HasSuffix(name, ".shp"):
		return formatShapefile, nil
	case strings.HasSuffix(name, ".gpkg"):
		return formatGeoPackage, nil
	case strings.HasSuffix(name, ".pbf"), strings.HasSuffix(name, ".osm"), strings.HasSuffix(name, ".osm.xml"):
		return formatOSM, nil
	case strings.HasSuffix(name, ".csv"), strings.HasSuffix(name, ".tsv"), strings.HasSuffix(name, ".txt"):
		return formatCSV, nil
	case strings.HasSuffix(name, ".geojson"), strings.HasSuffix(name, ".json"), strings.HasSuffix(name, ".geojsonl"),
		strings.HasSuffix(name, ".geojsons"), strings.HasSuffix(name, ".ndjson"), strings.HasSuffix(name, ".jsonl"):
		return formatGeoJSON, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", planning.Errorf(planning.EInvalid, "无法打开文件 %s：%v", filepath.Base(path), err)
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF")), " \t\r\n")
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return formatShapefile, nil
	case bytes.HasPrefix(head, []byte("SQLite format 3\x00")):
		return formatGeoPackage, nil
	case bytes.Contains(head, []byte("OSMHeader")), bytes.HasPrefix(trimmed, []byte("<?xml")), bytes.HasPrefix(trimmed, []byte("<osm")):
		return formatOSM, nil
	case bytes.HasPrefix(trimmed, []byte("{")), bytes.HasPrefix(trimmed, []byte("\x1e")):
		return formatGeoJSON, nil
	}
	return formatCSV, nil
}

// Open opens the file at path, known to the user as name, for layer: it
// decides the format, the text encoding and the attribute columns. Errors
// are *planning.Error (EInvalid) whose message names the file and, from
// the readers, the place and cause.
func Open(path, name, layer string) (Source, Info, error) {
	return OpenWith(path, name, layer, OpenOptions{})
}

// OpenWith is Open with the user's choices.
func OpenWith(path, name, layer string, o OpenOptions) (Source, Info, error) {
	enc, err := parseEncoding(o.Encoding)
	if err != nil {
		return nil, Info{}, err
	}
	src, info, err := open(path, name, layer, enc)
	if err != nil {
		return nil, Info{}, err
	}
	info.Name = name
	info.Source = DefaultSource(name)
	if info.Format == formatOSM {
		info.Source = SourceOSM
	}
	if fi, err := os.Stat(path); err == nil {
		info.Size = fi.Size()
	}
	return src, info, nil
}

// open opens path in the reader of its format; enc, when not "",
// overrides a Shapefile's or CSV's detected encoding.
func open(path, displayName, layer, enc string) (Source, Info, error) {
	format, err := sniffFormat(path)
	if err != nil {
		return nil, Info{}, err
	}
	fail := func(err error) (Source, Info, error) {
		return nil, Info{}, &planning.Error{Code: planning.EInvalid, Message: fmt.Sprintf("%s：%s", displayName, userMessage(err)), Err: err}
	}
	if enc == encodingGBK && format != formatShapefile && format != formatCSV {
		return nil, Info{}, planning.Errorf(planning.EInvalid, "%s：%s 文件按规范是 UTF-8 编码，--encoding gbk 只用于 Shapefile 和 CSV", displayName, format)
	}
	switch format {
	case formatShapefile:
		var opts []shp.Option
		switch enc {
		case encodingGBK:
			opts = append(opts, shp.WithEncoding(shp.EncodingGBK))
		case encodingUTF8:
			opts = append(opts, shp.WithEncoding(shp.EncodingUTF8))
		}
		r, err := shp.Open(path, opts...)
		if err != nil {
			return fail(err)
		}
		enc, how := r.Encoding()
		var fields []string
		for _, f := range r.Fields() {
			fields = append(fields, f.Name)
		}
		return shpSource{r}, Info{Format: formatShapefile, Encoding: enc + "（" + how + "）", Fields: fields, PRJ: r.PRJ()}, nil
	case formatGeoJSON:
		f, err := os.Open(path)
		if err != nil {
			return fail(err)
		}
		r, err := feature.OpenGeoJSON(bufio.NewReaderSize(f, 1<<20))
		if err != nil {
			f.Close()
			return fail(err)
		}
		info := Info{Format: formatGeoJSON, Encoding: "UTF-8", Fields: r.Fields(), CRS: r.CRS()}
		if r.Record().Line > 0 {
			info.Format, info.RowIsLine = formatGeoJSONSeq, true
		}
		return &readerSource[*feature.GeoJSONReader]{r: r, closer: f}, info, nil
	case formatCSV:
		f, err := os.Open(path)
		if err != nil {
			return fail(err)
		}
		var opt feature.CSVOptions
		switch enc {
		case encodingGBK:
			opt.Encoding = feature.EncodingGB18030
		case encodingUTF8:
			opt.Encoding = feature.EncodingUTF8
		}
		r, err := feature.OpenCSV(f, opt)
		if err != nil {
			f.Close()
			return fail(err)
		}
		return &readerSource[*feature.CSVReader]{r: r, closer: f},
			Info{Format: formatCSV, Encoding: r.Encoding(), Fields: r.Fields(), RowIsLine: true}, nil
	case formatGeoPackage:
		return openGeoPackage(path, displayName, layer)
	case formatOSM:
		return openOSM(path, displayName, layer)
	}
	return fail(fmt.Errorf("unknown format %s", format))
}

// featureReader is what data/feature's readers have in common.
type featureReader interface {
	Next() bool
	Record() feature.Record
	Err() error
}

// readerSource adapts a data/feature reader over an open file.
type readerSource[R featureReader] struct {
	r      R
	closer io.Closer
}

func (s *readerSource[R]) Next() bool             { return s.r.Next() }
func (s *readerSource[R]) Record() feature.Record { return s.r.Record() }
func (s *readerSource[R]) Err() error             { return s.r.Err() }
func (s *readerSource[R]) Close() error           { return s.closer.Close() }

// Dims is the GeoJSON reader's; a CSV's WKT with Z or M is refused as a
// row error, so nothing is dropped there.
func (s *readerSource[R]) Dims() geo.Dims {
	if d, ok := any(s.r).(interface{ Dims() geo.Dims }); ok {
		return d.Dims()
	}
	return 0
}

// shpSource adapts a shapefile reader.
type shpSource struct{ r *shp.Reader }

func (s shpSource) Next() bool { return s.r.Next() }
func (s shpSource) Record() feature.Record {
	rec := s.r.Record()
	return feature.Record{Index: rec.Index, Geometry: rec.Geometry, Attrs: rec.Attrs}
}
func (s shpSource) Err() error     { return s.r.Err() }
func (s shpSource) Close() error   { return s.r.Close() }
func (s shpSource) Dims() geo.Dims { return s.r.Dims() }
