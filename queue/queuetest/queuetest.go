// Package queuetest is the conformance suite of queue backends: the
// definition of a correct driver. A backend's test calls [Run] with a
// [Harness] that makes fresh queues on the real service or its emulator:
//
//	func TestConformance(t *testing.T) {
//		queuetest.Run(t, queuetest.Harness{New: newPair})
//	}
//
// The suite drives the backend through the portable queue.Queue and
// queue.Subscription, so it tests what applications see. No assertion
// depends on how fast the machine is: leases are observed ending by
// polling until a message comes back, within a generous context.
package queuetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/queue"
	"github.com/anyfunc/anyfunc/queue/driver"
)

// Pair is a fresh queue and a subscription that receives what it sends.
type Pair struct {
	Queue        driver.Queue
	Subscription driver.Subscription
	// Delete deletes the queue (and subscription) on the service, so that
	// later calls fail with NotFound.
	Delete func(ctx context.Context) error
}

// Harness makes the queues the suite runs against.
type Harness struct {
	// New returns a new, empty Pair whose subscription leases received
	// messages for lease (a backend whose minimum is longer uses its
	// minimum: Pub/Sub's is 10 seconds). It registers its clean-up with
	// t.Cleanup and fails t when it cannot make the pair.
	New func(t *testing.T, lease time.Duration) Pair
	// Options are passed to queue.NewQueue and queue.NewSubscription.
	Options []queue.Option
	// Messages is the size of the many-message test; 0 means 1,000.
	Messages int
}

// patience bounds every test: it only turns a hang into a failure, and no
// test asserts how long anything takes. It is generous because the emulators
// (moto's SQS is serialised through a proxy) may run under the race detector
// on a loaded two-core machine, where the 1,000-message test has taken more
// than three minutes.
const patience = 10 * time.Minute

type env struct {
	t    *testing.T
	h    Harness
	q    *queue.Queue
	sub  *queue.Subscription
	pair Pair
}

func (h Harness) env(t *testing.T, lease time.Duration) *env {
	p := h.New(t, lease)
	return &env{t: t, h: h, pair: p, q: queue.NewQueue(p.Queue, h.Options...), sub: queue.NewSubscription(p.Subscription, h.Options...)}
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	t.Cleanup(cancel)
	return ctx
}

// Run runs the conformance suite.
func Run(t *testing.T, h Harness) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, h) })
	t.Run("BatchFailsAtIndex", func(t *testing.T) { testBatchIndex(t, h) })
	t.Run("Limits", func(t *testing.T) { testLimits(t, h) })
	t.Run("NackRedelivers", func(t *testing.T) { testNack(t, h) })
	t.Run("LeaseExpiryAckAndExtend", func(t *testing.T) { testExpiry(t, h) })
	t.Run("ConcurrentConsumers", func(t *testing.T) { testConcurrent(t, h) })
	t.Run("ManyWithFailures", func(t *testing.T) { testMany(t, h) })
	t.Run("Cancellation", func(t *testing.T) { testCancel(t, h) })
	t.Run("DeletedQueue", func(t *testing.T) { testDeleted(t, h) })
}

// send sends msgs and fails t unless all were sent.
func (e *env) send(ctx context.Context, msgs ...*queue.Message) []string {
	e.t.Helper()
	ids, err := e.q.Send(ctx, msgs...)
	if err != nil {
		e.t.Fatalf("Send: %v", err)
	}
	for i, id := range ids {
		if id == "" {
			e.t.Fatalf("Send: no ID for message %d", i)
		}
	}
	return ids
}

// receiveN receives until n messages have arrived, failing t when ctx
// ends first.
func (e *env) receiveN(ctx context.Context, n, max int) []*queue.Message {
	e.t.Helper()
	var out []*queue.Message
	for len(out) < n {
		ms, err := e.sub.Receive(ctx, min(max, n-len(out)), 5*time.Second)
		if err != nil {
			e.t.Fatalf("Receive after %d of %d messages: %v", len(out), n, err)
		}
		out = append(out, ms...)
	}
	return out
}

func (e *env) ack(ctx context.Context, ms ...*queue.Message) {
	e.t.Helper()
	if err := e.sub.Ack(ctx, ms...); err != nil {
		e.t.Fatalf("Ack: %v", err)
	}
}

// drained checks that the queue holds nothing ready: one Receive with a
// short wait returns no message.
func (e *env) drained(ctx context.Context) {
	e.t.Helper()
	ms, err := e.sub.Receive(ctx, queue.MaxReceive, 2*time.Second)
	if err != nil {
		e.t.Fatalf("Receive: %v", err)
	}
	for _, m := range ms {
		e.t.Errorf("unexpected message %s: %.60q", m.ID, m.Body)
	}
}

