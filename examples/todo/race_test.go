package todo_test

import (
	"context"
	"sync"
	"testing"

	"github.com/anyfunc/anyfunc/examples/todo"
	"github.com/anyfunc/anyfunc/handler/handlertest"
	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/memstore"
)

// interferingStore lets another writer change an item between a PATCH's
// read and its revision-checked write, once.
type interferingStore struct {
	store.Store
	once sync.Once
}

func (s *interferingStore) Put(ctx context.Context, it *store.Item, cond ...store.Condition) (store.Revision, error) {
	if len(cond) == 1 && cond[0].Kind() == store.CondRevision {
		s.once.Do(func() {
			cur, err := s.Store.Get(ctx, it.Key)
			if err != nil {
				panic(err)
			}
			cur.Data["done"] = true
			if _, err := s.Store.Put(ctx, cur); err != nil {
				panic(err)
			}
		})
	}
	return s.Store.Put(ctx, it, cond...)
}

// A PATCH without If-Match that loses a race with another write is not a
// failed precondition (the client set none): it is applied to the current
// version, keeping the other write's change.
func TestPatchWithoutIfMatchRetriesAfterARace(t *testing.T) {
	s := &interferingStore{Store: memstore.New()}
	f := &fixture{t: t, h: todo.New(s)}
	td, _ := f.create("ann", "milk")
	res := f.do("PATCH", "/todos/"+td.ID, map[string]any{"title": "eggs"}, as("ann"))
	if res.Status != 200 {
		t.Fatalf("PATCH = %d %s, want 200", res.Status, res.Body)
	}
	var got todo.Todo
	if err := f.do("GET", "/todos/"+td.ID, nil, as("ann")).DecodeJSON(&got); err != nil {
		t.Fatal(err)
	}
	if got.Title != "eggs" || !got.Done {
		t.Errorf("todo = %+v, want title eggs and the other write's done=true", got)
	}
	// With If-Match, the same race is a failed precondition.
	td2, tag := f.create("ann", "bread")
	s.once = sync.Once{}
	wantProblem(t, f.do("PATCH", "/todos/"+td2.ID, map[string]any{"title": "rye"}, as("ann"), handlertest.Header("If-Match", tag)), 412, "precondition_failed")
}

// alwaysInterferingStore changes the item before every revision-checked
// write: a PATCH never wins.
type alwaysInterferingStore struct{ store.Store }

func (s alwaysInterferingStore) Put(ctx context.Context, it *store.Item, cond ...store.Condition) (store.Revision, error) {
	if len(cond) == 1 && cond[0].Kind() == store.CondRevision {
		cur, err := s.Store.Get(ctx, it.Key)
		if err != nil {
			panic(err)
		}
		if _, err := s.Store.Put(ctx, cur); err != nil {
			panic(err)
		}
	}
	return s.Store.Put(ctx, it, cond...)
}

// A PATCH without a version precondition that loses every round is
// contention (409, retry), not a stale ETag (412); "If-Match: *" asks only
// that the todo exist, so it retries like no If-Match at all.
func TestPatchContention(t *testing.T) {
	f := &fixture{t: t, h: todo.New(alwaysInterferingStore{memstore.New()})}
	td, _ := f.create("ann", "milk")
	for _, opts := range [][]handlertest.Option{{as("ann")}, {as("ann"), handlertest.Header("If-Match", "*")}} {
		res := f.do("PATCH", "/todos/"+td.ID, map[string]any{"title": "eggs"}, opts...)
		wantProblem(t, res, 409, "conflict")
		if res.Header.Get("Retry-After") == "" {
			t.Errorf("409 without Retry-After")
		}
	}
	// "If-Match: *" that wins after a lost round is applied.
	s := &interferingStore{Store: memstore.New()}
	f = &fixture{t: t, h: todo.New(s)}
	td, _ = f.create("ann", "bread")
	if res := f.do("PATCH", "/todos/"+td.ID, map[string]any{"title": "rye"}, as("ann"), handlertest.Header("If-Match", "*")); res.Status != 200 {
		t.Errorf("PATCH If-Match: * after a lost round = %d %s, want 200", res.Status, res.Body)
	}
}
