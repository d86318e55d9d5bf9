package idempotency_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/driver"
	"github.com/anyfunc/anyfunc/store/idempotency"
	"github.com/anyfunc/anyfunc/store/memstore"
)

// clock is a settable clock shared by the store and the records.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	d   *memstore.Driver
	s   store.Store
	r   *idempotency.Records
	clk *clock
}

func newFixture(opts ...idempotency.Option) *fixture {
	clk := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	d := memstore.NewDriver()
	s := driver.NewStore(d, store.WithClock(clk.now), store.WithRetry(1, time.Millisecond, time.Millisecond))
	return &fixture{d: d, s: s, r: idempotency.New(s, append([]idempotency.Option{idempotency.WithClock(clk.now)}, opts...)...), clk: clk}
}

const part = "user/alice"

// effect is the write a piece of work commits: one new item per key.
func effect(n int) []store.Write {
	return []store.Write{store.PutOp(&store.Item{Key: store.Key{Partition: part, Sort: fmt.Sprintf("0item%04d", n)},
		Data: map[string]any{"n": n}}, store.IfNotExists())}
}

// effects counts the items work committed in part.
func (f *fixture) effects(t *testing.T) int {
	t.Helper()
	p, err := f.s.Query(context.Background(), store.Query{Partition: part, Sort: store.SortHasPrefix("0item"), Limit: store.MaxQueryLimit})
	if err != nil {
		t.Fatal(err)
	}
	return len(p.Items)
}

func TestCommitThenReplay(t *testing.T) {
	f := newFixture()
	ctx := context.Background()
	c, err := f.r.Begin(ctx, part, "k1", "fp")
	if err != nil || c.Done() {
		t.Fatalf("Begin = %v, done %v", err, c != nil && c.Done())
	}
	if err := c.Commit(ctx, effect(1), map[string]any{"status": 201}); err != nil {
		t.Fatal(err)
	}
	if !c.Done() || c.Replayed() {
		t.Fatalf("after Commit: done %v, replayed %v", c.Done(), c.Replayed())
	}
	again, err := f.r.Begin(ctx, part, "k1", "fp")
	if err != nil || !again.Done() || !again.Replayed() {
		t.Fatalf("repeat: %v, %+v", err, again)
	}
	if got := again.Result()["status"]; got != int64(201) {
		t.Fatalf("replayed status = %v", got)
	}
	if _, err := f.r.Begin(ctx, part, "k1", "other"); !errors.Is(err, idempotency.ErrKeyReused) {
		t.Fatalf("other fingerprint: %v", err)
	}
	if n := f.effects(t); n != 1 {
		t.Fatalf("%d effects, want 1", n)
	}
}

func TestCommitAnswerLostIsResolvedAsCommitted(t *testing.T) {
	f := newFixture()
	ctx := context.Background()
	c, err := f.r.Begin(ctx, part, "k", "fp")
	if err != nil {
		t.Fatal(err)
	}
	f.d.LoseAnswerNext(memstore.OpAtomic, 1, store.ErrUnavailable)
	if err := c.Commit(ctx, effect(1), map[string]any{"v": "one"}); err != nil {
		t.Fatalf("Commit whose answer was lost = %v, want it resolved as committed", err)
	}
	if !c.Done() {
		t.Fatal("not done")
	}
	again, err := f.r.Begin(ctx, part, "k", "fp")
	if err != nil || !again.Done() || again.Result()["v"] != "one" {
		t.Fatalf("retry: %v %+v", err, again)
	}
	if n := f.effects(t); n != 1 {
		t.Fatalf("%d effects, want 1", n)
	}
}

