package province

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/paulmach/orb"

	"github.com/gapmap/gapmap/data/demo"
)

// Hunan's extent in EPSG:4490 degrees; the synthetic counties tile it.
var extent = orb.Bound{Min: orb.Point{108.79, 24.64}, Max: orb.Point{114.26, 30.13}}

// extentUnits is the number of units the extent is sized for, Hunan's. A
// smaller input tiles a proportionally smaller rectangle round the same
// centre, so that a sample of counties is laid out as densely as in the
// whole province (and a test on it sees the same road and feeder lengths).
const extentUnits = 29534

const (
	// Version names the generator's output: bump it when a change alters
	// what Generate returns for the same input.
	Version = "1"

	rngSeed = 0x67617070726f76 // "gapprov"

	// PoorShare is the share of 行政村 marked 建档立卡贫困村: Hunan's 6,920
	// poor villages of the 十三五 period among the 23,580 行政村 of the 2023
	// codes, so that the whole province gets exactly 6,920.
	PoorShare = 6920.0 / 23580

	// RoadsPerUnit and PowerLinesPerUnit set the segment lengths: the
	// whole province (29,534 units) gets about 1,000,000 road rows, about
	// 220 m a segment, and 200,000 power-line rows. The 35/110 kV and
	// low-voltage lines are one row each (about 113,000); the 10 kV lines
	// are cut into what is left, about 1 km a segment.
	RoadsPerUnit      = 1_000_000.0 / 29534
	PowerLinesPerUnit = 200_000.0 / 29534
)

// RNG streams: each concern draws from its own PCG stream seeded by the
// county code, so counties are independent (and generated in parallel) and
// tuning one layer does not reshuffle the others.
const (
	streamSeats = iota + 1
	streamOffices
	streamGroups
	streamPeople
	streamRoads
	streamGrid
	streamWater
	streamTransport
	streamPV
	streamReservoirs
	streamBridges
	streamTourism
)

func newRNG(county string, stream uint64) *rand.Rand {
	var code uint64
	for i := 0; i < len(county); i++ {
		code = code*10 + uint64(county[i]-'0')
	}
	return rand.New(rand.NewPCG(rngSeed, code<<8|stream))
}

// Generate reads the village CSV (columns village_code, village_name,
// township_code, township_name, county_code, county_name; others ignored)
// and returns one demo.County per county code, in code order, with every
// layer the gap scoring reads. Codes and names are real; all geometry is
// synthetic (see the package doc). It is deterministic: the same input
// gives deeply equal output. Errors are *InputError for bad rows, or the
// error of a county the generator could not lay out.
//
// The segments of one road or feeder share a backing array of vertices,
// and neighbouring segments the very same end vertex, to keep a million
// segments cheap: treat the geometry as read-only.
func Generate(villagesCSV io.Reader) ([]*demo.County, error) {
	ins, err := readVillages(villagesCSV)
	if err != nil {
		return nil, err
	}
	quota := poorQuota(ins)
	cells := layout(ins)

	gens := make([]*county, len(ins))
	if err := parallel(len(ins), func(i int) error {
		g, err := plan(ins[i], cells[i], quota[i])
		gens[i] = g
		return err
	}); err != nil {
		return nil, err
	}

	units := 0
	for _, in := range ins {
		units += in.units
	}
	roadLen := calibrate(gens, RoadsPerUnit*float64(units), func(g *county) []straight { return g.roads }, 0)
	fixed := 0
	for _, g := range gens {
		fixed += g.fixedPowerRows()
	}
	powerLen := calibrate(gens, PowerLinesPerUnit*float64(units)-float64(fixed), func(g *county) []straight { return g.feeders }, 0)

	out := make([]*demo.County, len(gens))
	if err := parallel(len(gens), func(i int) error {
		gens[i].emitRoads(roadLen)
		gens[i].placeBridges(newRNG(gens[i].in.code, streamBridges))
		gens[i].emitPower(powerLen)
		out[i] = gens[i].c
		gens[i] = nil // drop the plan
		return nil
	}); err != nil {
		return nil, err
	}
	return out, nil
}

