package dashboard

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/handler"
)

// TestMemoryConstantOverMillionRequests records 1,000,000 requests, many
// of them failing (each with its own request ID) or rate limited, over
// more routes than the cap, with a clock that moves 100 ms per request
// (about 28 hours: every slot is reused), and checks that what the
// recorder holds — series and event ring — has the same size after the
// first 10,000 requests and after the millionth.
func TestMemoryConstantOverMillionRequests(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	d, err := New("footprint", WithClock(now), WithMaxSeries(16), WithEvents(100))
	if err != nil {
		t.Fatal(err)
	}
	const total = 1_000_000
	var sizeAt10k, seriesAt10k int
	r := &handler.Request{Method: "GET"}
	patterns := make([]string, 40) // more routes than WithMaxSeries
	for i := range patterns {
		patterns[i] = fmt.Sprintf("GET /r%d/{id}", i)
	}
	for i := 1; i <= total; i++ {
		clock.Add(int64(100 * time.Millisecond))
		r.Pattern = patterns[i%len(patterns)]
		r.RequestID = fmt.Sprintf("%032x", i)
		status := 200
		switch i % 10 {
		case 3:
			status = 503
		case 7:
			status = 429
		}
		d.recordHTTP(r, now(), 0, status)
		if i == 10_000 {
			sizeAt10k, seriesAt10k = d.footprint()
		}
	}
	size, n := d.footprint()
	t.Logf("recorder footprint: %d bytes in %d series after 10,000 requests, %d bytes in %d series after %d", sizeAt10k, seriesAt10k, size, n, total)
	if size != sizeAt10k || n != seriesAt10k {
		t.Errorf("footprint grew: %d bytes (%d series) after 10,000 requests, %d bytes (%d series) after %d", sizeAt10k, seriesAt10k, size, n, total)
	}
	if n != 16+1 { // 16 series, then "(other)"
		t.Errorf("%d series, want the cap 16 plus (other)", n)
	}
	if held := d.events.n; held != 100 {
		t.Errorf("the ring holds %d events, want its capacity 100", held)
	}
	// The last hour's slots still add up: 1 request per 100 ms of the
	// clock, over every series.
	s, err := d.Snapshot(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var count uint64
	for _, p := range s.Panels {
		count += p.Count
	}
	if count < 35_000 || count > 36_010 {
		t.Errorf("last hour: %d requests, want about 36,000 (10 per second of the clock)", count)
	}
}

func TestBuckets(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want int
	}{{0, 0}, {500 * time.Nanosecond, 0}, {time.Microsecond, 1}, {2 * time.Microsecond, 3}, {3 * time.Microsecond, 4}, {time.Hour, nBuckets - 1}} {
		if got := bucketOf(tc.d); got != tc.want {
			t.Errorf("bucketOf(%v) = %d, want %d", tc.d, got, tc.want)
		}
	}
	for i := 1; i < nBuckets-1; i++ {
		lo, hi := lowerBound(i), lowerBound(i+1)
		if i != 2 && bucketOf(lo) != i { // bucket 2 would hold 1.5 µs: none, in whole microseconds
			t.Errorf("bucketOf(lowerBound(%d)=%v) = %d", i, lo, bucketOf(lo))
		}
		if hi < lo {
			t.Errorf("bounds not increasing at %d: %v, %v", i, lo, hi)
		}
	}
}

// TestMinutesFoldIntoHours reuses a minute slot 64 minutes later: what it
// held moves to its hour, so the day still counts it once and the last
// hour no longer does.
func TestMinutesFoldIntoHours(t *testing.T) {
	now := time.Date(2026, 1, 1, 10, 5, 0, 0, time.UTC)
	d, err := New("fold", WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	r := &handler.Request{Method: "GET", Pattern: "GET /x"}
	d.recordHTTP(r, now.Add(-3*time.Millisecond), 3*time.Millisecond, 200)
	d.recordHTTP(r, now.Add(-3*time.Millisecond), 3*time.Millisecond, 500)
	now = now.Add(minuteSlots * time.Minute) // the same minute slot
	d.recordHTTP(r, now.Add(-time.Millisecond), time.Millisecond, 200)

	day, _ := d.Snapshot(24 * time.Hour)
	if day.Totals.Count != 3 || day.Totals.Errors != 1 {
		t.Errorf("24h: %+v, want 3 requests, 1 error", day.Totals)
	}
	byHour := map[string]uint64{}
	for _, p := range day.Chart {
		if p.Count > 0 {
			byHour[p.Time] = p.Count
		}
	}
	if byHour["2026-01-01T10:00:00Z"] != 2 || byHour["2026-01-01T11:00:00Z"] != 1 || len(byHour) != 2 {
		t.Errorf("24h chart %v, want 2 at 10:00 and 1 at 11:00", byHour)
	}
	if p := day.Panels[0]; p.P95Ms != 3.072 {
		t.Errorf("24h p95 %v ms, want 3.072 (the folded 3 ms bucket's upper bound)", p.P95Ms)
	}
	hour, _ := d.Snapshot(time.Hour)
	if hour.Totals.Count != 1 {
		t.Errorf("1h: %+v, want the one request of the last hour", hour.Totals)
	}
}
