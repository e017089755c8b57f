package planning

import (
	"math"
	"strconv"
	"strings"
)

// A generated project's 工程量, 单价 and 投资估算 are rounded once, here, to
// what the 项目库 shows (工程量 0.01, 单价 0.0001 万元, 投资 0.01 万元), and
// the cost is computed from the rounded quantity and price in exact decimal
// arithmetic: 工程量 × 单价 = 投资估算 as shown, in the API, the XLSX and the
// CSV alike.
const (
	QuantityDecimals = 2
	PriceDecimals    = 4
	MoneyDecimals    = 2
)

// RoundQuantity rounds a 工程量 to QuantityDecimals.
func RoundQuantity(x float64) float64 { return float64(Scaled(x, QuantityDecimals)) / 100 }

// RoundPrice rounds a 单价 (万元) to PriceDecimals.
func RoundPrice(x float64) float64 { return float64(Scaled(x, PriceDecimals)) / 10000 }

// CostWan is quantity × unit price in 万元, both rounded as shown, and the
// product rounded half away from zero to 0.01 万元.
func CostWan(quantity, price float64) float64 {
	q := Scaled(quantity, QuantityDecimals) // hundredths
	p := Scaled(price, PriceDecimals)       // ten-thousandths
	micro := q * p                          // millionths of 万元
	cents := (abs64(micro) + 5000) / 10000
	if micro < 0 {
		cents = -cents
	}
	return float64(cents) / 100
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// Scaled returns x × 10^places rounded half away from zero, rounding the
// shortest decimal that represents x (what a user typed, "1.005"), not its
// binary value (1.00499999…), which math.Round(x*100) would take down.
// Values beyond int64 (not real amounts) give 0.
func Scaled(x float64, places int) int64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	neg := x < 0
	s := strconv.FormatFloat(math.Abs(x), 'f', -1, 64)
	whole, frac, _ := strings.Cut(s, ".")
	up := len(frac) > places && frac[places] >= '5'
	frac = (frac + strings.Repeat("0", places))[:places]
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0
	}
	if up {
		n++
	}
	if neg {
		n = -n
	}
	return n
}
