package feature

import (
	"errors"
	"fmt"
	"strings"

	"github.com/paulmach/orb"
)

// Sentinels for errors.Is; a [*FormatError] wraps one of them. Their text
// is only a fallback: users see FormatError's Chinese message.
var (
	ErrSyntax     = errors.New("feature: malformed file")         // not JSON, truncated JSON, bad CSV quoting
	ErrStructure  = errors.New("feature: unexpected structure")   // not a FeatureCollection, a member that is not a Feature
	ErrGeometry   = errors.New("feature: bad geometry")           // unknown type, too few positions, unclosed ring, bad WKT
	ErrHeader     = errors.New("feature: bad header")             // CSV without a header, duplicate or missing geometry columns
	ErrFieldCount = errors.New("feature: wrong number of fields") // a CSV row longer or shorter than the header
	ErrValue      = errors.New("feature: bad value")              // a longitude or latitude that is not a number
	ErrTooLarge   = errors.New("feature: over a size limit")      // a feature, line, string or nesting past what a real file holds (a bomb)
)

// Record is one feature or table row.
type Record struct {
	Index    int            // 0-based number of the feature or data row
	Line     int            // 1-based line of a GeoJSONSeq feature, or the CSV row as Excel numbers it (header = 1); 0 in a FeatureCollection
	Geometry orb.Geometry   // XY in the file's coordinates (a height dropped, see [GeoJSONReader.Dims]); nil for a null geometry or a row without coordinates
	Attrs    map[string]any // see OpenGeoJSON and OpenCSV for the value types
	ID       string         // a GeoJSON feature's "id"; "" when absent and for CSV rows
}

// FormatError reports a fault in a GeoJSON or CSV file in terms its owner
// can act on: which feature or row, which column, and why.
type FormatError struct {
	Feature int    // 0-based feature number (GeoJSON), or -1
	Line    int    // 1-based line (GeoJSONSeq) or Excel row (CSV), or 0
	Column  string // CSV column name, "" unless the fault is in one value
	Reason  string // what is wrong, in Chinese
	Err     error  // one of the Err* sentinels, or the underlying I/O error
}

// Error returns the Chinese message, e.g. `第 3 个要素：几何无效：…` or
// `第 12 行“经度”列的值 "113,4" 不是数字`. Features are counted from 1
// for people.
func (e *FormatError) Error() string {
	var b strings.Builder
	switch {
	case e.Line > 0 && e.Feature >= 0:
		fmt.Fprintf(&b, "第 %d 行（第 %d 个要素）", e.Line, e.Feature+1)
	case e.Line > 0:
		fmt.Fprintf(&b, "第 %d 行", e.Line)
	case e.Feature >= 0:
		fmt.Fprintf(&b, "第 %d 个要素", e.Feature+1)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, "“%s”列", e.Column)
	} else if b.Len() > 0 {
		b.WriteString("：")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Unwrap returns the sentinel or I/O error behind e.
func (e *FormatError) Unwrap() error { return e.Err }
