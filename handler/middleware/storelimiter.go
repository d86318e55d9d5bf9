package middleware

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/anyfunc/anyfunc/store"
)

// LimiterPrefix sets the partition-key prefix of a store limiter's
// counters; the default is "ratelimit/". It has no effect on a token
// bucket.
func LimiterPrefix(p string) LimiterOption {
	return limiterFunc(func(c *limiterConfig) { c.prefix = p })
}

// StoreLimiter is a Limiter whose counters live in a store.Store, so that
// every instance of a function (every Lambda execution environment, every
// Cloud Run instance) draws on one budget: a fixed window of limit requests
// per window per key.
//
// Each key and window has one counter item. A request advances it with one
// atomic Increment (store.Store.UpdateItem) and is allowed when the count
// it got back is at most limit. Every increment gets its own count,
// however many instances ask at once, so exactly limit requests per window
// get through, and a request costs one store call: two more for the first
// request of a window, which creates the counter (IfNotExists), and one
// more for each request that raced it. Refused requests count too, so
// the counter says how many requests came. Counters carry ExpiresAt and
// vanish after their window. The store may be shared with other data: the
// counters' partition keys start with the prefix (LimiterPrefix).
type StoreLimiter struct {
	s      store.Store
	limit  int
	window time.Duration
	now    func() time.Time
	prefix string
}

// NewStoreLimiter returns a StoreLimiter allowing limit requests per
// window for each key. It panics when s is nil or limit or window is not
// positive; window is counted in whole seconds, at least one.
func NewStoreLimiter(s store.Store, limit int, window time.Duration, opts ...LimiterOption) *StoreLimiter {
	c := limiterConfig{now: time.Now, prefix: "ratelimit/"}
	for _, o := range opts {
		o.applyLimiter(&c)
	}
	if s == nil || limit <= 0 || window < time.Second {
		panic(fmt.Sprintf("middleware: NewStoreLimiter(%d, %v): need a store, a positive limit and a window of at least 1s", limit, window))
	}
	return &StoreLimiter{s: s, limit: limit, window: window.Truncate(time.Second), now: c.now, prefix: c.prefix}
}

// Allow counts one request under key in the current window.
func (sl *StoreLimiter) Allow(ctx context.Context, key string) (Decision, error) {
	now := sl.now()
	w := now.UnixNano() / int64(sl.window)
	end := time.Unix(0, (w+1)*int64(sl.window))
	if len(key) > 256 {
		sum := sha256.Sum256([]byte(key))
		key = "sha256:" + hex.EncodeToString(sum[:])
	}
	k := store.Key{Partition: sl.prefix + key, Sort: strconv.FormatInt(w, 10)}
	d := Decision{Limit: sl.limit, Window: sl.window, Reset: end.Sub(now)}
	n, err := sl.count(ctx, k, end.Add(sl.window))
	if err != nil {
		return Decision{}, err
	}
	if n > int64(sl.limit) {
		d.RetryAfter = d.Reset
		return d, nil
	}
	d.Allowed, d.Remaining = true, sl.limit-int(n)
	return d, nil
}

// count adds one to the counter at k, creating it (to expire at exp) if
// it does not exist, and returns the count.
func (sl *StoreLimiter) count(ctx context.Context, k store.Key, exp time.Time) (int64, error) {
	inc := []store.FieldOp{store.Increment("n", 1)}
	// A counter cannot be created twice in a row and then vanish before
	// its window ends (it expires one window later), so the loop ends in
	// a few rounds; the bound guards against a store that breaks that.
	for range 3 {
		it, err := sl.s.UpdateItem(ctx, k, inc)
		if err == nil {
			n, ok := it.Data["n"].(int64)
			if !ok {
				return 0, fmt.Errorf("middleware: rate limit counter %q holds %T, not an integer", k.Partition, it.Data["n"])
			}
			return n, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return 0, err
		}
		_, err = sl.s.Put(ctx, &store.Item{Key: k, Data: map[string]any{"n": int64(1)}, ExpiresAt: exp}, store.IfNotExists())
		if err == nil {
			return 1, nil
		}
		if !errors.Is(err, store.ErrAlreadyExists) {
			return 0, err
		}
	}
	return 0, fmt.Errorf("middleware: rate limit counter %q: %w", k.Partition, store.ErrUnavailable)
}
