package dashboard

import (
	"context"
	"math/bits"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/event"
)

// Kind is what a series records.
type Kind uint8

// Kinds of series.
const (
	KindRoute    Kind = iota // an HTTP route
	KindConsumer             // a message consumer (by queue)
	KindSchedule             // a schedule
)

// String returns "route", "consumer" or "schedule".
func (k Kind) String() string {
	switch k {
	case KindConsumer:
		return "consumer"
	case KindSchedule:
		return "schedule"
	}
	return "route"
}

// The duration histogram: bucket 0 holds durations under 1 µs; bucket
// i >= 1 starts at lowerBound(i), a factor of 1.5 or 4/3 above the last;
// the last bucket holds everything from about 67 s. Within a power of two
// the buckets split at 1.5x: [8, 12), [12, 16) µs, and so on.
const nBuckets = 54

// bucketOf returns the histogram bucket of d.
func bucketOf(d time.Duration) int {
	us := uint64(d / time.Microsecond)
	if d <= 0 || us == 0 {
		return 0
	}
	n := bits.Len64(us) // us is in [2^(n-1), 2^n)
	half := 0
	if n >= 2 && us&(1<<(n-2)) != 0 {
		half = 1
	}
	i := 2*(n-1) + half + 1
	if i >= nBuckets {
		i = nBuckets - 1
	}
	return i
}

// lowerBound returns the smallest duration bucket i holds.
func lowerBound(i int) time.Duration {
	if i <= 0 {
		return 0
	}
	e, half := (i-1)/2, (i-1)%2
	us := uint64(1) << e
	if half == 1 {
		us += us / 2
	}
	return time.Duration(us) * time.Microsecond
}

// slot is one minute or one hour of one series.
type slot struct {
	stamp atomic.Int64 // the minute or hour it holds, plus one; 0 when empty
	count atomic.Uint64
	errs  atomic.Uint64
	nanos atomic.Uint64
	hist  [nBuckets]atomic.Uint32
}

// Ring lengths: the minute ring covers the last hour, with slots to
// spare; the hour ring the last day, with one slot to spare for the hour
// being filled.
const (
	minuteSlots = 64
	hourSlots   = 26
)

// series is what one route, consumer or schedule recorded. A request
// updates only its minute's slot; when a minute slot is reused (64 minutes
// later), what it held is added to its hour's slot first. So the last 64
// minutes are in minutes and everything older in hours, and each
// invocation is in exactly one of them.
type series struct {
	kind    Kind
	name    string
	mu      sync.Mutex // held only to start a new slot
	minutes [minuteSlots]slot
	hours   [hourSlots]slot // minutes folded in when their slot is reused
}

// add records one invocation at unix second sec.
func (s *series) add(sec int64, d time.Duration, failed bool) {
	if sl := s.slotFor(sec / 60); sl != nil {
		sl.put(d, bucketOf(d), failed)
	}
}

func (sl *slot) put(d time.Duration, b int, failed bool) {
	sl.count.Add(1)
	if failed {
		sl.errs.Add(1)
	}
	if d > 0 {
		sl.nanos.Add(uint64(d))
	}
	sl.hist[b].Add(1)
}

// clear empties sl and marks it as holding period p.
func (sl *slot) clear(p int64) {
	sl.count.Store(0)
	sl.errs.Store(0)
	sl.nanos.Store(0)
	for i := range sl.hist {
		sl.hist[i].Store(0)
	}
	sl.stamp.Store(p + 1)
}

