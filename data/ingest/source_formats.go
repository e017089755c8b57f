package ingest

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gapmap/gapmap/data/catalog"
	"github.com/gapmap/gapmap/data/feature"
	"github.com/gapmap/gapmap/data/gpkg"
	"github.com/gapmap/gapmap/data/osm"
	"github.com/gapmap/gapmap/geo"
	"github.com/gapmap/gapmap/planning"
)

// openGeoPackage reads the GeoPackage layer named like the target layer,
// or the file's only feature layer.
func openGeoPackage(path, displayName, layer string) (Source, Info, error) {
	fail := func(err error) (Source, Info, error) {
		return nil, Info{}, inFile(displayName, err)
	}
	f, err := gpkg.Open(path)
	if err != nil {
		return fail(err)
	}
	infos, err := f.Layers()
	if err != nil {
		f.Close()
		return fail(err)
	}
	name := ""
	for _, l := range infos {
		if strings.EqualFold(l.Name, layer) {
			name = l.Name
		}
	}
	if name == "" && len(infos) == 1 {
		name = infos[0].Name
	}
	r, err := f.Read(name)
	if err != nil {
		f.Close()
		if errors.Is(err, gpkg.ErrSeveralLayers) {
			return fail(fmt.Errorf("%w；请把要导入的图层命名为 %s", err, layer))
		}
		return fail(err)
	}
	info := Info{Format: formatGeoPackage, Encoding: "UTF-8", Fields: r.Fields()}
	for _, l := range infos {
		if l.Name != name {
			continue
		}
		switch {
		case strings.EqualFold(l.Organization, "EPSG") && l.OrgCoordsysID > 0:
			info.CRS = fmt.Sprintf("EPSG:%d", l.OrgCoordsysID)
		case l.Definition != "" && l.Definition != "undefined":
			info.PRJ = l.Definition
		}
		info.Format += "（图层 " + l.Name + "）"
	}
	return &gpkgSource{f: f, r: r}, info, nil
}

// gpkgSource adapts a GeoPackage layer reader; the FID is the feature's id.
type gpkgSource struct {
	f *gpkg.File
	r *gpkg.Reader
}

func (s *gpkgSource) Next() bool { return s.r.Next() }
func (s *gpkgSource) Record() feature.Record {
	rec := s.r.Record()
	return feature.Record{Index: rec.Index, Geometry: rec.Geometry, Attrs: rec.Attrs}
}
func (s *gpkgSource) Err() error     { return s.r.Err() }
func (s *gpkgSource) Dims() geo.Dims { return s.r.Dims() }
func (s *gpkgSource) Close() error {
	s.r.Close()
	return s.f.Close()
}

// openOSM reads the features of one layer from an OpenStreetMap extract,
// already in gapmap's columns and vocabulary, with OSM's attribution.
func openOSM(path, displayName, layer string) (Source, Info, error) {
	if !slices.Contains(osm.Layers, osm.Layer(layer)) {
		var names []string
		for _, l := range osm.Layers {
			names = append(names, string(l))
		}
		return nil, Info{}, planning.Errorf(planning.EInvalid, "%s：OpenStreetMap 数据只能导入到这些图层：%s", displayName, strings.Join(names, "、"))
	}
	r, err := osm.Open(path, osm.Only(osm.Layer(layer)))
	if err != nil {
		return nil, Info{}, inFile(displayName, err)
	}
	var fields []string
	for _, f := range catalog.Default().Layer(layer).Fields { // OSM fills built-in layers only
		fields = append(fields, f.Column)
	}
	src := &osmSource{r: r}
	info := Info{Format: formatOSM, Encoding: "UTF-8", CRS: "EPSG:4326", Attribution: osm.Attribution(),
		Mapped: true, Fields: fields, Summary: src.summary}
	return src, info, nil
}

// osmSource adapts an OSM reader: the element id ("way/123") is the
// feature's ext_id.
type osmSource struct {
	r     *osm.Reader
	index int
}

func (s *osmSource) Next() bool {
	if !s.r.Next() {
		return false
	}
	s.index++
	return true
}

func (s *osmSource) Record() feature.Record {
	f := s.r.Feature()
	attrs := make(map[string]any, len(f.Attrs)+1)
	for k, v := range f.Attrs {
		attrs[k] = v
	}
	attrs["ext_id"] = "osm:" + f.ID
	return feature.Record{Index: s.index - 1, ID: f.ID, Geometry: f.Geometry, Attrs: attrs}
}

func (s *osmSource) Err() error   { return s.r.Err() }
func (s *osmSource) Close() error { return s.r.Close() }

// Dims is always 2D: OpenStreetMap has no heights or measures.
func (s *osmSource) Dims() geo.Dims { return 0 }

// summary reports what the extract held but the layer does not take, and
// the values of features taken that no tag gave (a voltage read from the
// line's name, a placeholder name).
func (s *osmSource) summary() []planning.ImportProblem {
	st := s.r.Stats()
	var out []planning.ImportProblem
	for reason, n := range st.Skipped {
		out = append(out, planning.ImportProblem{Severity: planning.SeverityWarning, Value: strings.Join(st.Samples[reason], "、"),
			Reason: fmt.Sprintf("%d 个 OSM 要素未导入：%s", n, reason)})
	}
	for note, n := range st.Notes {
		out = append(out, planning.ImportProblem{Severity: planning.SeverityWarning, Value: strings.Join(st.Samples[note], "、"),
			Reason: fmt.Sprintf("%d 个 OSM 要素已导入，但 %s", n, note)})
	}
	slices.SortFunc(out, func(a, b planning.ImportProblem) int { return strings.Compare(a.Reason, b.Reason) })
	return out
}
