package catalog_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data/catalog"
)

// wells is a plain layer: everything but its fields and zoom is derived.
var wells = catalog.Layer{Table: "wells", Title: "机井", GeomCol: "geom", Geometry: catalog.GeomPoint, Role: catalog.RolePoint, Key: []string{"ext_id"},
	Fields: []catalog.Field{
		{Column: "name", Title: "机井名称", Aliases: []string{"井名", "名称"}, Tile: true},
		{Column: "depth_m", Title: "井深（米）", Kind: catalog.Float, Aliases: []string{"井深"}, Units: []string{"m", "米"}, Check: "井深（米）必须大于0且不超过500", Tile: true},
		{Column: "pump_kw", Title: "水泵功率（kW）", Kind: catalog.Float},
		{Column: "crops", Title: "灌溉作物", Kind: catalog.TextList, Tile: true},
		catalog.ExtID,
	},
	Tile: &catalog.Tile{MinZoom: 12},
}

func TestPlainLayerIsDerived(t *testing.T) {
	c, err := catalog.New(wells)
	if err != nil {
		t.Fatal(err)
	}
	l := c.Layer("wells")
	if l == nil || c.TileLayer("wells") != l || l.PointCol != "geom" {
		t.Fatalf("wells not found by table and tile id, or no point column: %+v", l)
	}
	tile := l.Tile
	if tile.ID != "wells" || tile.Title != "机井" || !slices.Equal(tile.Tables, []string{"wells"}) || tile.MaxZoom != 0 {
		t.Errorf("tile: id %q title %q tables %v maxzoom %d", tile.ID, tile.Title, tile.Tables, tile.MaxZoom)
	}
	want := catalog.TileSQL{From: "wells g", Geom: "g.geom_3857", Filter: "g.geom_3857 && env.b3857",
		Attrs: "g.id, g.name, g.depth_m, array_to_string(g.crops, '、') AS crops", Order: "g.id", Budget: catalog.DefaultBudget}
	if tile.SQL != want {
		t.Errorf("tile SQL\n got %+v\nwant %+v", tile.SQL, want)
	}
	if got := tile.Fields(); !maps.Equal(got, map[string]string{"name": "String", "depth_m": "Number", "crops": "String"}) {
		t.Errorf("tile fields %v", got)
	}
	if got := l.CheckReason("wells_depth_m_check"); got != "井深（米）必须大于0且不超过500" {
		t.Errorf("check reason %q", got)
	}
	if l.CheckReason("wells_name_check") != "" || l.CheckReason("roads_depth_m_check") != "" || c.CheckReason("roads", "roads_grade_check") != "" {
		t.Error("a reason for a constraint the entry does not explain")
	}
	// The entry given is not changed.
	if wells.Tile.SQL.From != "" || wells.PointCol != "" {
		t.Errorf("New modified its argument: %+v", wells)
	}
}

func TestWithLeavesTheCatalogueAlone(t *testing.T) {
	def := catalog.Default()
	before := def.Tables()
	c, err := def.With(wells)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Tables(); !slices.Equal(got, append(slices.Clone(before), "wells")) {
		t.Errorf("extended tables %v", got)
	}
	if def.Layer("wells") != nil || !slices.Equal(def.Tables(), before) {
		t.Error("With changed the default catalogue")
	}
	if c.Layer("villages").Title != "村" || c.Title("sources") != "数据来源" || c.Title(catalog.VillageGaps) != "村缺口评分" {
		t.Error("the extended catalogue lost a title")
	}
	if _, err := c.With(wells); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("a second wells: %v", err)
	}
}

func TestDefaultCatalogue(t *testing.T) {
	c := catalog.Default()
	if got := c.Tables(); len(got) != 15 || got[0] != "counties" || got[14] != "projects" {
		t.Errorf("tables %v", got)
	}
	// Clients know the counties' tiles as "county".
	if c.TileLayer("county") != c.Layer("counties") || c.TileLayer("counties") != nil {
		t.Error("county tile id")
	}
	if got := c.CheckReason("villages", "villages_parent_id_check"); !strings.Contains(got, "所属行政村") {
		t.Errorf("a reason kept on the layer: %q", got)
	}
	if got := c.CheckReason("roads", "roads_width_m_check"); !strings.Contains(got, "路面宽度") {
		t.Errorf("a reason kept on a field: %q", got)
	}
	for _, l := range c.Layers() {
		if l.Tile == nil || len(l.Tile.Fields()) == 0 {
			t.Errorf("%s: no tile attributes", l.Table)
		}
		if l.Field("ext_id") == nil {
			t.Errorf("%s: no ext_id", l.Table)
		}
	}
}

func TestNewRefuses(t *testing.T) {
	for name, change := range map[string]func(l *catalog.Layer){
		"quoted table":      func(l *catalog.Layer) { l.Table = `wells"; DROP` },
		"no title":          func(l *catalog.Layer) { l.Title = "" },
		"geometry type":     func(l *catalog.Layer) { l.Geometry = "Curve" },
		"seat without area": func(l *catalog.Layer) { l.Role = catalog.RoleSeat },
		"field twice":       func(l *catalog.Layer) { l.Fields = append(l.Fields, l.Fields[0]) },
		"field title":       func(l *catalog.Layer) { l.Fields[0].Title = "" },
		"extra tile attributes without SQL": func(l *catalog.Layer) {
			l.Tile.Extra = map[string]catalog.Kind{"score": catalog.Float}
		},
		"tile set all": func(l *catalog.Layer) { l.Tile.Sets = []string{"all"} },
		"low without zoom": func(l *catalog.Layer) {
			l.Tile.SQL.Low = &catalog.TileSQL{From: "x g", Geom: "g.geom", Filter: "true", Attrs: "g.id", Order: "g.id", Budget: 1}
		},
	} {
		t.Run(name, func(t *testing.T) {
			l := wells
			l.Fields = slices.Clone(wells.Fields)
			tile := *wells.Tile
			l.Tile = &tile
			change(&l)
			if _, err := catalog.New(l); err == nil {
				t.Errorf("accepted %+v", l)
			}
		})
	}
	if _, err := catalog.New(wells, catalog.Layer{Table: "pumps", Title: "泵站", GeomCol: "geom", Geometry: catalog.GeomPoint, Role: catalog.RolePoint,
		Tile: &catalog.Tile{ID: "wells"}}); err == nil || !strings.Contains(err.Error(), "tile id") {
		t.Errorf("a tile id taken twice: %v", err)
	}
}
