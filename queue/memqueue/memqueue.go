// Package memqueue is the in-memory queue backend: the reference semantics
// of package queue, for unit tests and local runs. It enforces the same
// limits as every backend (the portable layer does that), leases received
// messages for a visibility timeout, counts deliveries, and has an
// injectable clock and fault injection so that a test can reach the
// failure paths of its code.
//
// A [Broker] holds named queues; a queue is created by the first Open or
// OpenSubscription of its name, and every Queue and Subscription opened on
// that name shares its messages:
//
//	b := memqueue.New()
//	q, _ := b.Open(ctx, "jobs")
//	sub, _ := b.OpenSubscription(ctx, "jobs")
//
// # URLs
//
// Importing this package registers the scheme mem with queue.Open and
// queue.OpenSubscription: "mem://jobs" names the queue jobs of one broker
// shared by the whole process. The URL takes no parameters.
package memqueue

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/anyfunc/anyfunc/queue"
	"github.com/anyfunc/anyfunc/queue/driver"
)

// Option configures New.
type Option func(*options)

type options struct {
	now        func() time.Time
	visibility time.Duration
	faults     FaultFunc
	queueOpts  []queue.Option
}

// WithClock makes the broker read the time from now: for enqueue times
// and for the start and end of leases. A test that controls the clock
// expires leases by moving it.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithVisibilityTimeout sets the lease a received message gets before it
// is delivered again (30 seconds by default). It must be positive.
func WithVisibilityTimeout(d time.Duration) Option {
	return func(o *options) { o.visibility = d }
}

// FaultFunc decides whether an operation fails: it is called with the
// operation ("send", "receive", "ack", "nack" or "extend"), the queue name
// and index -1 before every call, and, for "send", once more for each
// message with its index in the batch. A non-nil error fails the call or
// that message; wrap one of queue's kinds (queue.ErrThrottled,
// queue.ErrUnavailable, ...) to choose how the error is classified:
// throttled and unavailable faults are retried by the portable layer.
type FaultFunc func(op, queue string, index int) error

// WithFaults injects failures decided by f (see [FaultFunc]).
func WithFaults(f FaultFunc) Option { return func(o *options) { o.faults = f } }

// WithQueueOptions passes opts (retry settings) to queue.NewQueue and
// queue.NewSubscription.
func WithQueueOptions(opts ...queue.Option) Option {
	return func(o *options) { o.queueOpts = append(o.queueOpts, opts...) }
}

// Broker is a set of named in-memory queues. It is safe for concurrent
// use.
type Broker struct {
	o      options
	mu     sync.Mutex
	queues map[string]*memQueue
	seq    uint64
	wake   chan struct{} // closed and replaced when messages become ready
}

type memQueue struct {
	name    string
	deleted bool
	list    []*entry // in enqueue order, acked entries removed lazily
	live    map[string]*entry
}

type entry struct {
	id        string
	body      []byte
	attrs     map[string]string
	enqueued  time.Time
	visibleAt time.Time
	count     int
	receipt   uint64
}

type ackID struct {
	q       *memQueue
	id      string
	receipt uint64
}

