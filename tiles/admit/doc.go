// Package admit is gapmap's admission control (under tiles because the
// tile engine's render slots were its first user; the API's classes share it): a Gate bounds how many
// requests of one kind work at once, lets a bounded number more wait in
// first-come order for a bounded time, and refuses the rest at once, so
// that overload is answered "busy, retry" instead of piling up until
// everything times out. A Bucket limits how often one user may start
// heavy work. Both are pure: no database, no HTTP.
//
// It owns only the mechanics (slots, queues, tokens); which routes form a
// class and what a refusal answers is cmd/gapmap/api's (admission.go). It
// imports neither the database nor net/http.
package admit
