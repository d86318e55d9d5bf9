package queue

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anyfunc/anyfunc/queue/driver"
)

// Message is one message: what Send takes (Body and Attributes) and what
// Receive returns (every field).
type Message struct {
	// ID is the service's identifier of the message; set by Receive.
	// Send returns the IDs of the messages it sent and ignores this field.
	ID string
	// Body is the payload: any bytes, text or binary, at least one.
	Body []byte
	// Attributes are string attributes carried beside the body; nil or
	// empty for none. See the package documentation for the limits.
	Attributes map[string]string
	// DeliveryCount is how many times the message has been received, this
	// delivery included: 1 the first time, more after a Nack or an
	// expired lease. Set by Receive; 0 when the service does not count
	// (a Pub/Sub subscription without a dead-letter policy).
	DeliveryCount int
	// EnqueueTime is when the service accepted the message. Set by
	// Receive.
	EnqueueTime time.Time

	sub   *Subscription
	ackID driver.AckID
	mu    sync.Mutex
	acked bool
}

// Option configures NewQueue and NewSubscription.
type Option func(*options)

type options struct {
	attempts     int
	initial, max time.Duration
}

func collect(opts []Option) options {
	o := options{attempts: 5, initial: 50 * time.Millisecond, max: 2 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithRetry sets how throttled and transiently failed calls are retried:
// at most maxAttempts tries in all (1: no retry), waiting a random time up
// to initial before the second, doubling up to max. The default is 5
// attempts from 50 ms to 2 s, so a failing call gives up after about 3.5 s
// of waiting at most, or sooner when its context ends. Backends turn their
// SDK's own retries off: this is the only retry layer.
func WithRetry(maxAttempts int, initial, max time.Duration) Option {
	return func(o *options) {
		if maxAttempts >= 1 {
			o.attempts = maxAttempts
		}
		if initial > 0 {
			o.initial = initial
		}
		if max >= o.initial {
			o.max = max
		}
	}
}

// backoff waits before try attempt+1, or returns the context's error.
func (o *options) backoff(ctx context.Context, attempt int) error {
	d := o.initial << (attempt - 1)
	if d > o.max || d <= 0 {
		d = o.max
	}
	d = time.Duration(rand.Int64N(int64(d)) + 1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Queue sends messages to one queue or topic. It is safe for concurrent
// use. Get one from a backend's Open, from [Open] with a URL, or from
// [NewQueue] with a driver.
type Queue struct {
	d      driver.Queue
	o      options
	closed atomic.Bool
}

// NewQueue returns the portable Queue around a driver. Backends call it;
// applications use a backend's Open or [Open].
func NewQueue(d driver.Queue, opts ...Option) *Queue {
	return &Queue{d: d, o: collect(opts)}
}

// Send sends up to [MaxBatch] messages in one call (one request on SQS and
// Pub/Sub) and returns the ID of each sent message at its index. A batch
// of more than MaxBatch messages is refused whole, with ErrInvalidArgument,
// and nothing is sent. Otherwise each message succeeds or fails on its
// own: when any fails, the error is a [*BatchError] whose Errs holds the
// error of each failed message at its index (and ids holds "" there); the
// others were sent. A message that breaks a limit fails with
// ErrInvalidArgument or ErrTooLarge and is not sent at all. Throttled and
// transient failures are retried (see [WithRetry]); a message retried after
// a failure whose outcome was unknown may be delivered twice.
func (q *Queue) Send(ctx context.Context, msgs ...*Message) (ids []string, err error) {
	const op = "send"
	if q.closed.Load() {
		return nil, &Error{Kind: ErrClosed, Op: op}
	}
	if len(msgs) == 0 {
		return nil, nil
	}
	if len(msgs) > MaxBatch {
		return nil, invalid(op, "%d messages in one batch; at most %d", len(msgs), MaxBatch)
	}
	ids = make([]string, len(msgs))
	errs := make([]error, len(msgs))
	var pending []int
	for i, m := range msgs {
		if err := validateMessage(m); err != nil {
			errs[i] = err
			continue
		}
		pending = append(pending, i)
	}
	for attempt := 1; len(pending) > 0; attempt++ {
		dm := make([]*driver.Message, len(pending))
		for j, i := range pending {
			dm[j] = &driver.Message{Body: msgs[i].Body, Attributes: msgs[i].Attributes}
		}
		res, err := q.d.SendBatch(ctx, dm)
		if err == nil && len(res) != len(pending) {
			err = fmt.Errorf("driver returned %d results for %d messages", len(res), len(pending))
		}
		var retry []int
		for j, i := range pending {
			e := err
			if e == nil {
				if e = res[j].Err; e == nil {
					ids[i], errs[i] = res[j].ID, nil
					continue
				}
			}
			if attempt < q.o.attempts && q.d.IsRetryable(e) && ctx.Err() == nil {
				retry = append(retry, i)
				errs[i] = e
				continue
			}
			errs[i] = wrap(ctx, q.d, op, e)
		}
		if len(retry) > 0 {
			if q.o.backoff(ctx, attempt) != nil {
				for _, i := range retry {
					errs[i] = wrap(ctx, q.d, op, errs[i])
				}
				retry = nil
			}
		}
		pending = retry
	}
	for _, e := range errs {
		if e != nil {
			return ids, &BatchError{Errs: errs}
		}
	}
	return ids, nil
}

// As sets i to the backend's SDK client when i points to its type (see
// the backend's documentation), and reports whether it did.
func (q *Queue) As(i any) bool { return q.d.As(i) }

// ErrorAs sets i to err's native SDK error when i points to its type, and
// reports whether it did. errors.As works as well.
func (q *Queue) ErrorAs(err error, i any) bool { return errorAs(q.d, err, i) }

// Close releases the Queue's resources; later calls fail with ErrClosed.
func (q *Queue) Close() error {
	if q.closed.Swap(true) {
		return nil
	}
	return q.d.Close()
}

func errorAs(d driver.Common, err error, i any) bool {
	var qe *Error
	if errors.As(err, &qe) {
		err = qe.Err
	}
	return err != nil && d.ErrorAs(err, i)
}

// Subscription pulls messages from one queue or subscription. It is safe
// for concurrent use; several Subscriptions (in one process or many) on
// the same queue share its messages, each message going to one of them
// at a time. Get one from a backend's OpenSubscription, from
// [OpenSubscription] with a URL, or from [NewSubscription] with a driver.
type Subscription struct {
	d      driver.Subscription
	o      options
	closed atomic.Bool
}

// NewSubscription returns the portable Subscription around a driver.
// Backends call it; applications use a backend's OpenSubscription or
// [OpenSubscription].
func NewSubscription(d driver.Subscription, opts ...Option) *Subscription {
	return &Subscription{d: d, o: collect(opts)}
}

// Receive returns between 1 and max messages (max from 1 to [MaxReceive]),
// waiting up to wait for the first one, or none when wait passes first
// (wait 0: only those ready now). It may return fewer than max although
// more are queued. Each message is leased to the caller: hidden from other
// receivers until it is acked, nacked or its lease ends (the backend's
// visibility timeout or ack deadline), after which it is delivered again
// with its DeliveryCount raised. Process it, then [Subscription.Ack] it.
//
// When ctx ends, Receive returns ErrCanceled; a message the service had
// leased to the abandoned call is delivered again when its lease ends.
func (s *Subscription) Receive(ctx context.Context, max int, wait time.Duration) ([]*Message, error) {
	const op = "receive"
	if s.closed.Load() {
		return nil, &Error{Kind: ErrClosed, Op: op}
	}
	if max < 1 || max > MaxReceive {
		return nil, invalid(op, "max %d; it must be from 1 to %d", max, MaxReceive)
	}
	if wait < 0 {
		return nil, invalid(op, "negative wait %v", wait)
	}
	if err := ctx.Err(); err != nil {
		return nil, &Error{Kind: ErrCanceled, Op: op, Err: err}
	}
	end := time.Now().Add(wait)
	poll := 20 * time.Millisecond
	for attempt := 1; ; {
		left := time.Until(end)
		if left < 0 {
			left = 0
		}
		dms, err := s.d.ReceiveBatch(ctx, max, left)
		if err != nil {
			if attempt < s.o.attempts && s.d.IsRetryable(err) && ctx.Err() == nil {
				if s.o.backoff(ctx, attempt) == nil {
					attempt++
					continue
				}
			}
			return nil, wrap(ctx, s.d, op, err)
		}
		attempt = 1
		if len(dms) > 0 {
			out := make([]*Message, len(dms))
			for i, dm := range dms {
				out[i] = &Message{ID: dm.ID, Body: dm.Body, Attributes: dm.Attributes, DeliveryCount: dm.DeliveryCount, EnqueueTime: dm.EnqueueTime, sub: s, ackID: dm.AckID}
			}
			return out, nil
		}
		left = time.Until(end)
		if left <= 0 {
			return nil, nil
		}
		t := time.NewTimer(min(poll, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, &Error{Kind: ErrCanceled, Op: op, Err: ctx.Err()}
		case <-t.C:
		}
		poll = min(2*poll, time.Second)
	}
}

// Ack acknowledges messages this Subscription received: they are deleted
// and never delivered again. Acking a message twice does nothing the
// second time. When some fail, the error is a [*BatchError] with each
// failure at its index. A message whose lease has ended may fail with
// ErrNotFound (Azure, memqueue), or be deleted anyway (SQS), or be
// ignored (Pub/Sub); extend the lease of long work with ExtendLease.
func (s *Subscription) Ack(ctx context.Context, msgs ...*Message) error {
	return s.settle(ctx, "ack", msgs, func(ctx context.Context, ids []driver.AckID) ([]error, error) {
		return s.d.SendAcks(ctx, ids)
	})
}

// Nack ends the leases of messages this Subscription received, so that
// they are delivered again, with DeliveryCount raised, after delay (0: at
// once; at most [MaxLease]; backends count in whole seconds and round up).
// Errors as for Ack.
func (s *Subscription) Nack(ctx context.Context, delay time.Duration, msgs ...*Message) error {
	if err := validateLease("nack", delay); err != nil {
		return err
	}
	return s.settle(ctx, "nack", msgs, func(ctx context.Context, ids []driver.AckID) ([]error, error) {
		return s.d.SendNacks(ctx, ids, roundUp(delay))
	})
}

// ExtendLease makes the leases of messages this Subscription received end
// d from now (at most [MaxLease], in whole seconds rounded up), for work
// that takes longer than the lease. Errors as for Ack.
func (s *Subscription) ExtendLease(ctx context.Context, d time.Duration, msgs ...*Message) error {
	if err := validateLease("extend", d); err != nil {
		return err
	}
	return s.settle(ctx, "extend", msgs, func(ctx context.Context, ids []driver.AckID) ([]error, error) {
		return s.d.ExtendLeases(ctx, ids, roundUp(d))
	})
}

func roundUp(d time.Duration) time.Duration {
	return (d + time.Second - 1) / time.Second * time.Second
}

// settle runs an ack, nack or lease extension on msgs, MaxBatch at a time,
// with retries of the retryable failures.
func (s *Subscription) settle(ctx context.Context, op string, msgs []*Message, call func(context.Context, []driver.AckID) ([]error, error)) error {
	if s.closed.Load() {
		return &Error{Kind: ErrClosed, Op: op}
	}
	errs := make([]error, len(msgs))
	var pending []int
	for i, m := range msgs {
		switch {
		case m == nil:
			errs[i] = invalid(op, "nil message")
		case m.sub != s:
			errs[i] = invalid(op, "message %q was not received by this subscription", m.ID)
		default:
			m.mu.Lock()
			acked := m.acked
			m.mu.Unlock()
			if acked {
				if op != "ack" {
					errs[i] = invalid(op, "message %q is already acknowledged", m.ID)
				}
				continue
			}
			pending = append(pending, i)
		}
	}
	for start := 0; start < len(pending); start += MaxBatch {
		chunk := pending[start:min(start+MaxBatch, len(pending))]
		for attempt := 1; len(chunk) > 0; attempt++ {
			ids := make([]driver.AckID, len(chunk))
			for j, i := range chunk {
				ids[j] = msgs[i].ackID
			}
			res, err := call(ctx, ids)
			if err == nil && res != nil && len(res) != len(chunk) {
				err = fmt.Errorf("driver returned %d results for %d messages", len(res), len(chunk))
			}
			var retry []int
			for j, i := range chunk {
				e := err
				if e == nil && res != nil {
					e = res[j]
				}
				if e == nil {
					errs[i] = nil
					if op == "ack" {
						msgs[i].mu.Lock()
						msgs[i].acked = true
						msgs[i].mu.Unlock()
					}
					continue
				}
				if attempt < s.o.attempts && s.d.IsRetryable(e) && ctx.Err() == nil {
					errs[i] = e
					retry = append(retry, i)
					continue
				}
				errs[i] = wrap(ctx, s.d, op, e)
			}
			if len(retry) > 0 && s.o.backoff(ctx, attempt) != nil {
				for _, i := range retry {
					errs[i] = wrap(ctx, s.d, op, errs[i])
				}
				retry = nil
			}
			chunk = retry
		}
	}
	for _, e := range errs {
		if e != nil {
			return &BatchError{Errs: errs}
		}
	}
	return nil
}

// As sets i to the backend's SDK client when i points to its type, and
// reports whether it did.
func (s *Subscription) As(i any) bool { return s.d.As(i) }

// ErrorAs sets i to err's native SDK error when i points to its type, and
// reports whether it did. errors.As works as well.
func (s *Subscription) ErrorAs(err error, i any) bool { return errorAs(s.d, err, i) }

// Close releases the Subscription's resources; later calls fail with
// ErrClosed. Messages still leased are delivered again when their leases
// end.
func (s *Subscription) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.d.Close()
}
