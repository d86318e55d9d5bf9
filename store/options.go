package store

import (
	"time"

	"github.com/anyfunc/anyfunc/store/internal/base"
)

// Option configures the portable Store a backend builds (memstore.New,
// awsdynamodb.Open and the others take them through their
// WithStoreOptions).
type Option func(*base.Options)

// WithClock sets the clock against which items expire (time.Now by
// default). Tests use a fake clock to expire items without waiting.
func WithClock(now func() time.Time) Option {
	return func(o *base.Options) {
		if now != nil {
			o.Now = now
		}
	}
}

// WithCursorSecret sets the secret that seals query cursors. Processes that
// share it accept each other's cursors. Without it a fixed, public secret
// is used: cursors still cannot be altered or used with another query by
// accident, but a client who knows the secret could forge one positioning a
// query it may run anyway at any sort key.
func WithCursorSecret(secret []byte) Option {
	return func(o *base.Options) { o.CursorSecret = append([]byte(nil), secret...) }
}

// WithRetry sets how throttled calls (ErrThrottled, every operation) and
// transient failures of reads (ErrUnavailable: Get, GetMany, Query) are
// retried: at most maxAttempts calls in all (1 disables retries), waiting a
// random delay up to initial·2ⁿ, capped at max, or the delay the backend
// asked for if longer. Retries stop when the context is done or its
// deadline would pass during the wait. The default is 5 attempts, 25ms,
// 2s.
//
// This is the only layer that retries: the backends in this module turn
// their SDK's own retries off, so one call costs at most maxAttempts
// requests to the database (DynamoDB's batch operations may also re-ask
// for the keys or writes a successful request left unprocessed; see
// package awsdynamodb).
func WithRetry(maxAttempts int, initial, max time.Duration) Option {
	return func(o *base.Options) {
		o.Attempts = maxAttempts
		o.InitialDelay = initial
		o.MaxDelay = max
	}
}