func TestCommitRefusedUnknownThenReleasedRunsAgainOnce(t *testing.T) {
	f := newFixture()
	ctx := context.Background()
	c, _ := f.r.Begin(ctx, part, "k", "fp")
	// The commit fails before applying, and the read that would resolve
	// it fails too: the outcome is unknown.
	f.d.FailNext(memstore.OpAtomic, 1, store.ErrUnavailable)
	f.d.FailNext(memstore.OpGet, 1, store.ErrUnavailable)
	err := c.Commit(ctx, effect(1), nil)
	if !errors.Is(err, idempotency.ErrUnresolved) || !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Commit = %v, want ErrUnresolved wrapping ErrUnavailable", err)
	}
	if err := c.Commit(ctx, effect(1), nil); !errors.Is(err, idempotency.ErrClaimDone) {
		t.Fatalf("second Commit of an unresolved claim = %v", err)
	}
	if err := c.Release(ctx); err != nil || c.Done() {
		t.Fatalf("Release = %v, done %v", err, c.Done())
	}
	retry, err := f.r.Begin(ctx, part, "k", "fp")
	if err != nil || retry.Done() {
		t.Fatalf("retry Begin = %v", err)
	}
	if err := retry.Commit(ctx, effect(1), nil); err != nil {
		t.Fatal(err)
	}
	if n := f.effects(t); n != 1 {
		t.Fatalf("%d effects, want 1", n)
	}
}

func TestReleaseFindsCommitWhoseAnswerWasLost(t *testing.T) {
	f := newFixture()
	ctx := context.Background()
	c, _ := f.r.Begin(ctx, part, "k", "fp")
	// Applied, answer lost, and the read back fails: unresolved.
	f.d.LoseAnswerNext(memstore.OpAtomic, 1, store.ErrUnavailable)
	f.d.FailNext(memstore.OpGet, 1, store.ErrUnavailable)
	if err := c.Commit(ctx, effect(1), map[string]any{"v": 1}); !errors.Is(err, idempotency.ErrUnresolved) {
		t.Fatalf("Commit = %v", err)
	}
	// Release must not free a key whose effect happened: the fence
	// fails, and the claim turns out done.
	if err := c.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if !c.Done() || c.Result()["v"] != int64(1) {
		t.Fatalf("after Release: done %v, result %v", c.Done(), c.Result())
	}
	again, err := f.r.Begin(ctx, part, "k", "fp")
	if err != nil || !again.Done() {
		t.Fatalf("retry: %v", err)
	}
	if n := f.effects(t); n != 1 {
		t.Fatalf("%d effects, want 1", n)
	}
}

func TestStuckClaimIsTakenOverAfterLeaseAndLateCommitFails(t *testing.T) {
	f := newFixture(idempotency.WithLease(3 * time.Second))
	ctx := context.Background()
	old, _ := f.r.Begin(ctx, part, "k", "fp")
	late, _ := f.r.Begin(ctx, part, "k2", "fp")
	// The release fails: the key stays claimed until the lease ends.
	f.d.FailNext(memstore.OpDelete, 1, store.ErrUnavailable)
	f.d.FailNext(memstore.OpGet, 1, store.ErrUnavailable)
	if err := old.Release(ctx); !errors.Is(err, idempotency.ErrUnresolved) {
		t.Fatalf("Release = %v", err)
	}
	_, err := f.r.Begin(ctx, part, "k", "fp")
	var ie *idempotency.Error
	if !errors.As(err, &ie) || ie.Kind != idempotency.ErrInFlight || ie.RetryAfter <= 0 || ie.RetryAfter > 3*time.Second {
		t.Fatalf("Begin during the lease = %v", err)
	}
	f.clk.add(3 * time.Second)
	taker, err := f.r.Begin(ctx, part, "k", "fp")
	if err != nil || taker.Done() {
		t.Fatalf("Begin after the lease = %v", err)
	}
	// Another attempt, taken over while still running, arrives late with
	// its commit: the fence refuses it.
	if _, err := f.r.Begin(ctx, part, "k2", "fp"); err != nil {
		t.Fatal(err)
	}
	if err := late.Commit(ctx, effect(9), nil); !errors.Is(err, idempotency.ErrClaimLost) || errors.Is(err, store.ErrConflict) {
		t.Fatalf("late Commit = %v, want ErrClaimLost, and not a conflict of the caller's writes", err)
	}
	if err := taker.Commit(ctx, effect(1), nil); err != nil {
		t.Fatal(err)
	}
	if n := f.effects(t); n != 1 {
		t.Fatalf("%d effects, want 1 (the late commit must not land)", n)
	}
}