func testRoundTrip(t *testing.T, h Harness) {
	e := h.env(t, 30*time.Second)
	ctx := ctxFor(t)
	binary := make([]byte, 512)
	for i := range binary {
		binary[i] = byte(i)
	}
	want := []*queue.Message{
		{Body: []byte("hello, queue")},
		{Body: binary},
		{Body: []byte("héllo wörld ✓ 日本語 🚀"), Attributes: map[string]string{"lang": "日本語 ✓", "emoji": "🚀"}},
		{Body: []byte{0xff, 0xfe, 0x00, 0x80}, Attributes: map[string]string{"kind": "binary", "Content-Type": "application/octet-stream"}},
		{Body: []byte(`{"anyfunc.envelope":1,"attributes":{},"body":""}`)},
		{Body: []byte("  spaces\tand\nnewlines\r\n  ")},
	}
	before := time.Now()
	ids := e.send(ctx, want...)
	got := e.receiveN(ctx, len(want), queue.MaxReceive)
	byID := map[string]*queue.Message{}
	for _, m := range got {
		byID[m.ID] = m
	}
	for i, w := range want {
		m := byID[ids[i]]
		if m == nil {
			t.Errorf("message %d (ID %s) not received; got IDs %v", i, ids[i], keys(byID))
			continue
		}
		if !bytes.Equal(m.Body, w.Body) {
			t.Errorf("message %d: body %q, want %q", i, m.Body, w.Body)
		}
		if !maps.Equal(m.Attributes, w.Attributes) || (len(w.Attributes) == 0) != (len(m.Attributes) == 0) {
			t.Errorf("message %d: attributes %v, want %v", i, m.Attributes, w.Attributes)
		}
		if m.DeliveryCount != 1 {
			t.Errorf("message %d: DeliveryCount %d, want 1", i, m.DeliveryCount)
		}
		if m.EnqueueTime.IsZero() || m.EnqueueTime.Before(before.Add(-time.Minute)) || m.EnqueueTime.After(time.Now().Add(time.Minute)) {
			t.Errorf("message %d: EnqueueTime %v, sent at %v", i, m.EnqueueTime, before)
		}
	}
	e.ack(ctx, got...)
	e.drained(ctx)
}

