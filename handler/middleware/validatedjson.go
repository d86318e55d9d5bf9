package middleware

import (
	"context"
	"net/http"

	"github.com/anyfunc/anyfunc/handler"
)

// ValidatedJSON is [handler.JSON] with validation: the decoded In is
// checked with [Validate] before f is called, so f sees only valid input
// and the client gets a 422 listing every invalid field otherwise. The zero
// In that a bodyless GET, HEAD, DELETE or OPTIONS request gets is not
// validated.
func ValidatedJSON[In, Out any](f func(ctx context.Context, in In) (Out, error), opts ...handler.JSONOption) handler.Handler {
	return ValidatedJSONWithRequest(func(ctx context.Context, _ *handler.Request, in In) (Out, error) {
		return f(ctx, in)
	}, opts...)
}

// ValidatedJSONWithRequest is [ValidatedJSON] for a function that also
// needs the Request, as [handler.JSONWithRequest].
func ValidatedJSONWithRequest[In, Out any](f func(ctx context.Context, r *handler.Request, in In) (Out, error), opts ...handler.JSONOption) handler.Handler {
	return handler.JSONWithRequest(func(ctx context.Context, r *handler.Request, in In) (Out, error) {
		if decoded(r) {
			if err := Validate(in); err != nil {
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
