package dashboard

import (
	"fmt"
	"math"
	"runtime/metrics"
	"sort"
	"time"
	"unsafe"
)

const (
	sizeofSeries = unsafe.Sizeof(series{})
	sizeofEvent  = unsafe.Sizeof(Event{})
)

// Windows the page offers, by the name snapshot.json takes.
var windows = map[string]time.Duration{"15m": 15 * time.Minute, "1h": time.Hour, "24h": 24 * time.Hour}

// Snapshot is what the dashboard shows for one time window.
type Snapshot struct {
	App        string  `json:"app"`
	Now        string  `json:"now"`
	Window     string  `json:"window"`     // "15m", "1h" or "24h"
	Resolution string  `json:"resolution"` // "1m" or "1h": the chart's step
	RefreshMs  int64   `json:"refreshMs"`
	Totals     Stats   `json:"totals"` // HTTP requests
	Chart      []Point `json:"chart"`  // HTTP requests per step, oldest first
	Panels     []Panel `json:"panels"`
	// MemoryBytes is the process's memory now, PeakMemoryBytes the most
	// any snapshot saw.
	MemoryBytes     uint64  `json:"memoryBytes"`
	PeakMemoryBytes uint64  `json:"peakMemoryBytes"`
	Alerts          []Alert `json:"alerts"`
	Events          []Event `json:"events"` // newest first
}

// Stats sums invocations.
type Stats struct {
	Count     uint64  `json:"count"`
	Errors    uint64  `json:"errors"`
	ErrorRate float64 `json:"errorRate"` // percent
	Severity  string  `json:"severity"`  // of the error rate: "ok", "warning", "critical"
	AvgMs     float64 `json:"avgMs"`
	P50Ms     float64 `json:"p50Ms"`
	P95Ms     float64 `json:"p95Ms"`
}

// Point is one step of the chart.
type Point struct {
	Time string `json:"time"`
	Stats
}

// Panel is one route, consumer or schedule.
type Panel struct {
	Kind string `json:"kind"` // "route", "consumer", "schedule"
	Name string `json:"name"`
	Stats
	MemoryBytes uint64 `json:"memoryBytes"` // the process's: every function shares it
	// Histogram is the distribution of durations: the non-empty buckets,
	// fastest first.
	Histogram []Bucket `json:"histogram"`
}

// Bucket is one bar of a duration histogram: Count invocations took less
// than UpToMs (and at least the previous bucket's UpToMs).
type Bucket struct {
	UpToMs float64 `json:"upToMs"`
	Count  uint64  `json:"count"`
}

// histogram returns a's non-empty buckets.
func (a *acc) histogram() []Bucket {
	out := []Bucket{}
	for i, n := range a.hist {
		if n == 0 {
			continue
		}
		up := lowerBound(nBuckets - 1)
		if i+1 < nBuckets {
			up = lowerBound(i + 1)
		}
		out = append(out, Bucket{UpToMs: ms(up), Count: n})
	}
	return out
}

// Alert is a condition the window shows.
type Alert struct {
	Severity string `json:"severity"` // "warning" or "critical"
	Source   string `json:"source"`
	Message  string `json:"message"`
}

// acc accumulates slots.
type acc struct {
	count, errs, nanos uint64
	hist               [nBuckets]uint64
}

func (a *acc) addSlot(sl *slot) {
	a.count += sl.count.Load()
	a.errs += sl.errs.Load()
	a.nanos += sl.nanos.Load()
	for i := range sl.hist {
		a.hist[i] += uint64(sl.hist[i].Load())
	}
}

func (a *acc) addAcc(b *acc) {
	a.count += b.count
	a.errs += b.errs
	a.nanos += b.nanos
	for i := range b.hist {
		a.hist[i] += b.hist[i]
	}
}

// quantile returns the upper bound of the bucket holding the q-quantile.
func (a *acc) quantile(q float64) time.Duration {
	var total uint64
	for _, n := range a.hist {
		total += n
	}
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(total)))
	var cum uint64
	for i, n := range a.hist {
		cum += n
		if cum >= rank {
			if i+1 < nBuckets {
				return lowerBound(i + 1)
			}
			return lowerBound(i)
		}
	}
	return lowerBound(nBuckets - 1)
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

// severity grades an error rate in percent.
func severity(rate float64) string {
	switch {
	case rate >= 5:
		return "critical"
	case rate >= 1:
		return "warning"
	}
	return "ok"
}

func (a *acc) stats() Stats {
	s := Stats{Count: a.count, Errors: a.errs, Severity: "ok"}
	if a.count > 0 {
		s.ErrorRate = math.Round(float64(a.errs)*1e4/float64(a.count)) / 100
		s.Severity = severity(s.ErrorRate)
		s.AvgMs = ms(time.Duration(a.nanos / a.count))
		s.P50Ms = ms(a.quantile(0.50))
		s.P95Ms = ms(a.quantile(0.95))
	}
	return s
}

