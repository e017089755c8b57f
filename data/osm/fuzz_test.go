package osm

import (
	"errors"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// vocab lists the values the schema's CHECK constraints allow.
var vocab = map[string][]string{
	"grade":   {"高速", "国道", "省道", "县道", "乡道", "村道", "通组路", "专用"},
	"surface": {"沥青", "水泥", "砂石", "土"},
	"scale":   {"大(1)型", "大(2)型", "中型", "小(1)型", "小(2)型"},
	"kind":    {"行政村", "社区", "自然村"}, // villages; tourism kinds are free text
}

// checkAttrs fails unless every attribute of a feature of layer l is one
// the schema accepts.
func checkAttrs(t *testing.T, l Layer, a map[string]any) {
	t.Helper()
	num := func(k string) (float64, bool) {
		v, ok := a[k]
		if !ok {
			return 0, false
		}
		f, isFloat := v.(float64)
		if !isFloat || math.IsNaN(f) || math.IsInf(f, 0) {
			t.Fatalf("%s %s = %#v, want a finite float64", l, k, v)
		}
		return f, true
	}
	in := func(k string, set []float64) {
		if v, ok := num(k); ok && !slices.Contains(set, v) {
			t.Fatalf("%s %s = %v, not in %v", l, k, v, set)
		}
	}
	for k, v := range a {
		if s, ok := v.(string); ok {
			if !utf8.ValidString(s) {
				t.Fatalf("%s %s = %q is not UTF-8", l, k, s)
			}
			if allowed, ok := vocab[k]; ok && (k != "kind" || l == Villages) && !slices.Contains(allowed, s) {
				t.Fatalf("%s %s = %q, not in %v", l, k, s, allowed)
			}
		}
	}
	if name, ok := a["name"]; ok && name == "" {
		t.Fatalf("%s: empty name", l)
	}
	switch l {
	case Roads:
		if w, ok := num("width_m"); ok && (w <= 0 || w > 60) {
			t.Fatalf("width_m = %v", w)
		}
		if _, ok := a["grade"]; !ok {
			t.Fatal("road without grade")
		}
	case PowerLines:
		in("voltage_kv", lineKVs)
		if a["voltage_kv"] == 0.22 && a["phases"] != int64(1) {
			t.Fatalf("0.22 kV line with phases %v", a["phases"])
		}
	case Substations:
		in("voltage_kv", substationKVs)
		in("secondary_kv", secondaryKVs)
		if s, ok := num("secondary_kv"); ok && s >= a["voltage_kv"].(float64) {
			t.Fatalf("secondary_kv %v ≥ voltage_kv %v", s, a["voltage_kv"])
		}
		if _, ok := a["name"]; !ok {
			t.Fatal("substation without name")
		}
	case Transformers:
		in("primary_kv", transformerPriKV)
		in("secondary_kv", transformerSecKV)
		if k, ok := num("kva"); ok && (k <= 0 || k > 2500) {
			t.Fatalf("kva = %v", k)
		}
		if a["secondary_kv"] == 0.22 && a["phases"] != int64(1) {
			t.Fatalf("0.22 kV transformer with phases %v", a["phases"])
		}
	case Reservoirs:
		if c, ok := num("capacity_wan_m3"); ok && c <= 0 {
			t.Fatalf("capacity_wan_m3 = %v", c)
		}
		if _, ok := a["name"]; !ok {
			t.Fatal("reservoir without name")
		}
	case Villages, TourismSites:
		if _, ok := a["name"]; !ok {
			t.Fatalf("%s without name", l)
		}
	}
	if p, ok := a["phases"]; ok && p != int64(1) && p != int64(3) {
		t.Fatalf("phases = %#v", p)
	}
}

// checkRead holds the invariants of reading arbitrary bytes besides not
// panicking: errors are FormatErrors with UTF-8 messages, and features
// have the geometry and attributes their layer takes.
func checkRead(t *testing.T, fs []Feature, st Stats, err error) {
	t.Helper()
	var fe *FormatError
	if err != nil && (!errors.As(err, &fe) || !utf8.ValidString(err.Error())) {
		t.Fatalf("error %v (%T), want a *FormatError with a UTF-8 message", err, err)
	}
	for _, f := range fs {
		if !validGeometry(f) {
			t.Fatalf("%s %s: bad geometry %T %v", f.Layer, f.ID, f.Geometry, f.Geometry)
		}
		checkAttrs(t, f.Layer, f.Attrs)
	}
	for reason := range st.Skipped {
		if !utf8.ValidString(reason) || len(reason) > 200 {
			t.Fatalf("skip reason %q", reason)
		}
	}
}

// FuzzOpen reads arbitrary bytes as an extract: the seeds are the PBF
// fixtures (dense, plain nodes, uncompressed), crafted blocks, and the
// XML fixture, so the fuzzer explores both decoders and the sniffing.
func FuzzOpen(f *testing.F) {
	for _, p := range []string{"testdata/linxiang.osm.pbf", "testdata/linxiang-nodense.osm.pbf", "testdata/linxiang-raw.osm.pbf", "testdata/missing_node.osm"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	blobs := validBlobs(f)
	file := frame("OSMHeader", headerBlob("OsmSchema-V0.6"))
	for _, b := range blobs {
		file = append(file, frame("OSMData", b)...)
	}
	f.Add(file)
	f.Fuzz(func(t *testing.T, data []byte) {
		fs, st, err := readBytes(t, "fuzz.osm.pbf", data)
		checkRead(t, fs, st, err)
	})
}

// FuzzTags maps arbitrary tag values of the layers with parsed numbers
// and checks every result against the schema.
func FuzzTags(f *testing.F) {
	f.Add("tertiary", "X021", "", "", "", "6,5", "line", "110000;35000", "6", "", "630 kVA", "1250000")
	f.Add("track", "", "grade1", "", "", "6.5 m", "minor_line", "", "2", "1", "0.63 MVA", "125万m3")
	f.Add("service", "G4W2", "", "driveway", "private", "60.0001", "substation", "10 kV", "", "3", "200", "1.2亿方")
	f.Add("motorway", "S7101;Y005", "grade5", "", "", "", "transformer", "10000;220", "4", "", "", "")
	f.Add("residential", "c123", "", "", "", "1e3", "cable", "380", "", "", "2600", "NaN")
	f.Fuzz(func(t *testing.T, highway, ref, tracktype, service, access, width, power, voltage, cables, phases, rating, volume string) {
		// Both decoders hand over valid UTF-8 only (PBF strings are
		// repaired, XML with bad bytes is an error).
		for _, s := range []*string{&highway, &ref, &tracktype, &service, &access, &width, &power, &voltage, &cables, &phases, &rating, &volume} {
			*s = strings.ToValidUTF8(*s, "\uFFFD")
		}
		if w, ok := parseWidth(width); ok && (w <= 0 || w > 60 || math.IsNaN(w)) {
			t.Fatalf("parseWidth(%q) = %v", width, w)
		}
		if vs, ok := parseVoltages(voltage); ok {
			for i, v := range vs {
				if v <= 0 || v > maxKV || math.IsNaN(v) || (i > 0 && v >= vs[i-1]) {
					t.Fatalf("parseVoltages(%q) = %v", voltage, vs)
				}
			}
		}
		ts := tg("highway="+highway, "ref="+ref, "tracktype="+tracktype, "service="+service, "access="+access,
			"width="+width, "surface="+tracktype, "power="+power, "voltage="+voltage, "cables="+cables,
			"phases="+phases, "rating="+rating, "transformer="+service, "substation="+access,
			"water=reservoir", "volume="+volume, "reservoir:scale="+ref, "place="+highway, "name="+ref,
			"tourism="+service)
		for _, closed := range []bool{false, true} {
			for _, ms := range [][]mapping{mapWay(ts, closed), mapNode(ts), mapRelation(ts)} {
				for _, m := range ms {
					if (m.attrs == nil) == (m.reason == "") {
						t.Fatalf("mapping %+v: want attrs or a reason", m)
					}
					if m.reason != "" {
						if !utf8.ValidString(m.reason) || len(m.reason) > 200 {
							t.Fatalf("reason %q", m.reason)
						}
						continue
					}
					a := m.attrs
					if n := placeholderName(m.layer, "way/1"); n != "" && a["name"] == nil {
						a["name"] = n
					}
					checkAttrs(t, m.layer, a)
				}
			}
		}
	})
}
