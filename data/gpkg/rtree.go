package gpkg

import (
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
)

// The R-tree of a layer is bulk-loaded at Close rather than filled row by
// row: SQLite's rtree module spends about 10 µs choosing a leaf and
// splitting nodes for every insert, more than the rest of the feature
// costs. Instead each LayerWriter appends, a batch at a time, every
// feature's R-tree cell and the Hilbert index of its centre to a table in
// SQLite's temp database (off the Go heap). Close reads them back in
// Hilbert order, one sort done by SQLite, packs them into full leaves and
// writes the nodes straight into the rtree's shadow tables, in the format
// of SQLite's rtree.c:
//
//	node blob (exactly the size of node 1):
//	  uint16 depth (root only; 0 when the root is a leaf) | uint16 cells |
//	  cells of int64 rowid or child node, float32 minx maxx miny maxy
//	all big endian; mins rounded down, maxes up to float32.
//
// <r>_rowid maps each feature to its leaf and <r>_parent each non-root
// node to its parent. This is a Hilbert-packed R-tree (Kamel and Faloutsos
// 1993); GDAL 3.6 and later also bulk-load the index. The tests check the
// result with SELECT rtreecheck('<r>').

// boxBatch is how many cells a LayerWriter holds before writing them to
// its temp table in one statement.
const boxBatch = 256

// cellSize is the bytes of one 2D rtree cell.
const cellSize = 24

// boxTable is the temp table of cells for the k-th layer; a number, not
// the layer name, so it needs no quoting.
func boxTable(k int) string { return fmt.Sprintf("temp.gpkg_box_%d", k) }

// createBoxes creates lw's cell table and the statement that writes a full
// batch to it.
func (lw *LayerWriter) createBoxes(k int) error {
	lw.boxTable = boxTable(k)
	if _, err := lw.w.tx.Exec("CREATE TABLE " + lw.boxTable + " (hilbert INTEGER NOT NULL, cell BLOB NOT NULL)"); err != nil {
		return err
	}
	q := "INSERT INTO " + lw.boxTable + " VALUES (?, ?)" + strings.Repeat(", (?, ?)", boxBatch-1)
	var err error
	lw.boxStmt, err = lw.w.tx.Prepare(q)
	lw.boxBuf = make([]byte, boxBatch*cellSize)
	lw.boxArgs = make([]any, 2*boxBatch)
	return err
}

// addBox queues the cell of feature id with envelope e, writing the batch
// when it is full.
func (lw *LayerWriter) addBox(id int64, e *encoder) error {
	i := lw.boxes
	c := lw.boxBuf[i*cellSize : (i+1)*cellSize]
	putCell(c, entry{id, down(e.minX), up(e.maxX), down(e.minY), up(e.maxY)})
	lw.boxArgs[2*i] = hilbertKey((e.minX+e.maxX)/2, (e.minY+e.maxY)/2)
	lw.boxArgs[2*i+1] = c
	lw.boxes++
	if lw.boxes < boxBatch {
		return nil
	}
	lw.boxes = 0
	_, err := lw.boxStmt.Exec(lw.boxArgs...)
	return err
}

// flushBoxes writes the cells of a last, partial batch.
func (lw *LayerWriter) flushBoxes() error {
	for i := range lw.boxes {
		if _, err := lw.w.tx.Exec("INSERT INTO "+lw.boxTable+" VALUES (?, ?)", lw.boxArgs[2*i], lw.boxArgs[2*i+1]); err != nil {
			return err
		}
	}
	lw.boxes = 0
	return nil
}

// hilbertKey orders feature centres along a Hilbert curve. The curve runs
// over the 2^32 × 2^32 grid of float32 values in their order (the bits of
// a float32, sign-adjusted, sort as the numbers do), so it needs no extent
// known in advance and keeps neighbours together at any scale. The result
// is shifted into int64 order for SQLite.
func hilbertKey(x, y float64) int64 {
	return int64(hilbert(sortable(float32(x)), sortable(float32(y))) ^ 1<<63)
}

// sortable maps a float32 to a uint32 in the same order.
func sortable(f float32) uint32 {
	b := math.Float32bits(f)
	if b&(1<<31) != 0 {
		return ^b
	}
	return b | 1<<31
}

