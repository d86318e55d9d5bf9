package event

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/store"
)

// DefaultDedupeTTL is how long a [Dedupe] remembers a processed message
// unless [DedupeTTL] says otherwise: longer than any platform redelivers a
// message (SQS keeps messages at most 14 days, Pub/Sub 7 days by default,
// Azure queues 7 days).
const DefaultDedupeTTL = 15 * 24 * time.Hour

// Dedupe makes message consumers idempotent with a record per processed
// message in a store.Store, keyed by the message's queue and ID, kept for a
// TTL. It works on every store backend: it uses only Get, Put with
// store.IfNotExists, Atomic and Item.ExpiresAt.
//
// Two ways to use it, by where the consumer's effect goes:
//
//   - [Dedupe.Apply], when the effect is a set of writes to the same store
//     and partition: the record and the effect commit in one atomic write,
//     so a redelivered message (even one delivered twice at once) has its
//     effect exactly once.
//   - [Dedupe.Middleware], for any other effect: a message whose record
//     exists is acknowledged without running the handler, and the record is
//     written after the handler succeeds. The effect then happens once per
//     successful run; two deliveries of one message running at the same time
//     (an SQS visibility timeout shorter than the handler), or a crash
//     between the effect and the record, can still run it twice, so the
//     effect itself should tolerate a repeat.
type Dedupe struct {
	s      store.Store
	ttl    time.Duration
	prefix string
	now    func() time.Time
}

// A DedupeOption configures [NewDedupe].
type DedupeOption func(*Dedupe)

// DedupeTTL sets how long a processed message is remembered; the default
// is [DefaultDedupeTTL].
func DedupeTTL(d time.Duration) DedupeOption {
	return func(x *Dedupe) {
		if d > 0 {
			x.ttl = d
		}
	}
}

// DedupePrefix sets the prefix of the records' keys (the partition for
// [Dedupe.Middleware], the sort key for [Dedupe.Apply]); the default is
// "msg#".
func DedupePrefix(p string) DedupeOption { return func(x *Dedupe) { x.prefix = p } }

// DedupeClock sets the clock the expiry times are computed from; the
// default (and nil) is time.Now.
func DedupeClock(now func() time.Time) DedupeOption {
	return func(x *Dedupe) {
		if now != nil {
			x.now = now
		}
	}
}

// NewDedupe returns a Dedupe keeping its records in s.
func NewDedupe(s store.Store, opts ...DedupeOption) *Dedupe {
	d := &Dedupe{s: s, ttl: DefaultDedupeTTL, prefix: "msg#", now: time.Now}
	for _, o := range opts {
		o(d)
	}
	return d
}

// id is what identifies a message across deliveries: its ID within its
// queue (IDs are unique per queue, not across clouds).
func (d *Dedupe) id(m *Message) string { return d.prefix + QueueName(m.Queue) + "/" + m.ID }

func (d *Dedupe) record(key store.Key, m *Message) *store.Item {
	return &store.Item{
		Key:       key,
		Data:      map[string]any{"messageId": m.ID, "queue": m.Queue, "processedAt": d.now().UTC().Format(time.RFC3339Nano)},
		ExpiresAt: d.now().Add(d.ttl),
	}
}

// Marker returns the write recording m as processed under partition, for
// callers composing their own store.Store.Atomic call: put it first among
// the writes; an atomic write failing at index 0 with store.ErrAlreadyExists
// means m was processed before.
func (d *Dedupe) Marker(partition string, m *Message) store.Write {
	return store.PutOp(d.record(store.Key{Partition: partition, Sort: d.id(m)}, m), store.IfNotExists())
}

// Apply commits writes, the effect of m, together with m's record in one
// store.Store.Atomic call; every write must address partition. If m was
// processed before, Apply changes nothing and returns (false, nil); after
// committing it returns (true, nil). Other failures are returned and change
// nothing, so the consumer can return them to have m redelivered. At most
// store.MaxAtomicWrites-1 writes fit.
func (d *Dedupe) Apply(ctx context.Context, partition string, m *Message, writes ...store.Write) (applied bool, err error) {
	if m.ID == "" {
		return false, fmt.Errorf("%w: message without an ID cannot be deduplicated", ErrNoMessageID)
	}
	all := make([]store.Write, 0, len(writes)+1)
	all = append(all, d.Marker(partition, m))
	all = append(all, writes...)
	err = d.s.Atomic(ctx, all)
	if err == nil {
		return true, nil
	}
	var oe *store.OpError
	if errors.As(err, &oe) && oe.Index == 0 && errors.Is(err, store.ErrAlreadyExists) {
		return false, nil
	}
	return false, err
}

// ErrNoMessageID is returned by [Dedupe.Apply] and, through the handler,
// by [Dedupe.Middleware] for a message without an ID.
var ErrNoMessageID = errors.New("event: message has no ID")

// Seen reports whether m's record (written by [Dedupe.Middleware]) exists.
func (d *Dedupe) Seen(ctx context.Context, m *Message) (bool, error) {
	_, err := d.s.Get(ctx, store.Key{Partition: d.id(m)})
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	}
	return false, err
}

// Middleware returns message middleware that acknowledges a message whose
// record exists without calling the handler, and records a message after
// the handler returns nil. A failure to read the record fails the message
// (it is redelivered); a failure to write it after success is logged at
// Warn and the message acknowledged, since its effect has happened.
func (d *Dedupe) Middleware() MessageMiddleware {
	return func(next MessageHandler) MessageHandler {
		return MessageHandlerFunc(func(ctx context.Context, m *Message) error {
			if m.ID == "" {
				return fmt.Errorf("%w: message without an ID cannot be deduplicated", ErrNoMessageID)
			}
			seen, err := d.Seen(ctx, m)
			if err != nil {
				return fmt.Errorf("event: reading the dedupe record of message %s: %w", m.ID, err)
			}
			if seen {
				handler.Logger(ctx).LogAttrs(ctx, slog.LevelInfo, "event: duplicate message skipped",
					slog.String("messageId", m.ID), slog.String("queue", m.Queue), slog.Int("deliveryCount", m.DeliveryCount))
				return nil
			}
			if err := next.HandleMessage(ctx, m); err != nil {
				return err
			}
			_, err = d.s.Put(ctx, d.record(store.Key{Partition: d.id(m)}, m), store.IfNotExists())
			if err != nil && !errors.Is(err, store.ErrAlreadyExists) {
				handler.Logger(ctx).LogAttrs(ctx, slog.LevelWarn, "event: message processed but its dedupe record not written",
					slog.String("messageId", m.ID), slog.String("error", err.Error()))
			}
			return nil
		})
	}
}
