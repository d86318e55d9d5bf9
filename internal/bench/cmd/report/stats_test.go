package main

import (
	"math"
	"testing"
)

func TestUTest(t *testing.T) {
	for _, c := range []struct {
		name string
		a, b []float64
		want float64
	}{
		// Fully separated samples of 6: 2 of the C(12,6) = 924 orderings.
		{"separated", []float64{1, 2, 3, 4, 5, 6}, []float64{7, 8, 9, 10, 11, 12}, 2.0 / 924},
		{"separated, reversed", []float64{7, 8, 9, 10, 11, 12}, []float64{1, 2, 3, 4, 5, 6}, 2.0 / 924},
		// U = 1 for 3 and 3: orderings with U ≤ 1 are 2 of 20, doubled.
		{"one swap", []float64{1, 2, 4}, []float64{3, 5, 6}, 4.0 / 20},
		// Interleaved exactly: U at its mean.
		{"interleaved", []float64{1, 4, 5, 8}, []float64{2, 3, 6, 7}, 1},
		// U = 6 for 4 and 4: 24 of the 70 orderings have U ≤ 6.
		{"alternating", []float64{1, 3, 5, 7}, []float64{2, 4, 6, 8}, 48.0 / 70},
	} {
		if got := uTest(c.a, c.b); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: p = %v, want %v", c.name, got, c.want)
		}
	}
	// With ties, the normal approximation: separated samples of 8 with
	// ties inside each sample still give a small p, equal samples p = 1.
	a := []float64{1, 1, 2, 2, 3, 3, 4, 4}
	b := []float64{5, 5, 6, 6, 7, 7, 8, 8}
	if p := uTest(a, b); p > 0.002 || p <= 0 {
		t.Errorf("separated with ties: p = %v", p)
	}
	if p := uTest(a, a); p != 1 {
		t.Errorf("equal samples: p = %v, want 1", p)
	}
	if p := uTest(nil, b); !math.IsNaN(p) {
		t.Errorf("empty sample: p = %v, want NaN", p)
	}
}
