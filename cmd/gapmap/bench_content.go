package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/gapmap/gapmap/data/catalog"
)

// tileContent is what the tiles of one server hold over a sample of a
// zoom's list, layers named by the table they draw.
type tileContent struct {
	Tiles    int
	Features int
	Bytes    int
	PerTile  []map[string]int           // per tile of the sample: features per layer
	Keys     map[string]map[string]bool // per layer: the attribute keys seen
}

// layerTable names an MVT layer by its table: gapmap's layers by their
// catalogue entry (roads → roads), a table server's by the table after the
// schema (public.roads → roads).
func layerTable(name string) string {
	if l := catalog.Default().TileLayer(name); l != nil {
		return l.Table
	}
	return name[strings.LastIndexByte(name, '.')+1:]
}

// fetchContent requests every tile of list from urlTemplate and decodes it.
func fetchContent(ctx context.Context, client *http.Client, urlTemplate string, list []maptile.Tile) (tileContent, error) {
	c := tileContent{Keys: map[string]map[string]bool{}}
	for _, u := range tileURLs(urlTemplate, list) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return c, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return c, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
			err = fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		if err != nil {
			return c, fmt.Errorf("%s: %w", u, err)
		}
		layers, err := mvt.Unmarshal(body)
		if err != nil {
			return c, fmt.Errorf("%s: decode the tile: %w", u, err)
		}
		counts := map[string]int{}
		for _, l := range layers {
			t := layerTable(l.Name)
			counts[t] += len(l.Features)
			c.Features += len(l.Features)
			if c.Keys[t] == nil {
				c.Keys[t] = map[string]bool{}
			}
			for _, f := range l.Features {
				for k := range f.Properties {
					c.Keys[t][k] = true
				}
			}
		}
		c.Tiles++
		c.Bytes += len(body)
		c.PerTile = append(c.PerTile, counts)
	}
	return c, nil
}

// sample returns up to n tiles of list, spread evenly over it.
func sample(list []maptile.Tile, n int) []maptile.Tile {
	if len(list) <= n {
		return list
	}
	out := make([]maptile.Tile, n)
	for i := range out {
		out[i] = list[i*len(list)/n]
	}
	return out
}

// compareContent decodes the sample's tiles as gapmap serves them (as
// designed), in equal-content mode and from the peer, prints features and
// bytes of each, whether equal content and the peer hold the same features
// per layer in every tile and the same attributes, and the ratios of the
// load runs with what each compares.
func compareContent(ctx context.Context, w io.Writer, client *http.Client, z int, list []maptile.Tile, urls map[string]string, res map[string]loadResult) error {
	content := map[string]tileContent{}
	for _, name := range []string{"cold", "equal", "peer"} {
		c, err := fetchContent(ctx, client, urls[name], list)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// A server that times out on a huge tile fails one zoom's
			// comparison, not the benchmark.
			fmt.Fprintf(w, "content z%d: not compared: %s tiles: %v\n", z, name, err)
			return nil
		}
		content[name] = c
	}
	designed, equal, peer := content["cold"], content["equal"], content["peer"]
	same, firstDiff := 0, ""
	for i := range equal.PerTile {
		if maps.Equal(equal.PerTile[i], peer.PerTile[i]) {
			same++
		} else if firstDiff == "" {
			firstDiff = fmt.Sprintf("; first difference %d/%d/%d: gapmap %v, peer %v",
				list[i].Z, list[i].X, list[i].Y, equal.PerTile[i], peer.PerTile[i])
		}
	}
	attrs := "same attributes"
	for t, keys := range peer.Keys {
		if !maps.Equal(keys, equal.Keys[t]) {
			attrs = fmt.Sprintf("attributes differ in %s: gapmap %v, peer %v", t, slices.Sorted(maps.Keys(equal.Keys[t])), slices.Sorted(maps.Keys(keys)))
			break
		}
	}
	kb := func(c tileContent) float64 { return float64(c.Bytes) / 1024 / float64(max(c.Tiles, 1)) }
	perTile := func(c tileContent) float64 { return float64(c.Features) / float64(max(c.Tiles, 1)) }
	fmt.Fprintf(w, "content z%d, %d tiles: features/tile and KB/tile: as designed %.0f, %.1f KB; equal content %.0f, %.1f KB; peer %.0f, %.1f KB; "+
		"equal content = peer (features per layer) in %d of %d tiles, %s%s\n",
		z, equal.Tiles, perTile(designed), kb(designed), perTile(equal), kb(equal), perTile(peer), kb(peer), same, equal.Tiles, attrs, firstDiff)
	share := func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return 100 * a / b
	}
	ratio := func(a, b loadResult) string {
		if b.RPS() == 0 || b.P99 == 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.2f× tiles/s, p99 %.2f×", a.RPS()/b.RPS(), float64(a.P99)/float64(b.P99))
	}
	fmt.Fprintf(w, "ratio   z%d: as designed/peer %s (gapmap sends %.1f %% of the peer's features, %.1f %% of its bytes); equal content/peer %s (same content in %d of %d tiles); warm/peer %s\n",
		z, ratio(res["cold"], res["peer"]), share(perTile(designed), perTile(peer)), share(kb(designed), kb(peer)),
		ratio(res["equal"], res["peer"]), same, equal.Tiles, ratio(res["warm"], res["peer"]))
	return nil
}
