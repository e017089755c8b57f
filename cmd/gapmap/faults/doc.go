// Package faults is gapmap's fault suite: tests behind the build tag
// `faults` that drive the real `gapmap` binary against a private
// PostgreSQL cluster they start themselves, and kill, stop, starve and
// flood them. Run it by hand with `make faults` (about ten minutes); it is
// not part of `make test`.
//
// The package holds no code outside its tests; this file only names it, so
// that `go vet ./...` sees a package when the tag is off.
package faults
