package event_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/event"
	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/idempotency"
	"github.com/anyfunc/anyfunc/store/memstore"
)

func nop(context.Context, *event.Message) error { return nil }
func tnop(context.Context, *event.Tick) error   { return nil }

func TestDeliverRecoversPanic(t *testing.T) {
	var logs bytes.Buffer
	ctx := handler.ContextWithLogger(context.Background(), slog.New(slog.NewJSONHandler(&logs, nil)))
	h := event.MessageHandlerFunc(func(_ context.Context, m *event.Message) error {
		if m.ID == "boom" {
			panic("kaput")
		}
		return nil
	})
	err := event.Deliver(ctx, h, &event.Message{ID: "boom", Queue: "q"})
	var pe *event.PanicError
	if !errors.As(err, &pe) || pe.Value != "kaput" || len(pe.Stack) == 0 {
		t.Fatalf("Deliver = %v, want a PanicError with the value and a stack", err)
	}
	if !strings.Contains(logs.String(), `"messageId":"boom"`) || !strings.Contains(logs.String(), "kaput") {
		t.Errorf("panic not logged with the message ID: %s", logs.String())
	}
	if err := event.Deliver(ctx, h, &event.Message{ID: "fine"}); err != nil {
		t.Errorf("next message after a panic: %v", err)
	}
	err = event.Fire(ctx, event.ScheduleHandlerFunc(func(context.Context, *event.Tick) error { panic(errors.New("tock")) }), &event.Tick{Schedule: "s"})
	if !errors.As(err, &pe) {
		t.Errorf("Fire = %v, want a PanicError", err)
	}
	want := errors.New("retry me")
	if err := event.Deliver(ctx, event.MessageHandlerFunc(func(context.Context, *event.Message) error { return want }), &event.Message{}); err != want {
		t.Errorf("Deliver returned %v, want the handler's error", err)
	}
}

func TestAppDispatch(t *testing.T) {
	app := event.NewApp(nil)
	var got []string
	mk := func(name string) event.MessageHandler {
		return event.MessageHandlerFunc(func(context.Context, *event.Message) error { got = append(got, name); return nil })
	}
	app.Consume("orders", mk("orders"))
	app.Consume("stats", mk("stats"), event.Queues("", "arn:aws:sqs:eu-west-1:123456789012:todo-events", "other"))
	app.Schedule("repair", event.ScheduleHandlerFunc(tnop), event.Every(time.Hour))
	if err := app.Err(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ queue, want string }{
		{"arn:aws:sqs:eu-west-1:123456789012:orders", "orders"},
		{"https://sqs.eu-west-1.amazonaws.com/123456789012/orders", "orders"},
		{"arn:aws:sqs:eu-west-1:123456789012:todo-events", "stats"},
		{"projects/p/subscriptions/other", "stats"},
		{"orders", "orders"},
		{"arn:aws:sqs:eu-west-1:999999999999:todo-events", ""}, // a full identifier matches only itself
		{"stats", ""}, // stats declares its queues
		{"", ""},
	} {
		c, ok := app.ConsumerFor(tc.queue)
		name := ""
		if ok {
			name = c.Name
		}
		if name != tc.want {
			t.Errorf("ConsumerFor(%q) = %q, want %q", tc.queue, name, tc.want)
		}
	}
	s, ok := app.ScheduleNamed("repair")
	if !ok || s.Cron != "0 0 * * * *" || s.Every != time.Hour {
		t.Errorf("ScheduleNamed(repair) = %+v, %v", s, ok)
	}
	resp, err := app.ServeRequest(context.Background(), &handler.Request{Method: "GET", Path: "/"})
	if he := handler.AsError(err); resp != nil || he == nil || he.Status != 404 {
		t.Errorf("HTTP request to an app without HTTP = %v, %v; want a 404 error", resp, err)
	}
}

func TestAppRefusesBadDeclarations(t *testing.T) {
	app := event.NewApp(nil)
	app.Consume("", event.MessageHandlerFunc(nop))
	app.Consume("a b", event.MessageHandlerFunc(nop))
	app.Consume("x", nil)
	app.Consume("dup", event.MessageHandlerFunc(nop))
	app.Schedule("dup", event.ScheduleHandlerFunc(tnop))
	app.Schedule("odd", event.ScheduleHandlerFunc(tnop), event.Every(7*time.Minute))
	app.Schedule("cron5", event.ScheduleHandlerFunc(tnop), event.Cron("0 * * * *"))
	app.Schedule("neg", event.ScheduleHandlerFunc(tnop), event.Every(-time.Second))
	err := app.Err()
	if !errors.Is(err, event.ErrInvalidDeclaration) {
		t.Fatalf("Err = %v, want ErrInvalidDeclaration", err)
	}
	for _, want := range []string{`name ""`, `name "a b"`, `"x" has a nil handler`, `"dup": a consumer has that name`, `every 7m0s`, `does not have six fields`, `negative interval`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Err does not mention %q:\n%v", want, err)
		}
	}
	app.Consumers() // serving starts
	app.Consume("late", event.MessageHandlerFunc(nop))
	if !strings.Contains(app.Err().Error(), `"late" declared after the app started serving`) {
		t.Errorf("a late declaration is not refused: %v", app.Err())
	}
	if _, ok := app.ConsumerNamed("late"); ok {
		t.Error("the late consumer was added")
	}
}

