package validate

import (
	"context"
	"net/http"

	"github.com/anyfunc/anyfunc/handler"
)

// JSON is [handler.JSON] with validation: the decoded In is checked with
// [Struct] before f is called, so f sees only valid input
// and the client gets a 422 listing every invalid field otherwise. The zero
// In that a bodyless GET, HEAD, DELETE or OPTIONS request gets is not
// validated.
func JSON[In, Out any](f func(ctx context.Context, in In) (Out, error), opts ...handler.JSONOption) handler.Handler {
	return JSONWithRequest(func(ctx context.Context, _ *handler.Request, in In) (Out, error) {
		return f(ctx, in)
	}, opts...)
}

// JSONWithRequest is [JSON] for a function that also needs the Request, as
// [handler.JSONWithRequest].
func JSONWithRequest[In, Out any](f func(ctx context.Context, r *handler.Request, in In) (Out, error), opts ...handler.JSONOption) handler.Handler {
	return handler.JSONWithRequest(func(ctx context.Context, r *handler.Request, in In) (Out, error) {
		if decoded(r) {
			if err := Struct(in); err != nil {
				var zero Out
				return zero, err
			}
		}
		return f(ctx, r, in)
	}, opts...)
}

// decoded reports whether handler.JSONWithRequest decoded r's body (it
// leaves the input zero for bodyless requests of bodyless methods).
func decoded(r *handler.Request) bool {
	switch r.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodDelete, http.MethodOptions:
		return len(r.Body) > 0
	}
	return true
}