// Snapshot returns what the recorder holds for the last window: 15
// minutes or 1 hour (by minute) or 24 hours (by hour).
func (d *Dashboard) Snapshot(window time.Duration) (*Snapshot, error) {
	name := ""
	for k, v := range windows {
		if v == window {
			name = k
		}
	}
	if name == "" {
		return nil, fmt.Errorf("dashboard: window %v: want 15m, 1h or 24h", window)
	}
	now := d.o.now()
	step := time.Minute
	if window > time.Hour {
		step = time.Hour
	}
	n := int64(window / step)
	last := now.Unix() / int64(step/time.Second)
	first := last - n + 1

	snap := &Snapshot{App: d.name, Now: now.UTC().Format(time.RFC3339), Window: name,
		Resolution: map[time.Duration]string{time.Minute: "1m", time.Hour: "1h"}[step],
		RefreshMs:  d.o.refresh.Milliseconds(), Alerts: []Alert{}}
	snap.MemoryBytes = processMemory()
	d.memMu.Lock()
	d.peakMem = max(d.peakMem, snap.MemoryBytes)
	snap.PeakMemoryBytes = d.peakMem
	d.memMu.Unlock()

	points := make([]acc, n)
	var total acc
	m := *d.series.Load()
	all := make([]*series, 0, len(m))
	for _, s := range m {
		all = append(all, s)
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].kind != all[j].kind {
			return all[i].kind < all[j].kind
		}
		return all[i].name < all[j].name
	})
	for _, s := range all {
		var sum acc
		// into adds slot sl, which holds period p (in steps), when p is
		// in the window.
		into := func(sl *slot, p int64) {
			if p < first || p > last {
				return
			}
			var a acc
			a.addSlot(sl)
			sum.addAcc(&a)
			if s.kind == KindRoute {
				points[p-first].addAcc(&a)
			}
		}
		for i := range s.minutes {
			sl := &s.minutes[i]
			if m := sl.stamp.Load() - 1; m >= 0 {
				if step == time.Hour {
					into(sl, m/60)
				} else {
					into(sl, m)
				}
			}
		}
		if step == time.Hour {
			// Minutes older than the minute ring were folded into hours.
			for i := range s.hours {
				if h := s.hours[i].stamp.Load() - 1; h >= 0 {
					into(&s.hours[i], h)
				}
			}
		}
		if s.kind == KindRoute {
			total.addAcc(&sum)
		}
		st := sum.stats()
		snap.Panels = append(snap.Panels, Panel{Kind: s.kind.String(), Name: s.name, Stats: st, MemoryBytes: snap.MemoryBytes, Histogram: sum.histogram()})
		if s.kind != KindRoute && st.Errors > 0 {
			snap.Alerts = append(snap.Alerts, Alert{Severity: "warning", Source: s.name,
				Message: fmt.Sprintf("%s %s: %d of %d failed", s.kind, s.name, st.Errors, st.Count)})
		}
	}
	snap.Totals = total.stats()
	for i := range points {
		t := time.Unix((first+int64(i))*int64(step/time.Second), 0).UTC()
		snap.Chart = append(snap.Chart, Point{Time: t.Format(time.RFC3339), Stats: points[i].stats()})
	}
	if sev := snap.Totals.Severity; sev != "ok" {
		snap.Alerts = append([]Alert{{Severity: sev, Source: "http",
			Message: fmt.Sprintf("error rate %.2f%% (%d of %d requests answered 5xx)", snap.Totals.ErrorRate, snap.Totals.Errors, snap.Totals.Count)}}, snap.Alerts...)
	}
	if p95 := total.quantile(0.95); total.count > 0 && p95 > d.o.p95Alert {
		snap.Alerts = append(snap.Alerts, Alert{Severity: "warning", Source: "http",
			Message: fmt.Sprintf("p95 latency %v over %v", p95, d.o.p95Alert)})
	}
	snap.Events = d.events.since(now.Add(-window))
	dead, late := 0, 0
	for _, e := range snap.Events {
		switch e.Kind {
		case EventDeadLettered:
			dead++
		case EventLateSchedule:
			late++
		}
	}
	if dead > 0 {
		snap.Alerts = append(snap.Alerts, Alert{Severity: "critical", Source: "queues", Message: fmt.Sprintf("%d message(s) went to the dead-letter queue", dead)})
	}
	if late > 0 {
		snap.Alerts = append(snap.Alerts, Alert{Severity: "warning", Source: "schedules", Message: fmt.Sprintf("%d schedule tick(s) ran late", late)})
	}
	return snap, nil
}

var memSamples = []metrics.Sample{
	{Name: "/memory/classes/total:bytes"},
	{Name: "/memory/classes/heap/released:bytes"},
}

var memMu = make(chan struct{}, 1)

// processMemory returns the memory the Go runtime has mapped and not
// released to the system.
func processMemory() uint64 {
	memMu <- struct{}{}
	defer func() { <-memMu }()
	metrics.Read(memSamples)
	if memSamples[0].Value.Kind() != metrics.KindUint64 || memSamples[1].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return memSamples[0].Value.Uint64() - memSamples[1].Value.Uint64()
}
