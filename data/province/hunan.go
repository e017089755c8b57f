package province

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
	"os"
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

// CodeList returns the village list at path, or the embedded Hunan codes
// when path is "" (the tests and benchmarks pass GAPMAP_PROVINCE_CSV).
func CodeList(path string) ([]byte, error) {
	if path != "" {
		return os.ReadFile(path)
	}
	return io.ReadAll(Hunan())
}
