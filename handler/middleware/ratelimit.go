package middleware

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/anyfunc/anyfunc/handler"
)

// A Limiter decides whether one more request counted under a key is
// allowed. [NewTokenBucket] limits within one process; [NewStoreLimiter]
// shares one budget among every instance of a function through a
// store.Store.
type Limiter interface {
	// Allow counts one request under key and reports the decision. An
	// error means the limiter could not decide (its store failed).
	Allow(ctx context.Context, key string) (Decision, error)
}

// Decision is a Limiter's answer for one request.
type Decision struct {
	// Allowed reports whether the request may proceed.
	Allowed bool
	// Limit is the quota: how many requests the policy allows per Window.
	Limit int
	// Window is the policy's time window.
	Window time.Duration
	// Remaining is how many more requests the quota allows now.
	Remaining int
	// Reset is the time until the quota is whole again.
	Reset time.Duration
	// RetryAfter, for a refused request, is the time until one more
	// request would be allowed.
	RetryAfter time.Duration
}

// KeyFunc picks the key a request is counted under; an empty key exempts
// the request from the limit.
type KeyFunc func(r *handler.Request) string

// ByIP counts requests per client IP address (Request.RemoteAddr, which
// adapters take from the platform, never from a client's header). Where
// the platform gives no trustworthy address (Azure Functions and Cloud Run
// functions, where RemoteAddr is empty), all such requests share one budget: there, count by identity
// (ByIdentity behind authentication) or by a header a front end you
// control sets (ByHeader).
func ByIP(r *handler.Request) string { return "ip:" + r.RemoteAddr }

// ByIdentity counts requests per authenticated caller (the identity's
// source and subject: an API key's name or a token's "sub"), and
// anonymous requests per IP address. Put it inside the authentication
// middleware.
func ByIdentity(r *handler.Request) string {
	if id := r.Identity; id != nil && id.Subject != "" {
		return "id:" + id.Source + ":" + id.Subject
	}
	return ByIP(r)
}

// ByHeader counts requests per value of the named header; requests
// without it are exempt. Use it only for headers the platform sets or an
// earlier middleware has verified.
func ByHeader(name string) KeyFunc {
	name = http.CanonicalHeaderKey(name)
	return func(r *handler.Request) string {
		if v := r.Header.Get(name); v != "" {
			return "h:" + name + ":" + v
		}
		return ""
	}
}

// RateLimitOption configures [RateLimit].
type RateLimitOption func(*rateLimitConfig)

type rateLimitConfig struct {
	policy   string
	failOpen bool
	overlap  bool
}

// RateLimitPolicy names the policy in the RateLimit and RateLimit-Policy
// headers; the default is "default".
func RateLimitPolicy(name string) RateLimitOption {
	return func(c *rateLimitConfig) { c.policy = name }
}

// RateLimitFailOpen lets requests through, logging a warning, when the
// limiter fails (for example its store is unreachable). By default such a
// request is answered with the store's error (503).
func RateLimitFailOpen() RateLimitOption { return func(c *rateLimitConfig) { c.failOpen = true } }

// RateLimitOverlapReads counts GET and HEAD requests while the handler
// serves them instead of before: the limiter's round trip (a
// StoreLimiter's one store call) overlaps the handler's own work, so an
// allowed read waits for the slower of the two rather than for both in
// turn. Counts, decisions and answers stay the same: a refused read is
// answered 429 and the handler's answer is dropped (its Stream closed),
// and a limiter failure is answered or let through as without this
// option. What changes is that the handler has run for a refused read:
// use it only where GET and HEAD have no effect a refused request must
// not have, and where serving a refused read costs little (a limit meant
// to shield the handler's backend from floods of reads must not overlap
// them). Other methods are counted before the handler runs, as always.
// It is meant for limiters that wait on a store; an in-process
// TokenBucket decides too fast to gain anything.
func RateLimitOverlapReads() RateLimitOption { return func(c *rateLimitConfig) { c.overlap = true } }

// RateLimit returns middleware that counts each request with l under the
// key chosen by key. A refused request is answered 429 "rate_limited"
// with Retry-After (whole seconds); every counted answer, refused or not,
// carries the RateLimit and RateLimit-Policy headers of the IETF httpapi
// draft, for example:
//
//	RateLimit-Policy: "default";q=100;w=60
//	RateLimit: "default";r=42;t=17
//
// RateLimit panics when l or key is nil or the policy name is not a valid
// token.
func RateLimit(l Limiter, key KeyFunc, opts ...RateLimitOption) handler.Middleware {
	c := rateLimitConfig{policy: "default"}
	for _, o := range opts {
		o(&c)
	}
	if l == nil || key == nil {
		panic("middleware: RateLimit: nil Limiter or KeyFunc")
	}
	if c.policy == "" || strings.ContainsAny(c.policy, "\";\\, ") {
		panic(fmt.Sprintf("middleware: RateLimit: invalid policy name %q", c.policy))
	}
	rl := &rateLimiter{l: l, key: key, failOpen: c.failOpen, overlap: c.overlap, quoted: `"` + c.policy + `"`}
	return rl.middleware
}

