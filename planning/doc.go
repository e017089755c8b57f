// Package planning is gapmap's domain: villages and their infrastructure,
// the gap scores, the 项目库 (project library), and the REST handlers that
// serve them. It owns the small [Store] interface it needs; package data
// implements it on PostGIS. planning must not import pgx or package data.
package planning
