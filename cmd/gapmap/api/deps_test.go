package api

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestHTTPOnlyInAPI keeps HTTP in this package: the domain, the table
// writer and the tile engine import none of it, not even through a
// dependency, and this package reaches the database only through the
// interfaces planning and tiles declare, never package data.
func TestHTTPOnlyInAPI(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("the go command is missing in CI")
		}
		t.Skip("the go command is not on PATH")
	}
	httpPkgs := []string{"net/http", "github.com/gorilla/mux", "mime/multipart"}
	dataPkgs := []string{"github.com/gapmap/gapmap/data", "github.com/jackc/pgx/v5"}
	cases := []struct {
		pkg       string
		forbidden []string
	}{
		{"github.com/gapmap/gapmap/planning", append(httpPkgs, dataPkgs...)},
		{"github.com/gapmap/gapmap/planning/table", append(httpPkgs, dataPkgs...)},
		{"github.com/gapmap/gapmap/tiles", append(httpPkgs, dataPkgs...)},
		{"github.com/gapmap/gapmap/cmd/gapmap/api", dataPkgs},
	}
	for _, tc := range cases {
		out, err := exec.Command(goTool, "list", "-deps", tc.pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", tc.pkg, err, out)
		}
		deps := strings.Fields(string(out))
		for _, f := range tc.forbidden {
			if slices.Contains(deps, f) {
				t.Errorf("%s depends on %s", tc.pkg, f)
			}
		}
	}
}
