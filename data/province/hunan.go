package province

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
)

//go:embed testdata/hunan_villages_2023.csv.gz
var hunanGz []byte

// Hunan returns the 29,534 real Hunan village codes (NBS 2023, from
// shared/data/real/hunan_villages_2023.csv) as CSV, the default input of
// the province benchmarks.
func Hunan() io.Reader {
	zr, err := gzip.NewReader(bytes.NewReader(hunanGz))
	if err != nil {
		panic("province: embedded Hunan list is corrupt: " + err.Error())
	}
	return zr
}