// hilbert returns the distance of (x, y) along the Hilbert curve filling
// the 2^32 × 2^32 grid (the xy2d algorithm).
func hilbert(x, y uint32) uint64 {
	var d uint64
	for s := uint32(1) << 31; s > 0; s >>= 1 {
		var rx, ry uint32
		if x&s != 0 {
			rx = 1
		}
		if y&s != 0 {
			ry = 1
		}
		d += uint64(s) * uint64(s) * uint64((3*rx)^ry)
		if ry == 0 {
			if rx == 1 {
				x, y = ^x, ^y
			}
			x, y = y, x
		}
	}
	return d
}

// entry is a cell of an R-tree node: a feature (in a leaf) or a child
// node, with its envelope already rounded to float32.
type entry struct {
	id   int64
	minX float32
	maxX float32
	minY float32
	maxY float32
}

// union widens e to cover o.
func (e *entry) union(o entry) {
	e.minX, e.maxX = min(e.minX, o.minX), max(e.maxX, o.maxX)
	e.minY, e.maxY = min(e.minY, o.minY), max(e.maxY, o.maxY)
}

// putCell writes e into the 24 bytes of c in rtree.c's layout.
func putCell(c []byte, e entry) {
	binary.BigEndian.PutUint64(c, uint64(e.id))
	binary.BigEndian.PutUint32(c[8:], math.Float32bits(e.minX))
	binary.BigEndian.PutUint32(c[12:], math.Float32bits(e.maxX))
	binary.BigEndian.PutUint32(c[16:], math.Float32bits(e.minY))
	binary.BigEndian.PutUint32(c[20:], math.Float32bits(e.maxY))
}

// getCell reads a cell written by putCell.
func getCell(c []byte) entry {
	return entry{
		id:   int64(binary.BigEndian.Uint64(c)),
		minX: math.Float32frombits(binary.BigEndian.Uint32(c[8:])),
		maxX: math.Float32frombits(binary.BigEndian.Uint32(c[12:])),
		minY: math.Float32frombits(binary.BigEndian.Uint32(c[16:])),
		maxY: math.Float32frombits(binary.BigEndian.Uint32(c[20:])),
	}
}

// down and up round a coordinate to float32 outward, as rtree.c does, so
// the stored box always contains the true one.
func down(d float64) float32 {
	f := float32(d)
	if float64(f) > d {
		f = math.Nextafter32(f, float32(math.Inf(-1)))
	}
	return f
}

func up(d float64) float32 {
	f := float32(d)
	if float64(f) < d {
		f = math.Nextafter32(f, float32(math.Inf(1)))
	}
	return f
}

// rtreeLoader writes the nodes of one R-tree.
type rtreeLoader struct {
	tx       *sql.Tx
	nodeSize int // bytes per node blob
	fanout   int // cells per node
	next     int64
	buf      []byte
	node     *sql.Stmt // INSERT OR REPLACE INTO <r>_node
	leaf     *sql.Stmt // INSERT INTO the leaf table, fanout rows at a time
	parent   *sql.Stmt // INSERT INTO <r>_parent
	rowArgs  []any
	leaves   string // temp table of (feature, leaf), copied to <r>_rowid in feature order
}

// buildRTree bulk-loads the R-tree of lw from its envelope table, then
// drops that table.
func (lw *LayerWriter) buildRTree() error {
	if err := lw.flushBoxes(); err != nil {
		return err
	}
	lw.boxStmt.Close()
	tx := lw.w.tx
	r := rtreeName(lw.name)
	l := &rtreeLoader{tx: tx, next: 2} // node 1 is the root
	if err := tx.QueryRow("SELECT length(data) FROM " + quote(r+"_node") + " WHERE nodeno = 1").Scan(&l.nodeSize); err != nil {
		return err
	}
	l.fanout = (l.nodeSize - 4) / cellSize
	l.buf = make([]byte, l.nodeSize)
	var n int
	if err := tx.QueryRow("SELECT count(*) FROM " + lw.boxTable).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		l.leaves = lw.boxTable + "_leaf"
		if err := l.prepare(r); err != nil {
			return err
		}
		defer l.close()
		if err := l.load(lw.boxTable, n); err != nil {
			return err
		}
		// Filling <r>_rowid in fid order appends to its B-tree; in leaf
		// order it would insert at random, at twice the cost of the sort.
		if _, err := tx.Exec("INSERT INTO " + quote(r+"_rowid") + " (rowid, nodeno) SELECT id, node FROM " + l.leaves + " ORDER BY id"); err != nil {
			return err
		}
		if _, err := tx.Exec("DROP TABLE " + l.leaves); err != nil {
			return err
		}
	}
	_, err := tx.Exec("DROP TABLE " + lw.boxTable)
	return err
}