// New returns an empty broker. A visibility timeout that is not positive
// is an error only when used: New itself cannot fail, so it panics
// instead, as a programming error.
func New(opts ...Option) *Broker {
	o := options{now: time.Now, visibility: 30 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	if o.now == nil {
		o.now = time.Now
	}
	if o.visibility <= 0 {
		panic(fmt.Sprintf("memqueue: visibility timeout %v is not positive", o.visibility))
	}
	return &Broker{o: o, queues: map[string]*memQueue{}, wake: make(chan struct{})}
}

// Open returns a Queue that sends to the queue name, creating it if needed.
func (b *Broker) Open(ctx context.Context, name string) (*queue.Queue, error) {
	d, err := b.OpenDriver(ctx, name)
	if err != nil {
		return nil, err
	}
	return queue.NewQueue(d, b.o.queueOpts...), nil
}

// OpenSubscription returns a Subscription that receives from the queue
// name, creating it if needed.
func (b *Broker) OpenSubscription(ctx context.Context, name string) (*queue.Subscription, error) {
	d, err := b.OpenDriver(ctx, name)
	if err != nil {
		return nil, err
	}
	return queue.NewSubscription(d, b.o.queueOpts...), nil
}

// OpenDriver returns the bare driver of the queue name (both a
// driver.Queue and a driver.Subscription), for the conformance suite.
// Applications use Open and OpenSubscription.
func (b *Broker) OpenDriver(ctx context.Context, name string) (*Driver, error) {
	if name == "" {
		return nil, queue.Errorf(queue.ErrInvalidArgument, "memqueue: empty queue name")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	q := b.queues[name]
	if q == nil {
		q = &memQueue{name: name, live: map[string]*entry{}}
		b.queues[name] = q
	}
	return &Driver{b: b, q: q}, nil
}

// Delete deletes the queue name and its messages. Queues and
// Subscriptions opened on it fail with queue.ErrNotFound from then on; a
// later Open creates a new, empty queue of that name. Deleting a queue
// that does not exist is queue.ErrNotFound.
func (b *Broker) Delete(name string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	q := b.queues[name]
	if q == nil {
		return queue.Errorf(queue.ErrNotFound, "memqueue: no queue %q", name)
	}
	q.deleted = true
	delete(b.queues, name)
	b.signal()
	return nil
}

// Len returns how many messages the queue name holds, leased or not.
func (b *Broker) Len(name string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if q := b.queues[name]; q != nil {
		return len(q.live)
	}
	return 0
}

// signal wakes the receivers that wait; b.mu is held.
func (b *Broker) signal() {
	close(b.wake)
	b.wake = make(chan struct{})
}

// Driver is a memqueue queue as a driver.Queue and a driver.Subscription.
type Driver struct {
	b *Broker
	q *memQueue
}

var (
	_ driver.Queue        = (*Driver)(nil)
	_ driver.Subscription = (*Driver)(nil)
)

// codeError is an error memqueue itself reports.
type codeError struct {
	code driver.ErrorCode
	msg  string
}

func (e *codeError) Error() string { return "memqueue: " + e.msg }

func (d *Driver) fault(op string, index int) error {
	if d.b.o.faults == nil {
		return nil
	}
	return d.b.o.faults(op, d.q.name, index)
}

// check returns the error of a deleted queue; d.b.mu is held.
func (d *Driver) check() error {
	if d.q.deleted {
		return &codeError{driver.NotFound, fmt.Sprintf("queue %q was deleted", d.q.name)}
	}
	return nil
}

// SendBatch implements driver.Queue.
func (d *Driver) SendBatch(ctx context.Context, msgs []*driver.Message) ([]driver.SendResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := d.fault("send", -1); err != nil {
		return nil, err
	}
	res := make([]driver.SendResult, len(msgs))
	for i := range msgs {
		res[i].Err = d.fault("send", i)
	}
	d.b.mu.Lock()
	defer d.b.mu.Unlock()
	if err := d.check(); err != nil {
		return nil, err
	}
	now := d.b.o.now()
	for i, m := range msgs {
		if res[i].Err != nil {
			continue
		}
		d.b.seq++
		e := &entry{
			id:        "m" + strconv.FormatUint(d.b.seq, 10),
			body:      append([]byte(nil), m.Body...),
			attrs:     cloneAttrs(m.Attributes),
			enqueued:  now,
			visibleAt: now,
		}
		d.q.list = append(d.q.list, e)
		d.q.live[e.id] = e
		res[i].ID = e.id
	}
	d.b.signal()
	return res, nil
}

func cloneAttrs(a map[string]string) map[string]string {
	if len(a) == 0 {
		return nil
	}
	return maps.Clone(a)
}

// ReceiveBatch implements driver.Subscription. It waits up to wait, but
// at most 20 milliseconds at a time, for a message to be sent or nacked,
// and leaves longer waits, and leases that end, to the portable layer's
// polling.
func (d *Driver) ReceiveBatch(ctx context.Context, max int, wait time.Duration) ([]*driver.Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := d.fault("receive", -1); err != nil {
		return nil, err
	}
	out, wake, err := d.take(max)
	if err != nil || len(out) > 0 || wait <= 0 {
		return out, err
	}
	t := time.NewTimer(min(wait, 20*time.Millisecond))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-wake:
	case <-t.C:
	}
	out, _, err = d.take(max)
	return out, err
}

// take leases up to max ready messages.
func (d *Driver) take(max int) ([]*driver.Message, <-chan struct{}, error) {
	d.b.mu.Lock()
	defer d.b.mu.Unlock()
	if err := d.check(); err != nil {
		return nil, nil, err
	}
	now := d.b.o.now()
	var out []*driver.Message
	kept := d.q.list[:0]
	for _, e := range d.q.list {
		if d.q.live[e.id] != e {
			continue // acked
		}
		kept = append(kept, e)
		if len(out) < max && !now.Before(e.visibleAt) {
			e.count++
			d.b.seq++
			e.receipt = d.b.seq
			e.visibleAt = now.Add(d.b.o.visibility)
			out = append(out, &driver.Message{
				ID:            e.id,
				Body:          append([]byte(nil), e.body...),
				Attributes:    cloneAttrs(e.attrs),
				DeliveryCount: e.count,
				EnqueueTime:   e.enqueued,
				AckID:         ackID{q: d.q, id: e.id, receipt: e.receipt},
			})
		}
	}
	clear(d.q.list[len(kept):])
	d.q.list = kept
	return out, d.b.wake, nil
}

// settle applies f to the entry of each id whose lease is still held.
func (d *Driver) settle(ctx context.Context, op string, ids []driver.AckID, f func(*entry, time.Time)) ([]error, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := d.fault(op, -1); err != nil {
		return nil, err
	}
	d.b.mu.Lock()
	defer d.b.mu.Unlock()
	if err := d.check(); err != nil {
		return nil, err
	}
	now := d.b.o.now()
	var errs []error
	for i, id := range ids {
		a, ok := id.(ackID)
		var e *entry
		if ok && a.q == d.q {
			e = d.q.live[a.id]
		}
		if e == nil || e.receipt != a.receipt || !now.Before(e.visibleAt) {
			if errs == nil {
				errs = make([]error, len(ids))
			}
			errs[i] = &codeError{driver.NotFound, fmt.Sprintf("%s: the lease of message %q has ended", op, a.id)}
			continue
		}
		f(e, now)
	}
	d.b.signal()
	return errs, nil
}

// SendAcks implements driver.Subscription.
func (d *Driver) SendAcks(ctx context.Context, ids []driver.AckID) ([]error, error) {
	return d.settle(ctx, "ack", ids, func(e *entry, _ time.Time) { delete(d.q.live, e.id) })
}

// SendNacks implements driver.Subscription.
func (d *Driver) SendNacks(ctx context.Context, ids []driver.AckID, delay time.Duration) ([]error, error) {
	return d.settle(ctx, "nack", ids, func(e *entry, now time.Time) { e.visibleAt, e.receipt = now.Add(delay), 0 })
}

// ExtendLeases implements driver.Subscription.
func (d *Driver) ExtendLeases(ctx context.Context, ids []driver.AckID, dur time.Duration) ([]error, error) {
	return d.settle(ctx, "extend", ids, func(e *entry, now time.Time) { e.visibleAt = now.Add(dur) })
}

// ErrorCode implements driver.Common: memqueue's own errors carry their
// code; injected faults are classified by the queue kind they wrap.
func (d *Driver) ErrorCode(err error) driver.ErrorCode {
	var ce *codeError
	if errors.As(err, &ce) {
		return ce.code
	}
	for _, k := range []struct {
		kind error
		code driver.ErrorCode
	}{
		{queue.ErrNotFound, driver.NotFound},
		{queue.ErrInvalidArgument, driver.InvalidArgument},
		{queue.ErrTooLarge, driver.TooLarge},
		{queue.ErrThrottled, driver.Throttled},
		{queue.ErrUnavailable, driver.Unavailable},
		{queue.ErrPermissionDenied, driver.PermissionDenied},
		{queue.ErrNotSupported, driver.NotSupported},
	} {
		if errors.Is(err, k.kind) {
			return k.code
		}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return driver.Canceled
	}
	return driver.Unknown
}

// IsRetryable implements driver.Common: throttled and unavailable.
func (d *Driver) IsRetryable(err error) bool {
	c := d.ErrorCode(err)
	return c == driver.Throttled || c == driver.Unavailable
}

// As implements driver.Common; i may point to a *Broker.
func (d *Driver) As(i any) bool {
	if p, ok := i.(**Broker); ok {
		*p = d.b
		return true
	}
	return false
}

// ErrorAs implements driver.Common; memqueue has no native errors.
func (d *Driver) ErrorAs(error, any) bool { return false }

// Close implements driver.Common; it does nothing.
func (d *Driver) Close() error { return nil }

var (
	defaultOnce   sync.Once
	defaultBroker *Broker
)

// Default returns the broker that mem:// URLs open.
func Default() *Broker {
	defaultOnce.Do(func() { defaultBroker = New() })
	return defaultBroker
}

type urlOpener struct{}

func (urlOpener) name(u *url.URL) (string, error) {
	if u.RawQuery != "" {
		return "", queue.Errorf(queue.ErrInvalidArgument, "memqueue: %q: mem URLs take no parameters", queue.RedactURL(u))
	}
	name := u.Host + u.Path
	if name == "" {
		return "", queue.Errorf(queue.ErrInvalidArgument, "memqueue: %q names no queue (mem://NAME)", queue.RedactURL(u))
	}
	return name, nil
}

func (o urlOpener) OpenQueueURL(ctx context.Context, u *url.URL) (*queue.Queue, error) {
	name, err := o.name(u)
	if err != nil {
		return nil, err
	}
	return Default().Open(ctx, name)
}

func (o urlOpener) OpenSubscriptionURL(ctx context.Context, u *url.URL) (*queue.Subscription, error) {
	name, err := o.name(u)
	if err != nil {
		return nil, err
	}
	return Default().OpenSubscription(ctx, name)
}

func init() {
	queue.RegisterQueue("mem", urlOpener{})
	queue.RegisterSubscription("mem", urlOpener{})
}
