package planning

import (
	"context"
	"time"
)

// Run is one scoring run: the profile it used, the data it saw and when.
type Run struct {
	ID          int64     `json:"id"`
	ProfileName string    `json:"profile_name"`
	ProfileHash string    `json:"profile_hash"`
	Profile     Profile   `json:"profile"`
	AsOf        time.Time `json:"as_of"` // reference date for ages such as water tests
	// LayersAsOf is the date whose layers the run scored (their history,
	// as of the end of that day); nil: the layers as they are.
	LayersAsOf  *time.Time       `json:"layers_as_of"`
	DataVersion map[string]int64 `json:"data_version"` // layer versions seen by the run
	Status      string           `json:"status"`
	Villages    int              `json:"villages"`
	// Rescored counts the villages measured and judged afresh; the rest
	// were copied from BaseRunID because no change since it can affect them.
	Rescored        int       `json:"rescored"`
	BaseRunID       int64     `json:"base_run_id,omitempty"`
	ChangeWatermark int64     `json:"change_watermark"` // the last recorded data change the run saw
	StartedAt       time.Time `json:"started_at"`
	FinishedAt      time.Time `json:"finished_at"`
}

// ScoreStore is the persistence scoring needs.
type ScoreStore interface {
	// VillageFacts measures the village units with the given ids (all when
	// ids is nil) under p, and returns the layer versions the facts come
	// from.
	VillageFacts(ctx context.Context, p Profile, asOf time.Time, ids []int64) ([]Facts, map[string]int64, error)
	// ChangeWatermark returns a watermark of the change log: every change
	// with an id up to it has committed, and every change committing later
	// gets a greater id, so a change is either in the run that took it or
	// in the next. It waits for the edits being written.
	ChangeWatermark(ctx context.Context) (int64, error)
	// StaleVillages lists the village units that changes recorded after
	// base's watermark, up to watermark, can affect; every unit when the
	// log after base's watermark is no longer whole.
	StaleVillages(ctx context.Context, base Run, p Profile, watermark int64) ([]int64, error)
	// SaveRun stores run and scores in one transaction and sets run.ID.
	// When run.BaseRunID is set, the base run's scores of the villages not
	// in scores are copied into the new run.
	SaveRun(ctx context.Context, run *Run, scores []VillageScore) error
	// LatestRun returns the newest finished run, or an ENotFound error.
	LatestRun(ctx context.Context) (Run, error)
}

// Score runs a scoring under p: PostGIS measures, Go judges, and the run is
// stored with every judgement. When full is false and the latest run used
// the same profile and reference date, only the villages that changes since
// that run can affect are measured again; the others are copied. progress,
// when not nil, is told how many villages are scored.
func Score(ctx context.Context, store ScoreStore, p Profile, asOf time.Time, full bool, progress func(done, total int)) (Run, []VillageScore, error) {
	run := Run{ProfileName: p.Name, ProfileHash: p.Hash(), Profile: p, AsOf: asOf, StartedAt: time.Now()}
	// Changes after the watermark are left to the next run, even if the
	// facts below happen to see them; those up to it have all committed
	// before the facts are read.
	watermark, err := store.ChangeWatermark(ctx)
	if err != nil {
		return run, nil, err
	}
	run.ChangeWatermark = watermark
	var ids []int64
	if !full {
		base, err := store.LatestRun(ctx)
		switch {
		case ErrorCode(err) == ENotFound:
		case err != nil:
			return run, nil, err
		case base.ProfileHash == run.ProfileHash && base.AsOf.Equal(asOf) && sameDay(base.LayersAsOf, layersOf(store)):
			if ids, err = store.StaleVillages(ctx, base, p, watermark); err != nil {
				return run, nil, err
			}
			run.BaseRunID = base.ID
			if ids == nil {
				ids = []int64{}
			}
		}
	}
	facts, versions, err := store.VillageFacts(ctx, p, asOf, ids)
	if err != nil {
		return run, nil, err
	}
	run.DataVersion = versions
	scores := make([]VillageScore, len(facts))
	for i, f := range facts {
		scores[i] = ScoreVillage(f, p)
		if progress != nil && (i%100 == 99 || i == len(facts)-1) {
			progress(i+1, len(facts))
		}
	}
	run.Status, run.Rescored, run.FinishedAt = "done", len(scores), time.Now()
	if err := store.SaveRun(ctx, &run, scores); err != nil {
		return run, nil, err
	}
	return run, scores, nil
}