// prepare readies the statements for R-tree table r.
func (l *rtreeLoader) prepare(r string) error {
	var err error
	if l.node, err = l.tx.Prepare("INSERT OR REPLACE INTO " + quote(r+"_node") + " (nodeno, data) VALUES (?, ?)"); err != nil {
		return err
	}
	if _, err := l.tx.Exec("CREATE TABLE " + l.leaves + " (id INTEGER NOT NULL, node INTEGER NOT NULL)"); err != nil {
		return err
	}
	q := "INSERT INTO " + l.leaves + " VALUES (?, ?)" + strings.Repeat(", (?, ?)", l.fanout-1)
	if l.leaf, err = l.tx.Prepare(q); err != nil {
		return err
	}
	l.rowArgs = make([]any, 2*l.fanout)
	l.parent, err = l.tx.Prepare("INSERT INTO " + quote(r+"_parent") + " (nodeno, parentnode) VALUES (?, ?)")
	return err
}

func (l *rtreeLoader) close() {
	for _, s := range []*sql.Stmt{l.node, l.leaf, l.parent} {
		if s != nil {
			s.Close()
		}
	}
}

// load packs the n cells of table into leaves in Hilbert order and builds
// the levels above them, keeping that order. Only the summaries of one
// level (one per fanout features) are held in memory.
func (l *rtreeLoader) load(table string, n int) error {
	rows, err := l.tx.Query("SELECT cell FROM " + table + " ORDER BY hilbert")
	if err != nil {
		return err
	}
	defer rows.Close()
	root := n <= l.fanout // a single leaf is the root itself
	cells := make([]entry, 0, l.fanout)
	var level []entry
	flush := func() error {
		id := int64(1)
		if !root {
			id = l.next
			l.next++
		}
		if err := l.write(id, 0, cells); err != nil {
			return err
		}
		if err := l.mapRows(id, cells); err != nil {
			return err
		}
		level = append(level, cover(id, cells))
		cells = cells[:0]
		return nil
	}
	var c sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&c); err != nil {
			return err
		}
		if len(c) != cellSize {
			return fmt.Errorf("rtree cell of %d bytes", len(c))
		}
		cells = append(cells, getCell(c))
		if len(cells) == l.fanout {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	if len(cells) > 0 {
		if err := flush(); err != nil {
			return err
		}
	}
	if root {
		return nil
	}
	for depth := 1; ; depth++ {
		if len(level) <= l.fanout {
			if err := l.write(1, depth, level); err != nil {
				return err
			}
			return l.parents(1, level)
		}
		var up []entry
		for i := 0; i < len(level); i += l.fanout {
			kids := level[i:min(i+l.fanout, len(level))]
			id := l.next
			l.next++
			if err := l.write(id, 0, kids); err != nil {
				return err
			}
			if err := l.parents(id, kids); err != nil {
				return err
			}
			up = append(up, cover(id, kids))
		}
		level = up
	}
}

// cover returns the entry for node id holding cells.
func cover(id int64, cells []entry) entry {
	e := cells[0]
	for _, c := range cells[1:] {
		e.union(c)
	}
	e.id = id
	return e
}

// write stores node id with its cells; depth is written only in the root.
func (l *rtreeLoader) write(id int64, depth int, cells []entry) error {
	b := l.buf
	clear(b)
	binary.BigEndian.PutUint16(b[0:], uint16(depth))
	binary.BigEndian.PutUint16(b[2:], uint16(len(cells)))
	for i, c := range cells {
		putCell(b[4+i*cellSize:], c)
	}
	_, err := l.node.Exec(id, b)
	return err
}

// mapRows records that the features in cells live in leaf id.
func (l *rtreeLoader) mapRows(id int64, cells []entry) error {
	if len(cells) == l.fanout {
		for i, c := range cells {
			l.rowArgs[2*i], l.rowArgs[2*i+1] = c.id, id
		}
		_, err := l.leaf.Exec(l.rowArgs...)
		return err
	}
	for _, c := range cells {
		if _, err := l.tx.Exec("INSERT INTO "+l.leaves+" VALUES (?, ?)", c.id, id); err != nil {
			return err
		}
	}
	return nil
}

// parents records that the nodes in kids have parent id.
func (l *rtreeLoader) parents(id int64, kids []entry) error {
	for _, k := range kids {
		if _, err := l.parent.Exec(k.id, id); err != nil {
			return err
		}
	}
	return nil
}
