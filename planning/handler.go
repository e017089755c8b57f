package planning

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// Handler serves the planning REST API under /api/v1 and /healthz.
type Handler struct {
	store   Store
	log     *slog.Logger
	timeout time.Duration // per-request database budget
	tables  map[string]TableWriter
	// imports loads uploads; nil disables the import route.
	imports   ImportStore
	importMax int64 // bytes per upload
	// exports writes downloads; nil disables the export route.
	exports ExportStore
}

// NewHandler returns a Handler on store. timeout bounds the database work
// of one request.
func NewHandler(store Store, log *slog.Logger, timeout time.Duration) *Handler {
	return &Handler{store: store, log: log, timeout: timeout}
}

// Register mounts the handler's routes on r.
func (h *Handler) Register(r *mux.Router) {
	r.Handle("/healthz", h.adapt(h.health)).Methods(http.MethodGet, http.MethodHead)
	api := r.PathPrefix("/api/v1").Subrouter()
	api.Handle("/layers", h.adapt(h.layers)).Methods(http.MethodGet)
	api.Handle("/villages", h.adapt(h.villages)).Methods(http.MethodGet)
	api.Handle("/villages/{code}", h.adapt(h.village)).Methods(http.MethodGet)
	h.registerScoring(api)
	h.registerProjects(api)
	h.registerImports(api)
	h.registerExports(api)
}

// handlerFunc is an HTTP handler that returns its error instead of writing
// it, so that one adapter maps every error to a response.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (h *Handler) adapt(f handlerFunc) http.Handler {
	return h.adaptFor(h.timeout, f)
}

// WriteError writes err as a JSON error body with the status its code maps
// to. Server-side failures are logged here, once; a client that has gone
// away is not an error worth a log line above debug.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	if r.Context().Err() != nil && errors.Is(err, r.Context().Err()) {
		log.Debug("request abandoned", "path", r.URL.Path, "err", err)
	}
	code := ErrorCode(err)
	status := map[string]int{
		EInvalid:     http.StatusBadRequest,
		ENotFound:    http.StatusNotFound,
		EConflict:    http.StatusConflict,
		EUnavailable: http.StatusServiceUnavailable,
	}[code]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if status >= 500 {
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": ErrorMessage(err)}})
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

func writeGeoJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/geo+json; charset=utf-8")
	return json.NewEncoder(w).Encode(v)
}

func (h *Handler) health(w http.ResponseWriter, r *http.Request) error {
	if err := h.store.Ping(r.Context()); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (h *Handler) layers(w http.ResponseWriter, r *http.Request) error {
	layers, err := h.store.Layers(r.Context())
	if err != nil {
		return err
	}
	type layerJSON struct {
		Layer
		Extent *[4]float64 `json:"extent"` // [minlon, minlat, maxlon, maxlat], EPSG:4490
	}
	out := make([]layerJSON, len(layers))
	for i, l := range layers {
		out[i].Layer = l
		if l.Extent != nil {
			out[i].Extent = &[4]float64{l.Extent.Min[0], l.Extent.Min[1], l.Extent.Max[0], l.Extent.Max[1]}
		}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"crs": "EPSG:4490", "layers": out})
}

func (h *Handler) villages(w http.ResponseWriter, r *http.Request) error {
	f, geometry, err := parseVillageQuery(r)
	if err != nil {
		return err
	}
	page, err := h.store.Villages(r.Context(), f)
	if err != nil {
		return err
	}
	fc := geojson.NewFeatureCollection()
	for i := range page.Villages {
		fc.Append(villageFeature(&page.Villages[i], geometry))
	}
	fc.ExtraMembers = geojson.Properties{
		"total":     page.Total,
		"page":      f.Offset/f.Limit + 1,
		"page_size": f.Limit,
	}
	return writeGeoJSON(w, fc)
}

// parseVillageQuery reads township, poor, page, page_size and geometry.
// Unknown parameters are refused so that a typo does not silently return
// the whole county.
func parseVillageQuery(r *http.Request) (VillageFilter, string, error) {
	q := r.URL.Query()
	f := VillageFilter{Limit: DefaultPageSize}
	for key := range q {
		switch key {
		case "township", "poor", "page", "page_size", "geometry":
		default:
			return f, "", Errorf(EInvalid, "未知的查询参数 %q；可用参数：township, poor, page, page_size, geometry", key)
		}
	}
	f.Township = q.Get("township")
	if v := q.Get("poor"); v != "" {
		poor, err := strconv.ParseBool(v)
		if err != nil {
			return f, "", Errorf(EInvalid, "参数 poor 应为 true 或 false，收到 %q", v)
		}
		f.PoorOnly = poor
	}
	page, err := intParam(q.Get("page"), "page", 1, 1, 1<<20)
	if err != nil {
		return f, "", err
	}
	if f.Limit, err = intParam(q.Get("page_size"), "page_size", DefaultPageSize, 1, MaxPageSize); err != nil {
		return f, "", err
	}
	f.Offset = (page - 1) * f.Limit
	geometry := q.Get("geometry")
	switch geometry {
	case "":
		geometry = "office"
	case "office", "outline":
	default:
		return f, "", Errorf(EInvalid, "参数 geometry 应为 office（村委会点）或 outline（村界），收到 %q", geometry)
	}
	return f, geometry, nil
}

func intParam(s, name string, def, lo, hi int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, Errorf(EInvalid, "参数 %s 应为 %d 到 %d 之间的整数，收到 %q", name, lo, hi, s)
	}
	return n, nil
}

var villageCode = regexp.MustCompile(`^[0-9]{12}$`)

func (h *Handler) village(w http.ResponseWriter, r *http.Request) error {
	code := mux.Vars(r)["code"]
	if !villageCode.MatchString(code) {
		return Errorf(EInvalid, "村代码应为12位统计用区划代码，收到 %q", code)
	}
	geometry := r.URL.Query().Get("geometry")
	if geometry != "" && geometry != "office" && geometry != "outline" {
		return Errorf(EInvalid, "参数 geometry 应为 office（村委会点）或 outline（村界），收到 %q", geometry)
	}
	v, err := h.store.Village(r.Context(), code)
	if err != nil {
		return err
	}
	return writeGeoJSON(w, villageFeature(&v, geometry))
}

// villageFeature renders v as a GeoJSON feature whose geometry is the 村委会
// point, or the outline when asked for and known.
func villageFeature(v *Village, geometry string) *geojson.Feature {
	var g orb.Geometry = v.Office
	if geometry == "outline" && v.Outline != nil {
		g = v.Outline
	}
	f := geojson.NewFeature(g)
	f.ID = v.ID
	f.Properties = geojson.Properties{
		"code":            nullString(v.Code),
		"code_year":       v.CodeYear,
		"name":            v.Name,
		"township_code":   v.TownshipCode,
		"township_name":   v.TownshipName,
		"kind":            v.Kind,
		"parent_code":     nullString(v.ParentCode),
		"households":      v.Households,
		"population":      v.Population,
		"is_poor_village": v.IsPoor,
		"poor_households": v.PoorHouseholds,
		"poor_population": v.PoorPopulation,
		"exit_year":       v.ExitYear,
	}
	return f
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
