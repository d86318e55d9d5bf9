package middleware

import (
	"context"
	"fmt"

	"github.com/anyfunc/anyfunc/handler"
)

// BodyLimit returns middleware that refuses a request whose body is larger
// than n bytes with a 413 problem ([handler.BodyTooLargeError]) before the
// handler runs. Adapters have already read the body, so this bounds what
// handlers decode and store; limit the platform's own intake too where it
// allows it. BodyLimit panics if n is not positive.
func BodyLimit(n int64) handler.Middleware {
	if n <= 0 {
		panic(fmt.Sprintf("middleware: BodyLimit(%d): the limit must be positive", n))
	}
	return func(next handler.Handler) handler.Handler {
		return handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
			if int64(len(r.Body)) > n {
				return nil, handler.BodyTooLargeError(n)
			}
			return next.ServeRequest(ctx, r)
		})
	}
}
