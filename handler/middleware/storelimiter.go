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
func LimiterPrefix(p string) LimiterOption { return func(c *limiterConfig) { c.prefix = p } }

// StoreLimiter is a Limiter whose counters live in a store.Store, so that
// every instance of a function (every Lambda execution environment, every
// Cloud Run instance) draws on one budget: a fixed window of limit requests
// per window per key.
//
// Each key and window has one counter item, created with IfNotExists and
// advanced with Increment conditioned on the revision just read, so no two
// requests can take the same slot: exactly limit requests per window get
// through however many instances ask at once. Counters carry ExpiresAt and
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
		o(&c)
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
	// Each failed conditional write means another request took a slot (or
	// the counter expired), so the loop ends within limit+1 rounds.
	for attempt := 0; attempt <= sl.limit+2; attempt++ {
		it, err := sl.s.Get(ctx, k)
		if errors.Is(err, store.ErrNotFound) {
			_, err = sl.s.Put(ctx, &store.Item{Key: k, Data: map[string]any{"n": int64(1)}, ExpiresAt: end.Add(sl.window)}, store.IfNotExists())
			if err == nil {
				d.Allowed, d.Remaining = true, sl.limit-1
				return d, nil
			}
			if errors.Is(err, store.ErrAlreadyExists) {
				continue
			}
			return Decision{}, err
		}
		if err != nil {
			return Decision{}, err
		}
		n, _ := it.Data["n"].(int64)
		if n >= int64(sl.limit) {
			d.RetryAfter = d.Reset
			return d, nil
		}
		_, err = sl.s.Update(ctx, k, []store.FieldOp{store.Increment("n", 1)}, store.IfRevision(it.Revision))
		if err == nil {
			d.Allowed, d.Remaining = true, sl.limit-int(n)-1
			return d, nil
		}
		if !errors.Is(err, store.ErrRevisionMismatch) && !errors.Is(err, store.ErrNotFound) {
			return Decision{}, err
		}
	}
	// Only constant expiry churn can get here; refuse rather than overrun.
	d.RetryAfter = time.Second
	return d, nil
}
