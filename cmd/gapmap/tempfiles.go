package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// tempPrefixes are the names gapmap gives its temporary files and
// directories (uploads being imported, exports being spooled).
var tempPrefixes = []string{"gapmap-import-", "gapmap-poverty-", "gapmap-export-"}

// tempMaxAge is how old a temporary file must be to be taken for a
// leftover: past any request's budget (30 min), so that a file of a live
// import of another gapmap process on the machine is never removed.
const tempMaxAge = 2 * time.Hour

// sweepTemp removes the temporary files and directories a killed gapmap
// left behind (an upload of hundreds of megabytes each), and logs what it
// freed. It never fails: a file it cannot remove is logged and left.
func sweepTemp(dir string, now time.Time, log *slog.Logger) (removed int) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		log.Warn("temp sweep: cannot list the temporary directory", "dir", dir, "err", err)
		return 0
	}
	for _, e := range entries {
		if !hasTempPrefix(e.Name()) {
			continue
		}
		info, err := e.Info()
		if err != nil || now.Sub(info.ModTime()) < tempMaxAge {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if err := os.RemoveAll(path); err != nil {
			log.Warn("temp sweep: cannot remove a leftover", "path", path, "err", err)
			continue
		}
		removed++
		log.Info("temp sweep: removed a leftover of an earlier run", "path", path, "modified", info.ModTime())
	}
	return removed
}

func hasTempPrefix(name string) bool {
	for _, p := range tempPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}
