package event

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/idempotency"
)

// DefaultDedupeTTL is how long a [Dedupe] remembers a processed message
// unless [DedupeTTL] says otherwise: longer than any platform redelivers a
// message (SQS keeps messages at most 14 days, Pub/Sub 7 days by default,
// Azure queues 7 days).
const DefaultDedupeTTL = 15 * 24 * time.Hour

// Dedupe makes message consumers idempotent with a record per message in a
// store.Store, keyed by the message's queue and ID and kept for a TTL. It
// is built on package store/idempotency, so it works on every store
// backend, and a delivery claims its message for the length of its
// deadline: two deliveries of one message at the same time (an SQS
// visibility timeout shorter than the handler) never run together; the
// second fails with idempotency.ErrInFlight and is redelivered later.
//
// Two ways to use it, by where the consumer's effect goes:
//
//   - [Dedupe.Apply], when the effect is a set of writes to the store, in
//     one partition: the record and the effect commit in one atomic write,
//     so the effect happens exactly once however often the message comes.
//   - [Dedupe.Middleware], for any other effect: a message whose record
//     says it was processed is acknowledged without running the handler,
//     and the record is written after the handler succeeds. A crash between
//     the effect and the record runs the effect again on redelivery, so the
//     effect should tolerate a repeat.
type Dedupe struct {
	records *idempotency.Records
	prefix  string
}

// A DedupeOption configures [NewDedupe].
type DedupeOption func(*dedupeConfig)

type dedupeConfig struct {
	ttl    time.Duration
	prefix string
	now    func() time.Time
}

// DedupeTTL sets how long a processed message is remembered; the default
// is [DefaultDedupeTTL].
func DedupeTTL(d time.Duration) DedupeOption {
	return func(c *dedupeConfig) {
		if d > 0 {
			c.ttl = d
		}
	}
}

// DedupePrefix sets the prefix of the records' sort keys (and of the
// partitions [Dedupe.Middleware] uses); the default is "msg#".
func DedupePrefix(p string) DedupeOption { return func(c *dedupeConfig) { c.prefix = p } }

// WithClock sets the clock of the records' leases and expiry times; it
// must agree with the store's. The default (and nil) is time.Now.
func WithClock(now func() time.Time) DedupeOption {
	return func(c *dedupeConfig) {
		if now != nil {
			c.now = now
		}
	}
}

// NewDedupe returns a Dedupe keeping its records in s.
func NewDedupe(s store.Store, opts ...DedupeOption) *Dedupe {
	c := dedupeConfig{ttl: DefaultDedupeTTL, prefix: "msg#", now: time.Now}
	for _, o := range opts {
		o(&c)
	}
	return &Dedupe{
		records: idempotency.New(s, idempotency.WithTTL(c.ttl), idempotency.WithSortPrefix(c.prefix), idempotency.WithClock(c.now)),
		prefix:  c.prefix,
	}
}

// ErrNoMessageID is returned for a message without an ID, which cannot be
// deduplicated.
var ErrNoMessageID = errors.New("event: message has no ID")

// key identifies a message across deliveries: its ID within its queue (IDs
// are unique per queue, not across clouds).
func key(m *Message) (string, error) {
	if m.ID == "" {
		return "", ErrNoMessageID
	}
	return QueueName(m.Queue) + "/" + m.ID, nil
}

// Apply commits writes, the effect of m, together with m's record in one
// store.Store.Atomic call; every write must address partition, at most
// store.MaxAtomicWrites-1 of them. If m was processed before, Apply
// changes nothing and returns (false, nil); after committing it returns
// (true, nil). Any error means the effect was not applied (a write whose
// outcome was unknown is resolved first), so the consumer can return it
// to have m redelivered; idempotency.ErrInFlight means another delivery of
// m is being processed.
func (d *Dedupe) Apply(ctx context.Context, partition string, m *Message, writes ...store.Write) (applied bool, err error) {
	k, err := key(m)
	if err != nil {
		return false, err
	}
	claim, err := d.records.Begin(ctx, partition, k, "")
	if err != nil {
		return false, fmt.Errorf("event: claiming message %s: %w", m.ID, err)
	}
	if claim.Done() {
		return false, nil
	}
	if err := claim.Commit(ctx, writes, map[string]any{"messageId": m.ID}); err != nil {
		if rerr := claim.Release(ctx); rerr == nil && claim.Done() {
			return true, nil // the commit did apply
		}
		return false, fmt.Errorf("event: committing message %s: %w", m.ID, err)
	}
	return true, nil
}

// Middleware returns message middleware that acknowledges a message whose
// record says it was processed without calling the handler, and records a
// message after the handler returns nil; a handler's error releases the
// message for redelivery. A failure to write the record after the handler
// succeeded is logged at Warn and the message acknowledged, since its
// effect has happened.
func (d *Dedupe) Middleware() MessageMiddleware {
	return func(next MessageHandler) MessageHandler {
		return MessageHandlerFunc(func(ctx context.Context, m *Message) error {
			k, err := key(m)
			if err != nil {
				return err
			}
			claim, err := d.records.Begin(ctx, d.prefix+k, k, "")
			if err != nil {
				return fmt.Errorf("event: claiming message %s: %w", m.ID, err)
			}
			if claim.Done() {
				handler.Logger(ctx).LogAttrs(ctx, slog.LevelInfo, "event: duplicate message skipped",
					slog.String("messageId", m.ID), slog.String("queue", m.Queue), slog.Int("deliveryCount", m.DeliveryCount))
				return nil
			}
			if herr := next.HandleMessage(ctx, m); herr != nil {
				claim.Release(ctx)
				return herr
			}
			if err := claim.Finish(ctx, map[string]any{"messageId": m.ID}); err != nil {
				handler.Logger(ctx).LogAttrs(ctx, slog.LevelWarn, "event: message processed but its dedupe record not written",
					slog.String("messageId", m.ID), slog.String("error", err.Error()))
			}
			return nil
		})
	}
}
