package awsdynamodb

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/handlertest"
	"github.com/anyfunc/anyfunc/handler/middleware"
	"github.com/anyfunc/anyfunc/store"
)

// countingTransport counts the requests a store client sends to DynamoDB.
type countingTransport struct {
	n    atomic.Int64
	next http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// TestRateLimitBurst sends one user's burst of 1,000 requests through two
// instances of a function (two store clients, each with its own HTTP
// client and connection pool, each with its own StoreLimiter) that share
// one DynamoDB table and a limit of 100 per window. Exactly 100 must pass,
// at no more than 1.2 DynamoDB requests per request on average. The clock
// stands still, so that the whole burst falls in one window.
func TestRateLimitBurst(t *testing.T) {
	const (
		requests  = 1000
		limit     = 100
		instances = 2
		workers   = 16 // concurrent requests per instance
	)
	table := newTable(t)
	now := time.Now()
	clock := func() time.Time { return now }
	var counters [instances]*countingTransport
	var handlers [instances]handler.Handler
	ok := handler.HandlerFunc(func(context.Context, *handler.Request) (*handler.Response, error) {
		return &handler.Response{Status: http.StatusOK}, nil
	})
	for i := range instances {
		counters[i] = &countingTransport{next: http.DefaultTransport.(*http.Transport).Clone()}
		s, err := Open(context.Background(), table, append(TestingOptions(),
			WithHTTPClient(&http.Client{Transport: counters[i]}),
			WithStoreOptions(store.WithClock(clock)))...)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		l := middleware.NewStoreLimiter(s, limit, time.Minute, middleware.WithClock(clock))
		handlers[i] = middleware.RateLimit(l, middleware.ByHeader("X-User"))(ok)
	}
	var passed, refused, other atomic.Int64
	jobs := make(chan int)
	var wg sync.WaitGroup
	for i := range instances {
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range jobs {
					res := handlertest.Serve(handlers[i], handlertest.NewRequest("GET", "/", nil, handlertest.Header("X-User", "ann")))
					switch res.Status {
					case http.StatusOK:
						passed.Add(1)
					case http.StatusTooManyRequests:
						refused.Add(1)
					default:
						if other.Add(1) == 1 {
							t.Errorf("status %d: %s", res.Status, res.Body)
						}
					}
				}
			}()
		}
	}
	start := time.Now()
	for j := range requests {
		jobs <- j
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)
	var calls int64
	for _, c := range counters {
		calls += c.n.Load()
	}
	perRequest := float64(calls) / requests
	t.Logf("%d requests over %d instances: %d passed, %d refused, %d other; %d DynamoDB requests (%.3f per request); burst took %v",
		requests, instances, passed.Load(), refused.Load(), other.Load(), calls, perRequest, elapsed.Round(time.Millisecond))
	if passed.Load() != limit || refused.Load() != requests-limit {
		t.Errorf("%d passed and %d refused; want exactly %d and %d", passed.Load(), refused.Load(), limit, requests-limit)
	}
	if perRequest > 1.2 {
		t.Errorf("%d DynamoDB requests for %d requests: %.3f per request, want at most 1.2", calls, requests, perRequest)
	}
}