// parallel runs f(0..n-1) on GOMAXPROCS goroutines and returns the error of
// the lowest index that failed, so that errors are deterministic too.
func parallel(n int, f func(i int) error) error {
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = f(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// poorQuota shares round(PoorShare × all 行政村) among the counties in
// proportion to their 行政村 (largest remainder), so that the total is exact.
func poorQuota(ins []*countyIn) []int {
	admin := 0
	for _, in := range ins {
		admin += in.admin
	}
	total := int(math.Round(PoorShare * float64(admin)))
	shares := make([]float64, len(ins))
	for i, in := range ins {
		if admin > 0 {
			shares[i] = float64(total) * float64(in.admin) / float64(admin)
		}
	}
	return demo.Apportion(shares, total)
}

// layout tiles Hunan's extent (or its share, see extentUnits) with one cell
// per county, in code order (so a prefecture's counties sit together), by
// recursive bisection: the list is cut where the weights balance and the
// rectangle across its longer side in that proportion. A county's weight is
// its unit count with a floor, so that small 开发区 still get a usable cell.
func layout(ins []*countyIn) []orb.Bound {
	w := make([]float64, len(ins))
	for i, in := range ins {
		w[i] = math.Max(float64(in.units), 60)
	}
	out := make([]orb.Bound, len(ins))
	m := metricAt(extent.Center()[1])
	var split func(lo, hi int, b orb.Bound)
	split = func(lo, hi int, b orb.Bound) {
		if hi-lo == 1 {
			out[lo] = b
			return
		}
		total := 0.0
		for _, x := range w[lo:hi] {
			total += x
		}
		cut, acc, best := lo+1, 0.0, math.Inf(1)
		for k := lo; k < hi-1; k++ {
			acc += w[k]
			if d := math.Abs(acc - total/2); d < best {
				best, cut = d, k+1
			}
		}
		left := 0.0
		for _, x := range w[lo:cut] {
			left += x
		}
		f := left / total
		a, c := b, b
		if (b.Max[0]-b.Min[0])*m.kx >= (b.Max[1]-b.Min[1])*m.ky {
			x := b.Min[0] + f*(b.Max[0]-b.Min[0])
			a.Max[0], c.Min[0] = x, x
		} else {
			y := b.Max[1] - f*(b.Max[1]-b.Min[1]) // first counties on top: north to south
			a.Min[1], c.Max[1] = y, y
		}
		split(lo, cut, a)
		split(cut, hi, c)
	}
	total := 0.0
	for _, x := range w {
		total += x
	}
	f := math.Sqrt(math.Min(1, total/extentUnits))
	c := extent.Center()
	half := orb.Point{f * (extent.Max[0] - extent.Min[0]) / 2, f * (extent.Max[1] - extent.Min[1]) / 2}
	split(0, len(ins), orb.Bound{Min: orb.Point{c[0] - half[0], c[1] - half[1]}, Max: orb.Point{c[0] + half[0], c[1] + half[1]}})
	return out
}

// calibrate returns the segment length in metres that cuts the planned
// straight lines of all counties into about target pieces (each line at
// least one). A few rounds of the ratio correction get within 0.1%.
func calibrate(gens []*county, target float64, lines func(*county) []straight, minRows int) float64 {
	total := 0.0
	for _, g := range gens {
		for _, s := range lines(g) {
			total += s.lengthM
		}
	}
	if target < 1 || total == 0 {
		return math.Inf(1)
	}
	segLen := total / target
	for round := 0; round < 8; round++ {
		n := 0
		for _, g := range gens {
			for _, s := range lines(g) {
				n += pieces(s.lengthM, segLen)
			}
		}
		if math.Abs(float64(n)-target) <= 0.001*target || n <= minRows {
			break
		}
		segLen *= float64(n) / target
	}
	return segLen
}

// pieces is how many segments a line of lengthM metres is cut into.
func pieces(lengthM, segLen float64) int {
	return max(1, int(math.Round(lengthM/segLen)))
}

// errLayout is returned when a county cannot be laid out.
func errLayout(c *countyIn, what string) error {
	return fmt.Errorf("province: county %s %s: cannot place %s", c.code, c.name, what)
}