// layersOf is the date whose layers store reads when it reads their
// history (see PastLayers), nil for the layers as they are. A run is the
// base of another only when both read the same layers.
func layersOf(store ScoreStore) *time.Time {
	if h, ok := store.(interface{ LayersAsOf() *time.Time }); ok {
		return h.LayersAsOf()
	}
	return nil
}

func sameDay(a, b *time.Time) bool {
	return (a == nil) == (b == nil) && (a == nil || a.Equal(*b))
}

// PastLayers is implemented by stores that keep the layers' history.
type PastLayers interface {
	// LayersOn returns a ScoreStore that reads the layers as they were at
	// the end of day when day is before today, else the store itself.
	LayersOn(ctx context.Context, day time.Time) (ScoreStore, error)
}

// ScoreOn is Score of the county as of asOf: of its layers as they were
// then when asOf is before today and store keeps their history (a run of
// the past re-scores every village), else of the layers as they are.
func ScoreOn(ctx context.Context, store ScoreStore, p Profile, asOf time.Time, full bool, progress func(done, total int)) (Run, []VillageScore, error) {
	if h, ok := store.(PastLayers); ok {
		past, err := h.LayersOn(ctx, asOf)
		if err != nil {
			return Run{}, nil, err
		}
		store = past
	}
	return Score(ctx, store, p, asOf, full, progress)
}

// GapFilter selects villages of a run for the gap list.
type GapFilter struct {
	RunID     int64    // 0: the latest run
	Dimension string   // "" (composite) or one of Dimensions: the gap filtered and sorted on
	Township  string   // township code or name; "" for all
	MinScore  *float64 // keep measured gaps ≥ this; nil keeps every village, unknown gaps last
	PoorOnly  bool
	Limit     int
	Offset    int
}

// GapRow is one village in the gap list.
type GapRow struct {
	Code           string              `json:"code"`
	Name           string              `json:"name"`
	TownshipCode   string              `json:"township_code"`
	TownshipName   string              `json:"township_name"`
	IsPoor         bool                `json:"is_poor_village"`
	PoorPopulation *int                `json:"poor_population"` // nil: unknown
	Composite      *float64            `json:"composite"`
	Gaps           map[string]*float64 `json:"gaps"` // by dimension; null when no indicator had data
	MissingWeight  float64             `json:"missing_weight"`
	// MissingWeights is each dimension's missing share (0–1).
	MissingWeights map[string]float64 `json:"missing_weights"`
	// Unknown lists the gaps shown as 数据不足 ([VillageScore.UnknownGaps]).
	Unknown []string `json:"unknown"`
}

// VillageDiff is how one village's gaps changed between two runs.
type VillageDiff struct {
	Code   string               `json:"code"`
	Name   string               `json:"name"`
	Before map[string]*float64  `json:"before"` // by dimension and "综合"
	After  map[string]*float64  `json:"after"`
	Status map[string][2]string `json:"indicator_status,omitempty"` // indicator → [before, after] where it changed
}

// RunStore reads stored runs.
type RunStore interface {
	ScoreStore
	// Run returns a stored run, or an ENotFound error.
	Run(ctx context.Context, id int64) (Run, error)
	// VillageGaps returns a village's score in a run, with the explaining
	// geometry on its indicators, or an ENotFound error.
	VillageGaps(ctx context.Context, runID int64, code string) (VillageScore, error)
	// Gaps lists the villages of a run by gap.
	Gaps(ctx context.Context, f GapFilter) ([]GapRow, int, error)
	// DiffRuns lists the villages whose gaps or indicator statuses differ
	// between runs a and b.
	DiffRuns(ctx context.Context, a, b int64) ([]VillageDiff, error)
}
