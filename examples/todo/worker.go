package todo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/event"
	"github.com/anyfunc/anyfunc/handler/middleware/otelmw"
	"github.com/anyfunc/anyfunc/queue"
	"github.com/anyfunc/anyfunc/store"
)

// The names the worker is declared under (see [NewApp]).
const (
	// EventsConsumer is the consumer of the API's events.
	EventsConsumer = "todo-events"
	// RepairSchedule recomputes every user's stats from the todos.
	RepairSchedule = "repair-stats"
	// RepairInterval is how often RepairSchedule fires.
	RepairInterval = time.Hour
)

// Event is what the API publishes after each change of a todo.
type Event struct {
	// Op is "create", "complete", "reopen" or "delete".
	Op string `json:"op"`
	// User is the todo's partition: the caller.
	User string `json:"user"`
	// ID is the todo's ID.
	ID string `json:"id"`
	// Done is whether a deleted todo was done.
	Done bool `json:"done,omitempty"`
	// At is when the change was made.
	At time.Time `json:"at"`
}

// Stats is the answer of GET /stats: the caller's open and done todos, and
// how many completions were made today (UTC), counting those of todos
// since reopened or deleted.
type Stats struct {
	Open           int64 `json:"open"`
	Done           int64 `json:"done"`
	CompletedToday int64 `json:"completedToday"`
}

// WithEvents makes the API publish an [Event] to q after each create,
// complete, reopen and delete it commits. Publishing follows the commit:
// an event that cannot be sent is logged and lost, and the stats it would
// have changed drift until the next repair (RepairSchedule).
func WithEvents(q *queue.Queue) Option { return func(a *api) { a.events = q } }

// WithWorker serves GET /stats from w and reports w's last repair in
// GET /healthz.
func WithWorker(w *Worker) Option { return func(a *api) { a.worker = w } }

func (a *api) publish(ctx context.Context, ev Event) {
	if a.events == nil {
		return
	}
	ev.At = a.now().UTC()
	b, _ := json.Marshal(ev)
	if _, err := a.events.Send(ctx, &queue.Message{Body: b, Attributes: otelmw.InjectTraceParent(ctx, nil)}); err != nil {
		handler.Logger(ctx).LogAttrs(ctx, slog.LevelWarn, "todo: event not published; the stats drift until the next repair",
			slog.String("op", ev.Op), slog.String("id", ev.ID), slog.String("error", err.Error()))
	}
}

// Worker keeps per-user stats from the API's events, and repairs them
// from the todos.
type Worker struct {
	s      store.Store
	dedupe *event.Dedupe
	now    func() time.Time
}

// NewWorker returns the worker keeping its stats in s, the todos' store.
func NewWorker(s store.Store, now func() time.Time) *Worker {
	if now == nil {
		now = time.Now
	}
	return &Worker{s: s, dedupe: event.NewDedupe(s, event.WithClock(now)), now: now}
}

// The stats item of a user is {user, "stats"}: its sort key begins with a
// letter, so GET /todos (IDs below "8") never lists it. Users with stats
// are listed in the partition usersPartition; the last repair is recorded
// at metaKey.
const (
	statsSort      = "stats"
	usersPartition = "todo-meta/users"
)

var metaKey = store.Key{Partition: "todo-meta", Sort: "repair"}

func statsKey(user string) store.Key { return store.Key{Partition: user, Sort: statsSort} }

func completedField(t time.Time) string { return "completed_" + t.UTC().Format("2006-01-02") }

// errMalformedEvent fails a message that is not an Event: it is retried
// and then dead-lettered, where it can be inspected.
var errMalformedEvent = errors.New("todo: malformed event")

// HandleMessage applies one event to its user's stats, exactly once per
// message (the stats update and the message's record commit together), so
// that redeliveries change nothing.
func (w *Worker) HandleMessage(ctx context.Context, m *event.Message) error {
	var ev Event
	if err := json.Unmarshal(m.Body, &ev); err != nil || ev.User == "" || ev.ID == "" {
		return fmt.Errorf("%w: message %s", errMalformedEvent, m.ID)
	}
	var ops []store.FieldOp
	switch ev.Op {
	case "create":
		ops = []store.FieldOp{store.Increment("open", 1)}
	case "complete":
		ops = []store.FieldOp{store.Increment("open", -1), store.Increment("done", 1), store.Increment(completedField(ev.At), 1)}
	case "reopen":
		ops = []store.FieldOp{store.Increment("open", 1), store.Increment("done", -1)}
	case "delete":
		if ev.Done {
			ops = []store.FieldOp{store.Increment("done", -1)}
		} else {
			ops = []store.FieldOp{store.Increment("open", -1)}
		}
	default:
		return fmt.Errorf("%w: message %s: unknown op %q", errMalformedEvent, m.ID, ev.Op)
	}
	if err := w.ensure(ctx, ev.User); err != nil {
		return err
	}
	_, err := w.dedupe.Apply(ctx, ev.User, m, store.UpdateOp(statsKey(ev.User), ops))
	return err
}

