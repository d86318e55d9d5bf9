package httpserver_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/adapters/httpserver"
	"github.com/anyfunc/anyfunc/dashboard"
	"github.com/anyfunc/anyfunc/handler"
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
