package middleware

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/adapterkit"
	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/driver"
	"github.com/anyfunc/anyfunc/store/memstore"
)

// committer creates one item per request in the partition "p", committed
// with its response through CommitIdempotent.
type committer struct {
	s     store.Store
	calls atomic.Int32
}

func (c *committer) ServeRequest(ctx context.Context, r *handler.Request) (*handler.Response, error) {
	n := c.calls.Add(1)
	id := adapterkit.NewRequestID()
	resp := &handler.Response{Status: http.StatusCreated, Header: http.Header{"Location": {"/things/" + id}},
		Body: []byte(`{"id":"` + id + `"}`)}
	w := store.PutOp(&store.Item{Key: store.Key{Partition: "p", Sort: "0" + id}, Data: map[string]any{"n": int64(n)}}, store.IfNotExists())
	if err := CommitIdempotent(ctx, c.s, []store.Write{w}, resp); err != nil {
		return nil, err
	}
	return resp, nil
}

func (c *committer) effects(t *testing.T) int {
	t.Helper()
	p, err := c.s.Query(context.Background(), store.Query{Partition: "p", Sort: store.SortHasPrefix("0")})
	if err != nil {
		t.Fatal(err)
	}
	return len(p.Items)
}

type commitFixture struct {
	d   *memstore.Driver
	app *committer
	h   handler.Handler
	clk *fakeClock
}

func newCommitFixture() *commitFixture {
	clk := newFakeClock()
	d := memstore.NewDriver()
	s := driver.NewStore(d, store.WithClock(clk.Now), store.WithRetry(1, time.Millisecond, time.Millisecond))
	app := &committer{s: s}
	h := Idempotency(s, WithClock(clk.Now), IdempotencyLease(3*time.Second),
		IdempotencyPartition(func(*handler.Request) (string, error) { return "p", nil }))(app)
	return &commitFixture{d: d, app: app, h: h, clk: clk}
}

// Each case injects faults into the first request; the client then
// retries with the same key until it gets a 201, waiting out the lease
// when told 409. Every case ends with one effect, and every 201 the client
// saw names it.
func TestCommitIdempotentUnderFaults(t *testing.T) {
	for _, tc := range []struct {
		name   string
		inject func(d *memstore.Driver)
		first  int // status of the first answer
	}{
		{"no fault", func(*memstore.Driver) {}, 201},
		{"commit answer lost, resolved by reading", func(d *memstore.Driver) {
			d.LoseAnswerNext(memstore.OpAtomic, 1, store.ErrUnavailable)
		}, 201},
		{"commit refused, released", func(d *memstore.Driver) {
			d.FailNext(memstore.OpAtomic, 1, store.ErrUnavailable)
			d.FailNext(memstore.OpGet, 1, store.ErrUnavailable)
		}, 503},
		{"commit applied, answer and read lost: the fence finds it", func(d *memstore.Driver) {
			d.LoseAnswerNext(memstore.OpAtomic, 1, store.ErrUnavailable)
			d.FailNext(memstore.OpGet, 1, store.ErrUnavailable)
		}, 201},
		{"commit refused, store gone: key held until the lease ends", func(d *memstore.Driver) {
			d.FailNext(memstore.OpAtomic, 1, store.ErrUnavailable)
			d.FailNext(memstore.OpGet, 2, store.ErrUnavailable)
			d.FailNext(memstore.OpDelete, 1, store.ErrUnavailable)
		}, 503},
		{"commit applied, store gone: key held, then replayed", func(d *memstore.Driver) {
			d.LoseAnswerNext(memstore.OpAtomic, 1, store.ErrUnavailable)
			d.FailNext(memstore.OpGet, 2, store.ErrUnavailable)
			d.FailNext(memstore.OpDelete, 1, store.ErrUnavailable)
		}, 503},
		{"claim answer lost", func(d *memstore.Driver) {
			d.LoseAnswerNext(memstore.OpPut, 1, store.ErrUnavailable)
		}, 201},
		{"claim refused", func(d *memstore.Driver) {
			d.FailNext(memstore.OpPut, 1, store.ErrUnavailable)
			d.FailNext(memstore.OpGet, 1, store.ErrUnavailable)
		}, 503},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newCommitFixture()
			tc.inject(f.d)
			first := serve(f.h, post("k", "x"))
			wantStatus(t, first, tc.first)
			var created []string
			if first.Status == 201 {
				created = append(created, first.Header.Get("Location"))
			}
			for attempt := 0; ; attempt++ {
				if attempt == 5 {
					t.Fatal("no 201 after 5 retries")
				}
				resp := serve(f.h, post("k", "x"))
				if resp.Status == http.StatusConflict {
					if ra := resp.Header.Get("Retry-After"); ra == "" || ra > "3" {
						t.Fatalf("409 with Retry-After %q, want at most the 3 s lease", ra)
					}
					f.clk.Advance(3 * time.Second)
					continue
				}
				wantStatus(t, resp, 201)
				created = append(created, resp.Header.Get("Location"))
				break
			}
			if n := f.app.effects(t); n != 1 {
				t.Fatalf("%d effects, want 1 (the handler ran %d times)", n, f.app.calls.Load())
			}
			for _, loc := range created[1:] {
				if loc != created[0] {
					t.Fatalf("answers name %v, want one thing", created)
				}
			}
		})
	}
}

