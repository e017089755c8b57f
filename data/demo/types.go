package demo

import (
	"encoding/json"
	"time"

	"github.com/paulmach/orb"
)

// County is the whole generated demo dataset: one county with every layer.
// All coordinates are EPSG:4490 (CGCS2000) longitude/latitude degrees.
// Slices are in a fixed order so that loading them yields stable ids.
type County struct {
	Code    string           // 6-digit county code, "430682"
	Name    string           // "临湘市"
	Outline orb.MultiPolygon // synthetic county outline (not the real boundary)
	// Profile is the county's own profile overrides (counties.profile):
	// the plan's targets, which belong to this county and no other.
	Profile json.RawMessage

	Townships    []Township
	Villages     []Village // 行政村 and 社区 first (code order), then 村民组
	Roads        []Road
	Bridges      []Bridge
	BusStops     []BusStop
	Reservoirs   []Reservoir
	WaterWorks   []WaterWorks
	WaterMains   []WaterMain
	Substations  []Substation
	PowerLines   []PowerLine
	Transformers []Transformer
	PVStations   []PVStation
	TourismSites []TourismSite
}

// Township is a 乡镇/街道 with its real 9-digit code and a synthetic seat
// (乡镇驻地). Its outline is derived at load time in PostGIS: the Voronoi cell
// of its seat among all seats, clipped to the county outline. Villages are
// placed so that each lies in its own township's cell.
type Township struct {
	Code string
	Name string
	Seat orb.Point
}

// Village kinds.
const (
	KindAdministrative = "行政村"
	KindCommunity      = "社区"
	KindGroup          = "村民组"
)

// Village is a village unit. 行政村 and 社区 carry their real 12-digit 统计用区划代码;
// a 村民组 has no code and names its parent 行政村 by ParentCode.
type Village struct {
	Code           string // 12 digits; empty for 村民组
	Name           string
	TownshipCode   string // 9 digits
	Kind           string // KindAdministrative, KindCommunity or KindGroup
	ParentCode     string // the parent 行政村 of a 村民组; empty otherwise
	Office         orb.Point
	Households     int
	Population     int
	IsPoor         bool // 建档立卡贫困村 (only 行政村)
	PoorHouseholds int  // 建档立卡 poor households
	PoorPopulation int  // 建档立卡 poor people
}

// Road grades and surfaces as stored.
const (
	GradeExpressway = "高速"
	GradeNational   = "国道"
	GradeProvincial = "省道"
	GradeCounty     = "县道"
	GradeTownship   = "乡道"
	GradeVillage    = "村道"
	GradeGroup      = "通组路"

	SurfaceAsphalt  = "沥青"
	SurfaceConcrete = "水泥"
	SurfaceGravel   = "砂石"
	SurfaceEarth    = "土"
)

// Road is one road segment. Segments meet only at shared end points or at a
// shared vertex, so the network can be noded exactly.
type Road struct {
	Name    string
	Ref     string // e.g. "G107", "X021"; may be empty
	Grade   string
	Surface string
	WidthM  float64 // pavement width in metres
	Year    int     // year built or last rebuilt
	Geom    orb.LineString
}

// Bridge is a road bridge. ConditionClass is the 公路桥梁技术状况 class 1–5;
// classes 4 and 5 are 危桥.
type Bridge struct {
	Name           string
	RoadRef        string
	LengthM        float64
	ConditionClass int
	Dangerous      bool
	Geom           orb.Point // on the road it carries
}

// BusStop is a 客运站/招呼站 with the routes that serve it.
type BusStop struct {
	Name   string
	Routes []string
	Geom   orb.Point
}

// Reservoir scales and safety states.
const (
	ScaleLarge1  = "大(1)型"
	ScaleLarge2  = "大(2)型"
	ScaleMedium  = "中型"
	ScaleSmall1  = "小(1)型"
	ScaleSmall2  = "小(2)型"
	SafetyUnsafe = "病险"
	SafetyFixed  = "已除险加固"
)

// Reservoir is a water body with its dam safety status.
type Reservoir struct {
	Name           string
	Scale          string
	CapacityWanM3  float64 // total capacity in 万m³
	DrinkingSource bool
	Safety         string // SafetyUnsafe or SafetyFixed
	SafetyYear     int    // year of the safety appraisal or of the works; 0 if unknown
	Geom           orb.Polygon
}

// WaterWorks is a 供水工程 (水厂) with its capacity and quality record.
type WaterWorks struct {
	Name             string
	Kind             string  // "城镇水厂", "乡镇水厂", "单村供水"
	DesignM3PerDay   float64 // design capacity m³/d
	PopulationServed int
	LastTestDate     string // YYYY-MM-DD of the last water-quality test; "" if never tested
	LastTestPassed   bool
	GuaranteePct     float64 // 供水保证率, percent
	Geom             orb.Point
}

// WaterMain is a supply pipe leaving a works.
type WaterMain struct {
	WorksName  string
	DiameterMM int
	Geom       orb.LineString
}

// Substation is a 变电站.
type Substation struct {
	Name        string
	VoltageKV   float64 // highest voltage: 220, 110 or 35
	SecondaryKV float64 // 110, 35 or 10
	CapacityMVA float64
	Geom        orb.Point
}

// PowerLine is an overhead or cable line. VoltageKV is one of
// 0.22, 0.4, 10, 35, 110, 220, 500.
type PowerLine struct {
	Name      string
	VoltageKV float64
	Phases    int    // 1 or 3
	Feeder    string // 10 kV feeder name the line belongs to; empty above 10 kV
	Geom      orb.LineString
}

// Transformer is a distribution transformer (配变, 10/0.4 kV).
type Transformer struct {
	Name             string
	KVA              float64
	PrimaryKV        float64
	SecondaryKV      float64
	Phases           int
	HouseholdsServed int
	Feeder           string
	VillageCode      string
	Geom             orb.Point
}

// PV station types.
const (
	PVVillage     = "村级"
	PVHousehold   = "户用"
	PVCentralised = "集中式"
)

// PVStation is a photovoltaic poverty-alleviation station.
type PVStation struct {
	Name          string
	KW            float64
	Type          string
	GridConnected bool
	VillageCode   string
	Year          int
	Geom          orb.Point
}

// TourismSite is a scenic spot or 旅游扶贫 village site.
type TourismSite struct {
	Name        string
	ALevel      int    // 0 (none) to 5 (5A)
	Kind        string // "森林公园", "古镇", "乡村旅游", "湖泊", "文物"
	VillageCode string
	Geom        orb.Point
}

// BaselineDate is the date the demo data describes: the end of 2016, the
// first year of the county's 十三五 plan. Scoring the demo "as of" this date
// keeps its 2016 water-quality tests current.
var BaselineDate = time.Date(2016, 12, 31, 0, 0, 0, 0, time.UTC)
