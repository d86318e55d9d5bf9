package middleware

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// appendTime writes what time.RFC3339Nano does, across seconds, zones,
// fractions with and without trailing zeros, and none.
func TestAppendTime(t *testing.T) {
	zones := []*time.Location{time.UTC, time.Local, time.FixedZone("", 5*3600+1800), time.FixedZone("W", -7*3600)}
	if ny, err := time.LoadLocation("America/New_York"); err == nil {
		zones = append(zones, ny)
	}
	base := time.Date(2026, 3, 8, 6, 59, 58, 0, time.UTC) // across New York's switch to summer time
	nanos := []int{0, 1, 10, 100_000_000, 120_000_000, 123_456_789, 999_999_999, 500}
	for _, loc := range zones {
		for s := 0; s < 4; s++ {
			for _, ns := range nanos {
				tm := base.Add(time.Duration(s)*time.Second + time.Duration(ns)).In(loc)
				want := `"` + tm.Format(time.RFC3339Nano) + `"`
				if got := string(appendTime(nil, tm)); got != want {
					t.Errorf("appendTime(%v) = %s, want %s", tm, got, want)
				}
			}
		}
	}
	now := time.Now()
	if got, want := string(appendTime([]byte("x"), now)), `x"`+now.Format(time.RFC3339Nano)+`"`; got != want {
		t.Errorf("appendTime(now) = %s, want %s", got, want)
	}
	far := time.Date(12345, 1, 2, 3, 4, 5, 6, time.UTC)
	if got, want := string(appendTime(nil, far)), `"`+far.Format(time.RFC3339Nano)+`"`; got != want {
		t.Errorf("appendTime(%v) = %s, want %s", far, got, want)
	}
}

// appendMillis writes what strconv.AppendFloat(us/1000, 'f', -1) does.
func TestAppendMillis(t *testing.T) {
	cases := []int64{0, 1, 9, 10, 12, 100, 999, 1000, 1001, 1010, 1500, 123456, 60_000_000, 1e15 - 1, 1e15, 1e18, -1, -1500}
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		cases = append(cases, r.Int64N(1e12), r.Int64N(1e15))
	}
	for _, us := range cases {
		want := strconv.FormatFloat(float64(us)/1000, 'f', -1, 64)
		if got := string(appendMillis(nil, us)); got != want {
			t.Fatalf("appendMillis(%d) = %s, want %s", us, got, want)
		}
	}
}