func TestAppMiddlewareOrder(t *testing.T) {
	var order []string
	mw := func(name string) event.MessageMiddleware {
		return func(next event.MessageHandler) event.MessageHandler {
			return event.MessageHandlerFunc(func(ctx context.Context, m *event.Message) error {
				order = append(order, name)
				return next.HandleMessage(ctx, m)
			})
		}
	}
	tmw := func(next event.ScheduleHandler) event.ScheduleHandler {
		return event.ScheduleHandlerFunc(func(ctx context.Context, tk *event.Tick) error {
			order = append(order, "tick-mw")
			return next.HandleTick(ctx, tk)
		})
	}
	app := event.NewApp(nil)
	app.UseMessages(mw("outer"))
	app.Consume("q", event.MessageHandlerFunc(func(context.Context, *event.Message) error { order = append(order, "handler"); return nil }))
	app.UseMessages(mw("inner")) // applies to consumers declared before it too
	app.Schedule("s", event.ScheduleHandlerFunc(func(context.Context, *event.Tick) error { order = append(order, "tick"); return nil }))
	app.UseTicks(tmw)
	c, _ := app.ConsumerFor("q")
	_ = event.Deliver(context.Background(), c.Handler, &event.Message{ID: "1"})
	s, _ := app.ScheduleNamed("s")
	_ = event.Fire(context.Background(), s.Handler, &event.Tick{Schedule: "s"})
	if got := strings.Join(order, ","); got != "outer,inner,handler,tick-mw,tick" {
		t.Errorf("order = %s", got)
	}
}

func TestCronFor(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Hour:        "0 0 * * * *",
		6 * time.Hour:    "0 0 */6 * * *",
		5 * time.Minute:  "0 */5 * * * *",
		30 * time.Second: "*/30 * * * * *",
	} {
		app := event.NewApp(nil)
		app.Schedule("s", event.ScheduleHandlerFunc(tnop), event.Every(d))
		s, ok := app.ScheduleNamed("s")
		if !ok || s.Cron != want {
			t.Errorf("Every(%s): cron %q, want %q (%v)", d, s.Cron, want, app.Err())
		}
	}
}

func TestTraceParent(t *testing.T) {
	for _, tc := range []struct {
		attrs map[string]string
		want  string
	}{
		{map[string]string{"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
		{map[string]string{"AWSTraceHeader": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"}, "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01"},
		{map[string]string{"AWSTraceHeader": "Root=1-5759E988-BD862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0"}, "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-00"},
		{map[string]string{"AWSTraceHeader": "Root=1-5759e988-bd862e3fe1be46a994272793"}, ""},                         // no parent
		{map[string]string{"AWSTraceHeader": "Root=1-5759e98z-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8"}, ""}, // not hex
		{map[string]string{"AWSTraceHeader": "Root=1-00000000-000000000000000000000000;Parent=53995c3f42cd8ad8"}, ""}, // zero trace
		{nil, ""},
	} {
		m := &event.Message{Attributes: tc.attrs}
		if got := m.TraceParent(); got != tc.want {
			t.Errorf("TraceParent(%v) = %q, want %q", tc.attrs, got, tc.want)
		}
	}
}

func TestDedupeMiddleware(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	s := memstore.New(memstore.WithClock(clock))
	d := event.NewDedupe(s, event.DedupeTTL(time.Hour), event.WithClock(clock))
	runs := 0
	fail := true
	h := event.ChainMessages(event.MessageHandlerFunc(func(context.Context, *event.Message) error {
		runs++
		if fail {
			return errors.New("first attempt fails")
		}
		return nil
	}), d.Middleware())
	ctx := context.Background()
	m := &event.Message{ID: "m1", Queue: "arn:aws:sqs:eu-west-1:1:q"}
	if err := h.HandleMessage(ctx, m); err == nil {
		t.Fatal("a failing handler's error was swallowed")
	}
	fail = false
	for i := 0; i < 3; i++ {
		if err := h.HandleMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if runs != 2 {
		t.Errorf("handler ran %d times, want 2 (one failure, one success, then skipped)", runs)
	}
	// The same ID in another queue is another message.
	if err := h.HandleMessage(ctx, &event.Message{ID: "m1", Queue: "other"}); err != nil || runs != 3 {
		t.Errorf("same ID, other queue: err %v, runs %d", err, runs)
	}
	// After the TTL the record is gone: the message is processed again.
	now = now.Add(time.Hour + time.Second)
	if err := h.HandleMessage(ctx, m); err != nil || runs != 4 {
		t.Errorf("after the TTL: err %v, runs %d, want 4", err, runs)
	}
	if err := h.HandleMessage(ctx, &event.Message{}); !errors.Is(err, event.ErrNoMessageID) {
		t.Errorf("message without ID: %v", err)
	}
}

// Apply gives an effect exactly once even when the same message is
// delivered many times at once.
func TestDedupeApplyExactlyOnce(t *testing.T) {
	s := memstore.New()
	d := event.NewDedupe(s)
	ctx := context.Background()
	key := store.Key{Partition: "user#1", Sort: "stats"}
	if _, err := s.Put(ctx, &store.Item{Key: key, Data: map[string]any{"n": int64(0)}}); err != nil {
		t.Fatal(err)
	}
	var applied atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		for _, id := range []string{"a", "b", "c"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m := &event.Message{ID: id, Queue: "q"}
				for {
					ok, err := d.Apply(ctx, "user#1", m, store.UpdateOp(key, []store.FieldOp{store.Increment("n", 1)}))
					if errors.Is(err, idempotency.ErrInFlight) || errors.Is(err, store.ErrConflict) {
						continue // contention: the platform would redeliver
					}
					if err != nil {
						t.Error(err)
					}
					if ok {
						applied.Add(1)
					}
					return
				}
			}()
		}
	}
	wg.Wait()
	it, err := s.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if it.Data["n"] != int64(3) || applied.Load() != 3 {
		t.Errorf("n = %v, applied %d times; want 3 and 3", it.Data["n"], applied.Load())
	}
}
