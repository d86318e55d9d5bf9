package middleware

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/driver"
	"github.com/anyfunc/anyfunc/store/memstore"
)

func TestTokenBucket(t *testing.T) {
	clock := newFakeClock()
	tb := NewTokenBucket(2, time.Second, Burst(3), WithClock(clock.Now))
	h := RateLimit(tb, ByIP)(&ok{})
	from := func(ip string) *handler.Request { return &handler.Request{RemoteAddr: ip, Header: http.Header{}} }

	for i, wantR := range []string{`"default";r=2;t=1`, `"default";r=1;t=1`, `"default";r=0;t=2`} {
		resp := serve(h, from("10.0.0.1"))
		wantStatus(t, resp, 200)
		if got := resp.Header.Get("RateLimit"); got != wantR {
			t.Errorf("request %d: RateLimit = %q, want %q", i, got, wantR)
		}
		if got := resp.Header.Get("RateLimit-Policy"); got != `"default";q=2;w=1` {
			t.Errorf("RateLimit-Policy = %q", got)
		}
	}
	resp := serve(h, from("10.0.0.1"))
	wantStatus(t, resp, http.StatusTooManyRequests)
	if resp.Header.Get("Retry-After") != "1" || resp.Header.Get("RateLimit") != `"default";r=0;t=2` ||
		!contains(resp.Body, `"code":"rate_limited"`) {
		t.Errorf("429 = %v %s", resp.Header, resp.Body)
	}
	// Another key has its own bucket.
	wantStatus(t, serve(h, from("10.0.0.2")), 200)
	// Half a second refills one token (2 per second).
	clock.Advance(500 * time.Millisecond)
	wantStatus(t, serve(h, from("10.0.0.1")), 200)
	wantStatus(t, serve(h, from("10.0.0.1")), http.StatusTooManyRequests)
	// Idle buckets are swept once full again.
	clock.Advance(10 * time.Second)
	wantStatus(t, serve(h, from("10.0.0.3")), 200)
	tb.mu.Lock()
	n := len(tb.buckets)
	tb.mu.Unlock()
	if n != 1 {
		t.Errorf("%d buckets after the sweep, want 1", n)
	}
}

func TestRateLimitKeys(t *testing.T) {
	tb := NewTokenBucket(1, time.Hour)
	h := RateLimit(tb, ByIdentity, RateLimitPolicy("per-user"))(&ok{})
	alice := func() *handler.Request {
		return &handler.Request{RemoteAddr: "10.0.0.1", Header: http.Header{}, Identity: &handler.Identity{Source: "jwt", Subject: "alice"}}
	}
	resp := serve(h, alice())
	wantStatus(t, resp, 200)
	if got := resp.Header.Get("RateLimit-Policy"); got != `"per-user";q=1;w=3600` {
		t.Errorf("RateLimit-Policy = %q", got)
	}
	wantStatus(t, serve(h, alice()), 429)
	// Same IP, anonymous: its own budget.
	wantStatus(t, serve(h, &handler.Request{RemoteAddr: "10.0.0.1", Header: http.Header{}}), 200)
	// Header keys: requests without the header are exempt.
	hh := RateLimit(NewTokenBucket(1, time.Hour), ByHeader("X-Tenant"))(&ok{})
	wantStatus(t, serve(hh, &handler.Request{Header: http.Header{"X-Tenant": {"t1"}}}), 200)
	wantStatus(t, serve(hh, &handler.Request{Header: http.Header{"X-Tenant": {"t1"}}}), 429)
	resp = serve(hh, &handler.Request{})
	wantStatus(t, resp, 200)
	if resp.Header.Get("RateLimit") != "" {
		t.Errorf("exempt request got RateLimit headers")
	}
}

