package httpserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/adapters/httpserver"
	"github.com/anyfunc/anyfunc/dashboard"
	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/event"
	"github.com/anyfunc/anyfunc/queue"
	_ "github.com/anyfunc/anyfunc/queue/memqueue"
)

// TestWithDashboard serves an app with the dashboard on, sends requests,
// and reads them back from the dashboard's own listener.
func TestWithDashboard(t *testing.T) {
	d, err := dashboard.New("served", dashboard.WithAddr("127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	r := handler.NewRouter()
	r.HandleFunc("GET /items/{id}", func(ctx context.Context, req *handler.Request) (*handler.Response, error) {
		return &handler.Response{}, nil
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- httpserver.Serve(ctx, ln, r, httpserver.WithDashboard(d), httpserver.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	}()
	select {
	case <-d.Ready():
	case err := <-done:
		t.Fatalf("Serve: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the dashboard did not start listening")
	}
	for i := 0; i < 7; i++ {
		resp, err := http.Get("http://" + ln.Addr().String() + "/items/1")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	resp, err := http.Get(d.URL() + "snapshot.json")
	if err != nil {
		t.Fatal(err)
	}
	var s dashboard.Snapshot
	err = json.NewDecoder(resp.Body).Decode(&s)
	resp.Body.Close()
	if err != nil || s.Totals.Count != 7 || len(s.Panels) != 1 || s.Panels[0].Name != "GET /items/{id}" {
		t.Errorf("snapshot: %v %+v %+v", err, s.Totals, s.Panels)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if _, err := http.Get(d.URL()); err == nil {
		t.Error("the dashboard still answers after Serve returned")
	}
}

// TestWithDashboardRecordsTriggers serves an event.App whose consumer
// always fails: the dashboard shows the consumer's panel and the message
// that went to the dead-letter queue after its last delivery.
func TestWithDashboardRecordsTriggers(t *testing.T) {
	d, err := dashboard.New("triggers", dashboard.WithAddr("127.0.0.1:0"), dashboard.WithMaxDeliveries(2))
	if err != nil {
		t.Fatal(err)
	}
	app := event.NewApp(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		return &handler.Response{}, nil
	}))
	app.Consume("dash-test-events", event.MessageHandlerFunc(func(context.Context, *event.Message) error {
		return errors.New("always fails")
	}))
	app.Schedule("nightly", event.ScheduleHandlerFunc(func(context.Context, *event.Tick) error { return nil }), event.Every(24*time.Hour))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- httpserver.Serve(ctx, ln, app, httpserver.WithDashboard(d),
			httpserver.WithTriggerOptions(httpserver.WithMaxDeliveries(2), httpserver.WithRetryDelay(0)),
			httpserver.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	q, err := queue.Open(ctx, "mem://dash-test-events")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Send(ctx, &queue.Message{Body: []byte("doomed")}); err != nil {
		t.Fatal(err)
	}
	// Wait (bounded) until both deliveries are recorded.
	var s *dashboard.Snapshot
	for i := 0; ; i++ {
		if s, err = d.Snapshot(15 * time.Minute); err != nil {
			t.Fatal(err)
		}
		if len(s.Panels) == 2 && s.Panels[0].Count == 2 && len(s.Events) == 1 {
			break
		}
		if i == 600 {
			t.Fatalf("after 60 s: panels %+v, events %+v", s.Panels, s.Events)
		}
		time.Sleep(100 * time.Millisecond)
	}
	p, e := s.Panels[0], s.Events[0]
	if p.Kind != "consumer" || p.Name != "dash-test-events" || p.Errors != 2 {
		t.Errorf("panel %+v", p)
	}
	// The schedule has not fired: it has a panel all the same.
	if p := s.Panels[1]; p.Kind != "schedule" || p.Name != "nightly" || p.Count != 0 {
		t.Errorf("schedule panel %+v", p)
	}
	if e.Kind != dashboard.EventDeadLettered || e.Source != "dash-test-events" || e.Count != 2 {
		t.Errorf("event %+v", e)
	}
}
