// Package planning is gapmap's domain: villages and their infrastructure,
// the county profile, the gap scores and scoring runs, the 项目库 (project
// library: candidates, lifecycle, rankings, the budget plan and targets;
// the solver behind the plan is planning/budget, which MakePlan calls),
// and the option and report types of imports and exports. It declares the
// small interfaces it needs ([Store], [ImportStore], [ExportStore]);
// package data implements them on PostGIS.
//
// planning must not import pgx, package data, net/http, gorilla/mux or
// mime/multipart: the HTTP API that serves it is cmd/gapmap/api, and the
// 项目库 table writer is planning/table. [ParseExportQuery] takes url.Values
// (net/url is not HTTP) because the API's query and the CLI's --filter are
// the same text.
package planning
