package api

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/tiles"
	"github.com/gapmap/gapmap/tiles/admit"
)

// TestRouteClasses: every download is in the export class (so it is
// spooled), every tile route in the tile class, and the heavy class holds
// exactly the routes that run long database work.
func TestRouteClasses(t *testing.T) {
	s := &server{tiles: tiles.NewService(nil, tiles.NewCache(0), time.Second, admit.NewGate(1, 0, time.Second))}
	heavy := []string{"POST /api/v1/scoring-runs", "POST /api/v1/projects/generate", "POST /api/v1/plans", "POST /api/v1/plan-scenarios",
		"GET /api/v1/progress", "POST /api/v1/poverty/imports", "GET /api/v1/audit/verify", "POST /api/v1/layers/{layer}/imports"}
	var gotHeavy []string
	for _, rt := range s.routes(time.Second) {
		name := strings.Join(rt.methods, ",") + " " + rt.path
		switch {
		case strings.Contains(rt.path, "export") && rt.class != classExport:
			t.Errorf("%s: class %s, want export (spooled)", name, rt.class)
		case strings.HasPrefix(rt.path, "/tiles/") && rt.class != classTile:
			t.Errorf("%s: class %s, want tile", name, rt.class)
		case rt.class == classOpen && rt.action != public:
			t.Errorf("%s: open class but needs %q: routes that read data are admitted", name, rt.action)
		case rt.class == classHeavy:
			gotHeavy = append(gotHeavy, name)
		}
		if rt.class == classExport && !slices.Equal(rt.methods, []string{http.MethodGet}) {
			t.Errorf("%s: an export class route must be a GET", name)
		}
	}
	if !slices.Equal(gotHeavy, heavy) {
		t.Errorf("heavy routes %v, want %v", gotHeavy, heavy)
	}
}
