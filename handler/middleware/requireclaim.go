package middleware

import (
	"context"
	"net/http"

	"github.com/anyfunc/anyfunc/handler"
)

// RequireClaim returns middleware that lets a request through only when
// its identity's claim name is present and, if values are given, equals one
// of them (or, for a list claim such as "groups" or "roles", contains one
// of them). It answers 401 when there is no identity and 403 "forbidden"
// otherwise. RequireClaim panics when name is empty.
func RequireClaim(name string, values ...string) handler.Middleware {
	if name == "" {
		panic("middleware: RequireClaim: empty claim name")
	}
	forbidden := &handler.Error{Status: http.StatusForbidden, Code: "forbidden",
		Message: "The caller is not allowed to do this."}
	return func(next handler.Handler) handler.Handler {
		return handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
			if r.Identity == nil {
				return nil, errUnauthenticated
			}
			c := ClaimsOf(r.Identity)
			if _, present := c[name]; !present {
				return nil, forbidden
			}
			if len(values) == 0 {
				return next.ServeRequest(ctx, r)
			}
			for _, v := range values {
				if c.Has(name, v) {
					return next.ServeRequest(ctx, r)
				}
			}
			return nil, forbidden
		})
	}
}
