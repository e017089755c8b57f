package api_test

import (
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
)

// TestScoresAsOf: every unpaved road is paved with effective date
// 2019-01-01, the county is scored as of 2018-12-31 (run A) and today
// (run B). The gap list, the village panel and the tiles as_of=2018-12-31
// show run A's scores (read back in SQL), those without as_of run B's, on
// a village whose 通路 gap the paving changed; a date without its run is a
// Chinese 404 and its tiles carry no score, never today's.
func TestScoresAsOf(t *testing.T) {
	f := newFixture(t)
	ctx := datatest.Context()
	if err := f.db.ExecOn("2019-01-01", `UPDATE roads SET surface = '水泥' WHERE surface IN ('土', '砂石')`); err != nil {
		t.Fatal(err)
	}
	p, err := planning.CountyProfile(ctx, f.db.Store, nil)
	if err != nil {
		t.Fatal(err)
	}
	past, _, err := planning.ScoreOn(ctx, f.db.Store, p, planning.YearEnd(2018), true, nil)
	if err != nil {
		t.Fatal(err)
	}
	live, _, err := planning.ScoreOn(ctx, f.db.Store, p, time.Now().UTC().Truncate(24*time.Hour), false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.server.Refresh(ctx); err != nil {
		t.Fatal(err)
	}

	// The oracle: a village whose 通路 gap differs between the two runs, from the runs' rows.
	var code string
	var lon, lat float64
	var villageID int64
	var gapA, gapB float64
	if err := f.db.Pool.QueryRow(ctx, `SELECT v.code, v.id, ST_X(v.office), ST_Y(v.office), a.gap_road, b.gap_road
		FROM villages v JOIN run_scores a ON a.village_id = v.id AND a.run_id = $1
		JOIN run_scores b ON b.village_id = v.id AND b.run_id = $2
		WHERE v.office IS NOT NULL AND a.gap_road IS DISTINCT FROM b.gap_road AND a.gap_road IS NOT NULL AND b.gap_road IS NOT NULL
		ORDER BY v.code LIMIT 1`, past.ID, live.ID).Scan(&code, &villageID, &lon, &lat, &gapA, &gapB); err != nil {
		t.Fatalf("no village whose 通路 gap the paving changed (the test proves nothing): %v", err)
	}

	type gapsPage struct {
		RunID    int64 `json:"run_id"`
		Villages []planning.GapRow
	}
	type panel struct {
		RunID   int64 `json:"run_id"`
		Village planning.VillageScore
	}
	roadOf := func(rows []planning.GapRow) *float64 {
		for _, r := range rows {
			if r.Code == code {
				return r.Gaps["通路"]
			}
		}
		return nil
	}
	for _, c := range []struct {
		query string
		run   int64
		gap   float64
	}{{"as_of=2018-12-31", past.ID, gapA}, {"", live.ID, gapB}, {"as_of=" + time.Now().Format(time.DateOnly), live.ID, gapB}} {
		page := decode[gapsPage](t, f.get(t, "/api/v1/gaps?dimension=通路&page_size=1000&"+c.query))
		if got := roadOf(page.Villages); page.RunID != c.run || got == nil || math.Abs(*got-c.gap) > 1e-9 {
			t.Errorf("gaps %q: run %d, %s 通路 %v; want run %d, %v", c.query, page.RunID, code, got, c.run, c.gap)
		}
		v := decode[panel](t, f.get(t, "/api/v1/villages/"+code+"/gaps?"+c.query))
		var got *float64
		for _, d := range v.Village.Dimensions {
			if d.Dimension == "通路" {
				got = d.Gap
			}
		}
		if v.RunID != c.run || got == nil || math.Abs(*got-c.gap) > 1e-9 {
			t.Errorf("village %s %q: run %d, 通路 %v; want run %d, %v", code, c.query, v.RunID, got, c.run, c.gap)
		}
	}

	// The tiles of the date colour the village by run A, today's by run B,
	// and a date without a run by nothing.
	tile := maptile.At(orb.Point{lon, lat}, 14)
	for _, c := range []struct {
		query string
		gap   *float64
	}{{"as_of=2018-12-31", &gapA}, {"", &gapB}, {"as_of=2017-12-31", nil}} {
		var got any
		found := false
		for _, feat := range decodeTile(t, f.get(t, tileURL("review", tile, c.query), "Accept-Encoding", "gzip"))["villages"].Features {
			if int64(featureID(t, feat)) == villageID {
				found, got = true, feat.Properties["gap_road"]
			}
		}
		g, isNum := got.(float64)
		switch {
		case !found:
			t.Errorf("tile %q: village %s missing", c.query, code)
		case c.gap == nil && got != nil:
			t.Errorf("tile %q: village %s 通路 %v, want none (no run of that date)", c.query, code, got)
		case c.gap != nil && (!isNum || math.Abs(g-*c.gap) > 1e-6):
			t.Errorf("tile %q: village %s 通路 %v, want %v", c.query, code, got, *c.gap)
		}
	}

	// The run of a date, as the page asks for it before the scores.
	for day, want := range map[string]int64{"2018-12-31": past.ID, "2017-12-31": 0, time.Now().Format(time.DateOnly): live.ID} {
		rec := f.get(t, "/api/v1/scoring-runs?as_of="+day)
		got := decode[struct {
			AsOf string `json:"as_of"`
			Run  *planning.Run
		}](t, rec)
		if rec.Code != http.StatusOK || got.AsOf != day || (want == 0) != (got.Run == nil) || (got.Run != nil && got.Run.ID != want) {
			t.Errorf("run of %s: %d %s, want run %d", day, rec.Code, rec.Body, want)
		}
	}

	// A date without its run is said so, in Chinese; run and as_of together are refused.
	for _, u := range []string{"/api/v1/gaps?as_of=2017-12-31", "/api/v1/villages/" + code + "/gaps?as_of=2017-12-31"} {
		if rec := f.get(t, u); rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "2017-12-31 没有评分结果") {
			t.Errorf("%s: %d %s, want 404 没有评分结果", u, rec.Code, rec.Body)
		}
	}
	if rec := f.get(t, "/api/v1/gaps?as_of=2018-12-31&run=1"); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "只能给一个") {
		t.Errorf("run and as_of: %d %s, want 400", rec.Code, rec.Body)
	}
}
