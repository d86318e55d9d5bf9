// Package statsproof is the kit of the example's cross-runtime stats
// proof: 500 events of a seeded history, 10% of whose first deliveries
// fail and 5 of which are poison, the stats the other 495 must leave, and
// the function every runtime's end-to-end test runs (statsfunc): the
// example's own app with a fault-injecting message middleware.
//
// A message's body is a todo.Event with two more members the consumer
// ignores: "seq", its place in the history, and "fault", what the
// function does with it. "before" fails the first delivery before the
// consumer runs; "after" runs the consumer and then fails the delivery (an
// acknowledgement lost after the commit, which the redelivery must not
// apply again); "panic" runs the consumer and then panics; "poison" fails
// every delivery without reaching the consumer. Later deliveries of the
// others run the consumer alone.
//
// The proofs: TestStatsOnLambdaEndToEnd (examples/todo/cmd/lambda: moto's
// SQS, the Runtime API), TestStatsOnAzureEndToEnd (examples/todo/cmd/azure:
// Azurite, the simulated host), and this package's TestStatsOnGoogleEndToEnd
// (the Pub/Sub emulator's push subscriptions, the Functions Framework; it
// lives here because cmd/gcf's imports register the example's own function
// at init) and TestStatsLocally (httpserver's triggers on a memqueue
// broker, as cmd/local runs the app).
package statsproof

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/anyfunc/anyfunc/examples/todo"
	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/event"
	"github.com/anyfunc/anyfunc/store/memstore"
)

// Now is the function's clock, fixed so that "completed today" is the
// history's day wherever and whenever the proof runs.
var Now = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

// Users are the API-key callers the history's events belong to.
var Users = []string{"alice", "bob", "carol", "dave", "erin"}

// Size is the number of messages of the history; Poison of them are
// poison, and FailFirst of the others fail their first delivery.
const (
	Size      = 500
	Poison    = 5
	FailFirst = 50
)

// APIKey is the API key of user u.
func APIKey(u string) string { return "statsproof-key-of-" + u }

// APIKeys is TODO_API_KEYS for the Users.
func APIKeys() string {
	var keys []string
	for _, u := range Users {
		keys = append(keys, u+":"+APIKey(u))
	}
	return strings.Join(keys, ",")
}

// Message is one message of the history.
type Message struct {
	// Seq is its place in the history, 0 to Size-1.
	Seq int
	// Fault is "", "before", "after", "panic" or "poison".
	Fault string
	// Body is the message body: the event, Seq and Fault.
	Body []byte
}

type body struct {
	todo.Event
	Seq   int    `json:"seq"`
	Fault string `json:"fault,omitempty"`
}

// Decode returns the Seq and Fault of a message body.
func Decode(b []byte) (seq int, fault string, err error) {
	var m body
	if err := json.Unmarshal(b, &m); err != nil {
		return 0, "", fmt.Errorf("statsproof: %q: %w", b, err)
	}
	return m.Seq, m.Fault, nil
}

// History returns the messages, drawn from a fixed seed: a consistent
// history of creates, completes, reopens and deletes of the Users' todos
// (the first Size-Poison), then Poison creates for alice that would
// change her stats if they were ever applied; and the stats each user's
// GET /stats must answer once every other message was applied once,
// counted from the todos the history leaves (not from the events).
func History() ([]Message, map[string]todo.Stats) {
	rng := rand.New(rand.NewPCG(19, 500))
	n := Size - Poison
	want := map[string]todo.Stats{}
	state := map[string]map[string]bool{} // user -> todo ID -> done
	for _, u := range Users {
		state[u] = map[string]bool{}
	}
	var msgs []Message
	for i := range n {
		u := Users[rng.IntN(len(Users))]
		todos := state[u]
		ev := todo.Event{User: "user/apikey:" + u, At: Now.Add(-time.Duration(rng.IntN(3600)) * time.Second)}
		ids := make([]string, 0, len(todos))
		for id := range todos {
			ids = append(ids, id)
		}
		slices.Sort(ids) // the seed alone decides the history
		switch r := rng.IntN(10); {
		case len(ids) == 0 || r < 4:
			ev.Op, ev.ID = "create", fmt.Sprintf("t%03d", i)
			todos[ev.ID] = false
		default:
			ev.ID = ids[rng.IntN(len(ids))]
			switch done := todos[ev.ID]; {
			case r < 8 && !done:
				ev.Op, todos[ev.ID] = "complete", true
				st := want[u]
				st.CompletedToday++
				want[u] = st
			case r < 8:
				ev.Op, todos[ev.ID] = "reopen", false
			default:
				ev.Op, ev.Done = "delete", done
				delete(todos, ev.ID)
			}
		}
		b, _ := json.Marshal(body{Event: ev, Seq: i})
		msgs = append(msgs, Message{Seq: i, Body: b})
	}
	for _, u := range Users {
		st := want[u]
		for _, done := range state[u] {
			if done {
				st.Done++
			} else {
				st.Open++
			}
		}
		want[u] = st
	}
	modes := []string{"before", "after", "panic"}
	for k, i := range rng.Perm(n)[:FailFirst] {
		var b body
		json.Unmarshal(msgs[i].Body, &b)
		b.Fault = modes[k%len(modes)]
		msgs[i].Fault = b.Fault
		msgs[i].Body, _ = json.Marshal(b)
	}
	for i := n; i < Size; i++ {
		b, _ := json.Marshal(body{Event: todo.Event{Op: "create", User: "user/apikey:alice", ID: fmt.Sprintf("poison%d", i), At: Now}, Seq: i, Fault: "poison"})
		msgs = append(msgs, Message{Seq: i, Fault: "poison", Body: b})
	}
	return msgs, want
}

