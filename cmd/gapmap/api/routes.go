package api

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/gorilla/mux"

	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
	"github.com/gapmap/gapmap/planning/audit"
	"github.com/gapmap/gapmap/tiles"
)

// Config is what the HTTP layer serves. Every field but Web (whose zero
// value means no basemap) is required: the binary always serves everything,
// and tests build the handler the same way.
type Config struct {
	Store   planning.Store        // villages, scoring runs and the 项目库
	Imports planning.ImportStore  // POST /api/v1/layers/{layer}/imports
	Exports planning.ExportStore  // GET /api/v1/exports/{layer}.{format}
	Poverty planning.PovertyStore // 建档立卡 by year: /api/v1/poverty…
	Tiles   *tiles.Service        // /tiles/…
	Static  fs.FS                 // the review map's files, index.html at the root (package web)
	Web     WebConfig             // what /config.json tells the page
	Log     *slog.Logger
	// Accounts authenticates requests; Policy decides what each principal
	// may do (access.Default() when nil).
	Accounts access.Store
	Audit    audit.Store // the audit trail, read by the history routes
	Policy   *access.Policy
	// PublicRead opens every read to anonymous clients
	// (GAPMAP_PUBLIC_READ); writes always need a user.
	PublicRead bool
	// OIDC is single sign-on through a province's provider (nil: none,
	// password logins only).
	OIDC *OIDCConfig
	// Sessions bounds browser sessions (access.DefaultSessionTimes when zero).
	Sessions access.SessionTimes
	// RequestTimeout is the time budget of every request except imports,
	// exports (longBudget) and tiles (the engine's own bound).
	RequestTimeout time.Duration
	ImportMaxBytes int64 // largest upload to the import route
	// Admission bounds the API, export and heavy classes (admission.go);
	// zero: DefaultAdmission(8) without the per-user limit.
	Admission Admission
	// Jobs keeps the jobs of the heavy routes called with
	// Prefer: respond-async (/api/v1/jobs).
	Jobs planning.JobStore
	// JobSlots caps the heavy calls (jobs and synchronous calls of the
	// heavy routes) that run at once; the others wait in order
	// (DefaultJobSlots when 0).
	JobSlots int
	// JobTimeouts are the deadlines of jobs by kind (DefaultJobTimeouts for
	// the kinds missing).
	JobTimeouts map[string]time.Duration
	// ExportResultTTL is how long an export job's file is kept
	// (DefaultExportResultTTL when 0).
	ExportResultTTL time.Duration
}

// server holds what the handlers need.
type server struct {
	accounts     access.Store
	audit        audit.Store
	policy       *access.Policy
	publicRead   bool
	sessionTimes access.SessionTimes
	tileAuth     *recentAuth // principals tile requests proved (sessionTimes.TileRecheck)
	limiter      *loginLimiter
	sso          *sso // nil without single sign-on
	store        planning.Store
	imports      planning.ImportStore
	exports      planning.ExportStore
	poverty      planning.PovertyStore
	tiles        *tiles.Service
	site         *webSite
	log          *slog.Logger
	importMax    int64 // bytes per upload
	admission    *admission
	jobs         *jobRunner
	results      *results // export jobs' files
}