// ensure creates the user's stats item and registers the user for repairs.
func (w *Worker) ensure(ctx context.Context, user string) error {
	for _, it := range []*store.Item{
		{Key: store.Key{Partition: usersPartition, Sort: user}, Data: map[string]any{}},
		{Key: statsKey(user), Data: map[string]any{"open": 0, "done": 0}},
	} {
		if _, err := w.s.Put(ctx, it, store.IfNotExists()); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
			return err
		}
	}
	return nil
}

// Stats returns user's stats.
func (w *Worker) Stats(ctx context.Context, user string) (Stats, error) {
	it, err := w.s.Get(ctx, statsKey(user))
	if errors.Is(err, store.ErrNotFound) {
		return Stats{}, nil
	}
	if err != nil {
		return Stats{}, err
	}
	return Stats{Open: num(it.Data["open"]), Done: num(it.Data["done"]), CompletedToday: num(it.Data[completedField(w.now())])}, nil
}

func num(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case float64:
		return int64(n)
	}
	return 0
}

// Repair recomputes every user's open and done counts from the todos,
// repairing any drift (an event lost after its commit), and records when
// it ran. The completions of the day are events, not state, and are kept
// as counted. It replaces a user's stats only if they did not change while
// it counted, and tries again otherwise.
func (w *Worker) Repair(ctx context.Context, t *event.Tick) error {
	cursor := ""
	for {
		page, err := w.s.Query(ctx, store.Query{Partition: usersPartition, Cursor: cursor, Limit: store.MaxQueryLimit})
		if err != nil {
			return err
		}
		for _, u := range page.Items {
			if err := w.repairUser(ctx, u.Key.Sort); err != nil {
				return fmt.Errorf("todo: repairing the stats of %s: %w", u.Key.Sort, err)
			}
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	_, err := w.s.Put(ctx, &store.Item{Key: metaKey, Data: map[string]any{"lastRun": w.now().UTC().Format(time.RFC3339Nano), "pastDue": t.PastDue}})
	return err
}

func (w *Worker) repairUser(ctx context.Context, user string) error {
	for attempt := 0; ; attempt++ {
		cur, err := w.s.Get(ctx, statsKey(user))
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		var open, done int64
		todos := store.NewCollection[Todo](w.s)
		cursor := ""
		for {
			entries, next, err := todos.Query(ctx, store.Query{Partition: user, Sort: store.SortLess("8"), Cursor: cursor, Limit: store.MaxQueryLimit})
			if err != nil {
				return err
			}
			for _, e := range entries {
				if e.Value.Done {
					done++
				} else {
					open++
				}
			}
			if next == "" {
				break
			}
			cursor = next
		}
		it := &store.Item{Key: statsKey(user), Data: map[string]any{"open": open, "done": done}}
		cond := store.IfNotExists()
		if cur != nil {
			cond = store.IfRevision(cur.Revision)
			for k, v := range cur.Data {
				if strings.HasPrefix(k, "completed_") {
					it.Data[k] = v
				}
			}
		}
		_, err = w.s.Put(ctx, it, cond)
		if errors.Is(err, store.ErrConflict) && attempt < 5 {
			continue // an event landed meanwhile: count again
		}
		return err
	}
}

// LastRepair returns when Repair last completed, if it has.
func (w *Worker) LastRepair(ctx context.Context) (time.Time, bool, error) {
	it, err := w.s.Get(ctx, metaKey)
	if errors.Is(err, store.ErrNotFound) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, err
	}
	s, _ := it.Data["lastRun"].(string)
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil, nil
}

// NewApp declares the whole example: h, the API (built with WithEvents and
// WithWorker), the consumer of its events, which arrive on the queue named
// queueName, and the hourly repair.
func NewApp(h handler.Handler, w *Worker, queueName string) *event.App {
	app := event.NewApp(h)
	app.Consume(EventsConsumer, w, event.Queues(queueName))
	app.Schedule(RepairSchedule, event.ScheduleHandlerFunc(w.Repair), event.Every(RepairInterval))
	return app
}
