package middleware

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"
)

// LimiterOption configures [NewTokenBucket] and [NewStoreLimiter]: [Burst],
// [LimiterPrefix] or [WithClock].
type LimiterOption interface{ applyLimiter(*limiterConfig) }

type limiterFunc func(*limiterConfig)

func (f limiterFunc) applyLimiter(c *limiterConfig) { f(c) }

type limiterConfig struct {
	now    func() time.Time
	burst  int
	prefix string
}

// Clock is the option [WithClock] returns. It is a [LimiterOption] and an
// [IdempotencyOption]: the middleware that keep time take the same one.
type Clock func() time.Time

// WithClock sets the clock of a limiter ([NewTokenBucket],
// [NewStoreLimiter]) or of [Idempotency]; the default (and nil) is
// time.Now. Tests pass a fake clock so that no test sleeps.
func WithClock(now func() time.Time) Clock { return Clock(now) }

func (k Clock) applyLimiter(c *limiterConfig) {
	if k != nil {
		c.now = k
	}
}

func (k Clock) applyIdempotency(c *idempotencyConfig) {
	if k != nil {
		c.now = k
	}
}

// Burst sets how many requests a token bucket allows at once, its
// capacity; the default is the limit. It has no effect on a store limiter.
func Burst(n int) LimiterOption { return limiterFunc(func(c *limiterConfig) { c.burst = n }) }

// TokenBucket is an in-process Limiter: each key has a bucket of Burst
// tokens refilled at limit tokens per period, and each request takes one.
// Buckets that have refilled completely are dropped from memory once per
// period. It is safe for concurrent use.
type TokenBucket struct {
	mu        sync.Mutex
	buckets   map[string]*bucket
	rate      float64 // tokens per nanosecond
	burst     float64
	limit     int
	period    time.Duration
	now       func() time.Time
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// NewTokenBucket returns a TokenBucket allowing limit requests per period
// for each key. It panics when limit, period or Burst is not positive.
func NewTokenBucket(limit int, period time.Duration, opts ...LimiterOption) *TokenBucket {
	c := limiterConfig{now: time.Now, burst: limit}
	for _, o := range opts {
		o.applyLimiter(&c)
	}
	if limit <= 0 || period <= 0 || c.burst <= 0 {
		panic(fmt.Sprintf("middleware: NewTokenBucket(%d, %v, burst %d): all must be positive", limit, period, c.burst))
	}
	return &TokenBucket{buckets: make(map[string]*bucket), rate: float64(limit) / float64(period),
		burst: float64(c.burst), limit: limit, period: period, now: c.now, lastSweep: c.now()}
}

// Allow takes a token from key's bucket if it has one. The Decision's
// Limit and Window are the configured limit and period.
func (tb *TokenBucket) Allow(_ context.Context, key string) (Decision, error) {
	now := tb.now()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if now.Sub(tb.lastSweep) >= tb.period {
		tb.sweep(now)
	}
	b := tb.buckets[key]
	if b == nil {
		b = &bucket{tokens: tb.burst, last: now}
		tb.buckets[key] = b
	} else if el := now.Sub(b.last); el > 0 {
		b.tokens = math.Min(tb.burst, b.tokens+float64(el)*tb.rate)
		b.last = now
	}
	d := Decision{Limit: tb.limit, Window: tb.period}
	if b.tokens >= 1 {
		b.tokens--
		d.Allowed = true
	} else {
		d.RetryAfter = time.Duration(math.Ceil((1 - b.tokens) / tb.rate))
	}
	d.Remaining = int(b.tokens)
	d.Reset = time.Duration(math.Ceil((tb.burst - b.tokens) / tb.rate))
	return d, nil
}

// sweep drops buckets that are full again: they behave like new ones.
func (tb *TokenBucket) sweep(now time.Time) {
	for k, b := range tb.buckets {
		if b.tokens+float64(now.Sub(b.last))*tb.rate >= tb.burst {
			delete(tb.buckets, k)
		}
	}
	tb.lastSweep = now
}