func TestBeginResolvesItsOwnClaimWhoseAnswerWasLost(t *testing.T) {
	f := newFixture()
	ctx := context.Background()
	f.d.LoseAnswerNext(memstore.OpPut, 1, store.ErrUnavailable)
	c, err := f.r.Begin(ctx, part, "k", "fp")
	if err != nil || c.Done() {
		t.Fatalf("Begin = %v", err)
	}
	if err := c.Commit(ctx, effect(1), nil); err != nil {
		t.Fatalf("Commit on the resolved claim = %v", err)
	}
	f.d.FailNext(memstore.OpPut, 1, store.ErrUnavailable)
	c2, err := f.r.Begin(ctx, part, "k2", "fp")
	if err != nil || c2.Done() {
		t.Fatalf("Begin after a refused claim = %v", err)
	}
}

func TestFinishAndReleaseAnswersLost(t *testing.T) {
	f := newFixture()
	ctx := context.Background()
	c, _ := f.r.Begin(ctx, part, "k", "fp")
	f.d.LoseAnswerNext(memstore.OpPut, 1, store.ErrUnavailable)
	if err := c.Finish(ctx, map[string]any{"status": 404}); err != nil || !c.Done() {
		t.Fatalf("Finish = %v", err)
	}
	c2, _ := f.r.Begin(ctx, part, "k2", "fp")
	f.d.LoseAnswerNext(memstore.OpDelete, 1, store.ErrUnavailable)
	if err := c2.Release(ctx); err != nil || c2.Done() {
		t.Fatalf("Release = %v", err)
	}
	if c3, err := f.r.Begin(ctx, part, "k2", "fp"); err != nil || c3.Done() {
		t.Fatalf("Begin after release = %v", err)
	}
}

// A conflict whose outcome cannot be read back may be this attempt's own
// earlier write landing: it is reported unresolved, not as a conflict the
// caller could retry on.
func TestCommitConflictUnresolvedIsNotAConflict(t *testing.T) {
	f := newFixture()
	ctx := context.Background()
	if _, err := f.s.Put(ctx, effect(1)[0].Item); err != nil {
		t.Fatal(err)
	}
	c, _ := f.r.Begin(ctx, part, "k", "fp")
	f.d.FailNext(memstore.OpGet, 1, store.ErrUnavailable)
	err := c.Commit(ctx, effect(1), nil)
	if !errors.Is(err, idempotency.ErrUnresolved) || errors.Is(err, store.ErrConflict) || !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Commit = %v, want ErrUnresolved wrapping the read's ErrUnavailable", err)
	}
}

func TestCommitRefusedEffectLeavesClaimPending(t *testing.T) {
	f := newFixture()
	ctx := context.Background()
	if _, err := f.s.Put(ctx, effect(1)[0].Item); err != nil {
		t.Fatal(err)
	}
	c, _ := f.r.Begin(ctx, part, "k", "fp")
	if err := c.Commit(ctx, effect(1), nil); !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("Commit over an existing item = %v", err)
	}
	if c.Done() {
		t.Fatal("done after a refused commit")
	}
	if err := c.Commit(ctx, effect(2), nil); err != nil {
		t.Fatalf("Commit again = %v", err)
	}
}

