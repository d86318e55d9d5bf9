package middleware

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/internal/kit"
)

// copyRequest is handler's: a copy of a Request with path values of its own.
var copyRequest = kit.CopyRequest.(func(dst, src *handler.Request))

// ErrTimeout is the 504 problem Timeout answers with. It satisfies
// errors.Is(err, context.DeadlineExceeded).
var ErrTimeout = &handler.Error{Status: http.StatusGatewayTimeout, Code: "timeout",
	Message: "The request took too long.", Err: context.DeadlineExceeded}

// TimeoutOption configures [Timeout].
type TimeoutOption func(*timeoutConfig)

type timeoutConfig struct{ atDeadline bool }

// AnswerAtDeadline makes Timeout answer 504 the moment the deadline passes,
// even when the handler ignores its context: the handler then runs in a
// goroutine of its own and what it returns late is discarded (a late
// Response.Stream is closed, if it is an io.Closer, to release its
// producer). The handler runs on a copy of the request, its Header cloned,
// so that middleware inside Timeout that sets Identity, Pattern, path
// values or headers after the deadline does not race with middleware
// outside it reading the request; the copy is written back to the request
// when the handler's result is used. The copy has path values of its own
// (those set before Timeout are copied); it still shares with the request
// what Timeout cannot clone, which the handler must not modify in place:
// the Body's bytes, the Identity and the values of a Query() parsed
// before. This protects
// against handlers that block without watching ctx.Done(), at the cost of
// a goroutine, two context switches and the copy per request (the largest
// part of the stack's cost in BenchmarkStack).
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
//
// A Response.Stream keeps the handler's context alive while it is sent
// (a stream from [handler.FromHTTP] or of server-sent events is produced
// under that context): Timeout replaces it with an io.Closer that reads
// from it, closes it if it is an io.Closer, and cancels the context when it
// is closed or read to its end or to an error; the adapters close every
// stream they are given. The deadline still applies: a stream that is
// never closed holds the context and its timer until then, and no longer.
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
			defer func() {
				if cancel != nil { // nil once a stream took it over
					cancel()
				}
			}()
			resp, err := next.ServeRequest(ctx, r)
			if err != nil && ctx.Err() != nil {
				return nil, timeoutError(ctx)
			}
			if err == nil && resp != nil && resp.Stream != nil {
				resp.Stream = &cancelStream{r: resp.Stream, cancel: cancel}
				cancel = nil
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
		defer func() {
			if cancel != nil { // nil once a stream took it over
				cancel()
			}
		}()
		// The handler may outlive this call: it gets a request of its own.
		req := new(handler.Request)
		copyRequest(req, r)
		req.Header = r.Header.Clone()
		// done is unbuffered: the handler's goroutine either hands its
		// result over to this call, which is still waiting for it, or
		// finds the context done and discards the result itself.
		done := make(chan result)
		go func() {
			var res result
			defer func() {
				if v := recover(); v != nil {
					res.panic, res.stack = v, debug.Stack()
				}
				select {
				case done <- res:
				case <-ctx.Done():
					if res.resp != nil {
						discardStream(res.resp.Stream)
					}
				}
			}()
			res.resp, res.err = next.ServeRequest(ctx, req)
		}()
		select {
		case res := <-done:
			copyRequest(r, req) // the handler has returned: the request is ours again
			if res.panic != nil {
				if res.panic == http.ErrAbortHandler {
					panic(res.panic)
				}
				panic(&handlerPanic{value: res.panic, stack: res.stack})
			}
			if res.err != nil && ctx.Err() != nil {
				return nil, timeoutError(ctx)
			}
			if res.err == nil && res.resp != nil && res.resp.Stream != nil {
				res.resp.Stream = &cancelStream{r: res.resp.Stream, cancel: cancel}
				cancel = nil
			}
			return res.resp, res.err
		case <-ctx.Done():
			return nil, timeoutError(ctx)
		}
	})
}

// cancelStream is the Stream of a response Timeout let through: it cancels
// the handler's context once the stream is closed, or read to its end or
// to an error.
type cancelStream struct {
	r      io.Reader
	cancel context.CancelFunc
	once   sync.Once
}

func (s *cancelStream) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil {
		s.once.Do(s.cancel)
	}
	return n, err
}

// Close closes the handler's stream if it is an io.Closer, then cancels
// the handler's context. It may be called while a Read is blocked, to
// abort it.
func (s *cancelStream) Close() error {
	defer s.once.Do(s.cancel)
	if c, ok := s.r.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// discardStream closes the stream of a response nobody will read, if it is
// an io.Closer, so that its producer is released. A panic in Close is
// dropped, as the late response is: it must not end the process.
func discardStream(s io.Reader) {
	c, ok := s.(io.Closer)
	if !ok {
		return
	}
	defer func() { recover() }()
	c.Close()
}

// handlerPanic carries a panic out of the goroutine AnswerAtDeadline runs
// the handler in (or RateLimitOverlapReads the limiter), with the stack
// where it happened, for the log.
type handlerPanic struct {
	value any
	stack []byte
	// goroutine names what ran in the goroutine; "" means the handler.
	goroutine string
}

// String formats the panic value and the stack of the goroutine it
// happened in; handler.Serve logs it.
func (p *handlerPanic) String() string {
	g := p.goroutine
	if g == "" {
		g = "handler"
	}
	return fmt.Sprintf("%v\n\n%s goroutine stack:\n%s", p.value, g, p.stack)
}
