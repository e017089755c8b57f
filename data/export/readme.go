package export

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// readmeText returns the zip's README.txt: UTF-8 with a BOM and CRLF line
// ends, so that Notepad on older Windows shows the Chinese.
func readmeText(meta Meta, layers []layerSummary, encoding string) string {
	var b strings.Builder
	line := func(format string, args ...any) {
		fmt.Fprintf(&b, format, args...)
		b.WriteString("\r\n")
	}
	title := "Shapefile 数据导出说明"
	if meta.Source != "" {
		title = meta.Source + " — " + title
	}
	b.WriteString("\uFEFF")
	line("%s", title)
	line("%s", strings.Repeat("=", 40))
	line("")
	for _, kv := range metaRows(meta, layers, encoding) {
		line("%s：%s", kv[0], kv[1])
	}
	line("")
	line("图层")
	line("----")
	for i, s := range layers {
		l := s.layer
		line("%d. %s（%s）：%s，%d 个要素", i+1, l.label(), l.Name, geometryChinese(l.Geometry), s.count)
		if l.Description != "" {
			line("   说明：%s", l.Description)
		}
		if len(s.files) > 0 {
			line("   文件：%s（各附同名 .shx .dbf .cpg%s）", strings.Join(s.files, "、"), prjNote(l))
			line("   记录：%s", strings.Join(s.counts, "，"))
		}
		if crs := layerCRS([]layerSummary{s}); crs != "" {
			line("   坐标系：%s", crs)
		}
		if len(s.fields) > 0 {
			line("   字段对照（短字段名 → 字段名 → 中文名 → 类型；另见 %s_fields.csv）：", l.Name)
			width := 0
			for _, f := range s.fields {
				width = max(width, utf8.RuneCountInString(f[0]))
			}
			for _, f := range s.fields {
				line("     %s%s → %s → %s → %s", f[0], strings.Repeat(" ", width-utf8.RuneCountInString(f[0])), f[1], f[2], f[3])
			}
		}
		for _, n := range s.notes {
			line("   注意：%s", n)
		}
	}
	if missing := missingLayers(meta, layers); len(missing) > 0 {
		line("未导出（无数据）：%s", strings.Join(missing, "、"))
	}
	line("")
	line("关于 Shapefile 格式")
	line("------------------")
	line("- dBASE 字段名最长 10 个字节，较长的字段名已按上表缩短（重名时末尾加 _1、_2）。")
	line("- 文本字段最长 254 个字节（GBK 每个汉字 2 字节，UTF-8 每个汉字 3 字节），超出部分在完整字符处截断，并在上方注明。")
	line("- 日期时间字段以文本（yyyy-mm-dd hh:mm:ss）保存；是否字段为 T/F。")
	line("- 一个 Shapefile 只能保存一种几何类型：混合几何的图层按点（_point）、多点（_multipoint）、线（_line）、面（_polygon）分别保存。")
	line("- 面要素外环为顺时针、内环（洞）为逆时针，符合 Shapefile 规范。")
	line("- 单个 .shp 或 .dbf 文件不能超过 2 GB；数据量更大时请改用 GeoPackage 格式。")
	return b.String()
}

func prjNote(l Layer) string {
	if l.PRJ == "" {
		return "；无 .prj"
	}
	return " .prj"
}
