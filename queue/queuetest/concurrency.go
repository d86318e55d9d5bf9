package queuetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/queue"
)

// delivery is one receipt of a message by a consumer: the lease began no
// earlier than asked (when the Receive call began) and the message was in
// hand at got (when it returned).
type delivery struct {
	consumer   int
	asked, got time.Time
	nacked     bool
}

// testConcurrent runs two consumers on one subscription and checks that
// no message is delivered to one while the other holds its lease: a
// second delivery that returned before the first Receive call began plus
// the lease, without a nack in between, is a violation whatever the
// speed of the machine.
func testConcurrent(t *testing.T, h Harness) {
	const lease = 60 * time.Second
	e := h.env(t, lease)
	ctx := ctxFor(t)
	const n = 40
	for i := 0; i < n; i += queue.MaxBatch {
		var batch []*queue.Message
		for j := i; j < i+queue.MaxBatch && j < n; j++ {
			batch = append(batch, &queue.Message{Body: []byte(fmt.Sprintf("c-%d", j))})
		}
		e.send(ctx, batch...)
	}
	var (
		mu     sync.Mutex
		seen   = map[string][]delivery{}
		acked  = map[string]bool{}
		failed error
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for c := 0; c < 2; c++ {
		wg.Go(func() {
			for ctx.Err() == nil {
				asked := time.Now()
				ms, err := e.sub.Receive(ctx, 3, time.Second)
				got := time.Now()
				if err != nil {
					if !errors.Is(err, context.Canceled) {
						mu.Lock()
						failed = err
						mu.Unlock()
						cancel()
					}
					return
				}
				for _, m := range ms {
					mu.Lock()
					seen[m.ID] = append(seen[m.ID], delivery{consumer: c, asked: asked, got: got})
					mu.Unlock()
				}
				if len(ms) == 0 {
					continue
				}
				// Hold the messages a little, as real work would, so
				// that the other consumer receives meanwhile.
				time.Sleep(10 * time.Millisecond)
				if err := e.sub.Ack(ctx, ms...); err != nil {
					mu.Lock()
					failed = err
					mu.Unlock()
					cancel()
					return
				}
				mu.Lock()
				for _, m := range ms {
					acked[m.ID] = true
				}
				if len(acked) == n {
					cancel()
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if failed != nil {
		t.Fatalf("consumer: %v", failed)
	}
	if len(acked) != n {
		t.Fatalf("%d of %d messages acked before the deadline", len(acked), n)
	}
	byConsumer := [2]int{}
	for id, ds := range seen {
		for i := 1; i < len(ds); i++ {
			if ds[i].got.Before(ds[i-1].asked.Add(lease)) {
				t.Errorf("message %s delivered to consumer %d while consumer %d held its lease", id, ds[i].consumer, ds[i-1].consumer)
			}
		}
		byConsumer[ds[0].consumer]++
	}
	t.Logf("first deliveries per consumer: %v", byConsumer)
}

// testMany sends many messages and consumes them with four consumers that
// fail at random (a nack, or giving up the message to its lease's end is
// left to the lease test): every message is acknowledged exactly once and
// none is lost.
func testMany(t *testing.T, h Harness) {
	n := h.Messages
	if n == 0 {
		n = 1000
	}
	e := h.env(t, 60*time.Second)
	ctx := ctxFor(t)
	want := map[string]bool{}
	sendCtx, cancelSend := context.WithCancel(ctx)
	defer cancelSend()
	sendErr := make(chan error, 1)
	go func() {
		// Send while the consumers run, four batches at a time.
		var wg sync.WaitGroup
		var once sync.Once
		sem := make(chan struct{}, 4)
		for i := 0; i < n; i += queue.MaxBatch {
			var batch []*queue.Message
			for j := i; j < i+queue.MaxBatch && j < n; j++ {
				batch = append(batch, &queue.Message{Body: []byte(fmt.Sprintf("m-%d", j)), Attributes: map[string]string{"n": fmt.Sprint(j)}})
			}
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				if _, err := e.q.Send(sendCtx, batch...); err != nil {
					once.Do(func() { sendErr <- err })
				}
			})
		}
		wg.Wait()
		close(sendErr)
	}()
	for j := 0; j < n; j++ {
		want[fmt.Sprintf("m-%d", j)] = true
	}
	var (
		mu      sync.Mutex
		acks    = map[string]int{}
		ackIDs  = map[string][]string{}
		nacks   int
		failed  error
		ackedOK int
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fail := func(err error) {
		mu.Lock()
		if failed == nil {
			failed = err
		}
		mu.Unlock()
		cancel()
	}
	var wg sync.WaitGroup
	for c := 0; c < 4; c++ {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), 18))
			for ctx.Err() == nil {
				ms, err := e.sub.Receive(ctx, queue.MaxReceive, time.Second)
				if err != nil {
					if !errors.Is(err, context.Canceled) {
						fail(err)
					}
					return
				}
				var ok, bad []*queue.Message
				for _, m := range ms {
					body := string(m.Body)
					if !want[body] || m.Attributes["n"] != body[2:] {
						fail(fmt.Errorf("received an unexpected message %q %v", body, m.Attributes))
						return
					}
					mu.Lock()
					done := acks[body] > 0
					mu.Unlock()
					if done {
						fail(fmt.Errorf("message %q delivered again after its ack", body))
						return
					}
					if rng.IntN(4) == 0 {
						bad = append(bad, m)
					} else {
						ok = append(ok, m)
					}
				}
				if len(bad) > 0 {
					if err := e.sub.Nack(ctx, 0, bad...); err != nil {
						fail(fmt.Errorf("Nack: %w", err))
						return
					}
				}
				if len(ok) > 0 {
					if err := e.sub.Ack(ctx, ok...); err != nil {
						fail(fmt.Errorf("Ack: %w", err))
						return
					}
				}
				mu.Lock()
				nacks += len(bad)
				for _, m := range ok {
					acks[string(m.Body)]++
					ackIDs[string(m.Body)] = append(ackIDs[string(m.Body)], m.ID)
					ackedOK++
				}
				if len(acks) == n {
					cancel()
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := <-sendErr; err != nil {
		t.Fatalf("Send: %v", err)
	}
	if failed != nil {
		t.Fatal(failed)
	}
	for body := range want {
		if c := acks[body]; c != 1 {
			t.Errorf("message %q acknowledged %d times (IDs %q); want 1", body, c, ackIDs[body])
		}
	}
	t.Logf("%d messages acknowledged once each after %d random nacks", ackedOK, nacks)
	ectx := ctxFor(t)
	e.drained(ectx)
}

func testCancel(t *testing.T, h Harness) {
	e := h.env(t, 30*time.Second)
	ctx := ctxFor(t)
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := e.sub.Receive(done, 1, time.Second); !errors.Is(err, queue.ErrCanceled) || !errors.Is(err, context.Canceled) {
		t.Errorf("Receive with a cancelled context = %v; want ErrCanceled and context.Canceled", err)
	}
	if _, err := e.q.Send(done, &queue.Message{Body: []byte("never")}); !errors.Is(err, queue.ErrCanceled) || !errors.Is(err, context.Canceled) {
		t.Errorf("Send with a cancelled context = %v; want ErrCanceled and context.Canceled", err)
	}
	// A deadline ends a long wait on an empty queue.
	short, cancelShort := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancelShort()
	ms, err := e.sub.Receive(short, 1, time.Minute)
	if !errors.Is(err, queue.ErrCanceled) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Receive past its deadline = %v, %d messages; want ErrCanceled and context.DeadlineExceeded", err, len(ms))
	}
	// The queue still works, and the cancelled Send sent nothing.
	e.send(ctx, &queue.Message{Body: []byte("after")})
	m := e.receiveN(ctx, 1, queue.MaxReceive)[0]
	if string(m.Body) != "after" {
		t.Errorf("received %q; want \"after\"", m.Body)
	}
	done2, cancel2 := context.WithCancel(ctx)
	cancel2()
	if err := e.sub.Ack(done2, m); !errors.Is(err, queue.ErrCanceled) {
		t.Errorf("Ack with a cancelled context = %v; want ErrCanceled", err)
	}
	e.ack(ctx, m)
	e.drained(ctx)
}

func testDeleted(t *testing.T, h Harness) {
	e := h.env(t, 30*time.Second)
	ctx := ctxFor(t)
	e.send(ctx, &queue.Message{Body: []byte("before")})
	if err := e.pair.Delete(ctx); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	// Services may take a moment to see the deletion everywhere: poll.
	for {
		_, err := e.sub.Receive(ctx, 1, 0)
		if errors.Is(err, queue.ErrNotFound) {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("Receive from a deleted queue = %v; want ErrNotFound", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	_, err := e.q.Send(ctx, &queue.Message{Body: []byte("after")})
	if !errors.Is(err, queue.ErrNotFound) {
		t.Errorf("Send to a deleted queue = %v; want ErrNotFound", err)
	}
}
