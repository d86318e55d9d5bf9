package middleware

import (
	"context"
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

// TimeoutOption configures [Timeout].
type TimeoutOption func(*timeoutConfig)

type timeoutConfig struct{ atDeadline bool }

// AnswerAtDeadline makes Timeout answer 504 the moment the deadline passes,
// even when the handler ignores its context: the handler then runs in a
// goroutine of its own and what it returns late is discarded. It must not
// touch the request after its context is done. This protects against
// handlers that block without watching ctx.Done(), at the cost of a
// goroutine and two context switches per request (the largest part of the
// stack's cost in BenchmarkStack).
func AnswerAtDeadline() TimeoutOption { return func(c *timeoutConfig) { c.atDeadline = true } }

// Timeout returns middleware that gives the handler at most d: the
// handler's context is cancelled after d (or at the platform's deadline, if
// that is earlier), and an error the handler returns once its context is
// done is answered with a 504 problem ([ErrTimeout]), whatever the error
// (a store or HTTP client call cut short reports its own). The handler must
// watch ctx.Done() and stop; a response it still returns successfully after
// the deadline is sent, since its work was done. With [AnswerAtDeadline]
// the 504 is sent at the deadline instead, without waiting for the handler.
// When the platform cancels the request (the client went away) the
// context's error is returned. Timeout panics if d is not positive.
func Timeout(d time.Duration, opts ...TimeoutOption) handler.Middleware {
	if d <= 0 {
		panic(fmt.Sprintf("middleware: Timeout(%v): the duration must be positive", d))
	}
	var c timeoutConfig
	for _, o := range opts {
		o(&c)
	}
	return func(next handler.Handler) handler.Handler {
		if c.atDeadline {
			return answerAtDeadline(next, d)
		}
		return handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
			ctx, cancel := context.WithTimeout(ctx, d)
			defer cancel()
			resp, err := next.ServeRequest(ctx, r)
			if err != nil && ctx.Err() != nil {
				return nil, timeoutError(ctx)
			}
			return resp, err
		})
	}
}

// timeoutError is the error for a request whose context is done.
func timeoutError(ctx context.Context) error {
	if ctx.Err() == context.DeadlineExceeded {
		return ErrTimeout
	}
	return ctx.Err()
}

func answerAtDeadline(next handler.Handler, d time.Duration) handler.Handler {
	type result struct {
		resp  *handler.Response
		err   error
		panic any
		stack []byte
	}
	return handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		ctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
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
			if res.err != nil && ctx.Err() != nil {
				return nil, timeoutError(ctx)
			}
			return res.resp, res.err
		case <-ctx.Done():
			return nil, timeoutError(ctx)
		}
	})
}

// handlerPanic carries a panic out of the goroutine AnswerAtDeadline runs
// the handler in, with the stack where it happened, for the log.
type handlerPanic struct {
	value any
	stack []byte
}

// String formats the panic value and the handler's stack; handler.Serve
// logs it.
func (p *handlerPanic) String() string {
	return fmt.Sprintf("%v\n\nhandler goroutine stack:\n%s", p.value, p.stack)
}
