package tiles

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
	_ "modernc.org/sqlite" // pure-Go SQLite: MBTiles is an SQLite file
)

// PackOptions says what an offline pack holds.
type PackOptions struct {
	Set              string // layer set or layer id
	MinZoom, MaxZoom int
	Format           string                // PackMBTiles (the default when empty) or PackPMTiles
	Out              string                // file to write: absent or empty
	Workers          int                   // concurrent renders; the database's cores are the limit
	Progress         func(done, total int) // called after each tile; may be nil
}

// The formats of an offline pack.
const (
	PackMBTiles = "mbtiles" // SQLite, for QGIS and field apps
	PackPMTiles = "pmtiles" // one file read by HTTP range requests: static hosting, the page's pmtiles:// protocol
)

// PackStats is what a pack holds.
type PackStats struct {
	Tiles      int   // tiles rendered, empty ones included
	Stored     int   // non-empty tiles written
	Bytes      int64 // gzip bytes of the stored tiles (before a PMTiles pack shares repeated ones)
	Truncated  int   // tiles whose budget cut features
	MaxRawSize int   // the largest uncompressed tile
}

// packMeta is what a pack says about itself, whatever its format.
type packMeta struct {
	set              string
	minZoom, maxZoom int
	bounds           [4]float64 // west, south, east, north in degrees
	attribution      string
	vectorLayers     []Layer
}

// packWriter stores the tiles of one pack in one format. add takes the
// tiles in any order (renders finish out of order) and only non-empty ones;
// finish writes what the format needs at the end and closes; abort drops
// what was written.
type packWriter interface {
	add(ctx context.Context, t maptile.Tile, gz []byte) error
	finish(ctx context.Context, m packMeta) error
	abort()
}

// Pack renders every tile of the set over the data's bounds from MinZoom to
// MaxZoom and writes them to Out as MBTiles 1.3 (vector, gzip-compressed
// pbf, TMS rows) for offline use in QGIS, MapLibre or field apps, or as
// PMTiles v3 for static hosting. It writes Out in place and leaves it
// half-written when it fails: a caller that wants the file to appear only
// when complete gives Out a temporary path and renames it afterwards, as
// gapmap tiles pack does.
func Pack(ctx context.Context, src Source, opt PackOptions) (PackStats, error) {
	var st PackStats
	layers, ok := SetLayers(opt.Set)
	if !ok {
		return st, fmt.Errorf("没有图层或图层组 %q", opt.Set)
	}
	if opt.MinZoom < 0 || opt.MinZoom > opt.MaxZoom || opt.MaxZoom > MaxZoom {
		return st, fmt.Errorf("缩放级别 %d–%d 无效：应在 0–%d 之间", opt.MinZoom, opt.MaxZoom, MaxZoom)
	}
	var w packWriter
	var err error
	switch opt.Format {
	case "", PackMBTiles:
		w, err = newMBTilesWriter(ctx, opt.Out)
	case PackPMTiles:
		w, err = newPMTilesWriter(opt.Out)
	default:
		return st, fmt.Errorf("不支持打包格式 %q；可用：%s, %s", opt.Format, PackMBTiles, PackPMTiles)
	}
	if err != nil {
		return st, err
	}
	st, m, err := render(ctx, src, layers, opt, w)
	if err != nil {
		w.abort()
		return st, err
	}
	return st, w.finish(ctx, m)
}

