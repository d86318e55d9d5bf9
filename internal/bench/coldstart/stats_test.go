package coldstart_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/anyfunc/anyfunc/internal/bench/coldstart"
)

func TestQuantile(t *testing.T) {
	xs := []float64{9, 1, 8, 2, 7, 3, 6, 4, 5, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}
	for _, c := range []struct{ q, want float64 }{{0, 1}, {0.5, 10}, {0.95, 19}, {1, 20}} {
		if got := coldstart.Quantile(xs, c.q); got != c.want {
			t.Errorf("Quantile(1..20, %v) = %v, want %v", c.q, got, c.want)
		}
	}
	if got := coldstart.Quantile([]float64{3}, 0.95); got != 3 {
		t.Errorf("Quantile of one value = %v", got)
	}
	if got := coldstart.Quantile(nil, 0.5); !math.IsNaN(got) {
		t.Errorf("Quantile(nil) = %v, want NaN", got)
	}
	if xs[0] != 9 {
		t.Error("Quantile sorted its argument")
	}
}

func ExampleQuantile() {
	ms := []float64{41, 40, 43, 90, 42}
	fmt.Println(coldstart.Quantile(ms, 0.5), coldstart.Quantile(ms, 0.95))
	// Output: 42 90
}
