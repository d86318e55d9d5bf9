package middleware

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/handlertest"
)

// gatedLimiter decides only once release is closed, and closes asked when
// a decision is requested.
type gatedLimiter struct {
	asked, release chan struct{}
	d              Decision
	err            error
}

func (g *gatedLimiter) Allow(ctx context.Context, key string) (Decision, error) {
	close(g.asked)
	<-g.release
	return g.d, g.err
}

// closingStream is a Stream that records whether it was closed.
type closingStream struct {
	io.Reader
	closed bool
}

func (c *closingStream) Close() error { c.closed = true; return nil }

// overlapCase serves one request through RateLimit(RateLimitOverlapReads)
// with a limiter that answers d, err only after the handler has started,
// so a handler run after the decision (not overlapped) would never start
// and the test would hang (the guard below fails it instead).
func overlapCase(t *testing.T, method string, d Decision, err error, opts ...RateLimitOption) (resp *http.Response, body string, ran bool, stream *closingStream) {
	t.Helper()
	g := &gatedLimiter{asked: make(chan struct{}), release: make(chan struct{}), d: d, err: err}
	stream = &closingStream{Reader: strings.NewReader("hello")}
	next := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		ran = true
		close(g.release)
		return &handler.Response{Header: http.Header{"X-Handler": {"1"}}, Stream: stream}, nil
	})
	h := RateLimit(g, ByIP, append([]RateLimitOption{RateLimitOverlapReads()}, opts...)...)(next)
	done := make(chan struct{})
	var res *handler.Response
	var herr error
	go func() {
		defer close(done)
		res, herr = h.ServeRequest(context.Background(), &handler.Request{Method: method, RemoteAddr: "10.0.0.1", Header: http.Header{}})
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatalf("%s: the handler and the limiter did not run together", method)
	}
	select {
	case <-g.asked:
	default:
		t.Fatalf("%s: the limiter was not asked", method)
	}
	if herr != nil {
		var he *handler.Error
		if !errors.As(herr, &he) {
			return &http.Response{StatusCode: 503}, herr.Error(), ran, stream
		}
		return &http.Response{StatusCode: he.Status, Header: he.Header}, he.Code, ran, stream
	}
	b, _ := io.ReadAll(res.Stream)
	return &http.Response{StatusCode: res.StatusCode(), Header: res.Header}, string(b), ran, stream
}

func TestRateLimitOverlapReads(t *testing.T) {
	allow := Decision{Allowed: true, Limit: 10, Window: time.Minute, Remaining: 9, Reset: 30 * time.Second}
	refuse := Decision{Limit: 10, Window: time.Minute, Reset: 30 * time.Second, RetryAfter: 30 * time.Second}
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		resp, body, ran, stream := overlapCase(t, method, allow, nil)
		if resp.StatusCode != 200 || body != "hello" || !ran || stream.closed || resp.Header.Get("X-Handler") != "1" ||
			resp.Header.Get("RateLimit") != `"default";r=9;t=30` || resp.Header.Get("RateLimit-Policy") != `"default";q=10;w=60` {
			t.Errorf("%s allowed: %d %v %q, handler ran %v, stream closed %v", method, resp.StatusCode, resp.Header, body, ran, stream.closed)
		}
		// Refused: the handler ran, but its answer is dropped and its
		// stream closed.
		resp, body, ran, stream = overlapCase(t, method, refuse, nil)
		if resp.StatusCode != http.StatusTooManyRequests || body != "rate_limited" || !ran || !stream.closed ||
			resp.Header.Get("Retry-After") != "30" || resp.Header.Get("RateLimit") != `"default";r=0;t=30` {
			t.Errorf("%s refused: %d %v %q, handler ran %v, stream closed %v", method, resp.StatusCode, resp.Header, body, ran, stream.closed)
		}
		// The limiter failed: the handler's answer is dropped, or sent
		// with RateLimitFailOpen.
		failed := errors.New("store down")
		resp, body, _, stream = overlapCase(t, method, Decision{}, failed)
		if resp.StatusCode != 503 || !strings.Contains(body, "store down") || !stream.closed {
			t.Errorf("%s, limiter failed: %d %q, stream closed %v", method, resp.StatusCode, body, stream.closed)
		}
		resp, body, _, stream = overlapCase(t, method, Decision{}, failed, RateLimitFailOpen())
		if resp.StatusCode != 200 || body != "hello" || stream.closed {
			t.Errorf("%s, limiter failed, fail open: %d %q, stream closed %v", method, resp.StatusCode, body, stream.closed)
		}
	}
}

// TestRateLimitOverlapReadsCountsWritesFirst checks that other methods are
// still decided before the handler runs: a refused POST never reaches it.
func TestRateLimitOverlapReadsCountsWritesFirst(t *testing.T) {
	next := &ok{}
	h := RateLimit(NewTokenBucket(1, time.Hour), ByIP, RateLimitOverlapReads())(next)
	post := func() *handler.Request {
		return &handler.Request{Method: http.MethodPost, RemoteAddr: "10.0.0.1", Header: http.Header{}}
	}
	wantStatus(t, serve(h, post()), 200)
	wantStatus(t, serve(h, post()), http.StatusTooManyRequests)
	if next.calls != 1 {
		t.Errorf("handler ran %d times, want 1", next.calls)
	}
	// A refused GET runs the handler (and is still refused).
	wantStatus(t, serve(h, &handler.Request{Method: http.MethodGet, RemoteAddr: "10.0.0.1", Header: http.Header{}}), http.StatusTooManyRequests)
	if next.calls != 2 {
		t.Errorf("handler ran %d times, want 2", next.calls)
	}
}

// panicLimiter's Allow panics, as a Limiter with a bug (or a store client
// that dereferences nil) does.
type panicLimiter struct{}

func (panicLimiter) Allow(context.Context, string) (Decision, error) { panic("limiter bug") }

// TestRateLimitOverlapReadsLimiterPanics checks that a Limiter that panics
// while a read is overlapped is answered as it is without the option: the
// panic reaches handler.Serve, which answers 500 and logs it with the
// limiter's stack, rather than ending the process from the goroutine the
// limiter runs in.
func TestRateLimitOverlapReadsLimiterPanics(t *testing.T) {
	var logged strings.Builder
	ctx := handler.ContextWithLogger(context.Background(), slog.New(slog.NewTextHandler(&logged, nil)))
	for _, overlap := range []bool{false, true} {
		var opts []RateLimitOption
		if overlap {
			opts = append(opts, RateLimitOverlapReads())
		}
		stream := &closingStream{Reader: strings.NewReader("hello")}
		next := handler.HandlerFunc(func(context.Context, *handler.Request) (*handler.Response, error) {
			return &handler.Response{Stream: stream}, nil
		})
		h := RateLimit(panicLimiter{}, ByIP, opts...)(next)
		logged.Reset()
		res := handlertest.ServeContext(ctx, h, &handler.Request{Method: http.MethodGet, RemoteAddr: "10.0.0.1", Header: http.Header{}})
		if res.Status != http.StatusInternalServerError {
			t.Errorf("overlap %v: status %d, want 500", overlap, res.Status)
		}
		if !strings.Contains(logged.String(), "limiter bug") || overlap && !strings.Contains(logged.String(), "panicLimiter") {
			t.Errorf("overlap %v: log %q, want the panic and, overlapped, the limiter's stack", overlap, logged.String())
		}
		if overlap && !stream.closed {
			t.Errorf("the handler's stream was not closed")
		}
	}
}