// render renders the pack's tiles with opt.Workers concurrent renders and
// hands the non-empty ones to w, one at a time.
func render(ctx context.Context, src Source, layers []Layer, opt PackOptions, w packWriter) (PackStats, packMeta, error) {
	var st PackStats
	b, ok, err := src.Bounds(ctx)
	if err != nil {
		return st, packMeta{}, err
	}
	if !ok {
		return st, packMeta{}, errors.New("数据库中没有数据，无法打包")
	}
	credit, err := src.Attribution(ctx)
	if err != nil {
		return st, packMeta{}, err
	}
	m := packMeta{set: opt.Set, minZoom: opt.MinZoom, maxZoom: opt.MaxZoom, bounds: b, attribution: attribution(credit), vectorLayers: layers}
	bound := orb.Bound{Min: orb.Point{b[0], b[1]}, Max: orb.Point{b[2], b[3]}}
	var list []maptile.Tile
	for z := opt.MinZoom; z <= opt.MaxZoom; z++ {
		list = append(list, TileList(bound, z, 0)...)
	}

	// Renders run concurrently; the one writer takes them in turn.
	type rendered struct {
		t    maptile.Tile
		tile *Tile
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan maptile.Tile)
	out := make(chan rendered)
	errc := make(chan error, 1)
	var wg sync.WaitGroup
	for range max(opt.Workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range jobs {
				mvt, truncated, err := src.Tile(ctx, Request{Layers: LayersAt(layers, int(t.Z)), Z: int(t.Z), X: int(t.X), Y: int(t.Y)})
				var tile *Tile
				if err == nil {
					tile, err = newTile(mvt, strings.Join(truncated, ","))
				}
				if err != nil {
					select {
					case errc <- fmt.Errorf("tile %d/%d/%d: %w", t.Z, t.X, t.Y, err):
					default:
					}
					cancel()
					return
				}
				select {
				case out <- rendered{t, tile}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, t := range list {
			select {
			case jobs <- t:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(out) }()

	var writeErr error
	for r := range out {
		st.Tiles++
		st.MaxRawSize = max(st.MaxRawSize, r.tile.RawSize)
		if r.tile.Truncated != "" {
			st.Truncated++
		}
		if r.tile.RawSize > 0 && writeErr == nil {
			if writeErr = w.add(ctx, r.t, r.tile.Gzip); writeErr != nil {
				cancel()
			}
			st.Stored++
			st.Bytes += int64(len(r.tile.Gzip))
		}
		if opt.Progress != nil {
			opt.Progress(st.Tiles, len(list))
		}
	}
	select {
	case err := <-errc:
		return st, m, err
	default:
	}
	if writeErr != nil {
		return st, m, writeErr
	}
	return st, m, ctx.Err()
}

// description is the pack's description in both formats.
const description = "gapmap 村级基础设施缺口离线图层"

// mbtilesWriter writes an MBTiles 1.3 file in one SQLite transaction.
type mbtilesWriter struct {
	db  *sql.DB
	tx  *sql.Tx
	ins *sql.Stmt
}

func newMBTilesWriter(ctx context.Context, out string) (*mbtilesWriter, error) {
	db, err := sql.Open("sqlite", out)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	w := &mbtilesWriter{db: db}
	if w.tx, err = db.BeginTx(ctx, nil); err != nil {
		db.Close()
		return nil, err
	}
	for _, q := range []string{
		`CREATE TABLE metadata (name text, value text)`,
		`CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob)`,
		`CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)`,
	} {
		if _, err := w.tx.ExecContext(ctx, q); err != nil {
			w.abort()
			return nil, err
		}
	}
	if w.ins, err = w.tx.PrepareContext(ctx, `INSERT INTO tiles VALUES (?, ?, ?, ?)`); err != nil {
		w.abort()
		return nil, err
	}
	return w, nil
}

func (w *mbtilesWriter) add(ctx context.Context, t maptile.Tile, gz []byte) error {
	tmsRow := (1 << t.Z) - 1 - int(t.Y)
	_, err := w.ins.ExecContext(ctx, t.Z, t.X, tmsRow, gz)
	return err
}

func (w *mbtilesWriter) finish(ctx context.Context, m packMeta) error {
	defer w.abort()
	vectorLayers, err := json.Marshal(map[string]any{"vector_layers": m.vectorLayers})
	if err != nil {
		return err
	}
	b := m.bounds
	meta := [][2]string{
		{"name", "gapmap " + m.set},
		{"format", "pbf"},
		{"type", "overlay"},
		{"version", "1"},
		{"description", description},
		{"bounds", fmt.Sprintf("%f,%f,%f,%f", b[0], b[1], b[2], b[3])},
		{"center", fmt.Sprintf("%f,%f,%d", (b[0]+b[2])/2, (b[1]+b[3])/2, (m.minZoom+m.maxZoom)/2)},
		{"minzoom", fmt.Sprint(m.minZoom)},
		{"maxzoom", fmt.Sprint(m.maxZoom)},
		{"attribution", m.attribution},
		{"json", string(vectorLayers)},
	}
	for _, kv := range meta {
		if _, err := w.tx.ExecContext(ctx, `INSERT INTO metadata VALUES (?, ?)`, kv[0], kv[1]); err != nil {
			return err
		}
	}
	if err := w.tx.Commit(); err != nil {
		return err
	}
	return w.db.Close()
}

// abort rolls back what was not committed and closes the file; after a
// commit it only closes.
func (w *mbtilesWriter) abort() {
	_ = w.tx.Rollback()
	_ = w.db.Close()
}
