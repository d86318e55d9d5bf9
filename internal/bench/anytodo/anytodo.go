// Package anytodo is the to-do API's GET /todos/{id} written with anyfunc,
// doing the work the raw functions of internal/bench/cmd do by hand: an
// API key check (middleware.APIKey, TODO_API_KEYS), one read of the todo
// through the store named by TODO_STORE_URL, and the todo as JSON with its
// ETag, answered as the to-do example (examples/todo) answers it. It is
// written as a developer would write that one route with anyfunc (a
// Router, a typed JSON handler, a store.Collection), so that the
// cmd/any* commands measure the framework on the same work as raw: the
// example's other routes (create, list, update, delete, with events and
// idempotency) and its middleware stack are measured by its own entry
// points, the report's "example" contenders.
package anytodo

import (
	"context"
	"errors"
	"net/http"
	"os"
	"time"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/middleware"
	"github.com/anyfunc/anyfunc/store"
)

// Todo is a to-do item as the example stores and answers it.
type Todo struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Due       *string   `json:"due"`
	Done      bool      `json:"done"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Handler opens the store and returns GET /todos/{id} behind API key
// checks.
func Handler(ctx context.Context) (handler.Handler, error) {
	keys, err := middleware.ParseKeys(os.Getenv("TODO_API_KEYS"))
	if err != nil {
		return nil, err
	}
	auth, err := middleware.APIKey(keys)
	if err != nil {
		return nil, err
	}
	s, err := store.Open(ctx, os.Getenv("TODO_STORE_URL"))
	if err != nil {
		return nil, err
	}
	return New(s, auth), nil
}

// New returns GET /todos/{id} over s behind auth.
func New(s store.Store, auth handler.Middleware) handler.Handler {
	todos := store.NewCollection[Todo](s)
	r := handler.NewRouter()
	r.Handle("GET /todos/{id}", handler.JSONOut(func(ctx context.Context, r *handler.Request) (handler.Reply[Todo], error) {
		id := r.PathValue("id")
		if r.Identity == nil {
			return handler.Reply[Todo]{}, handler.NewError(http.StatusUnauthorized, "unauthenticated", "Authentication is required.")
		}
		if !validID(id) {
			return handler.Reply[Todo]{}, notFound()
		}
		// The example's partition of the caller: its identity's source
		// and subject.
		e, err := todos.Get(ctx, store.Key{Partition: "user/" + r.Identity.Source + ":" + r.Identity.Subject, Sort: id})
		if errors.Is(err, store.ErrNotFound) {
			return handler.Reply[Todo]{}, notFound()
		}
		if err != nil {
			return handler.Reply[Todo]{}, err
		}
		return handler.Reply[Todo]{Body: e.Value, Header: http.Header{"Etag": {middleware.RevisionETag(e.Revision)}}}, nil
	}))
	return handler.Chain(r, auth)
}

func notFound() error {
	return handler.NewError(http.StatusNotFound, "not_found", "The todo does not exist.")
}

// validID reports whether s can be a todo ID, as the example checks it:
// 26 characters of Crockford's base32 alphabet, the first at most '7'.
func validID(s string) bool {
	if len(s) != 26 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') || c == 'I' || c == 'L' || c == 'O' || c == 'U' {
			return false
		}
	}
	return s[0] <= '7'
}
