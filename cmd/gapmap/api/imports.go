package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/gapmap/gapmap/planning"
)

// importLayer takes a multipart upload: one or more "file" parts (a
// shapefile may come as its .shp, .dbf, .shx, .prj and .cpg, or zipped),
// and the form fields srs, mode, dry_run, mapping (JSON text), source (the
// dataset the file's feature ids belong to), encoding (utf-8 or gbk),
// strict (true: suspicions such as GCJ-02 coordinates or rows outside the
// county are errors, nothing written), margin_km (how far outside the
// county a row may lie, default 2) and attribution (the credit the data
// requires, e.g. © OpenStreetMap contributors) and valid_from (数据日期
// YYYY-MM-DD: the day the file's rows took effect; default now). It
// answers the import report: 200 when written (or a dry run), 422 when the
// file was read but refused. ?report=csv answers the problem list as CSV.
// With Prefer: respond-async the upload is saved, then a job imports it
// and its result is the report.
func (s *server) importLayer(w http.ResponseWriter, r *http.Request) error {
	if err := extendDeadlines(w, r, true); err != nil {
		s.log.Warn("import keeps the server's read and write timeouts", "err", err, "request_id", requestID(r.Context()))
	}
	dir, err := os.MkdirTemp("", "gapmap-import-")
	if err != nil {
		return fmt.Errorf("import temp dir: %w", err)
	}
	// The job imports from dir after the request has ended; until heavy
	// takes it over, dir is this request's to remove.
	handed := false
	defer func() {
		if !handed {
			os.RemoveAll(dir)
		}
	}()
	form, files, err := saveUpload(r, dir, "srs", "mode", "dry_run", "mapping", "source", "encoding", "strict", "margin_km", "attribution", "valid_from")
	if err != nil {
		return err
	}
	opt := planning.ImportOptions{Layer: mux.Vars(r)["layer"], SRS: form["srs"], DryRun: form["dry_run"] == "true" || form["dry_run"] == "1",
		Source: form["source"], Encoding: form["encoding"], Attribution: form["attribution"]}
	if opt.Mode, err = planning.ParseImportMode(form["mode"]); err != nil {
		return err
	}
	if opt.ValidFrom, err = planning.ParseValidFrom(form["valid_from"]); err != nil {
		return err
	}
	switch form["strict"] {
	case "", "false", "0":
	case "true", "1":
		opt.Strict = true
	default:
		return planning.Errorf(planning.EInvalid, "strict 应为 true 或 false，实为 %q", form["strict"])
	}
	if m := form["margin_km"]; m != "" {
		km, err := strconv.ParseFloat(m, 64)
		if err != nil {
			return planning.Errorf(planning.EInvalid, "margin_km 应为 0 到 %d 之间的公里数，实为 %q", planning.MaxMarginKm, m)
		}
		if err := planning.CheckMarginKm(km); err != nil {
			return err
		}
		opt.MarginMetres = km * 1000
	}
	if m := form["mapping"]; m != "" {
		if opt.Mapping, err = planning.ParseMapping([]byte(m)); err != nil {
			return err
		}
	}
	path, err := mainFile(dir, files)
	if err != nil {
		return err
	}
	opt.Name = filepath.Base(path)
	csvReport := r.URL.Query().Get("report") == "csv"
	if csvReport && wantsAsync(r) {
		return planning.Errorf(planning.EInvalid, "异步导入的结果是 JSON 报告；report=csv 只用于同步导入")
	}
	handed = true
	return s.heavy(w, r, planning.JobImport, func(ctx context.Context, progress func(planning.JobProgress)) (reply, error) {
		opt.Progress = planning.ImportProgress(progress)
		rep, err := s.imports.Import(ctx, path, opt)
		if err != nil {
			return reply{}, err
		}
		status := http.StatusOK
		if !rep.Committed && !rep.DryRun {
			status = http.StatusUnprocessableEntity
		}
		if csvReport {
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="import-report.csv"; filename*=UTF-8''%E5%AF%BC%E5%85%A5%E9%97%AE%E9%A2%98.csv`)
			w.WriteHeader(status)
			return reply{written: true}, rep.WriteCSV(w)
		}
		return reply{status: status, body: rep}, nil
	}, func() { os.RemoveAll(dir) })
}

// saveUpload streams the multipart parts to dir (the route's maxBody,
// importMax, bounds them in all); it returns the form fields and file
// names. A form field not in fields is refused, so that a typo is not
// silently ignored.
func saveUpload(r *http.Request, dir string, fields ...string) (map[string]string, []string, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, nil, planning.Errorf(planning.EInvalid, "请求应为 multipart/form-data，文件放在 file 字段：%v", err)
	}
	form := map[string]string{}
	var files []string
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, uploadError(err)
		}
		if part.FileName() == "" {
			b, err := io.ReadAll(io.LimitReader(part, maxJSONBytes+1))
			if err != nil {
				return nil, nil, uploadError(err)
			}
			if len(b) > maxJSONBytes {
				return nil, nil, planning.Errorf(planning.EInvalid, "表单字段 %s 超过 %d 字节", part.FormName(), maxJSONBytes)
			}
			form[part.FormName()] = string(b)
			continue
		}
		name, err := savePart(part, dir)
		if err != nil {
			return nil, nil, uploadError(err)
		}
		files = append(files, name)
	}
	for key, v := range form {
		if !slices.Contains(fields, key) {
			return nil, nil, planning.Errorf(planning.EInvalid, "未知的表单字段 %q；可用字段：file、%s", key, strings.Join(fields, "、"))
		}
		if err := checkText("表单字段 "+key, v); err != nil {
			return nil, nil, err
		}
	}
	return form, files, nil
}

// savePart writes one uploaded file under its base name.
func savePart(part *multipart.Part, dir string) (string, error) {
	name := filepath.Base(filepath.Clean("/" + part.FileName()))
	if name == "/" || name == "." {
		name = "upload"
	}
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return "", err
	}
	_, err = io.Copy(f, part)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return name, err
}

func uploadError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return planning.Errorf(planning.EInvalid, "上传文件超过 %d MiB 的上限；请用命令行 gapmap import 导入大文件", tooBig.Limit>>20)
	}
	return planning.Errorf(planning.EInvalid, "上传中断或格式错误：%v", err)
}

// mainFile picks the file to import among the uploaded ones: the .shp of
// a shapefile set, else the only file.
func mainFile(dir string, files []string) (string, error) {
	var shp []string
	for _, f := range files {
		if strings.EqualFold(filepath.Ext(f), ".shp") {
			shp = append(shp, f)
		}
	}
	switch {
	case len(shp) == 1:
		return filepath.Join(dir, shp[0]), nil
	case len(shp) > 1:
		return "", planning.Errorf(planning.EInvalid, "一次只能导入一个 Shapefile，收到 %s", strings.Join(shp, "、"))
	case len(files) == 1:
		return filepath.Join(dir, files[0]), nil
	case len(files) == 0:
		return "", planning.Errorf(planning.EInvalid, "没有收到文件：请把文件放在 file 字段")
	}
	return "", planning.Errorf(planning.EInvalid, "收到多个文件（%s）：一次只能导入一个文件，或一个 Shapefile 的各组成文件", strings.Join(files, "、"))
}