func TestStoreLimiterExactUnderConcurrency(t *testing.T) {
	clock := newFakeClock()
	var calls atomic.Int64
	s := &countingStore{Store: memstore.New(memstore.WithClock(clock.Now)), n: &calls}
	// Two instances of the function share the store, and so the budget.
	instances := []handler.Handler{
		RateLimit(NewStoreLimiter(s, 100, time.Minute, WithClock(clock.Now)), ByIP)(&countingOK{}),
		RateLimit(NewStoreLimiter(s, 100, time.Minute, WithClock(clock.Now)), ByIP)(&countingOK{}),
	}
	var passed, limited atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 1000; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			resp := serve(instances[i%2], &handler.Request{RemoteAddr: "192.0.2.7", Header: http.Header{}})
			switch resp.Status {
			case 200:
				passed.Add(1)
			case 429:
				limited.Add(1)
			default:
				t.Errorf("status %d %s", resp.Status, resp.Body)
			}
		}(i)
	}
	wg.Wait()
	if passed.Load() != 100 || limited.Load() != 900 {
		t.Fatalf("passed %d, limited %d; want 100 and 900", passed.Load(), limited.Load())
	}
	// One atomic increment decides: the first request of the window also
	// created the counter, and a request that raced it tried once more.
	if n := calls.Load(); n > 1200 {
		t.Errorf("%d store calls for 1,000 requests, want at most 1,200", n)
	}
	// The next window has a fresh budget, and the 429 said when it starts.
	resp := serve(instances[0], &handler.Request{RemoteAddr: "192.0.2.7", Header: http.Header{}})
	wantStatus(t, resp, 429)
	ra := resp.Header.Get("Retry-After")
	wait, _ := time.ParseDuration(ra + "s")
	if wait <= 0 || wait > time.Minute {
		t.Fatalf("Retry-After = %q", ra)
	}
	clock.Advance(wait)
	resp = serve(instances[1], &handler.Request{RemoteAddr: "192.0.2.7", Header: http.Header{}})
	wantStatus(t, resp, 200)
	if got := resp.Header.Get("RateLimit"); got != `"default";r=99;t=60` {
		t.Errorf("RateLimit = %q", got)
	}
}

// countingStore counts the calls made to a Store.
type countingStore struct {
	store.Store
	n *atomic.Int64
}

func (c *countingStore) Get(ctx context.Context, k store.Key) (*store.Item, error) {
	c.n.Add(1)
	return c.Store.Get(ctx, k)
}

func (c *countingStore) Put(ctx context.Context, it *store.Item, cond ...store.Condition) (store.Revision, error) {
	c.n.Add(1)
	return c.Store.Put(ctx, it, cond...)
}

func (c *countingStore) Update(ctx context.Context, k store.Key, ops []store.FieldOp, cond ...store.Condition) (store.Revision, error) {
	c.n.Add(1)
	return c.Store.Update(ctx, k, ops, cond...)
}

func (c *countingStore) UpdateItem(ctx context.Context, k store.Key, ops []store.FieldOp, cond ...store.Condition) (*store.Item, error) {
	c.n.Add(1)
	return c.Store.UpdateItem(ctx, k, ops, cond...)
}

type countingOK struct{ n atomic.Int32 }

func (c *countingOK) ServeRequest(context.Context, *handler.Request) (*handler.Response, error) {
	c.n.Add(1)
	return nil, nil
}

func TestStoreLimiterFailure(t *testing.T) {
	drv := memstore.NewDriver()
	s := driver.NewStore(drv, store.WithRetry(1, 0, 0))
	l := NewStoreLimiter(s, 5, time.Minute)
	next := &ok{}
	drv.FailNext(memstore.OpUpdate, 1, store.ErrUnavailable)
	wantStatus(t, serve(RateLimit(l, ByIP)(next), &handler.Request{RemoteAddr: "1.2.3.4"}), http.StatusServiceUnavailable)
	drv.FailNext(memstore.OpUpdate, 1, store.ErrUnavailable)
	wantStatus(t, serve(RateLimit(l, ByIP, RateLimitFailOpen())(next), &handler.Request{RemoteAddr: "1.2.3.4"}), 200)
	if next.calls != 1 {
		t.Errorf("handler ran %d times, want 1", next.calls)
	}
}

func TestRateLimitHeadersOnErrors(t *testing.T) {
	h := RateLimit(NewTokenBucket(5, time.Minute), ByIP)(handler.HandlerFunc(
		func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
			return nil, handler.NewError(http.StatusNotFound, "", "no such todo")
		}))
	resp := serve(h, &handler.Request{RemoteAddr: "10.1.1.1"})
	wantStatus(t, resp, http.StatusNotFound)
	if resp.Header.Get("RateLimit") != `"default";r=4;t=12` || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("headers = %v", resp.Header)
	}
}
