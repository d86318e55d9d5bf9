package middleware

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/anyfunc/anyfunc/handler"
)

// ErrTimeout is the 504 problem Timeout answers with. It satisfies
// errors.Is(err, context.DeadlineExceeded).
var ErrTimeout = &handler.Error{Status: http.StatusGatewayTimeout, Code: "timeout",
	Message: "The request took too long.", Err: context.DeadlineExceeded}

// Timeout returns middleware that gives the handler at most d: the handler's
// context is cancelled after d (or at the platform's earlier deadline), and
// if the handler has not returned by then the request is answered at once
// with a 504 problem ([ErrTimeout]). The handler must watch ctx.Done() and
// stop; whatever it returns late is discarded, and it must not touch the
// request after its context is done. A handler that returns its context's
// deadline error in time gets the same 504. A panic in the handler is
// re-raised in the caller's goroutine, so [handler.Serve] still recovers it.
// Timeout panics if d is not positive.
func Timeout(d time.Duration) handler.Middleware {
	if d <= 0 {
		panic(fmt.Sprintf("middleware: Timeout(%v): the duration must be positive", d))
	}
	return func(next handler.Handler) handler.Handler {
		return handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
			ctx, cancel := context.WithTimeout(ctx, d)
			defer cancel()
			type result struct {
				resp  *handler.Response
				err   error
				panic any
				stack []byte
			}
			done := make(chan result, 1)
			go func() {
				var res result
				defer func() {
					if v := recover(); v != nil {
						res.panic, res.stack = v, debug.Stack()
					}
					done <- res
				}()
				res.resp, res.err = next.ServeRequest(ctx, r)
			}()
			select {
			case res := <-done:
				if res.panic != nil {
					if res.panic == http.ErrAbortHandler {
						panic(res.panic)
					}
					panic(&handlerPanic{res.panic, res.stack})
				}
				if res.err != nil && errors.Is(res.err, context.DeadlineExceeded) && ctx.Err() != nil {
					return nil, ErrTimeout
				}
				return res.resp, res.err
			case <-ctx.Done():
				if errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
					return nil, ErrTimeout
				}
				return nil, ctx.Err()
			}
		})
	}
}

// handlerPanic carries a panic out of the goroutine Timeout runs the
// handler in, with the stack where it happened, for the log.
type handlerPanic struct {
	value any
	stack []byte
}

func (p *handlerPanic) String() string {
	return fmt.Sprintf("%v\n\nhandler goroutine stack:\n%s", p.value, p.stack)
}
