// Command local serves the to-do example with a plain net/http server on
// PORT (default 8080):
//
//	go run ./examples/todo/cmd/local
//
// Todos live in the store named by TODO_STORE_URL, by default mem://todos
// (in memory, gone when the process ends).
//
// Local mode only: the caller is whoever the X-User request header names.
// That header is trusted here because nothing else authenticates local
// requests; the cloud entry points never read it.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/anyfunc/anyfunc/adapters/httpserver"
	"github.com/anyfunc/anyfunc/examples/todo"
	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/store"
	_ "github.com/anyfunc/anyfunc/store/memstore"
)

func main() {
	h, err := newHandler(context.Background(), os.Getenv("TODO_STORE_URL"))
	if err != nil {
		slog.Error("todo: cannot start", "error", err)
		os.Exit(1)
	}
	httpserver.Start(h)
}

// newHandler opens the store at storeURL (mem://todos when empty) and
// returns the to-do API with the local X-User identity.
func newHandler(ctx context.Context, storeURL string) (handler.Handler, error) {
	if storeURL == "" {
		storeURL = "mem://todos"
	}
	s, err := store.Open(ctx, storeURL)
	if err != nil {
		return nil, err
	}
	return handler.Chain(todo.New(s), userFromHeader), nil
}

// userFromHeader makes the X-User header the caller's identity.
func userFromHeader(next handler.Handler) handler.Handler {
	return handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		if u := r.Header.Get("X-User"); u != "" {
			r.Identity = &handler.Identity{Source: "local-header", Subject: u}
		}
		return next.ServeRequest(ctx, r)
	})
}
