package dashboard

import (
	"sync"
	"time"
)

// EventKind says what a recent event is.
type EventKind string

// Kinds of recent events.
const (
	// EventServerError is an answer of 500 or above; RequestID names the
	// request.
	EventServerError EventKind = "server_error"
	// EventRateLimited is a burst of 429 answers on one route: Count
	// answers within a minute.
	EventRateLimited EventKind = "rate_limited"
	// EventDeadLettered is a message that failed its last allowed
	// delivery, which the platform moves to the dead-letter (poison) queue;
	// Count is its delivery count.
	EventDeadLettered EventKind = "dead_lettered"
	// EventLateSchedule is a tick that ran late (past due, or more than
	// WithLateAfter after its scheduled time).
	EventLateSchedule EventKind = "late_schedule"
	// EventScheduleFailed is a tick whose handler failed.
	EventScheduleFailed EventKind = "schedule_failed"
)

// Event is one recent event.
type Event struct {
	Time      time.Time `json:"time"`
	Kind      EventKind `json:"kind"`
	Source    string    `json:"source"` // the series: "GET /todos/{id}", a queue, a schedule
	Status    int       `json:"status,omitempty"`
	RequestID string    `json:"requestId,omitempty"`
	MessageID string    `json:"messageId,omitempty"`
	Count     int       `json:"count,omitempty"`
	// Delay is how late a late tick ran.
	Delay time.Duration `json:"delayNs,omitempty"`
}

// maxIDLen bounds the IDs an event keeps, so that the ring's memory is
// bounded whatever clients send.
const maxIDLen = 64

// ring is the bounded list of recent events.
type ring struct {
	mu   sync.Mutex
	buf  []Event
	next int // where the next event goes
	n    int // events held, at most len(buf)
}

func newRing(n int) *ring { return &ring{buf: make([]Event, n)} }

func truncate(s string) string {
	if len(s) > maxIDLen {
		return s[:maxIDLen]
	}
	return s
}

// push adds e, or, for a 429 on the same route within the minute of the
// last event, counts it in that event.
func (r *ring) push(e Event) {
	e.RequestID, e.MessageID = truncate(e.RequestID), truncate(e.MessageID)
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.Kind == EventRateLimited && r.n > 0 {
		last := &r.buf[(r.next+len(r.buf)-1)%len(r.buf)]
		if last.Kind == EventRateLimited && last.Source == e.Source && e.Time.Sub(last.Time) < time.Minute {
			last.Count += e.Count
			last.Time = e.Time
			return
		}
	}
	r.buf[r.next] = e
	r.next = (r.next + 1) % len(r.buf)
	if r.n < len(r.buf) {
		r.n++
	}
}

// since returns the events at or after t, newest first.
func (r *ring) since(t time.Time) []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Event, 0, r.n)
	for i := 1; i <= r.n; i++ {
		e := r.buf[(r.next+len(r.buf)-i)%len(r.buf)]
		if e.Time.Before(t) {
			continue
		}
		out = append(out, e)
	}
	return out
}

// footprint returns the bytes the ring holds: its fixed array and the
// strings of its events.
func (r *ring) footprint(eventSize int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.buf) * eventSize
	for i := 0; i < r.n; i++ {
		e := &r.buf[i]
		n += len(e.RequestID) + len(e.MessageID) // Source is a series' name, counted there
	}
	return n
}
