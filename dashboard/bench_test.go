package dashboard_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/anyfunc/anyfunc/dashboard"
	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/handlertest"
)

// benchApp is the app of the benchmarks: a router with one route that
// answers a small body.
func benchApp() handler.Handler {
	r := handler.NewRouter()
	body := []byte(`{"id":"1","title":"Buy milk"}`)
	r.HandleFunc("GET /todos/{id}", func(ctx context.Context, req *handler.Request) (*handler.Response, error) {
		return &handler.Response{Status: http.StatusOK, Body: body}, nil
	})
	return r
}

// serveLoop serves the same request n times through handler.Serve, as an
// adapter does.
func serveLoop(h handler.Handler, r *handler.Request, n int) {
	ctx := context.Background()
	for i := 0; i < n; i++ {
		r.RequestID, r.Pattern = "0123456789abcdef0123456789abcdef", ""
		handler.Serve(ctx, h, r)
	}
}

// BenchmarkRequest compares the same app with the dashboard off and on:
// the difference is what the dashboard costs each request. cpu-ns/op is
// the process's CPU time per request, steadier than wall time on a shared
// machine.
func BenchmarkRequest(b *testing.B) {
	d, err := dashboard.New("bench")
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		h    handler.Handler
	}{{"off", benchApp()}, {"on", d.Middleware()(benchApp())}} {
		b.Run(tc.name, func(b *testing.B) {
			r := handlertest.NewRequest("GET", "/todos/1", nil)
			serveLoop(tc.h, r, 1) // the route's series exists from here on
			b.ReportAllocs()
			b.ResetTimer()
			cpu := processCPU()
			serveLoop(tc.h, r, b.N)
			b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// TestRequestAllocations checks the allocation half of the budget: the
// dashboard adds at most 2 allocations to a request whose route it has
// seen (a count, not a timing).
func TestRequestAllocations(t *testing.T) {
	d, err := dashboard.New("allocs")
	if err != nil {
		t.Fatal(err)
	}
	off, on := benchApp(), d.Middleware()(benchApp())
	r := handlertest.NewRequest("GET", "/todos/1", nil)
	serveLoop(on, r, 1)
	aOff := testing.AllocsPerRun(1000, func() { serveLoop(off, r, 1) })
	aOn := testing.AllocsPerRun(1000, func() { serveLoop(on, r, 1) })
	t.Logf("allocations per request: %.0f off, %.0f on", aOff, aOn)
	if aOn-aOff > 2 {
		t.Errorf("the dashboard adds %.0f allocations per request, want at most 2", aOn-aOff)
	}
}
