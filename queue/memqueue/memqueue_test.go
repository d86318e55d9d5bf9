package memqueue_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/queue"
	"github.com/anyfunc/anyfunc/queue/memqueue"
	"github.com/anyfunc/anyfunc/queue/queuetest"
)

var seq atomic.Int64

func TestConformance(t *testing.T) {
	queuetest.Run(t, queuetest.Harness{New: func(t *testing.T, lease time.Duration) queuetest.Pair {
		b := memqueue.New(memqueue.WithVisibilityTimeout(lease))
		name := fmt.Sprintf("q%d", seq.Add(1))
		d, err := b.OpenDriver(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		return queuetest.Pair{Queue: d, Subscription: d, Delete: func(context.Context) error { return b.Delete(name) }}
	}})
}

// TestConformanceWithFaults runs the suite on a broker where one call in
// ten fails transiently (throttled or unavailable, whole calls and single
// messages of a send): the portable layer's retries hide every fault, so
// the suite passes as it does without them.
func TestConformanceWithFaults(t *testing.T) {
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(18, 1))
	var injected atomic.Int64
	faults := func(op, _ string, index int) error {
		mu.Lock()
		defer mu.Unlock()
		switch rng.IntN(20) {
		case 0:
			injected.Add(1)
			return fmt.Errorf("injected into %s: %w", op, queue.ErrThrottled)
		case 1:
			injected.Add(1)
			return fmt.Errorf("injected into %s: %w", op, queue.ErrUnavailable)
		}
		return nil
	}
	queuetest.Run(t, queuetest.Harness{
		Options: []queue.Option{queue.WithRetry(12, time.Millisecond, 5*time.Millisecond)},
		New: func(t *testing.T, lease time.Duration) queuetest.Pair {
			b := memqueue.New(memqueue.WithVisibilityTimeout(lease), memqueue.WithFaults(faults))
			name := fmt.Sprintf("q%d", seq.Add(1))
			d, err := b.OpenDriver(context.Background(), name)
			if err != nil {
				t.Fatal(err)
			}
			return queuetest.Pair{Queue: d, Subscription: d, Delete: func(context.Context) error { return b.Delete(name) }}
		},
	})
	if injected.Load() < 100 {
		t.Errorf("only %d faults injected", injected.Load())
	}
	t.Logf("%d faults injected and retried", injected.Load())
}

