// Package anytodo builds the to-do API as the raw functions of
// internal/bench/cmd do their work, with anyfunc: the example's handler
// (examples/todo.New) on the store named by TODO_STORE_URL, behind API key
// authentication (TODO_API_KEYS) only. The example's own entry points add
// the rest of its middleware stack (tracing, metrics, logs, a store-backed
// rate limit, idempotency), which costs store round trips the raw
// functions do not make; the cmd/any* commands measure anyfunc on the same
// work instead.
package anytodo

import (
	"context"
	"os"

	"github.com/anyfunc/anyfunc/examples/todo"
	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/middleware"
	"github.com/anyfunc/anyfunc/store"
)

// Handler opens the store and returns the API behind API key checks.
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
	return handler.Chain(todo.New(s), auth), nil
}
