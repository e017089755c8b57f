package main

import "testing"

// TestBadReadDatabaseURL: a read replica URL that does not parse stops
// the server before it starts, naming the setting.
func TestBadReadDatabaseURL(t *testing.T) {
	refusesToServe(t, map[string]string{"GAPMAP_READ_DATABASE_URL": "postgres://[::1"}, "GAPMAP_READ_DATABASE_URL")
}
