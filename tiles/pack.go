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
	Out              string                // MBTiles file to write: absent or empty
	Workers          int                   // concurrent renders; the database's cores are the limit
	Progress         func(done, total int) // called after each tile; may be nil
}

// PackStats is what a pack holds.
type PackStats struct {
	Tiles      int   // tiles rendered, empty ones included
	Stored     int   // non-empty tiles written
	Bytes      int64 // gzip bytes written
	Truncated  int   // tiles whose budget cut features
	MaxRawSize int   // the largest uncompressed tile
}

// Pack renders every tile of the set over the data's bounds from MinZoom to
// MaxZoom and writes them to an MBTiles 1.3 file (vector, gzip-compressed
// pbf, TMS rows) for offline use in QGIS, MapLibre or field apps. It writes
// Out in place and leaves it half-written when it fails: a caller that
// wants the file to appear only when complete gives Out a temporary path
// and renames it afterwards, as gapmap tiles pack does.
func Pack(ctx context.Context, src Source, opt PackOptions) (PackStats, error) {
	var st PackStats
	layers, ok := SetLayers(opt.Set)
	if !ok {
		return st, fmt.Errorf("没有图层或图层组 %q", opt.Set)
	}
	if opt.MinZoom < 0 || opt.MinZoom > opt.MaxZoom || opt.MaxZoom > MaxZoom {
		return st, fmt.Errorf("缩放级别 %d–%d 无效：应在 0–%d 之间", opt.MinZoom, opt.MaxZoom, MaxZoom)
	}
	b, ok, err := src.Bounds(ctx)
	if err != nil {
		return st, err
	}
	if !ok {
		return st, errors.New("数据库中没有数据，无法打包")
	}
	credit, err := src.Attribution(ctx)
	if err != nil {
		return st, err
	}
	bound := orb.Bound{Min: orb.Point{b[0], b[1]}, Max: orb.Point{b[2], b[3]}}
	var list []maptile.Tile
	for z := opt.MinZoom; z <= opt.MaxZoom; z++ {
		list = append(list, TileList(bound, z, 0)...)
	}

	db, err := sql.Open("sqlite", opt.Out)
	if err != nil {
		return st, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return st, err
	}
	defer tx.Rollback()
	for _, q := range []string{
		`CREATE TABLE metadata (name text, value text)`,
		`CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob)`,
		`CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return st, err
		}
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO tiles VALUES (?, ?, ?, ?)`)
	if err != nil {
		return st, err
	}

	// Renders run concurrently; the one SQLite writer takes them in turn.
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
	for w := 0; w < max(opt.Workers, 1); w++ {
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
			tmsRow := (1 << r.t.Z) - 1 - int(r.t.Y)
			if _, writeErr = ins.ExecContext(ctx, r.t.Z, r.t.X, tmsRow, r.tile.Gzip); writeErr != nil {
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
		return st, err
	default:
	}
	if writeErr != nil {
		return st, writeErr
	}
	if err := ctx.Err(); err != nil {
		return st, err
	}

	vectorLayers, err := json.Marshal(map[string]any{"vector_layers": layers})
	if err != nil {
		return st, err
	}
	meta := [][2]string{
		{"name", "gapmap " + opt.Set},
		{"format", "pbf"},
		{"type", "overlay"},
		{"version", "1"},
		{"description", "gapmap 村级基础设施缺口离线图层"},
		{"bounds", fmt.Sprintf("%f,%f,%f,%f", b[0], b[1], b[2], b[3])},
		{"center", fmt.Sprintf("%f,%f,%d", (b[0]+b[2])/2, (b[1]+b[3])/2, (opt.MinZoom+opt.MaxZoom)/2)},
		{"minzoom", fmt.Sprint(opt.MinZoom)},
		{"maxzoom", fmt.Sprint(opt.MaxZoom)},
		{"attribution", attribution(credit)},
		{"json", string(vectorLayers)},
	}
	for _, m := range meta {
		if _, err := tx.ExecContext(ctx, `INSERT INTO metadata VALUES (?, ?)`, m[0], m[1]); err != nil {
			return st, err
		}
	}
	if err := tx.Commit(); err != nil {
		return st, err
	}
	return st, db.Close()
}
