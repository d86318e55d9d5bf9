package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/anyfunc/anyfunc/dashboard"
	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/handlertest"
)

func Example() {
	// A clock that stands still, so that the output is stable.
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	d, err := dashboard.New("todo API", dashboard.WithClock(func() time.Time { return now }))
	if err != nil {
		fmt.Println(err)
		return
	}
	r := handler.NewRouter()
	r.HandleFunc("GET /todos/{id}", func(ctx context.Context, req *handler.Request) (*handler.Response, error) {
		if req.PathValue("id") == "broken" {
			return nil, fmt.Errorf("store exploded")
		}
		return &handler.Response{Status: http.StatusOK}, nil
	})
	// httpserver.WithDashboard(d) installs the middleware and serves the
	// page on d.Addr(); here the middleware alone, served by hand.
	h := d.Middleware()(r)
	for _, id := range []string{"1", "2", "3", "broken"} {
		handlertest.Serve(h, handlertest.NewRequest("GET", "/todos/"+id, nil))
	}

	s, _ := d.Snapshot(15 * time.Minute)
	fmt.Printf("%s: %d requests, %.2f%% errors (%s)\n", s.App, s.Totals.Count, s.Totals.ErrorRate, s.Totals.Severity)
	for _, p := range s.Panels {
		fmt.Printf("%s %s: %d, %d failed\n", p.Kind, p.Name, p.Count, p.Errors)
	}
	for _, e := range s.Events {
		fmt.Println(e.Kind, e.Source, e.Status)
	}
	fmt.Println(s.Alerts[0].Severity, s.Alerts[0].Message)
	// Output:
	// todo API: 4 requests, 25.00% errors (critical)
	// route GET /todos/{id}: 4, 1 failed
	// server_error GET /todos/{id} 500
	// critical error rate 25.00% (1 of 4 requests answered 5xx)
}