// slotFor returns the slot of minute m, emptied (and its old minute folded
// into its hour) if it held an older minute, or nil if it already holds a
// newer one (m is out of the ring's window: a clock that went back, or a
// call that took that long).
func (s *series) slotFor(m int64) *slot {
	sl := &s.minutes[m%minuteSlots]
	want := m + 1
	if cur := sl.stamp.Load(); cur == want {
		return sl
	} else if cur > want {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch cur := sl.stamp.Load(); {
	case cur == want:
	case cur > want:
		return nil
	default:
		if cur > 0 {
			s.fold(sl, cur-1)
		}
		sl.clear(m)
	}
	return sl
}

// fold adds sl, the slot of minute m, to the slot of m's hour; s.mu is
// held. An hour the ring has already moved past (older than a day) is
// dropped.
func (s *series) fold(sl *slot, m int64) {
	h := m / 60
	hs := &s.hours[h%hourSlots]
	switch cur := hs.stamp.Load(); {
	case cur > h+1:
		return
	case cur < h+1:
		hs.clear(h)
	}
	hs.count.Add(sl.count.Load())
	hs.errs.Add(sl.errs.Load())
	hs.nanos.Add(sl.nanos.Load())
	for i := range sl.hist {
		if n := sl.hist[i].Load(); n != 0 {
			hs.hist[i].Add(n)
		}
	}
}

// seriesKey identifies a series: for a route, its method and path
// pattern; otherwise name alone.
type seriesKey struct {
	kind         Kind
	method, name string
}

// otherName is the series that counts what comes after WithMaxSeries
// series exist.
const otherName = "(other)"

// unmatchedRoute names requests no route matched (404, 405).
const unmatchedRoute = "(unmatched)"

// lookup returns the series of k, creating it (or using the kind's
// "(other)" series when the cap is reached) the first time.
func (d *Dashboard) lookup(k seriesKey) *series {
	if s, ok := (*d.series.Load())[k]; ok {
		return s
	}
	d.seriesMu.Lock()
	defer d.seriesMu.Unlock()
	m := *d.series.Load()
	if s, ok := m[k]; ok {
		return s
	}
	if len(m) >= d.o.maxSeries {
		k = seriesKey{kind: k.kind, name: otherName}
		if s, ok := m[k]; ok {
			return s
		}
	}
	// Copy the strings: a key may point into a request's memory.
	k.method, k.name = strings.Clone(k.method), strings.Clone(k.name)
	name := k.name
	if k.kind == KindRoute && k.method != "" {
		name = k.method + " " + k.name
	}
	s := &series{kind: k.kind, name: name}
	next := make(map[seriesKey]*series, len(m)+1)
	for kk, v := range m {
		next[kk] = v
	}
	next[k] = s
	d.series.Store(&next)
	return s
}

// Declare shows a panel for a consumer (by the name of its queue, as
// MessageMiddleware records it) or a schedule before its first
// invocation, so that a schedule that has not fired yet is on the page
// with a count of 0. httpserver.WithDashboard declares an event.App's
// consumers and schedules.
func (d *Dashboard) Declare(kind Kind, name string) {
	if kind == KindRoute || name == "" {
		return
	}
	if kind == KindConsumer {
		name = event.QueueName(name)
	}
	d.lookup(seriesKey{kind: kind, name: name})
}

// Middleware records every request: its route (the router's pattern), its
// status and its duration; a 5xx answer and a burst of 429 answers are
// also recent events. Install it outermost, so that it sees the status the
// client gets (httpserver.WithDashboard does).
func (d *Dashboard) Middleware() handler.Middleware {
	return func(next handler.Handler) handler.Handler {
		return handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
			start := d.o.now()
			done := false
			defer func() {
				if !done { // a panic, which handler.Serve answers 500
					d.recordHTTP(r, start, d.since(start), http.StatusInternalServerError)
				}
			}()
			resp, err := next.ServeRequest(ctx, r)
			done = true
			d.recordHTTP(r, start, d.since(start), statusOf(resp, err))
			return resp, err
		})
	}
}

func statusOf(resp *handler.Response, err error) int {
	if err != nil {
		if s := handler.AsError(err).Status; s != 0 {
			return s
		}
		return http.StatusInternalServerError
	}
	if resp == nil {
		return http.StatusOK
	}
	return resp.StatusCode()
}

// methodOf returns r's method, or "_OTHER" for a non-standard one, so that
// clients cannot make up series.
func methodOf(r *handler.Request) string {
	switch r.Method {
	case "":
		return http.MethodGet
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return r.Method
	}
	return "_OTHER"
}

