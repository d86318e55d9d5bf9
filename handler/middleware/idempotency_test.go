package middleware

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/adapterkit"
	"github.com/anyfunc/anyfunc/handler/handlertest"
	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/memstore"
)

// todoCreator creates one todo in its store per call, answering 201 with
// a fresh ID, a Location and two cookies.
type todoCreator struct {
	s       store.Store
	calls   atomic.Int32
	started chan struct{} // closed by the first call, if set
	release chan struct{} // awaited by every call, if set
}

func (c *todoCreator) ServeRequest(ctx context.Context, r *handler.Request) (*handler.Response, error) {
	n := c.calls.Add(1)
	if c.started != nil && n == 1 {
		close(c.started)
	}
	if c.release != nil {
		<-c.release
	}
	id := adapterkit.NewRequestID()
	if _, err := c.s.Put(ctx, &store.Item{Key: store.Key{Partition: "todos", Sort: id}, Data: map[string]any{"title": string(r.Body)}}); err != nil {
		return nil, err
	}
	return &handler.Response{Status: http.StatusCreated,
		Header: http.Header{"Location": {"/todos/" + id}, "Set-Cookie": {"a=1", "b=2"}, "Content-Type": {"application/json"}},
		Body:   []byte(`{"id":"` + id + `"}`)}, nil
}

func (c *todoCreator) count(t *testing.T) int {
	t.Helper()
	p, err := c.s.Query(context.Background(), store.Query{Partition: "todos"})
	if err != nil {
		t.Fatal(err)
	}
	return len(p.Items)
}

func post(key, body string) *handler.Request {
	r := &handler.Request{Method: "POST", Path: "/todos", Header: http.Header{}, Body: []byte(body)}
	if key != "" {
		r.Header.Set("Idempotency-Key", key)
	}
	return r
}

func TestIdempotencyReplaysExactly(t *testing.T) {
	s := memstore.New()
	app := &todoCreator{s: s}
	h := Idempotency(s)(app)
	first := serve(h, post("k1", "milk"))
	wantStatus(t, first, http.StatusCreated)
	for i := 0; i < 3; i++ {
		again := serve(h, post("k1", "milk"))
		if again.Status != first.Status || !reflect.DeepEqual(again.Header, first.Header) || !bytes.Equal(again.Body, first.Body) {
			t.Fatalf("replay differs:\n%d %v %s\n%d %v %s", first.Status, first.Header, first.Body, again.Status, again.Header, again.Body)
		}
	}
	if app.calls.Load() != 1 || app.count(t) != 1 {
		t.Errorf("handler ran %d times, %d todos", app.calls.Load(), app.count(t))
	}
	// Same key, other payload: 422, nothing created.
	resp := serve(h, post("k1", "eggs"))
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	if !contains(resp.Body, "idempotency_key_reused") {
		t.Errorf("body %s", resp.Body)
	}
	// Same key on another path is another request too.
	r := post("k1", "milk")
	r.Path = "/other"
	wantStatus(t, serve(h, r), http.StatusUnprocessableEntity)
	// Another key, another todo; no key, no protection.
	wantStatus(t, serve(h, post("k2", "milk")), http.StatusCreated)
	wantStatus(t, serve(h, post("", "milk")), http.StatusCreated)
	wantStatus(t, serve(h, post("", "milk")), http.StatusCreated)
	if app.count(t) != 4 {
		t.Errorf("%d todos, want 4", app.count(t))
	}
	// Keys belong to callers: another identity's k1 is its own.
	r = post("k1", "milk")
	r.Identity = &handler.Identity{Source: "jwt", Subject: "bob"}
	wantStatus(t, serve(h, r), http.StatusCreated)
	if app.count(t) != 5 {
		t.Errorf("%d todos, want 5", app.count(t))
	}
}

func TestIdempotencyConcurrentRepeatsRunOnce(t *testing.T) {
	s := memstore.New()
	app := &todoCreator{s: s, started: make(chan struct{}), release: make(chan struct{})}
	h := Idempotency(s)(app)
	var wg sync.WaitGroup
	statuses := make([]int, 50)
	bodies := make([][]byte, 50)
	var conflicts sync.WaitGroup
	conflicts.Add(49)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			resp := serve(h, post("same-key", "buy milk"))
			statuses[i], bodies[i] = resp.Status, resp.Body
			if resp.Status == http.StatusConflict {
				if resp.Header.Get("Retry-After") == "" {
					t.Errorf("409 without Retry-After")
				}
				conflicts.Done()
			}
		}(i)
	}
	// The first request is in the handler; the other 49 must all be
	// answered 409 while it is.
	<-app.started
	conflicts.Wait()
	close(app.release)
	wg.Wait()
	created := 0
	for i, st := range statuses {
		switch st {
		case http.StatusCreated:
			created++
		case http.StatusConflict:
		default:
			t.Errorf("request %d: status %d %s", i, st, bodies[i])
		}
	}
	if created != 1 || app.calls.Load() != 1 || app.count(t) != 1 {
		t.Fatalf("created %d, handler ran %d times, %d todos; want 1 each", created, app.calls.Load(), app.count(t))
	}
	wantStatus(t, serve(h, post("same-key", "buy milk")), http.StatusCreated)
	if app.calls.Load() != 1 {
		t.Errorf("replay ran the handler")
	}
}

