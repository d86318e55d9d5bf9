package middleware

import (
	"context"
	"net/http"
	"strings"

	"github.com/anyfunc/anyfunc/handler"
)

// errUnauthenticated is answered by the authorization middleware when no
// authentication middleware (or platform authorizer) set an identity.
var errUnauthenticated = &handler.Error{Status: http.StatusUnauthorized, Code: "unauthenticated",
	Message: "Authentication is required."}

// RequireScope returns middleware that lets a request through only when
// its Request.Identity was granted every one of scopes. It answers 401 when
// there is no identity and 403 "insufficient_scope" (with WWW-Authenticate:
// Bearer error="insufficient_scope") when a scope is missing. Use it inside
// APIKey or JWT, on a route or a group. RequireScope panics when no scope
// is given.
func RequireScope(scopes ...string) handler.Middleware {
	if len(scopes) == 0 {
		panic("middleware: RequireScope: no scope")
	}
	forbidden := &handler.Error{Status: http.StatusForbidden, Code: "insufficient_scope",
		Message: "The caller lacks a required scope: " + strings.Join(scopes, " ") + ".",
		Header:  http.Header{"Www-Authenticate": {`Bearer error="insufficient_scope", scope="` + strings.Join(scopes, " ") + `"`}}}
	return func(next handler.Handler) handler.Handler {
		return handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
			if r.Identity == nil {
				return nil, errUnauthenticated
			}
			for _, s := range scopes {
				if !r.Identity.HasScope(s) {
					return nil, forbidden
				}
			}
			return next.ServeRequest(ctx, r)
		})
	}
}
