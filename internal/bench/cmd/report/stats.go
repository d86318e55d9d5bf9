package main

import (
	"math"
	"sort"
)

// uTest is the two-sided p-value of the Mann-Whitney U test that a and b
// come from the same distribution, the test benchstat applies: exact when
// the samples have no tie and are small, by the normal approximation (with
// the tie correction and a continuity correction) otherwise. It is NaN
// when either sample is empty.
func uTest(a, b []float64) float64 {
	n1, n2 := len(a), len(b)
	if n1 == 0 || n2 == 0 {
		return math.NaN()
	}
	type obs struct {
		v     float64
		first bool
	}
	all := make([]obs, 0, n1+n2)
	for _, v := range a {
		all = append(all, obs{v, true})
	}
	for _, v := range b {
		all = append(all, obs{v, false})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v < all[j].v })
	// Ranks, ties sharing their mean rank; tieSum is Σ(t³ - t) over tie groups.
	var r1, tieSum float64
	ties := false
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		rank := float64(i+j+1) / 2 // ranks i+1 … j, averaged
		for k := i; k < j; k++ {
			if all[k].first {
				r1 += rank
			}
		}
		if t := float64(j - i); t > 1 {
			ties = true
			tieSum += t*t*t - t
		}
		i = j
	}
	u1 := r1 - float64(n1*(n1+1))/2
	u := math.Min(u1, float64(n1*n2)-u1)
	if !ties && n1 <= 50 && n2 <= 50 {
		// P(U ≤ u) from the exact distribution of U, doubled.
		counts := uCounts(n1, n2)
		var below, total float64
		for k, c := range counts {
			total += c
			if float64(k) <= u {
				below += c
			}
		}
		return math.Min(1, 2*below/total)
	}
	n := float64(n1 + n2)
	mean := float64(n1*n2) / 2
	sd := math.Sqrt(float64(n1*n2) / 12 * (n + 1 - tieSum/(n*(n-1))))
	if sd == 0 {
		return 1
	}
	z := (u - mean + 0.5) / sd // u ≤ mean: the continuity correction moves it towards the mean
	return math.Min(1, 2*0.5*math.Erfc(-z/math.Sqrt2))
}

// uCounts returns, for each value k of the U statistic of samples of n1 and
// n2 observations without ties, the number of orderings that give U = k.
func uCounts(n1, n2 int) []float64 {
	// f[i][j] is the distribution for samples of i and j: the largest
	// observation is either from the first sample (adding j to U) or not.
	f := make([][][]float64, n1+1)
	for i := range f {
		f[i] = make([][]float64, n2+1)
		for j := range f[i] {
			d := make([]float64, i*j+1)
			switch {
			case i == 0 || j == 0:
				d[0] = 1
			default:
				for k, c := range f[i-1][j] {
					d[k+j] += c
				}
				for k, c := range f[i][j-1] {
					d[k] += c
				}
			}
			f[i][j] = d
		}
	}
	return f[n1][n2]
}