// clock is a manual clock for the lease tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestClockDrivesLeases(t *testing.T) {
	ctx := context.Background()
	c := &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	b := memqueue.New(memqueue.WithClock(c.Now), memqueue.WithVisibilityTimeout(30*time.Second))
	q, _ := b.Open(ctx, "jobs")
	sub, _ := b.OpenSubscription(ctx, "jobs")
	if _, err := q.Send(ctx, &queue.Message{Body: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	ms, err := sub.Receive(ctx, 1, 0)
	if err != nil || len(ms) != 1 {
		t.Fatalf("Receive = %v, %v", ms, err)
	}
	if !ms[0].EnqueueTime.Equal(c.Now()) {
		t.Errorf("EnqueueTime %v; want the clock's %v", ms[0].EnqueueTime, c.Now())
	}
	c.Advance(29 * time.Second)
	if again, err := sub.Receive(ctx, 1, 0); err != nil || len(again) != 0 {
		t.Fatalf("Receive inside the lease = %v, %v; want nothing", again, err)
	}
	c.Advance(time.Second)
	again, err := sub.Receive(ctx, 1, 0)
	if err != nil || len(again) != 1 || again[0].DeliveryCount != 2 {
		t.Fatalf("Receive after the lease = %v, %v; want the message with DeliveryCount 2", again, err)
	}
	// The first delivery's lease has ended: its ack is refused and the
	// message stays.
	if err := sub.Ack(ctx, ms[0]); !errors.Is(err, queue.ErrNotFound) {
		t.Errorf("Ack after the lease ended = %v; want ErrNotFound", err)
	}
	c.Advance(10 * time.Second)
	if err := sub.ExtendLease(ctx, time.Minute, again[0]); err != nil {
		t.Fatal(err)
	}
	c.Advance(50 * time.Second) // 60 s after the second receipt, 50 s after the extension
	if err := sub.Ack(ctx, again[0]); err != nil {
		t.Errorf("Ack inside the extended lease = %v", err)
	}
	if n := b.Len("jobs"); n != 0 {
		t.Errorf("Len = %d after the ack; want 0", n)
	}
}

func TestFaultsAreRetriedOrReportedAtTheirIndex(t *testing.T) {
	ctx := context.Background()
	var calls atomic.Int64
	b := memqueue.New(
		memqueue.WithFaults(func(op, name string, index int) error {
			switch {
			case op == "send" && index == -1 && calls.Add(1) <= 2:
				return fmt.Errorf("injected: %w", queue.ErrThrottled)
			case op == "send" && index == 1:
				return fmt.Errorf("injected: %w", queue.ErrPermissionDenied)
			}
			return nil
		}),
		memqueue.WithQueueOptions(queue.WithRetry(5, time.Millisecond, time.Millisecond)),
	)
	q, _ := b.Open(ctx, "jobs")
	ids, err := q.Send(ctx, &queue.Message{Body: []byte("a")}, &queue.Message{Body: []byte("b")}, &queue.Message{Body: []byte("c")})
	var be *queue.BatchError
	if !errors.As(err, &be) || be.Errs[0] != nil || be.Errs[2] != nil || !errors.Is(be.Errs[1], queue.ErrPermissionDenied) {
		t.Fatalf("Send = %v; want message 1 denied, the others sent", err)
	}
	if ids[0] == "" || ids[1] != "" || ids[2] == "" {
		t.Errorf("ids %q", ids)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("%d send calls; want 3 (two throttled, retried)", n)
	}
	if n := b.Len("jobs"); n != 2 {
		t.Errorf("Len = %d; want 2", n)
	}

	// A fault that lasts beyond the retries is reported as its kind.
	b2 := memqueue.New(
		memqueue.WithFaults(func(op, _ string, index int) error {
			if op == "receive" {
				return fmt.Errorf("injected: %w", queue.ErrUnavailable)
			}
			return nil
		}),
		memqueue.WithQueueOptions(queue.WithRetry(3, time.Millisecond, time.Millisecond)),
	)
	sub, _ := b2.OpenSubscription(ctx, "jobs")
	if _, err := sub.Receive(ctx, 1, 0); !errors.Is(err, queue.ErrUnavailable) {
		t.Errorf("Receive = %v; want ErrUnavailable", err)
	}
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	if _, err := memqueue.New().Open(ctx, ""); !errors.Is(err, queue.ErrInvalidArgument) {
		t.Errorf("Open(\"\") = %v; want ErrInvalidArgument", err)
	}
	for _, u := range []string{"mem://", "mem://jobs?x=1", "mem://%zz", "://nothing", "jobs"} {
		if _, err := queue.Open(ctx, u); !errors.Is(err, queue.ErrInvalidArgument) {
			t.Errorf("queue.Open(%q) = %v; want ErrInvalidArgument", u, err)
		}
		if _, err := queue.OpenSubscription(ctx, u); !errors.Is(err, queue.ErrInvalidArgument) {
			t.Errorf("queue.OpenSubscription(%q) = %v; want ErrInvalidArgument", u, err)
		}
	}
	b := memqueue.New()
	q, _ := b.Open(ctx, "gone")
	sub, _ := b.OpenSubscription(ctx, "gone")
	if err := b.Delete("gone"); err != nil {
		t.Fatal(err)
	}
	if _, err := sub.Receive(ctx, 1, 0); !errors.Is(err, queue.ErrNotFound) {
		t.Errorf("Receive from a deleted queue = %v; want ErrNotFound", err)
	}
	if _, err := q.Send(ctx, &queue.Message{Body: []byte("x")}); !errors.Is(err, queue.ErrNotFound) {
		t.Errorf("Send to a deleted queue = %v; want ErrNotFound", err)
	}
	if err := b.Delete("gone"); !errors.Is(err, queue.ErrNotFound) {
		t.Errorf("second Delete = %v; want ErrNotFound", err)
	}
	q.Close()
	if _, err := q.Send(ctx, &queue.Message{Body: []byte("x")}); !errors.Is(err, queue.ErrClosed) {
		t.Errorf("Send after Close = %v; want ErrClosed", err)
	}
}

func TestURL(t *testing.T) {
	ctx := context.Background()
	q, err := queue.Open(ctx, "mem://url-test")
	if err != nil {
		t.Fatal(err)
	}
	sub, err := queue.OpenSubscription(ctx, "mem://url-test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Send(ctx, &queue.Message{Body: []byte("via URL")}); err != nil {
		t.Fatal(err)
	}
	ms, err := sub.Receive(ctx, 1, time.Second)
	if err != nil || len(ms) != 1 || string(ms[0].Body) != "via URL" {
		t.Fatalf("Receive = %v, %v", ms, err)
	}
}