func TestIdempotencyConcurrentUnblocked(t *testing.T) {
	s := memstore.New()
	app := &todoCreator{s: s}
	h := Idempotency(s)(app)
	var wg sync.WaitGroup
	var bad atomic.Int32
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if st := serve(h, post("k", "x")).Status; st != http.StatusCreated && st != http.StatusConflict {
				bad.Add(1)
			}
		}()
	}
	wg.Wait()
	if app.calls.Load() != 1 || app.count(t) != 1 || bad.Load() != 0 {
		t.Fatalf("handler ran %d times, %d todos, %d unexpected statuses", app.calls.Load(), app.count(t), bad.Load())
	}
}

func TestIdempotencyReleasesOnFailureAndExpires(t *testing.T) {
	clock := newFakeClock()
	s := memstore.New(memstore.WithClock(clock.Now))
	var fail atomic.Bool
	fail.Store(true)
	calls := 0
	h := Idempotency(s, WithClock(clock.Now))(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		calls++
		if fail.Load() {
			return nil, fmt.Errorf("database on fire")
		}
		return &handler.Response{Status: 201, Body: []byte(fmt.Sprint(calls))}, nil
	}))
	wantStatus(t, serve(h, post("k", "x")), 500)
	fail.Store(false)
	resp := serve(h, post("k", "x"))
	wantStatus(t, resp, 201)
	if string(resp.Body) != "2" {
		t.Errorf("retry after failure: body %q", resp.Body)
	}
	clock.Advance(23 * time.Hour)
	if resp := serve(h, post("k", "x")); string(resp.Body) != "2" {
		t.Errorf("replay within 24h: body %q", resp.Body)
	}
	clock.Advance(2 * time.Hour)
	if resp := serve(h, post("k", "x")); string(resp.Body) != "3" {
		t.Errorf("after 24h the key is new again: body %q", resp.Body)
	}
}

func TestIdempotencyKeyRules(t *testing.T) {
	s := memstore.New()
	next := &ok{}
	h := Idempotency(s, IdempotencyRequired())(next)
	wantStatus(t, serve(h, post("", "x")), http.StatusBadRequest)
	wantStatus(t, serve(h, post(strings.Repeat("k", 256), "x")), http.StatusBadRequest)
	wantStatus(t, serve(h, post("bad\x01key", "x")), http.StatusBadRequest)
	wantStatus(t, serve(h, &handler.Request{Method: "GET"}), 200) // safe methods pass
	wantStatus(t, serve(h, post(strings.Repeat("k", 255), "x")), 200)
	if next.calls != 2 {
		t.Errorf("handler ran %d times, want 2", next.calls)
	}
}

// A handler that succeeds just as its context ends (a deadline passing
// right after the work is done) still has its answer recorded: otherwise
// the client's retry would run it a second time.
func TestIdempotencyRecordsAfterContextEnds(t *testing.T) {
	s := memstore.New()
	app := &todoCreator{s: s}
	var cancel context.CancelFunc
	h := Idempotency(s)(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		resp, err := app.ServeRequest(ctx, r)
		cancel()
		return resp, err
	}))
	for i := 0; i < 2; i++ {
		var ctx context.Context
		ctx, cancel = context.WithCancel(context.Background())
		if resp := handler.Serve(ctx, h, post("k-cancel", "milk")); resp.StatusCode() != http.StatusCreated {
			t.Fatalf("request %d: %d %s, want 201", i+1, resp.StatusCode(), resp.Body)
		}
		cancel()
	}
	if app.calls.Load() != 1 || app.count(t) != 1 {
		t.Errorf("handler ran %d times, %d todos; want the retry replayed", app.calls.Load(), app.count(t))
	}
}

// panicReader panics when read, as a handler's response stream may.
type panicReader struct{}

func (panicReader) Read([]byte) (int, error) { panic("boom in the stream") }

