package todo_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/examples/todo"
	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/handlertest"
	"github.com/anyfunc/anyfunc/handler/middleware"
	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/driver"
	"github.com/anyfunc/anyfunc/store/memstore"
)

// faulty returns the to-do API behind the idempotency middleware as
// Config.Wrap places it (keys recorded in the caller's partition), over a
// memstore whose faults the test injects. It leaves out the rest of the
// stack, whose own store calls would take the faults meant for the API.
func faulty(t *testing.T) (handler.Handler, *memstore.Driver) {
	t.Helper()
	d := memstore.NewDriver()
	s := driver.NewStore(d, store.WithRetry(1, time.Millisecond, time.Millisecond))
	idem := middleware.Idempotency(s, middleware.IdempotencyPartition(func(r *handler.Request) (string, error) {
		return "user/" + r.Identity.Source + ":" + r.Identity.Subject, nil
	}))
	return idem(todo.New(s)), d
}

var ann = as("ann")

func idem(key string) handlertest.Option { return handlertest.Header("Idempotency-Key", key) }

// Each write's answer is lost after the store applied it, and so is the
// read that would tell: the client's retry with the same key gets the
// first answer replayed, and the effect happens once. Without the
// record committed with the write, the create would run twice and the
// delete's retry would be a 404.
func TestIdempotentWritesSurviveLostAnswers(t *testing.T) {
	h, d := faulty(t)
	lose := func() {
		d.LoseAnswerNext(memstore.OpAtomic, 1, store.ErrUnavailable)
		d.FailNext(memstore.OpGet, 1, store.ErrUnavailable) // the resolving read
	}
	retry := func(method, target string, body any, key string) *handlertest.Result {
		t.Helper()
		var last *handlertest.Result
		for range 3 {
			last = serve(h, method, target, body, ann, idem(key))
			if last.Status < 500 {
				return last
			}
		}
		t.Fatalf("%s %s: %d %s after retries", method, target, last.Status, last.Body)
		return nil
	}

	lose()
	created := retry("POST", "/todos", map[string]string{"title": "once"}, "c1")
	if created.Status != http.StatusCreated {
		t.Fatalf("create = %d %s", created.Status, created.Body)
	}
	again := retry("POST", "/todos", map[string]string{"title": "once"}, "c1")
	if again.Status != 201 || string(again.Body) != string(created.Body) || again.Header.Get("Location") != created.Header.Get("Location") {
		t.Fatalf("replay = %d %s, want %s", again.Status, again.Body, created.Body)
	}
	loc := created.Header.Get("Location")

	lose()
	patched := retry("PATCH", loc, map[string]any{"done": true}, "p1")
	if patched.Status != 200 {
		t.Fatalf("patch = %d %s", patched.Status, patched.Body)
	}
	if again := retry("PATCH", loc, map[string]any{"done": true}, "p1"); again.Status != 200 || string(again.Body) != string(patched.Body) {
		t.Fatalf("patch replay = %d %s, want %s", again.Status, again.Body, patched.Body)
	}

	var list todo.List
	if res := serve(h, "GET", "/todos", nil, ann); res.DecodeJSON(&list) != nil || len(list.Items) != 1 || !list.Items[0].Done {
		t.Fatalf("list = %s, want the one todo, done", res.Body)
	}

	lose()
	if res := retry("DELETE", loc, nil, "d1"); res.Status != http.StatusNoContent {
		t.Fatalf("delete = %d %s", res.Status, res.Body)
	}
	if res := retry("DELETE", loc, nil, "d1"); res.Status != http.StatusNoContent {
		t.Fatalf("delete retried with its key = %d %s, want the 204 replayed", res.Status, res.Body)
	}
	if res := serve(h, "DELETE", loc, nil, ann); res.Status != http.StatusNotFound {
		t.Fatalf("delete without a key = %d, want 404", res.Status)
	}
	if res := serve(h, "GET", "/todos", nil, ann); res.DecodeJSON(&list) != nil || len(list.Items) != 0 {
		t.Fatalf("list after delete = %s", res.Body)
	}
}

// A write refused before it applied, with the store unreachable to tell,
// is answered 503; the key is released (the fence succeeded), and the
// retry creates the todo once.
func TestIdempotentCreateRefusedThenRetried(t *testing.T) {
	h, d := faulty(t)
	d.FailNext(memstore.OpAtomic, 1, store.ErrUnavailable)
	d.FailNext(memstore.OpGet, 1, store.ErrUnavailable)
	if res := serve(h, "POST", "/todos", map[string]string{"title": "x"}, ann, idem("k")); res.Status != 503 {
		t.Fatalf("first = %d %s, want 503", res.Status, res.Body)
	}
	if res := serve(h, "POST", "/todos", map[string]string{"title": "x"}, ann, idem("k")); res.Status != 201 {
		t.Fatalf("retry = %d %s", res.Status, res.Body)
	}
	var list todo.List
	if res := serve(h, "GET", "/todos", nil, ann); res.DecodeJSON(&list) != nil || len(list.Items) != 1 {
		t.Fatalf("list = %s, want one todo", res.Body)
	}
}
