package middleware

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/handler"
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
	id := handler.NewRequestID()
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
	h := Idempotency(s, IdempotencyClock(clock.Now))(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
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
