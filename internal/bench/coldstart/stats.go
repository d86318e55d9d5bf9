package coldstart

import (
	"math"
	"slices"
)

// Quantile returns the q-quantile (0 <= q <= 1) of xs by the nearest-rank
// method: the smallest value with at least q of the values at or below it
// (the median of an even count is the lower middle value). It returns NaN
// for no values.
func Quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}
