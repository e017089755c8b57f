package table

import (
	"fmt"
	"io"
	"testing"

	"github.com/gapmap/gapmap/planning"
)

// BenchmarkWriteXLSX writes the 申报表 workbook of 10,000 projects in
// 20 乡镇 and the fixture's categories, about 1,000 subtotal formulas.
func BenchmarkWriteXLSX(b *testing.B) {
	base := tableProjects()
	ps := make([]planning.Project, 10000)
	for i := range ps {
		p := base[i%len(base)]
		p.ID = int64(i + 1)
		p.Code = fmt.Sprintf("430682-%05d", i+1)
		p.TownshipCode = fmt.Sprintf("4306821%02d", i%20)
		p.TownshipName = fmt.Sprintf("第%d镇", i%20)
		p.VillageCode = fmt.Sprintf("4306821%02d%03d", i%20, i%300)
		ps[i] = p
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := WriteXLSX(io.Discard, ps, tableMeta); err != nil {
			b.Fatal(err)
		}
	}
}
