package gpkg_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/data/gpkg"
)

// Example writes a one-layer county package and reads it back, as an
// export and the importer would.
func Example() {
	dir, err := os.MkdirTemp("", "gpkg-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "临湘市.gpkg")

	w, err := gpkg.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	defer w.Abort() // deletes the file unless Close succeeded
	villages, err := w.CreateLayer("村点", "贫困村", "", "POINT", gpkg.SRSCGCS2000, []gpkg.Column{
		{Name: "名称", Type: "TEXT"},
		{Name: "人口", Type: "INTEGER", Description: "常住人口（人）"},
		{Name: "建成", Type: "DATE"},
	})
	if err != nil {
		log.Fatal(err)
	}
	built := time.Date(2016, 12, 31, 0, 0, 0, 0, time.UTC)
	if err := villages.Insert(orb.Point{113.45, 29.48}, []any{"羊楼司镇", 1234, built}); err != nil {
		log.Fatal(err)
	}
	if err := villages.Insert(nil, []any{"坦渡", nil, nil}); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	f, err := gpkg.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	layers, err := f.Layers()
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range layers {
		fmt.Printf("%s: %s, %s:%d, %d features\n", l.Name, l.GeometryType, l.Organization, l.OrgCoordsysID, l.Count)
	}
	r, err := f.Read("") // the only layer
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	for r.Next() {
		rec := r.Record()
		fmt.Println(rec.FID, rec.Geometry, rec.Attrs["名称"], rec.Attrs["人口"], rec.Attrs["建成"])
	}
	if err := r.Err(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// 村点: POINT, EPSG:4490, 2 features
	// 1 [113.45 29.48] 羊楼司镇 1234 2016-12-31 00:00:00 +0000 UTC
	// 2 <nil> 坦渡 <nil> <nil>
}
