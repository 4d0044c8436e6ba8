package sdk

import "math"

// minorExponents lists ISO 4217 currencies whose minor unit is not 1/100.
var minorExponents = map[string]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
	"PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}

// MinorPerMajor is how many minor units make one major unit of currency
// (100 for EUR, 1 for JPY, 1000 for KWD).
func MinorPerMajor(currency string) int64 {
	exp, ok := minorExponents[currency]
	if !ok {
		exp = 2
	}
	return int64(math.Pow10(exp))
}

// Major is the amount in major units (12.5 for 1250 EUR cents). Sums are
// taken in integers first; this division happens once, at the edge.
func (m Money) Major() float64 {
	return float64(m.Minor) / float64(MinorPerMajor(m.Currency))
}
