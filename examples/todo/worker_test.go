package todo_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/adapters/azurefunctions"
	"github.com/anyfunc/anyfunc/examples/todo"
	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/event"
	"github.com/anyfunc/anyfunc/handler/event/eventtest"
	"github.com/anyfunc/anyfunc/handler/handlertest"
	"github.com/anyfunc/anyfunc/queue"
	"github.com/anyfunc/anyfunc/queue/memqueue"
	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/memstore"
)

// drain delivers every queued event to the app's consumer, each twice (a
// redelivery after a lost acknowledgement), and acks it.
func drain(t *testing.T, app *event.App, sub *queue.Subscription) int {
	t.Helper()
	ctx := context.Background()
	n := 0
	for {
		msgs, err := sub.Receive(ctx, queue.MaxReceive, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			return n
		}
		for _, qm := range msgs {
			m := &event.Message{ID: qm.ID, Body: qm.Body, Attributes: qm.Attributes, DeliveryCount: qm.DeliveryCount, Queue: "todo-events"}
			for range 2 {
				if err := eventtest.DeliverTo(app, m); err != nil {
					t.Fatalf("delivering %s: %v", qm.Body, err)
				}
				m = eventtest.Redeliver(m)
			}
			n++
		}
		if err := sub.Ack(ctx, msgs...); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWorkerStats(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s := memstore.New(memstore.WithClock(clock))
	b := memqueue.New()
	q, _ := b.Open(ctx, "todo-events")
	sub, _ := b.OpenSubscription(ctx, "todo-events")
	w := todo.NewWorker(s, clock)
	app := todo.NewApp(todo.New(s, todo.WithEvents(q), todo.WithWorker(w), todo.WithClock(clock)), w, "todo-events")
	if err := app.Err(); err != nil {
		t.Fatal(err)
	}
	ann := as("ann")
	var ids []string
	for _, title := range []string{"a", "b", "c", "d"} {
		res := handlertest.Serve(app, handlertest.NewRequest("POST", "/todos", map[string]string{"title": title}, ann))
		if res.Status != 201 {
			t.Fatalf("POST: %d %s", res.Status, res.Body)
		}
		var td todo.Todo
		json.Unmarshal(res.Body, &td)
		ids = append(ids, td.ID)
	}
	for _, id := range ids[:2] {
		if res := handlertest.Serve(app, handlertest.NewRequest("PATCH", "/todos/"+id, map[string]bool{"done": true}, ann)); res.Status != 200 {
			t.Fatalf("PATCH: %d %s", res.Status, res.Body)
		}
	}
	handlertest.Serve(app, handlertest.NewRequest("PATCH", "/todos/"+ids[1], map[string]bool{"done": false}, ann)) // reopen
	handlertest.Serve(app, handlertest.NewRequest("PATCH", "/todos/"+ids[1], map[string]bool{"done": true}, ann))  // complete again
	handlertest.Serve(app, handlertest.NewRequest("DELETE", "/todos/"+ids[0], nil, ann))                           // a done one
	handlertest.Serve(app, handlertest.NewRequest("DELETE", "/todos/"+ids[3], nil, ann))                           // an open one
	if n := drain(t, app, sub); n != 10 {
		t.Errorf("%d events, want 10", n)
	}
	stats := func() todo.Stats {
		res := handlertest.Serve(app, handlertest.NewRequest("GET", "/stats", nil, ann))
		var st todo.Stats
		if res.Status != 200 || json.Unmarshal(res.Body, &st) != nil {
			t.Fatalf("GET /stats: %d %s", res.Status, res.Body)
		}
		return st
	}
	// Left: c (open), b (done). Three completions today (a, b, b again).
	// Every event was delivered twice.
	if st := stats(); st != (todo.Stats{Open: 1, Done: 1, CompletedToday: 3}) {
		t.Errorf("stats %+v, want open 1, done 1, completed today 3", st)
	}
	if res := handlertest.Serve(app, handlertest.NewRequest("GET", "/stats", nil, as("bob"))); res.String() != `{"open":0,"done":0,"completedToday":0}` {
		t.Errorf("another user's stats: %s", res.Body)
	}

	// Drift: an event lost after its commit. The repair recomputes.
	if _, err := s.Put(ctx, &store.Item{Key: store.Key{Partition: "user/test:ann", Sort: "stats"}, Data: map[string]any{"open": 7, "done": -3, "completed_2026-05-01": 3}}); err != nil {
		t.Fatal(err)
	}
	if res := handlertest.Serve(app, handlertest.NewRequest("GET", "/healthz", nil)); res.String() != `{"statsRepairedAt":"never","status":"ok"}` {
		t.Errorf("healthz before a repair: %s", res.Body)
	}
	if err := eventtest.FireSchedule(app, &event.Tick{Schedule: todo.RepairSchedule, Time: now}); err != nil {
		t.Fatal(err)
	}
	if st := stats(); st != (todo.Stats{Open: 1, Done: 1, CompletedToday: 3}) {
		t.Errorf("stats after the repair %+v, want open 1, done 1, completed today 3", st)
	}
	if res := handlertest.Serve(app, handlertest.NewRequest("GET", "/healthz", nil)); res.String() != `{"statsRepairedAt":"2026-05-01T09:00:00Z","status":"ok"}` {
		t.Errorf("healthz after a repair: %s", res.Body)
	}

	// A message that is not an event fails (and is dead-lettered in the end).
	if err := eventtest.DeliverTo(app, eventtest.NewMessage("not json", eventtest.Queue("todo-events"))); err == nil {
		t.Error("a malformed event was accepted")
	}
	if err := eventtest.DeliverTo(app, eventtest.NewMessage(`{"op":"explode","user":"u","id":"1"}`, eventtest.Queue("todo-events"))); err == nil {
		t.Error("an unknown op was accepted")
	}
}

// A queue that refuses sends loses events but not requests: the API
// answers, and the repair puts the stats right.
func TestWorkerRepairsLostEvents(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	b := memqueue.New(memqueue.WithFaults(func(op, _ string, _ int) error {
		if op == "send" {
			return errors.New("queue down")
		}
		return nil
	}))
	q, _ := b.Open(ctx, "todo-events")
	w := todo.NewWorker(s, nil)
	app := todo.NewApp(todo.New(s, todo.WithEvents(q), todo.WithWorker(w)), w, "todo-events")
	ann := as("ann")
	for range 3 {
		if res := handlertest.Serve(app, handlertest.NewRequest("POST", "/todos", map[string]string{"title": "x"}, ann)); res.Status != 201 {
			t.Fatalf("POST with the queue down: %d %s", res.Status, res.Body)
		}
	}
	// The worker never heard of ann: register her as the first event would.
	if err := eventtest.DeliverTo(app, eventtest.NewMessage(`{"op":"create","user":"user/test:ann","id":"0x"}`, eventtest.Queue("todo-events"))); err != nil {
		t.Fatal(err)
	}
	if err := eventtest.FireSchedule(app, eventtest.NewTick(todo.RepairSchedule)); err != nil {
		t.Fatal(err)
	}
	st, err := w.Stats(ctx, "user/test:ann")
	if err != nil || st.Open != 3 {
		t.Errorf("stats after the repair %+v %v, want 3 open", st, err)
	}
}

var _ = handler.Identity{}

// The Azure function folders in deploy/azure are what the adapter derives
// from the app's declarations.
func TestAzureFunctionFoldersMatchTheApp(t *testing.T) {
	s := memstore.New()
	w := todo.NewWorker(s, nil)
	app := todo.NewApp(todo.New(s), w, "todo-events")
	for name, want := range azurefunctions.FunctionJSON(app) {
		got, err := os.ReadFile(filepath.Join("deploy", "azure", name, "function.json"))
		if err != nil {
			t.Fatal(err)
		}
		var g, w any
		if json.Unmarshal(got, &g) != nil || json.Unmarshal(want, &w) != nil || !reflect.DeepEqual(g, w) {
			t.Errorf("deploy/azure/%s/function.json is\n%s\nthe app declares\n%s", name, got, want)
		}
	}
}