type rateLimiter struct {
	l        Limiter
	key      KeyFunc
	failOpen bool
	overlap  bool
	quoted   string
	policy   atomic.Pointer[policyHeader] // the last RateLimit-Policy value
}

type policyHeader struct {
	limit  int
	window time.Duration
	value  string
}

func (rl *rateLimiter) middleware(next handler.Handler) handler.Handler {
	return handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		k := rl.key(r)
		if k == "" {
			return next.ServeRequest(ctx, r)
		}
		if rl.overlap && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			return rl.overlapped(ctx, r, k, next)
		}
		d, err := rl.l.Allow(ctx, k)
		if err != nil {
			if rl.failOpen {
				rl.warn(ctx, err)
				return next.ServeRequest(ctx, r)
			}
			return nil, limiterError(err)
		}
		if !d.Allowed {
			return nil, rl.refused(d)
		}
		resp, err := next.ServeRequest(ctx, r)
		return rl.allowed(d, resp, err)
	})
}

// decision is a Limiter's answer, sent by the goroutine that asks for it:
// the decision and error Allow returned, or the value Allow panicked with
// and the stack where it did.
type decision struct {
	d     Decision
	err   error
	panic any
	stack []byte
}

// overlapped serves r with next while l counts it under k
// (RateLimitOverlapReads), and answers as middleware would have once both
// are done.
func (rl *rateLimiter) overlapped(ctx context.Context, r *handler.Request, k string, next handler.Handler) (*handler.Response, error) {
	// Buffered: should next panic, the goroutine still ends.
	ch := make(chan decision, 1)
	go func() {
		var dec decision
		defer func() {
			// A panic in Allow is carried to this request's goroutine,
			// where handler.Serve recovers it, as it does without the
			// option; left here, it would end the process.
			if v := recover(); v != nil {
				dec = decision{panic: v, stack: debug.Stack()}
			}
			ch <- dec
		}()
		dec.d, dec.err = rl.l.Allow(ctx, k)
	}()
	resp, herr := next.ServeRequest(ctx, r)
	dec := <-ch
	if dec.panic != nil {
		discard(resp)
		if dec.panic == http.ErrAbortHandler {
			panic(dec.panic)
		}
		panic(&handlerPanic{value: dec.panic, stack: dec.stack, goroutine: "rate limiter"})
	}
	switch {
	case dec.err != nil && rl.failOpen:
		rl.warn(ctx, dec.err)
		return resp, herr
	case dec.err != nil:
		discard(resp)
		return nil, limiterError(dec.err)
	case !dec.d.Allowed:
		discard(resp)
		return nil, rl.refused(dec.d)
	}
	return rl.allowed(dec.d, resp, herr)
}

// discard releases an answer that will not be sent: its Stream is closed
// if it is an io.Closer.
func discard(resp *handler.Response) {
	if resp == nil || resp.Stream == nil {
		return
	}
	if c, ok := resp.Stream.(io.Closer); ok {
		c.Close()
	}
}

func (rl *rateLimiter) warn(ctx context.Context, err error) {
	handler.Logger(ctx).LogAttrs(ctx, slog.LevelWarn, "rate limiter failed; request let through",
		slog.String("error", err.Error()))
}

func limiterError(err error) error { return fmt.Errorf("middleware: rate limiter: %w", err) }

// refused is the 429 answer to a request d refuses.
func (rl *rateLimiter) refused(d Decision) error {
	h := make(http.Header, 3)
	rl.headers(h, d)
	h["Retry-After"] = []string{ceilSeconds(max(d.RetryAfter, time.Second))}
	return &handler.Error{Status: http.StatusTooManyRequests, Code: "rate_limited",
		Message: "Too many requests; retry later.", Header: h}
}

// allowed adds d's headers to the handler's answer, resp or err.
func (rl *rateLimiter) allowed(d Decision, resp *handler.Response, err error) (*handler.Response, error) {
	if err != nil {
		h := make(http.Header, 2)
		rl.headers(h, d)
		return nil, withHeader(err, h)
	}
	if resp == nil {
		resp = &handler.Response{}
	}
	if resp.Header == nil {
		resp.Header = make(http.Header, 2)
	}
	rl.headers(resp.Header, d)
	return resp, nil
}

// headers sets RateLimit and RateLimit-Policy for d.
func (rl *rateLimiter) headers(h http.Header, d Decision) {
	p := rl.policy.Load()
	if p == nil || p.limit != d.Limit || p.window != d.Window {
		p = &policyHeader{d.Limit, d.Window, rl.quoted + ";q=" + strconv.Itoa(d.Limit) + ";w=" + ceilSeconds(d.Window)}
		rl.policy.Store(p)
	}
	h["Ratelimit-Policy"] = []string{p.value}
	buf := make([]byte, 0, len(rl.quoted)+24)
	buf = append(buf, rl.quoted...)
	buf = append(buf, ";r="...)
	buf = strconv.AppendInt(buf, int64(max(d.Remaining, 0)), 10)
	buf = append(buf, ";t="...)
	buf = append(buf, ceilSeconds(d.Reset)...)
	h["Ratelimit"] = []string{string(buf)}
}

// ceilSeconds formats d as whole seconds, rounded up.
func ceilSeconds(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10)
}
