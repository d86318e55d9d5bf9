package middleware

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
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
	rl := &rateLimiter{l: l, key: key, failOpen: c.failOpen, quoted: `"` + c.policy + `"`}
	return rl.middleware
}

type rateLimiter struct {
	l        Limiter
	key      KeyFunc
	failOpen bool
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
		d, err := rl.l.Allow(ctx, k)
		if err != nil {
			if rl.failOpen {
				handler.Logger(ctx).LogAttrs(ctx, slog.LevelWarn, "rate limiter failed; request let through",
					slog.String("error", err.Error()))
				return next.ServeRequest(ctx, r)
			}
			return nil, fmt.Errorf("middleware: rate limiter: %w", err)
		}
		if !d.Allowed {
			h := make(http.Header, 3)
			rl.headers(h, d)
			h["Retry-After"] = []string{ceilSeconds(max(d.RetryAfter, time.Second))}
			return nil, &handler.Error{Status: http.StatusTooManyRequests, Code: "rate_limited",
				Message: "Too many requests; retry later.", Header: h}
		}
		resp, err := next.ServeRequest(ctx, r)
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
	})
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