// Faults does to each delivery what its message's fault says (see the
// package comment), and counts in d the deliveries it acknowledged
// (returned nil for) and those it failed, by Seq. A delivery is the first
// when its DeliveryCount is 1, or, when the platform does not count
// (DeliveryCount 0: a Pub/Sub push without deliveryAttempt), when d has
// not seen its message ID.
func Faults(d *Deliveries) event.MessageMiddleware {
	return func(next event.MessageHandler) event.MessageHandler {
		return event.MessageHandlerFunc(func(ctx context.Context, m *event.Message) (err error) {
			seq, fault, err := Decode(m.Body)
			if err != nil {
				return err
			}
			first := d.first(m)
			defer func() {
				if v := recover(); v != nil {
					d.add(seq, false)
					panic(v)
				}
				d.add(seq, err == nil)
			}()
			return deliver(ctx, next, m, fault, first)
		})
	}
}

func deliver(ctx context.Context, next event.MessageHandler, m *event.Message, fault string, first bool) error {
	if fault == "poison" {
		return errors.New("statsproof: poison message")
	}
	if !first || fault == "" {
		return next.HandleMessage(ctx, m)
	}
	if fault == "before" {
		return errors.New("statsproof: the first delivery fails before the consumer")
	}
	if err := next.HandleMessage(ctx, m); err != nil {
		return err
	}
	if fault == "panic" {
		panic("statsproof: the first delivery panics after the consumer")
	}
	return errors.New("statsproof: the first delivery fails after the consumer")
}

// Deliveries counts the deliveries [Faults] acknowledged and failed, by
// Seq. The zero value is ready.
type Deliveries struct {
	mu     sync.Mutex
	seen   map[string]bool
	Acked  map[int]int `json:"acked"`
	Failed map[int]int `json:"failed"`
}

func (d *Deliveries) first(m *event.Message) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.seen == nil {
		d.seen = map[string]bool{}
	}
	seen := d.seen[m.ID]
	d.seen[m.ID] = true
	if m.DeliveryCount > 0 {
		return m.DeliveryCount == 1
	}
	return !seen
}

func (d *Deliveries) add(seq int, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.Acked == nil {
		d.Acked, d.Failed = map[int]int{}, map[int]int{}
	}
	if ok {
		d.Acked[seq]++
	} else {
		d.Failed[seq]++
	}
}

// Snapshot returns a copy of the counts.
func (d *Deliveries) Snapshot() *Deliveries {
	d.mu.Lock()
	defer d.mu.Unlock()
	return &Deliveries{Acked: maps.Clone(d.Acked), Failed: maps.Clone(d.Failed)}
}

// Check returns what is wrong with d as the deliveries of msgs: every
// event acknowledged once, after one failure if it is marked to fail its
// first delivery; every poison event failed maxAttempts times and never
// acknowledged. It also returns how many first deliveries failed.
func (d *Deliveries) Check(msgs []Message, maxAttempts int) (failedFirst int, problems []string) {
	for _, m := range msgs {
		acked, failed := d.Acked[m.Seq], d.Failed[m.Seq]
		wantAcked, wantFailed := 1, 0
		switch m.Fault {
		case "poison":
			wantAcked, wantFailed = 0, maxAttempts
		case "":
		default:
			wantFailed = 1
			failedFirst++
		}
		if acked != wantAcked || failed != wantFailed {
			problems = append(problems, fmt.Sprintf("event %s: acknowledged %d times, failed %d; want %d and %d", m.Body, acked, failed, wantAcked, wantFailed))
		}
	}
	return failedFirst, problems
}

// AcksPath is the path at which the app of [App] answers GET with its
// [Deliveries] as JSON ({"acked":{SEQ:N},"failed":{SEQ:N}}), for runtimes
// whose test cannot see the acknowledgements (Pub/Sub push).
const AcksPath = "/statsproof/acks"

// App returns the example's app (todo.NewApp: the API behind the example's
// middleware, configured by c, with GET /stats; the consumer of the events
// arriving on the queue named queue; the repair schedule) on a memory
// store, with the clock fixed at Now and Faults around the consumer. The
// API answers AcksPath too.
func App(c todo.Config, queue string) (*event.App, error) {
	clock := func() time.Time { return Now }
	s := memstore.New(memstore.WithClock(clock))
	w := todo.NewWorker(s, clock)
	h, err := c.Wrap(s, todo.WithWorker(w), todo.WithClock(clock))
	if err != nil {
		return nil, err
	}
	d := &Deliveries{}
	api := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		if r.Path == AcksPath && r.Method == "GET" {
			return handler.JSONResponse(200, d.Snapshot())
		}
		return h.ServeRequest(ctx, r)
	})
	app := todo.NewApp(api, w, queue)
	app.UseMessages(Faults(d))
	return app, app.Err()
}
