package main

import (
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/cmd/gapmap/api"
)

// TestAdmissionSettings: the class budgets are derived from the pool
// size unless named, and every bad value is refused naming its setting.
func TestAdmissionSettings(t *testing.T) {
	load := func(env map[string]string) (Config, error) {
		cfg, err := readSettings(func(k string) string { return env[k] }).config()
		if err == nil {
			err = cfg.Validate()
		}
		return cfg, err
	}
	cfg, err := load(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := api.Admission{API: 4, Export: 2, Heavy: 2, QueuePerSlot: 8, QueueWait: 5 * time.Second, HeavyPerMinute: 6}
	if cfg.MaxConns != 16 || cfg.TileConns != 8 || cfg.Admission != want {
		t.Errorf("defaults: %d conns, tile %d, %+v; want 16, tile 8, %+v", cfg.MaxConns, cfg.TileConns, cfg.Admission, want)
	}
	for n := 4; n <= 64; n++ {
		tile, a := splitConns(n)
		if tile < 1 || a.API < 1 || a.Export < 1 || a.Heavy < 1 || tile+a.Conns() != n {
			t.Errorf("splitConns(%d) = tile %d, %+v: want each ≥ 1 and the sum %d", n, tile, a, n)
		}
	}
	cfg, err = load(map[string]string{"GAPMAP_MAX_CONNS": "10", "GAPMAP_CLASS_CONNS": "tile=4, api=3,export=2,heavy=1",
		"GAPMAP_QUEUE_PER_SLOT": "0", "GAPMAP_QUEUE_WAIT": "1s", "GAPMAP_HEAVY_PER_MIN": "0"})
	want = api.Admission{API: 3, Export: 2, Heavy: 1, QueuePerSlot: 0, QueueWait: time.Second}
	if err != nil || cfg.TileConns != 4 || cfg.Admission != want {
		t.Errorf("named budgets: tile %d, %+v, %v; want tile 4, %+v", cfg.TileConns, cfg.Admission, err, want)
	}
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"GAPMAP_CLASS_CONNS": "tile=8,api=8,export=2,heavy=2"}, "GAPMAP_CLASS_CONNS"},
		{map[string]string{"GAPMAP_CLASS_CONNS": "tile=8,api=4"}, "GAPMAP_CLASS_CONNS"},
		{map[string]string{"GAPMAP_CLASS_CONNS": "tile=8,api=4,export=0,heavy=2"}, "GAPMAP_CLASS_CONNS"},
		{map[string]string{"GAPMAP_CLASS_CONNS": "tiles=8,api=4,export=2,heavy=2"}, "GAPMAP_CLASS_CONNS"},
		{map[string]string{"GAPMAP_MAX_CONNS": "3"}, "max conns"},
		{map[string]string{"GAPMAP_QUEUE_PER_SLOT": "-1"}, "GAPMAP_QUEUE_PER_SLOT"},
		{map[string]string{"GAPMAP_QUEUE_WAIT": "soon"}, "GAPMAP_QUEUE_WAIT"},
		{map[string]string{"GAPMAP_HEAVY_PER_MIN": "many"}, "GAPMAP_HEAVY_PER_MIN"},
	} {
		if _, err := load(tc.env); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error naming %s", tc.env, err, tc.want)
		}
	}
}
