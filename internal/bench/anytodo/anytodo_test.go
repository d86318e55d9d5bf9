package anytodo_test

import (
	"context"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/examples/todo"
	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/handlertest"
	"github.com/anyfunc/anyfunc/internal/bench/anytodo"
	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/memstore"
)

// TestSameAnswersAsTheExample checks GET /todos/{id} against the example's
// handler on the same store: a stored todo (body, ETag, Content-Type), a
// missing one, another user's, and IDs that cannot exist.
func TestSameAnswersAsTheExample(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	due := "2026-12-24"
	at := time.Date(2026, 11, 1, 9, 30, 0, 123456789, time.UTC)
	in := todo.Todo{ID: "01KBENCHTD0000000000000001", Title: "Measure", Due: &due, CreatedAt: at, UpdatedAt: at}
	if _, err := store.NewCollection[todo.Todo](s).Put(ctx, store.Entry[todo.Todo]{Key: store.Key{Partition: "user/apikey:ann", Sort: in.ID}, Value: in}); err != nil {
		t.Fatal(err)
	}
	// Both behind the identity API key checks would set.
	none := func(next handler.Handler) handler.Handler { return next }
	got, want := anytodo.New(s, none), todo.New(s)
	for _, c := range []struct {
		path string
		user string
	}{
		{"/todos/" + in.ID, "ann"},
		{"/todos/" + in.ID, "bob"},
		{"/todos/01KBENCHTD0000000000000002", "ann"},
		{"/todos/01kbenchtd0000000000000001", "ann"},
		{"/todos/91KBENCHTD0000000000000001", "ann"},
		{"/todos/01KBENCHTD000000000000000", "ann"},
	} {
		req := func() *handler.Request {
			return handlertest.NewRequest("GET", c.path, nil, handlertest.Identity(&handler.Identity{Source: "apikey", Subject: c.user}), handlertest.RequestID("r1"))
		}
		g, w := handlertest.Serve(got, req()), handlertest.Serve(want, req())
		if g.Status != w.Status || g.String() != w.String() || g.Header.Get("ETag") != w.Header.Get("ETag") ||
			g.Header.Get("Content-Type") != w.Header.Get("Content-Type") {
			t.Errorf("GET %s as %s: anytodo answered %d %v %s, the example %d %v %s", c.path, c.user, g.Status, g.Header, g.Body, w.Status, w.Header, w.Body)
		}
	}
}