// deadlineStore records the deadline of every write's context.
type deadlineStore struct {
	store.Store
	mu        sync.Mutex
	deadlines []time.Time
}

func (s *deadlineStore) note(ctx context.Context) {
	dl, _ := ctx.Deadline()
	s.mu.Lock()
	s.deadlines = append(s.deadlines, dl)
	s.mu.Unlock()
}

func (s *deadlineStore) Put(ctx context.Context, it *store.Item, cond ...store.Condition) (store.Revision, error) {
	s.note(ctx)
	return s.Store.Put(ctx, it, cond...)
}

func (s *deadlineStore) Delete(ctx context.Context, k store.Key, cond ...store.Condition) error {
	s.note(ctx)
	return s.Store.Delete(ctx, k, cond...)
}

// The handler's context ends the reserve before the request's deadline,
// and the claim, the record and the release run within the request's
// deadline, never on a longer timeout of their own, even after the
// request's context was cancelled.
func TestIdempotencyBookkeepingWithinDeadline(t *testing.T) {
	s := &deadlineStore{Store: memstore.New()}
	var handlerDeadline time.Time
	fail := false
	h := Idempotency(s, IdempotencyReserve(time.Second))(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		handlerDeadline, _ = ctx.Deadline()
		if fail {
			return nil, store.Errorf(store.ErrUnavailable, "down")
		}
		return &handler.Response{Status: 201}, nil
	}))
	for _, failing := range []bool{false, true} {
		fail = failing
		s.deadlines = nil
		ctx, cancel := context.WithTimeout(quiet, time.Minute)
		dl, _ := ctx.Deadline()
		r := post("k-deadline", "x")
		if failing {
			r = post("k-deadline-2", "x")
		}
		handler.Serve(ctx, h, r)
		cancel()
		if !handlerDeadline.Equal(dl.Add(-time.Second)) {
			t.Errorf("failing %v: handler deadline %v, want the request's %v less the 1 s reserve", failing, handlerDeadline, dl)
		}
		if len(s.deadlines) != 2 {
			t.Fatalf("failing %v: %d writes, want the claim and the record or release", failing, len(s.deadlines))
		}
		for i, got := range s.deadlines {
			if !got.Equal(dl) {
				t.Errorf("failing %v: write %d ran under deadline %v, want the request's %v", failing, i, got, dl)
			}
		}
	}
}

// Without a claimed key, CommitIdempotent is an Atomic write.
func TestCommitIdempotentWithoutKey(t *testing.T) {
	s := memstore.New()
	app := &committer{s: s}
	h := Idempotency(s)(app)
	wantStatus(t, serve(h, post("", "x")), 201)
	wantStatus(t, serve(h, post("", "x")), 201)
	if n := app.effects(t); n != 2 {
		t.Fatalf("%d effects, want 2", n)
	}
}

// A handler that retries its commit on a revision conflict (as the to-do
// PATCH does) must not mistake an unresolved outcome for a conflict: the
// conflict it got may be its own earlier write landing. Here the commit's
// write conflicts and the read that would resolve it fails: the answer is
// a 503, and the handler's loop ends, instead of committing again on a
// claim that is no longer pending (which answered 500).
func TestCommitIdempotentUnresolvedConflictIsNotRetried(t *testing.T) {
	d := memstore.NewDriver()
	s := driver.NewStore(d, store.WithRetry(1, time.Millisecond, time.Millisecond))
	k := store.Key{Partition: "p", Sort: "0thing"}
	if _, err := s.Put(context.Background(), &store.Item{Key: k, Data: map[string]any{"v": int64(0)}}); err != nil {
		t.Fatal(err)
	}
	var rounds atomic.Int32
	h := Idempotency(s, IdempotencyPartition(func(*handler.Request) (string, error) { return "p", nil }))(
		handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
			for range 3 {
				rounds.Add(1)
				// A stale revision: the write conflicts.
				w := store.PutOp(&store.Item{Key: k, Data: map[string]any{"v": int64(1)}}, store.IfRevision("stale"))
				err := CommitIdempotent(ctx, s, []store.Write{w}, &handler.Response{Status: 200})
				if errors.Is(err, store.ErrRevisionMismatch) {
					d.FailNext(memstore.OpGet, 1, store.ErrUnavailable) // the next resolution fails
					continue
				}
				return nil, err
			}
			return nil, errors.New("three conflicts")
		}))
	resp := serve(h, post("k", "x"))
	wantStatus(t, resp, http.StatusServiceUnavailable)
	if n := rounds.Load(); n != 2 {
		t.Fatalf("the handler committed %d times, want 2 (a conflict, then an unresolved outcome)", n)
	}
}
