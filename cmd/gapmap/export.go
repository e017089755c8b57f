package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gapmap/gapmap/data"
)

// exportFile runs `gapmap export`: the file is written next to its final
// name and renamed when complete, so a failed export leaves no partial file.
func exportFile(ctx context.Context, cfg ExportConfig, store *data.Store, stdout io.Writer) error {
	start := time.Now()
	tmp, err := os.CreateTemp(filepath.Dir(cfg.Out), ".gapmap-export-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	err = store.Export(ctx, tmp, cfg.Options)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), cfg.Out); err != nil {
		return err
	}
	st, _ := os.Stat(cfg.Out)
	fmt.Fprintf(stdout, "已导出 %v（%s）到 %s，%d 字节，用时 %.1f 秒\n", cfg.Options.Layers, cfg.Options.Format, cfg.Out, st.Size(), time.Since(start).Seconds())
	return nil
}
