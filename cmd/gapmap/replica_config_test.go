package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data/datatest"
)

// TestBadReadDatabaseURL: a read replica URL that does not parse stops
// the server before it starts, naming the setting.
func TestBadReadDatabaseURL(t *testing.T) {
	env := func(k string) string {
		switch k {
		case "GAPMAP_READ_DATABASE_URL":
			return "postgres://[::1"
		case "GAPMAP_ADDR":
			return "127.0.0.1:0"
		}
		return ""
	}
	// Bounded: a server that wrongly starts stops on its own.
	ctx, cancel := context.WithTimeout(datatest.Context(), 3*time.Second)
	defer cancel()
	err := run(ctx, []string{"serve"}, env, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "GAPMAP_READ_DATABASE_URL") {
		t.Errorf("serve with a bad GAPMAP_READ_DATABASE_URL: %v, want an error naming it", err)
	}
}