func keys(m map[string]*queue.Message) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func testBatchIndex(t *testing.T, h Harness) {
	e := h.env(t, 30*time.Second)
	ctx := ctxFor(t)
	tooMany := map[string]string{}
	for i := 0; i <= queue.MaxAttributes; i++ {
		tooMany[fmt.Sprintf("a%d", i)] = "v"
	}
	msgs := []*queue.Message{
		{Body: []byte("zero")},
		{Body: []byte("one")},
		{Body: []byte("two"), Attributes: tooMany},
		{Body: []byte("three")},
		{Body: nil},
	}
	ids, err := e.q.Send(ctx, msgs...)
	var be *queue.BatchError
	if !errors.As(err, &be) || len(be.Errs) != len(msgs) {
		t.Fatalf("Send: %v; want a *queue.BatchError of %d", err, len(msgs))
	}
	for i := range msgs {
		switch i {
		case 2:
			if !errors.Is(be.Errs[i], queue.ErrTooLarge) || ids[i] != "" {
				t.Errorf("message 2: %v, ID %q; want ErrTooLarge and no ID", be.Errs[i], ids[i])
			}
		case 4:
			if !errors.Is(be.Errs[i], queue.ErrInvalidArgument) || ids[i] != "" {
				t.Errorf("message 4: %v, ID %q; want ErrInvalidArgument and no ID", be.Errs[i], ids[i])
			}
		default:
			if be.Errs[i] != nil || ids[i] == "" {
				t.Errorf("message %d: %v, ID %q; want it sent", i, be.Errs[i], ids[i])
			}
		}
	}
	got := e.receiveN(ctx, 3, queue.MaxReceive)
	var bodies []string
	for _, m := range got {
		bodies = append(bodies, string(m.Body))
	}
	for _, w := range []string{"zero", "one", "three"} {
		if !contains(bodies, w) {
			t.Errorf("received %q, want %q among them", bodies, w)
		}
	}
	e.ack(ctx, got...)
	e.drained(ctx)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func testLimits(t *testing.T, h Harness) {
	e := h.env(t, 30*time.Second)
	ctx := ctxFor(t)
	attrs := func(n, nameLen, valueLen int) map[string]string {
		m := map[string]string{}
		for i := 0; i < n; i++ {
			name := fmt.Sprintf("a%d", i)
			name += strings.Repeat("x", nameLen-len(name))
			m[name] = strings.Repeat("v", valueLen)
		}
		return m
	}
	// The largest messages every backend must take.
	maxBody := bytes.Repeat([]byte("b"), queue.MaxBodySize)
	maxAttrs := attrs(queue.MaxAttributes, queue.MaxAttributeNameSize, queue.MaxAttributeValueSize)
	accepted := []*queue.Message{
		{Body: maxBody},
		{Body: []byte("many attributes"), Attributes: maxAttrs},
	}
	e.send(ctx, accepted...)

	refused := []struct {
		name string
		msg  *queue.Message
		kind error
	}{
		{"body one byte too large", &queue.Message{Body: append(maxBody, 'b')}, queue.ErrTooLarge},
		{"empty body", &queue.Message{Body: []byte{}}, queue.ErrInvalidArgument},
		{"too many attributes", &queue.Message{Body: []byte("x"), Attributes: attrs(queue.MaxAttributes+1, 4, 1)}, queue.ErrTooLarge},
		{"attribute name too long", &queue.Message{Body: []byte("x"), Attributes: attrs(1, queue.MaxAttributeNameSize+1, 1)}, queue.ErrTooLarge},
		{"attribute value too long", &queue.Message{Body: []byte("x"), Attributes: attrs(1, 4, queue.MaxAttributeValueSize+1)}, queue.ErrTooLarge},
		{"attributes push the envelope over", &queue.Message{Body: maxBody[:queue.MaxBodySize-100], Attributes: map[string]string{"a": "b"}}, queue.ErrTooLarge},
		{"empty attribute name", &queue.Message{Body: []byte("x"), Attributes: map[string]string{"": "v"}}, queue.ErrInvalidArgument},
		{"empty attribute value", &queue.Message{Body: []byte("x"), Attributes: map[string]string{"k": ""}}, queue.ErrInvalidArgument},
		{"attribute name with a space", &queue.Message{Body: []byte("x"), Attributes: map[string]string{"a b": "v"}}, queue.ErrInvalidArgument},
		{"reserved AWS. name", &queue.Message{Body: []byte("x"), Attributes: map[string]string{"AWS.trace": "v"}}, queue.ErrInvalidArgument},
		{"reserved goog name", &queue.Message{Body: []byte("x"), Attributes: map[string]string{"googclient": "v"}}, queue.ErrInvalidArgument},
		{"reserved anyfunc. name", &queue.Message{Body: []byte("x"), Attributes: map[string]string{"anyfunc.x": "v"}}, queue.ErrInvalidArgument},
		{"control character in a value", &queue.Message{Body: []byte("x"), Attributes: map[string]string{"k": "a\x00b"}}, queue.ErrInvalidArgument},
		{"invalid UTF-8 in a value", &queue.Message{Body: []byte("x"), Attributes: map[string]string{"k": "\xff"}}, queue.ErrInvalidArgument},
	}
	for _, r := range refused {
		_, err := e.q.Send(ctx, r.msg)
		var be *queue.BatchError
		if !errors.As(err, &be) || len(be.Errs) != 1 || !errors.Is(be.Errs[0], r.kind) {
			t.Errorf("%s: Send = %v; want a BatchError with %v at 0", r.name, err, r.kind)
		}
	}
	batch := make([]*queue.Message, queue.MaxBatch+1)
	for i := range batch {
		batch[i] = &queue.Message{Body: []byte("in a batch too large")}
	}
	if _, err := e.q.Send(ctx, batch...); !errors.Is(err, queue.ErrInvalidArgument) {
		t.Errorf("Send of %d messages = %v; want ErrInvalidArgument", len(batch), err)
	}
	for _, max := range []int{0, -1, queue.MaxReceive + 1} {
		if _, err := e.sub.Receive(ctx, max, 0); !errors.Is(err, queue.ErrInvalidArgument) {
			t.Errorf("Receive(max %d) = %v; want ErrInvalidArgument", max, err)
		}
	}
	if _, err := e.sub.Receive(ctx, 1, -time.Second); !errors.Is(err, queue.ErrInvalidArgument) {
		t.Errorf("Receive(wait -1s) = %v; want ErrInvalidArgument", err)
	}

	// Nothing refused was half-sent: exactly the accepted messages arrive.
	got := e.receiveN(ctx, len(accepted), queue.MaxReceive)
	for _, m := range got {
		switch {
		case bytes.Equal(m.Body, maxBody):
		case string(m.Body) == "many attributes":
			if !maps.Equal(m.Attributes, maxAttrs) {
				t.Errorf("attributes at their limits came back changed (%d of %d)", len(m.Attributes), len(maxAttrs))
			}
		default:
			t.Errorf("unexpected message of %d bytes: %.40q", len(m.Body), m.Body)
		}
	}
	for _, d := range []time.Duration{-time.Second, queue.MaxLease + time.Second} {
		if err := e.sub.Nack(ctx, d, got[0]); !errors.Is(err, queue.ErrInvalidArgument) {
			t.Errorf("Nack(%v) = %v; want ErrInvalidArgument", d, err)
		}
		if err := e.sub.ExtendLease(ctx, d, got[0]); !errors.Is(err, queue.ErrInvalidArgument) {
			t.Errorf("ExtendLease(%v) = %v; want ErrInvalidArgument", d, err)
		}
	}
	e.ack(ctx, got...)
	e.drained(ctx)
}

func testNack(t *testing.T, h Harness) {
	e := h.env(t, 30*time.Second)
	ctx := ctxFor(t)
	ids := e.send(ctx, &queue.Message{Body: []byte("nack me"), Attributes: map[string]string{"k": "v"}})
	want := 1
	for _, delay := range []time.Duration{0, time.Second} {
		m := e.receiveN(ctx, 1, 1)[0]
		if m.ID != ids[0] || m.DeliveryCount != want {
			t.Fatalf("received %s with DeliveryCount %d; want %s with %d", m.ID, m.DeliveryCount, ids[0], want)
		}
		if err := e.sub.Nack(ctx, delay, m); err != nil {
			t.Fatalf("Nack(%v): %v", delay, err)
		}
		want++
	}
	m := e.receiveN(ctx, 1, 1)[0]
	if m.ID != ids[0] || m.DeliveryCount != want || string(m.Body) != "nack me" || m.Attributes["k"] != "v" {
		t.Fatalf("after two nacks: %s %q %v DeliveryCount %d; want %s with %d", m.ID, m.Body, m.Attributes, m.DeliveryCount, ids[0], want)
	}
	e.ack(ctx, m)
	if err := e.sub.Ack(ctx, m); err != nil {
		t.Errorf("second Ack: %v; want nil", err)
	}
	if err := e.sub.Nack(ctx, 0, m); !errors.Is(err, queue.ErrInvalidArgument) {
		t.Errorf("Nack after Ack: %v; want ErrInvalidArgument", err)
	}
	e.drained(ctx)
}

// testExpiry receives three messages one after the other: the first is
// acked, the second's lease is extended, the third is left to expire.
// Their leases end in that order, so when the third comes back the first
// would have come back too had the ack not deleted it, and the second had
// its lease not been extended.
func testExpiry(t *testing.T, h Harness) {
	e := h.env(t, 2*time.Second)
	ctx := ctxFor(t)
	e.send(ctx, &queue.Message{Body: []byte("a")}, &queue.Message{Body: []byte("b")}, &queue.Message{Body: []byte("c")})
	acked := e.receiveN(ctx, 1, 1)[0]
	e.ack(ctx, acked)
	extended := e.receiveN(ctx, 1, 1)[0]
	if err := e.sub.ExtendLease(ctx, 5*time.Minute, extended); err != nil {
		t.Fatalf("ExtendLease: %v", err)
	}
	expired := e.receiveN(ctx, 1, 1)[0]
	for {
		ms, err := e.sub.Receive(ctx, queue.MaxReceive, 5*time.Second)
		if err != nil {
			t.Fatalf("waiting for %s to come back: %v", expired.ID, err)
		}
		done := false
		for _, m := range ms {
			switch m.ID {
			case expired.ID:
				if m.DeliveryCount != 2 || !bytes.Equal(m.Body, expired.Body) {
					t.Errorf("expired message came back with DeliveryCount %d, body %q; want 2, %q", m.DeliveryCount, m.Body, expired.Body)
				}
				e.ack(ctx, m)
				done = true
			case acked.ID:
				t.Errorf("acked message %s came back", m.ID)
			case extended.ID:
				t.Errorf("message %s came back within its extended lease", m.ID)
			default:
				t.Errorf("unexpected message %s", m.ID)
			}
		}
		if done {
			break
		}
	}
	if err := e.sub.Ack(ctx, extended); err != nil {
		t.Errorf("Ack of the message whose lease was extended: %v", err)
	}
	e.drained(ctx)
}