func TestDeadlineAndReserve(t *testing.T) {
	s := memstore.New()
	r := idempotency.New(s, idempotency.WithReserve(time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dl, _ := ctx.Deadline()
	c, err := r.Begin(ctx, part, "k", "fp")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Deadline().Equal(dl) || !c.WorkDeadline().Equal(dl.Add(-time.Second)) {
		t.Fatalf("deadline %v, work %v; ctx deadline %v", c.Deadline(), c.WorkDeadline(), dl)
	}
	it, err := s.Get(ctx, c.Key())
	if err != nil {
		t.Fatal(err)
	}
	if !it.ExpiresAt.Equal(dl.Truncate(time.Millisecond)) {
		t.Fatalf("the lease ends at %v, want the deadline %v", it.ExpiresAt, dl)
	}
	// A short deadline keeps a quarter of it.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel2()
	c2, err := r.Begin(ctx2, part, "k2", "fp")
	if err != nil {
		t.Fatal(err)
	}
	if res := c2.Deadline().Sub(c2.WorkDeadline()); res <= 0 || res > 500*time.Millisecond {
		t.Fatalf("reserve of a 2 s deadline = %v, want at most a quarter", res)
	}
}

// TestExactlyOnceUnderRandomFaults runs many keys, each retried until it
// is answered, with random faults (refused, or applied with the answer
// lost) on every store operation, and lease expiries: every key's effect
// happens exactly once, and every answer is the committed result.
func TestExactlyOnceUnderRandomFaults(t *testing.T) {
	f := newFixture(idempotency.WithLease(time.Second))
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	ops := []memstore.Op{memstore.OpGet, memstore.OpPut, memstore.OpDelete, memstore.OpAtomic}
	const keys = 300
	var faults, tries int
	for n := range keys {
		key := fmt.Sprintf("key-%d", n)
		var answer map[string]any
		for attempt := 0; answer == nil; attempt++ {
			if attempt > 50 {
				t.Fatalf("key %d: no answer after %d attempts", n, attempt)
			}
			tries++
			for range rng.IntN(3) {
				op := ops[rng.IntN(len(ops))]
				kind := store.ErrUnavailable
				if rng.IntN(4) == 0 {
					kind = store.ErrThrottled
				}
				if rng.IntN(2) == 0 {
					f.d.LoseAnswerNext(op, 1, kind)
				} else {
					f.d.FailNext(op, 1, kind)
				}
				faults++
			}
			answer = runOnce(ctx, f, key, n)
			clearFaults(ctx, f)
			if answer == nil && rng.IntN(3) == 0 {
				f.clk.add(time.Second) // the client waited out the lease
			}
		}
		if answer["n"] != int64(n) {
			t.Fatalf("key %d answered %v", n, answer)
		}
	}
	if got := f.effects(t); got != keys {
		t.Fatalf("%d effects for %d keys", got, keys)
	}
	t.Logf("%d keys, %d attempts, %d faults injected: every effect once", keys, tries, faults)
}

// runOnce is one attempt of the work for key: it returns the answer, or
// nil when the attempt failed and the client must retry.
func runOnce(ctx context.Context, f *fixture, key string, n int) map[string]any {
	c, err := f.r.Begin(ctx, part, key, "fp")
	if err != nil {
		return nil
	}
	if c.Done() {
		return normalise(c.Result())
	}
	err = c.Commit(ctx, effect(n), map[string]any{"n": n})
	switch {
	case err == nil:
		return normalise(c.Result())
	case errors.Is(err, store.ErrAlreadyExists):
		panic(fmt.Sprintf("key %s: the effect exists but its claim was pending: %v", key, err))
	}
	if rerr := c.Release(ctx); rerr == nil && c.Done() {
		return normalise(c.Result())
	}
	return nil
}

func normalise(m map[string]any) map[string]any {
	if v, ok := m["n"].(int); ok {
		m["n"] = int64(v)
	}
	return m
}

// clearFaults uses up the faults an attempt did not hit.
func clearFaults(ctx context.Context, f *fixture) {
	probe := store.Key{Partition: "probe"}
	for range 8 {
		f.s.Get(ctx, probe)
		f.s.Put(ctx, &store.Item{Key: probe, Data: map[string]any{}})
		f.s.Delete(ctx, probe)
		f.s.Atomic(ctx, []store.Write{store.DeleteOp(probe)})
	}
}