// New returns the handler of every route of the API, the tiles and the
// review map, each behind the middleware chain.
func New(c Config) (http.Handler, error) {
	var missing []error
	for _, dep := range []struct {
		name  string
		isNil bool
	}{{"Store", c.Store == nil}, {"Imports", c.Imports == nil}, {"Exports", c.Exports == nil}, {"Poverty", c.Poverty == nil},
		{"Tiles", c.Tiles == nil}, {"Static", c.Static == nil}, {"Log", c.Log == nil}, {"Accounts", c.Accounts == nil}, {"Audit", c.Audit == nil}, {"Jobs", c.Jobs == nil}} {
		if dep.isNil {
			missing = append(missing, fmt.Errorf("api: Config.%s is nil", dep.name))
		}
	}
	if c.RequestTimeout <= 0 || c.ImportMaxBytes <= 0 {
		missing = append(missing, fmt.Errorf("api: RequestTimeout %s and ImportMaxBytes %d must be positive", c.RequestTimeout, c.ImportMaxBytes))
	}
	if c.Admission == (Admission{}) {
		c.Admission = DefaultAdmission(8)
		c.Admission.HeavyPerMinute = 0
	}
	missing = append(missing, c.Admission.validate())
	if err := errors.Join(missing...); err != nil {
		return nil, err
	}
	if c.Policy == nil {
		c.Policy = access.Default()
	}
	if c.JobSlots <= 0 {
		c.JobSlots = DefaultJobSlots
	}
	timeouts := map[string]time.Duration{}
	for k, d := range DefaultJobTimeouts {
		timeouts[k] = cmp.Or(c.JobTimeouts[k], d)
	}
	if c.ExportResultTTL <= 0 {
		c.ExportResultTTL = DefaultExportResultTTL
	}
	if c.Sessions == (access.SessionTimes{}) {
		c.Sessions = access.DefaultSessionTimes
	}
	c.Web.PublicRead = c.PublicRead
	c.Web.SSO = c.OIDC != nil
	site, err := newWebSite(c.Static, ".", c.Web)
	if err != nil {
		return nil, fmt.Errorf("review map: %w", err)
	}
	s := &server{accounts: c.Accounts, audit: c.Audit, policy: c.Policy, publicRead: c.PublicRead, sessionTimes: c.Sessions,
		tileAuth: newRecentAuth(c.Sessions.TileRecheck),
		limiter:  newLoginLimiter(20, 5*time.Minute), store: c.Store, imports: c.Imports, exports: c.Exports, poverty: c.Poverty, tiles: c.Tiles, site: site, log: c.Log,
		importMax: c.ImportMaxBytes, admission: newAdmission(c.Admission),
		jobs: &jobRunner{store: c.Jobs, log: c.Log, slots: newSlots(c.JobSlots), slotWait: c.RequestTimeout, timeouts: timeouts, live: map[int64]*liveJob{},
			reportGap: time.Second / 2, refresh: c.Tiles.Refresh},
		results: &results{dir: os.TempDir(), ttl: c.ExportResultTTL, log: c.Log}}
	if c.OIDC != nil {
		if err := c.OIDC.Validate(); err != nil {
			return nil, err
		}
		s.sso = newSSO(*c.OIDC, c.Log)
		go s.sso.discoverAtStart()
	}
	r := mux.NewRouter()
	for _, rt := range s.routes(c.RequestTimeout) {
		h := s.chain(rt)
		if rt.path == notFoundPath {
			r.NotFoundHandler = h
			continue
		}
		r.Handle(rt.path, h).Methods(rt.methods...)
	}
	return r, nil
}

// route is one entry of the route table: what a request must look like,
// what answers it, who may call it, and what the middleware chain allows
// it.
type route struct {
	methods []string
	path    string        // gorilla/mux path template; the access log names the route by it
	action  access.Action // what the caller must be allowed (authorize); public or loggedIn for the few open routes
	handle  handlerFunc   // writes the response, or returns the error for writeError
	budget  time.Duration // deadline of the request's context
	maxBody int64         // largest request body in bytes; 0: the handler reads none
	class   class         // admission class: its concurrency budget, queue and (heavy) per-user rate
}

// notFoundPath marks the table's entry for every path no route matches.
const notFoundPath = "*"

// longBudget is the time budget of imports and exports: a county's roads
// take seconds, a province's OSM extract minutes. Their handlers extend the
// connection's deadlines to it.
const longBudget = 30 * time.Minute

// maxJSONBytes bounds a JSON request body (a county profile is the largest)
// and each form field of an upload.
const maxJSONBytes = 1 << 20