// A handler that panics, or whose response stream does, leaves the key
// free: the core answers the panic 500 and logs it, and the client's
// retry runs the handler again instead of being answered 409 until the
// lock expires.
func TestIdempotencyReleasesOnPanic(t *testing.T) {
	for name, fail := range map[string]handler.HandlerFunc{
		"handler": func(ctx context.Context, r *handler.Request) (*handler.Response, error) { panic("boom") },
		"stream": func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
			return &handler.Response{Status: http.StatusCreated, Stream: panicReader{}}, nil
		},
	} {
		t.Run(name, func(t *testing.T) {
			s := memstore.New()
			var calls atomic.Int32
			h := Idempotency(s)(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
				if calls.Add(1) == 1 {
					return fail(ctx, r)
				}
				return &handler.Response{Status: http.StatusCreated}, nil
			}))
			var logs bytes.Buffer
			ctx := handler.ContextWithLogger(context.Background(), slog.New(slog.NewTextHandler(&logs, nil)))
			wantStatus(t, handlertest.ServeContext(ctx, h, post("k-panic", "milk")), http.StatusInternalServerError)
			if !strings.Contains(logs.String(), "handler panic") || !strings.Contains(logs.String(), "boom") {
				t.Errorf("the panic did not reach the core's log: %s", logs.String())
			}
			wantStatus(t, serve(h, post("k-panic", "milk")), http.StatusCreated)
			if calls.Load() != 2 {
				t.Errorf("handler ran %d times, want 2", calls.Load())
			}
		})
	}
}

// A response too large for a store item (320 KB is about 437 KB in
// base64) is not replayed, but a repeat must not run the handler again
// either: it is answered a problem naming the original status.
func TestIdempotencyResponseTooLargeToRecord(t *testing.T) {
	clock := newFakeClock()
	s := memstore.New(memstore.WithClock(clock.Now))
	var calls atomic.Int32
	big := bytes.Repeat([]byte("x"), 320<<10)
	h := Idempotency(s, WithClock(clock.Now))(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		calls.Add(1)
		return &handler.Response{Status: http.StatusCreated, Body: big}, nil
	}))
	first := serve(h, post("k-big", "report"))
	if first.Status != http.StatusCreated || !bytes.Equal(first.Body, big) {
		t.Fatalf("first response: %d with %d bytes, want 201 with the handler's %d", first.Status, len(first.Body), len(big))
	}
	// Past the in-flight lock's 15 minutes, within the record's 24 hours.
	clock.Advance(time.Hour)
	for i := 0; i < 2; i++ {
		again := serve(h, post("k-big", "report"))
		if again.Status != http.StatusConflict {
			t.Fatalf("repeat %d: status %d with %d bytes, want 409; the handler ran %d times", i+1, again.Status, len(again.Body), calls.Load())
		}
		if !contains(again.Body, "idempotency_response_not_stored") || !contains(again.Body, "status 201") {
			t.Errorf("repeat: body %s", again.Body)
		}
		if contains(again.Body, fmt.Sprint(store.MaxItemSize)) || contains(again.Body, "JSON") {
			t.Errorf("repeat: body carries the store's error: %s", again.Body)
		}
		if again.Header.Get("Retry-After") != "" {
			t.Errorf("repeat: Retry-After %q; retrying cannot help", again.Header.Get("Retry-After"))
		}
	}
	if calls.Load() != 1 {
		t.Fatalf("handler ran %d times, want 1", calls.Load())
	}
	// Another payload with the key is still 422.
	reused := serve(h, post("k-big", "other report"))
	wantStatus(t, reused, http.StatusUnprocessableEntity)
	if !contains(reused.Body, "idempotency_key_reused") {
		t.Errorf("other payload: body %s", reused.Body)
	}
	// After the record's TTL the key is new again.
	clock.Advance(24 * time.Hour)
	if st := serve(h, post("k-big", "report")).Status; st != http.StatusCreated {
		t.Errorf("after the TTL: status %d, want 201", st)
	}
	if calls.Load() != 2 {
		t.Errorf("handler ran %d times, want 2", calls.Load())
	}
}

// downWhenRecording is a store that is unavailable for the write that
// records a response.
type downWhenRecording struct{ store.Store }

func (d downWhenRecording) Put(ctx context.Context, it *store.Item, cond ...store.Condition) (store.Revision, error) {
	if it.Data["state"] == "done" {
		return "", store.Errorf(store.ErrUnavailable, "connection refused")
	}
	return d.Store.Put(ctx, it, cond...)
}

// A store that is unavailable when the response is to be recorded is a
// passing fault, not the response's: the key is released, as before, so
// that the client's retry is not answered 409 until the lock expires.
func TestIdempotencyReleasesWhenStoreUnavailableToRecord(t *testing.T) {
	s := downWhenRecording{memstore.New()}
	next := &ok{}
	h := Idempotency(s)(next)
	for i := 0; i < 2; i++ {
		resp := serve(h, post("k-down", "x"))
		wantStatus(t, resp, http.StatusOK)
		if string(resp.Body) != "ok" {
			t.Errorf("request %d: body %q", i+1, resp.Body)
		}
	}
	if next.calls != 2 {
		t.Errorf("handler ran %d times, want 2", next.calls)
	}
}
