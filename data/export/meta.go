package export

import (
	"fmt"
	"slices"
	"strings"
)

// layerSummary is what the README and the 说明 sheet say about a layer
// once it is written.
type layerSummary struct {
	layer  Layer
	count  int         // features written
	files  []string    // the sheet, or the Shapefile's .shp files, e.g. "roads_line.shp"
	counts []string    // Shapefile: records per file, e.g. "线 12 条"
	fields [][4]string // Shapefile: short name, name, title, type
	notes  []string    // Chinese sentences, e.g. truncations
}

// geometryChinese names a declared geometry type for people: its
// Shapefile family's name, or 混合几何 for a mixed layer.
func geometryChinese(g string) string {
	if f, ok := declaredFamily(g); ok {
		return f.chinese()
	}
	return "混合几何"
}

// metaRows returns the export's key facts as 项目/内容 pairs, in the order
// both the README and the 说明 sheet print them. encoding is "" except for
// the Shapefile.
func metaRows(meta Meta, layers []layerSummary, encoding string) [][2]string {
	var rows [][2]string
	add := func(k, v string) {
		if v != "" {
			rows = append(rows, [2]string{k, v})
		}
	}
	add("数据来源", meta.Source)
	if !meta.ExportedAt.IsZero() {
		add("导出时间", meta.ExportedAt.Format("2006-01-02 15:04"))
	}
	add("数据版本", meta.DataVersion)
	crs := meta.CRS
	if crs == "" {
		crs = layerCRS(layers)
	}
	add("坐标系", crs)
	add("字符编码", encoding)
	add("筛选条件", FiltersText(meta.Filters))
	add("署名", meta.Attribution)
	if len(meta.Synthetic) > 0 {
		add("数据性质", SyntheticNote(meta.Synthetic))
	}
	add("几何置空", strings.Join(meta.Dropped, "；"))
	return rows
}

// SyntheticNote says in Chinese that the geometry of the named generator
// sources is synthetic: the exports' 数据性质 and the tiles' attribution.
func SyntheticNote(sources []string) string {
	return "几何为程序生成的合成数据，不是真实地理（来源：" + strings.Join(sources, "、") + "）"
}

// layerCRS describes the layers' CRS when Meta.CRS is empty.
func layerCRS(layers []layerSummary) string {
	var seen []string
	for _, s := range layers {
		c := s.layer.SRSName
		if c == "" && s.layer.SRID != 0 {
			c = fmt.Sprintf("EPSG:%d", s.layer.SRID)
		}
		if c != "" && !slices.Contains(seen, c) {
			seen = append(seen, c)
		}
	}
	return strings.Join(seen, "；")
}

// FiltersText is the filters in Chinese, sorted, for every format's
// metadata.
func FiltersText(f map[string]string) string {
	if len(f) == 0 {
		return "无（全部数据）"
	}
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "：" + f[k]
	}
	return strings.Join(parts, "；")
}

// missingLayers returns the names in meta.Layers that no written layer has.
func missingLayers(meta Meta, layers []layerSummary) []string {
	var out []string
	for _, name := range meta.Layers {
		if !slices.ContainsFunc(layers, func(s layerSummary) bool { return s.layer.Name == name }) {
			out = append(out, name)
		}
	}
	return out
}