// routes is the route table: every route the binary serves, in the order
// mux tries them.
func (s *server) routes(timeout time.Duration) []route {
	var (
		get     = []string{http.MethodGet}
		getHead = []string{http.MethodGet, http.MethodHead}
		post    = []string{http.MethodPost}
		put     = []string{http.MethodPut}
		del     = []string{http.MethodDelete}
	)
	// A tile request is bounded by the engine (slot wait plus render
	// timeout), whose timeout is shared with concurrent requests for the
	// same tile and answered 504; the budget only backs it up.
	tileBudget := s.tiles.MaxDuration() + time.Second
	var (
		read = access.Read
		edit = access.ProjectEdit
	)
	return []route{
		{getHead, "/healthz", public, s.health, timeout, 0, classOpen},

		// auth.go: logging in and out, who am I
		{post, "/api/v1/session", public, s.login, timeout, maxJSONBytes, classAuth},
		{get, "/api/v1/session", public, s.session, timeout, 0, classAPI},
		{del, "/api/v1/session", loggedIn, s.logout, timeout, 0, classAPI},
		// oidc.go: single sign-on, browser navigations answered with pages
		{get, ssoLoginPath, public, s.ssoPage(s.oidcLogin), timeout, 0, classAuth},
		{get, ssoCallbackPath, public, s.ssoPage(s.oidcCallback), timeout, 0, classAuth},

		// villages.go
		{get, "/api/v1/layers", read, s.layers, timeout, 0, classAPI},
		{get, "/api/v1/villages", read, s.villages, timeout, 0, classAPI},
		{get, "/api/v1/villages/{code}", read, s.village, timeout, 0, classAPI},
		{get, "/api/v1/villages/{code}/history", read, s.villageHistory, timeout, 0, classAPI},

		// county.go: setting a county up, locating its villages
		{get, "/api/v1/county", read, s.county, timeout, 0, classAPI},
		{post, "/api/v1/county/init", access.CountySetup, s.initCounty, timeout, maxJSONBytes, classAPI},
		{put, "/api/v1/villages/{code}/location", access.LayerEdit, s.locateVillage, timeout, maxJSONBytes, classAPI},

		// scoring.go
		// A run scores the whole county, and a run of the past first builds
		// the county's snapshot and its road graph: minutes for a large one.
		{post, "/api/v1/scoring-runs", access.ScoreRun, s.createRun, longBudget, maxJSONBytes, classHeavy},
		{get, "/api/v1/scoring-runs", read, s.runOf, timeout, 0, classAPI},
		{get, "/api/v1/scoring-runs/{id:[0-9]+}", read, s.getRun, timeout, 0, classAPI},
		{get, "/api/v1/scoring-runs/{a:[0-9]+}/diff/{b:[0-9]+}", read, s.diffRuns, timeout, 0, classAPI},
		{get, "/api/v1/villages/{code}/gaps", read, s.villageGaps, timeout, 0, classAPI},
		{get, "/api/v1/gaps", read, s.gaps, timeout, 0, classAPI},
		// villagetable.go: the village table, the village_gaps export's rows and totals
		{get, "/api/v1/village-table", read, s.villageTable, timeout, 0, classAPI},

		// projects.go (the 项目库 and its 补充数据), plans.go
		{get, "/api/v1/projects", read, s.listProjects, timeout, 0, classAPI},
		{post, "/api/v1/projects", edit, s.createProject, timeout, maxJSONBytes, classAPI},
		{post, "/api/v1/projects/generate", access.Generate, s.generateProjects, longBudget, maxJSONBytes, classHeavy},
		{get, "/api/v1/projects/targets", read, s.projectTargets, timeout, 0, classAPI},
		{get, "/api/v1/projects/realised", read, s.realised, timeout, 0, classAPI},
		{get, "/api/v1/projects/export.{format}", read, s.exportProjects, timeout, 0, classExport},
		{get, "/api/v1/projects/{id:[0-9]+}", read, s.getProject, timeout, 0, classAPI},
		{put, "/api/v1/projects/{id:[0-9]+}", edit, s.updateProject, timeout, maxJSONBytes, classAPI},
		{del, "/api/v1/projects/{id:[0-9]+}", edit, s.deleteProject, timeout, 0, classAPI},
		{get, "/api/v1/projects/{id:[0-9]+}/transitions", read, s.listTransitions, timeout, 0, classAPI},
		{post, "/api/v1/projects/{id:[0-9]+}/transitions", access.Move, s.createTransition, timeout, maxJSONBytes, classAPI},
		{put, "/api/v1/projects/{id:[0-9]+}/as-built", access.AsBuilt, s.setAsBuilt, timeout, maxJSONBytes, classAPI},
		{get, "/api/v1/projects/{id:[0-9]+}/history", read, s.projectHistory, timeout, 0, classAPI},
		{post, "/api/v1/plans", access.PlanApply, s.createPlan, timeout, maxJSONBytes, classHeavy},
		{get, "/api/v1/plans/annual.xlsx", read, s.exportAnnualPlan, timeout, 0, classExport},
		// scenarios.go: plans saved under a name (方案), compared, applied
		{get, "/api/v1/plan-scenarios", read, s.listScenarios, timeout, 0, classAPI},
		{post, "/api/v1/plan-scenarios", access.PlanApply, s.createScenario, timeout, maxJSONBytes, classHeavy},
		{get, "/api/v1/plan-scenarios/compare", read, s.compareScenarios, timeout, 0, classAPI},
		{get, "/api/v1/plan-scenarios/{id:[0-9]+}", read, s.getScenario, timeout, 0, classAPI},
		{del, "/api/v1/plan-scenarios/{id:[0-9]+}", access.PlanApply, s.deleteScenario, timeout, 0, classAPI},
		{post, "/api/v1/plan-scenarios/{id:[0-9]+}/apply", access.PlanApply, s.applyScenario, timeout, 0, classAPI},
		{get, "/api/v1/plan-scenarios/{id:[0-9]+}/export.xlsx", read, s.exportScenario, timeout, 0, classExport},
		{get, "/api/v1/data-needs", read, s.dataNeeds, timeout, 0, classAPI},
		{get, "/api/v1/data-needs/export.{format}", read, s.exportDataNeeds, timeout, 0, classExport},

		// funds.go: the 资金台账 (sources, yearly allocations, entries, roll-ups)
		{get, "/api/v1/funds/sources", read, s.fundSources, timeout, 0, classAPI},
		{put, "/api/v1/funds/sources", access.CountySetup, s.setFundSources, timeout, maxJSONBytes, classAPI},
		{get, "/api/v1/funds/allocations", read, s.allocations, timeout, 0, classAPI},
		{put, "/api/v1/funds/allocations", access.FundsEdit, s.setAllocation, timeout, maxJSONBytes, classAPI},
		{post, "/api/v1/funds/entries", access.FundsEdit, s.addFundEntry, timeout, maxJSONBytes, classAPI},
		{get, "/api/v1/funds/rollup", read, s.fundRollup, timeout, 0, classAPI},
		{get, "/api/v1/funds/export.xlsx", read, s.exportFundLedger, longBudget, 0, classExport},
		{get, "/api/v1/projects/{id:[0-9]+}/funds", read, s.projectFunds, timeout, 0, classAPI},

		// progress.go: the figures by year-end, which may score the year-ends
		{get, "/api/v1/progress", read, s.progress, longBudget, 0, classHeavy},
		{get, "/api/v1/progress/export.xlsx", read, s.exportProgress, longBudget, 0, classExport},

		// poverty.go: 建档立卡 by year
		{get, "/api/v1/villages/{code}/poverty", read, s.villagePoverty, timeout, 0, classAPI},
		{get, "/api/v1/poverty", read, s.povertyRollup, timeout, 0, classAPI},
		{get, `/api/v1/poverty/export.{format:csv|xlsx}`, read, s.exportPoverty, longBudget, 0, classExport},
		{post, "/api/v1/poverty/imports", access.LayerEdit, s.importPoverty, longBudget, s.importMax, classHeavy},

		// audit.go: the whole trail and its check
		{get, "/api/v1/audit", access.AuditRead, s.auditLog, timeout, 0, classAPI},
		{get, "/api/v1/audit/verify", access.AuditRead, s.verifyAudit, longBudget, 0, classHeavy},

		// jobs.go: heavy work detached from its request
		{get, "/api/v1/jobs", loggedIn, s.listJobs, timeout, 0, classAPI},
		{get, "/api/v1/jobs/{id:[0-9]+}", loggedIn, s.getJob, timeout, 0, classAPI},
		{get, "/api/v1/jobs/{id:[0-9]+}/result", loggedIn, s.jobResult, longBudget, 0, classAPI},
		{post, "/api/v1/jobs/{id:[0-9]+}/cancel", loggedIn, s.cancelJob, timeout, 0, classAPI},
		{del, "/api/v1/jobs/{id:[0-9]+}", loggedIn, s.cancelJob, timeout, 0, classAPI},

		// imports.go, exports.go
		{post, "/api/v1/layers/{layer}/imports", access.LayerEdit, s.importLayer, longBudget, s.importMax, classHeavy},
		{get, `/api/v1/exports/{layer}.{format:gpkg|shp\.zip|geojson|kml|csv|xlsx}`, read, s.export, longBudget, 0, classExport},

		// tiles.go
		{get, "/tiles/style.json", read, s.style, tileBudget, 0, classTile},
		{get, "/tiles/{set}.json", read, s.tileJSON, tileBudget, 0, classTile},
		{get, "/tiles/{set}/{z:[0-9]+}/{x:[0-9]+}/{y:[0-9]+}.mvt", read, s.tile, tileBudget, 0, classTile},

		// web.go: the review map's shell, which shows the login form
		{getHead, "/", public, s.page, timeout, 0, classOpen},
		{getHead, "/config.json", public, s.pageConfig, timeout, 0, classOpen},
		{getHead, "/static/{build:[0-9a-f]+}/{path:.+}", public, s.asset, timeout, 0, classOpen},

		{nil, notFoundPath, public, s.notFound, timeout, 0, classOpen},
	}
}

// notFound answers every path no route matches.
func (s *server) notFound(w http.ResponseWriter, r *http.Request) error {
	return planning.Errorf(planning.ENotFound, "没有这个地址：%s", r.URL.Path)
}