// since returns the time since start: with the default clock, from the
// monotonic clock alone (one clock read per request instead of two).
func (d *Dashboard) since(start time.Time) time.Duration {
	if d.o.realClock {
		return time.Since(start)
	}
	return d.o.now().Sub(start)
}

func (d *Dashboard) recordHTTP(r *handler.Request, start time.Time, took time.Duration, status int) {
	now := start.Add(took)
	route := r.Pattern
	if i := strings.IndexByte(route, '/'); i > 0 {
		route = route[i:]
	}
	k := seriesKey{kind: KindRoute, method: methodOf(r), name: route}
	if route == "" {
		k.method, k.name = "", unmatchedRoute
	}
	s := d.lookup(k)
	failed := status >= 500
	s.add(now.Unix(), took, failed)
	switch {
	case failed:
		d.events.push(Event{Time: now, Kind: EventServerError, Source: s.name, Status: status, RequestID: r.RequestID})
	case status == http.StatusTooManyRequests:
		d.events.push(Event{Time: now, Kind: EventRateLimited, Source: s.name, Status: status, Count: 1})
	}
}

// MessageMiddleware records every message a consumer handles, under the
// consumer's queue name (event.QueueName of Message.Queue). A message that
// fails on its last allowed delivery ([WithMaxDeliveries]) is a
// dead-lettered event. Install it with event.App.UseMessages.
func (d *Dashboard) MessageMiddleware() event.MessageMiddleware {
	return func(next event.MessageHandler) event.MessageHandler {
		return event.MessageHandlerFunc(func(ctx context.Context, m *event.Message) error {
			start := d.o.now()
			done := false
			name := event.QueueName(m.Queue)
			defer func() {
				if !done {
					d.recordMessage(name, m, start, true)
				}
			}()
			err := next.HandleMessage(ctx, m)
			done = true
			d.recordMessage(name, m, start, err != nil)
			return err
		})
	}
}

func (d *Dashboard) recordMessage(name string, m *event.Message, start time.Time, failed bool) {
	now := d.o.now()
	if name == "" {
		name = "(queue)"
	}
	s := d.lookup(seriesKey{kind: KindConsumer, name: name})
	s.add(now.Unix(), now.Sub(start), failed)
	if failed && m.DeliveryCount >= d.o.maxDeliveries {
		d.events.push(Event{Time: now, Kind: EventDeadLettered, Source: s.name, MessageID: m.ID, Count: m.DeliveryCount})
	}
}

// TickMiddleware records every tick of a schedule, under the schedule's
// name. A tick that is past due, or that runs more than [WithLateAfter]
// after its scheduled time, is a late-schedule event; a failed tick is an
// event too. Install it with event.App.UseTicks.
func (d *Dashboard) TickMiddleware() event.TickMiddleware {
	return func(next event.ScheduleHandler) event.ScheduleHandler {
		return event.ScheduleHandlerFunc(func(ctx context.Context, t *event.Tick) error {
			start := d.o.now()
			done := false
			defer func() {
				if !done {
					d.recordTick(t, start, true)
				}
			}()
			err := next.HandleTick(ctx, t)
			done = true
			d.recordTick(t, start, err != nil)
			return err
		})
	}
}

func (d *Dashboard) recordTick(t *event.Tick, start time.Time, failed bool) {
	now := d.o.now()
	s := d.lookup(seriesKey{kind: KindSchedule, name: t.Schedule})
	s.add(now.Unix(), now.Sub(start), failed)
	late := !t.Time.IsZero() && start.Sub(t.Time) > d.o.lateAfter
	if t.PastDue || late {
		e := Event{Time: now, Kind: EventLateSchedule, Source: s.name}
		if !t.Time.IsZero() {
			e.Delay = start.Sub(t.Time)
		}
		d.events.push(e)
	}
	if failed {
		d.events.push(Event{Time: now, Kind: EventScheduleFailed, Source: s.name})
	}
}
