package ingest

import (
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gapmap/gapmap/planning"
)

// SourceOSM is the source of OpenStreetMap features: their ids
// ("osm:way/123") are global, whichever extract they come from.
const SourceOSM = "osm"

// DefaultSource is the dataset a file's feature ids belong to when the
// user names none: the file's name without its extension, so that
// 道路.shp, 道路.zip and 道路.shp.zip are the same dataset 道路 and a
// re-import of the file updates its own rows. Migration 0013 computes the
// same from the provenance rows of earlier imports; keep the two equal.
func DefaultSource(name string) string {
	s := strings.TrimSuffix(name, filepath.Ext(name))
	if strings.EqualFold(filepath.Ext(s), ".shp") {
		s = strings.TrimSuffix(s, filepath.Ext(s))
	}
	if s = strings.TrimSpace(s); s == "" {
		return strings.TrimSpace(name)
	}
	return s
}

// maxSourceRunes bounds a source name: it is stored on every row.
const maxSourceRunes = 64

// ResolveSource sets info.Source to the dataset the user names (--source
// or the API's source field), when they name one. OpenStreetMap keeps
// osm: its ids are global, and another name would let two extracts hold
// the same element twice; the report says so.
func ResolveSource(given string, info *Info, rep *planning.ImportReport) error {
	given = strings.TrimSpace(given)
	if given == "" {
		return nil
	}
	if info.Source == SourceOSM {
		if given != SourceOSM {
			rep.Add(planning.ImportProblem{Field: "source_key", Value: given, Severity: planning.SeverityWarning,
				Reason: "OpenStreetMap 的要素编号全球唯一，来源数据集固定为 osm，--source 未使用"})
		}
		return nil
	}
	if n := utf8.RuneCountInString(given); n > maxSourceRunes {
		return planning.Errorf(planning.EInvalid, "来源数据集名称“%s…”太长（%d 个字），最多 %d 个字", string([]rune(given)[:20]), n, maxSourceRunes)
	}
	if strings.IndexFunc(given, unicode.IsControl) >= 0 {
		return planning.Errorf(planning.EInvalid, "来源数据集名称 %q 含控制字符", given)
	}
	info.Source = given
	return nil
}

// Text encodings the user may name (OpenOptions.Encoding).
const (
	encodingUTF8 = "utf-8"
	encodingGBK  = "gbk"
)

// parseEncoding reads the user's encoding: utf-8 or gbk in their common
// spellings (GB18030, GB2312 and CP936 read as GBK: GB18030 decodes all of
// them), "" for detection.
func parseEncoding(s string) (string, error) {
	switch strings.ToLower(strings.NewReplacer("-", "", "_", "", " ", "").Replace(s)) {
	case "":
		return "", nil
	case "utf8":
		return encodingUTF8, nil
	case "gbk", "gb18030", "gb2312", "cp936", "936":
		return encodingGBK, nil
	}
	return "", planning.Errorf(planning.EInvalid, "未知的字符编码 %q：可选 utf-8 或 gbk（不填则自动识别）", s)
}
