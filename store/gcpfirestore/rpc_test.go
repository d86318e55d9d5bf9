package gcpfirestore_test

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	pb "cloud.google.com/go/firestore/apiv1/firestorepb"
	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/driver"
	"github.com/anyfunc/anyfunc/store/gcpfirestore"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// rpcCounter counts the RPCs that cross the client's connection, unary and
// streaming, by method name.
type rpcCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *rpcCounter) add(method string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = make(map[string]int)
	}
	c.n[path.Base(method)]++
}

// take returns the counts since the last call, as "Method×n" sorted by
// name, and resets them.
func (c *rpcCounter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.n
	c.n = nil
	if out == nil {
		out = map[string]int{}
	}
	return out
}

func (c *rpcCounter) dialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			c.add(method)
			return invoker(ctx, method, req, reply, cc, opts...)
		}),
		grpc.WithChainStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			c.add(method)
			return streamer(ctx, desc, cc, method, opts...)
		}),
	}
}

// countingStore opens a Store whose client counts its RPCs.
func countingStore(t *testing.T) (store.Store, *rpcCounter) {
	t.Helper()
	c := &rpcCounter{}
	d := newDriver(t, gcpfirestore.WithGRPCDialOptions(c.dialOptions()...))
	return driver.NewStore(d), c
}

func expectRPCs(t *testing.T, c *rpcCounter, what string, want map[string]int) {
	t.Helper()
	got := c.take()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: RPCs %v, want %v", what, got, want)
	}
}

// TestRoundTrips counts the RPCs each operation sends.
func TestRoundTrips(t *testing.T) {
	s, c := countingStore(t)
	ctx := context.Background()
	k := store.Key{Partition: "p", Sort: "a"}
	commit1 := map[string]int{"Commit": 1}
	get1 := map[string]int{"BatchGetDocuments": 1}

	rev, err := s.Put(ctx, &store.Item{Key: k, Data: map[string]any{"n": 1}})
	if err != nil {
		t.Fatal(err)
	}
	expectRPCs(t, c, "Put", commit1)

	if _, err := s.Get(ctx, k); err != nil {
		t.Fatal(err)
	}
	expectRPCs(t, c, "Get", get1)

	if rev, err = s.Put(ctx, &store.Item{Key: k, Data: map[string]any{"n": 2}}, store.IfRevision(rev)); err != nil {
		t.Fatal(err)
	}
	expectRPCs(t, c, "Put IfRevision", commit1)

	if _, err := s.Put(ctx, &store.Item{Key: store.Key{Partition: "p", Sort: "new"}}, store.IfNotExists()); err != nil {
		t.Fatal(err)
	}
	expectRPCs(t, c, "Put IfNotExists", commit1)

	if _, err := s.Update(ctx, k, []store.FieldOp{store.Increment("n", 1)}); err != nil {
		t.Fatal(err)
	}
	expectRPCs(t, c, "Update of a document just written", commit1)

	if _, err := s.Update(ctx, k, []store.FieldOp{store.Increment("n", 1)}); err != nil {
		t.Fatal(err)
	}
	expectRPCs(t, c, "Update of a document just updated", commit1)
	if it, err := s.Get(ctx, k); err != nil || it.Data["n"] != int64(4) {
		t.Fatalf("after two increments of 2: %v, %v", it, err)
	}
	c.take()

	if err := s.Delete(ctx, k); err != nil {
		t.Fatal(err)
	}
	expectRPCs(t, c, "Delete", commit1)

	var writes []store.Write
	var keys []store.Key
	for i := range 250 {
		k := store.Key{Partition: "q", Sort: fmt.Sprintf("%03d", i)}
		keys = append(keys, k)
		writes = append(writes, store.PutOp(&store.Item{Key: k, Data: map[string]any{"i": i}}))
	}
	if err := s.WriteMany(ctx, writes); err != nil {
		t.Fatal(err)
	}
	expectRPCs(t, c, "WriteMany of 250 puts", commit1)

	items, err := s.GetMany(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	if items[249] == nil || items[249].Data["i"] != int64(249) {
		t.Fatalf("GetMany: last item %v", items[249])
	}
	expectRPCs(t, c, "GetMany of 250 keys", map[string]int{"BatchGetDocuments": 3})

	page, err := s.Query(ctx, store.Query{Partition: "q", Sort: store.SortHasPrefix("1"), Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 50 || page.Next == "" {
		t.Fatalf("Query: %d items, next %q", len(page.Items), page.Next)
	}
	expectRPCs(t, c, "Query page", map[string]int{"RunQuery": 1})
	page, err = s.Query(ctx, store.Query{Partition: "q", Sort: store.SortHasPrefix("1"), Limit: 50, Cursor: page.Next})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 50 || page.Items[0].Key.Sort != "150" || page.Next != "" {
		t.Fatalf("Query page 2: %d items from %q, next %q", len(page.Items), page.Items[0].Key.Sort, page.Next)
	}
	expectRPCs(t, c, "Query last page", map[string]int{"RunQuery": 1})

	if err := s.Atomic(ctx, []store.Write{store.DeleteOp(keys[0]), store.PutOp(&store.Item{Key: keys[1]})}); err != nil {
		t.Fatal(err)
	}
	expectRPCs(t, c, "Atomic", commit1)
}

// TestConflictMapping checks the conditions that the emulator enforces
// through preconditions, one RPC each when the outcome is known without a
// read.
func TestConflictMapping(t *testing.T) {
	s, c := countingStore(t)
	ctx := context.Background()
	k := store.Key{Partition: "p", Sort: "a"}
	if _, err := s.Put(ctx, &store.Item{Key: k}); err != nil {
		t.Fatal(err)
	}
	c.take()
	_, err := s.Put(ctx, &store.Item{Key: k}, store.IfNotExists())
	if !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("IfNotExists on a present item: %v", err)
	}
	if code := status.Code(errors.Unwrap(err)); code != codes.AlreadyExists {
		t.Errorf("the error wraps %v (code %v), not the gRPC AlreadyExists error", errors.Unwrap(err), code)
	}
	expectRPCs(t, c, "failed IfNotExists", map[string]int{"Commit": 1, "BatchGetDocuments": 1})

	_, err = s.Put(ctx, &store.Item{Key: k}, store.IfRevision("12345"))
	if !errors.Is(err, store.ErrRevisionMismatch) {
		t.Fatalf("IfRevision(stale): %v", err)
	}
	_, err = s.Put(ctx, &store.Item{Key: k}, store.IfRevision("not a revision"))
	if !errors.Is(err, store.ErrRevisionMismatch) {
		t.Fatalf("IfRevision(garbage): %v", err)
	}
}

// TestUpdateWithoutCache counts the RPCs of an Update of a document the
// driver has not seen: a read and a commit.
func TestUpdateWithoutCache(t *testing.T) {
	c := &rpcCounter{}
	s := driver.NewStore(newDriver(t, gcpfirestore.WithCacheSize(0), gcpfirestore.WithGRPCDialOptions(c.dialOptions()...)))
	ctx := context.Background()
	k := store.Key{Partition: "p"}
	if _, err := s.Put(ctx, &store.Item{Key: k, Data: map[string]any{"n": 1}}); err != nil {
		t.Fatal(err)
	}
	c.take()
	if _, err := s.Update(ctx, k, []store.FieldOp{store.Increment("n", 1)}); err != nil {
		t.Fatal(err)
	}
	expectRPCs(t, c, "Update", map[string]int{"BatchGetDocuments": 1, "Commit": 1})
	if _, err := s.Put(ctx, &store.Item{Key: k}, store.IfExists()); err != nil {
		t.Fatal(err)
	}
	expectRPCs(t, c, "Put IfExists", map[string]int{"BatchGetDocuments": 1, "Commit": 1})
}

// TestStaleCache has two drivers over one collection, as two processes
// would: writes planned from a cache entry the other made stale must
// neither lose the other's write nor fail.
func TestStaleCache(t *testing.T) {
	coll := newCollection()
	ca, cb := &rpcCounter{}, &rpcCounter{}
	a := driver.NewStore(newDriverIn(t, coll, gcpfirestore.WithGRPCDialOptions(ca.dialOptions()...)))
	b := driver.NewStore(newDriverIn(t, coll, gcpfirestore.WithGRPCDialOptions(cb.dialOptions()...)))
	ctx := context.Background()
	k := store.Key{Partition: "p", Sort: "counter"}
	if _, err := a.Put(ctx, &store.Item{Key: k, Data: map[string]any{"n": 0, "by": "a"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Update(ctx, k, []store.FieldOp{store.Increment("n", 10), store.Set("by", "b")}); err != nil {
		t.Fatal(err)
	}
	// a's cache holds n=0: its commit fails, it reads, and commits again.
	ca.take()
	if _, err := a.Update(ctx, k, []store.FieldOp{store.Increment("n", 1)}); err != nil {
		t.Fatal(err)
	}
	expectRPCs(t, ca, "Update from a stale cache", map[string]int{"BatchGetDocuments": 1, "Commit": 2})
	it, err := b.Get(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	if it.Data["n"] != int64(11) || it.Data["by"] != "b" {
		t.Fatalf("after +10 by b and +1 by a: %v", it.Data)
	}

	// a caches n as a string; b makes it a number again; a's Increment,
	// which its cache would refuse, must succeed.
	if _, err := a.Update(ctx, k, []store.FieldOp{store.Set("n", "eleven")}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Update(ctx, k, []store.FieldOp{store.Set("n", 11)}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Update(ctx, k, []store.FieldOp{store.Increment("n", 1)}); err != nil {
		t.Fatalf("Increment after another process made the field a number again: %v", err)
	}
	if err := a.WriteMany(ctx, []store.Write{store.UpdateOp(k, []store.FieldOp{store.Set("n", "twelve")})}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Update(ctx, k, []store.FieldOp{store.Set("n", 12)}); err != nil {
		t.Fatal(err)
	}
	if err := a.WriteMany(ctx, []store.Write{store.UpdateOp(k, []store.FieldOp{store.Increment("n", 1)})}); err != nil {
		t.Fatalf("WriteMany Increment after another process made the field a number again: %v", err)
	}
	if it, err = b.Get(ctx, k); err != nil || it.Data["n"] != int64(13) {
		t.Fatalf("n = %v (%v), want 13", it, err)
	}

	// A revision that a's cache does not know (b read it) is still honoured.
	if _, err := a.Update(ctx, k, []store.FieldOp{store.Set("by", "a")}, store.IfRevision(it.Revision)); err != nil {
		t.Fatalf("Update with b's current revision through a: %v", err)
	}
	// And b's stale revision fails, even though b's cache still has it.
	if _, err := b.Update(ctx, k, []store.FieldOp{store.Set("by", "b")}, store.IfRevision(it.Revision)); !errors.Is(err, store.ErrRevisionMismatch) {
		t.Fatalf("Update with a stale revision: %v", err)
	}
	// b deletes; a's cache still holds the item: IfExists must fail.
	if err := b.Delete(ctx, k); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Put(ctx, &store.Item{Key: k}, store.IfExists()); !errors.Is(err, store.ErrRevisionMismatch) {
		t.Fatalf("Put IfExists after another process deleted the item: %v", err)
	}
	if _, err := a.Update(ctx, k, []store.FieldOp{store.Set("x", 1)}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Update after another process deleted the item: %v", err)
	}
}

// TestConcurrentBlindIncrements runs unconditional Increments from 32
// goroutines through two drivers (two processes' worth of caches): every
// lost race is re-read and committed again, so none is lost.
func TestConcurrentBlindIncrements(t *testing.T) {
	coll := newCollection()
	stores := []store.Store{
		driver.NewStore(newDriverIn(t, coll)),
		driver.NewStore(newDriverIn(t, coll)),
	}
	ctx := context.Background()
	k := store.Key{Partition: "race", Sort: "blind"}
	if _, err := stores[0].Put(ctx, &store.Item{Key: k, Data: map[string]any{"n": 0}}); err != nil {
		t.Fatal(err)
	}
	const workers = 32
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := stores[w%2].Update(ctx, k, []store.FieldOp{store.Increment("n", 1)}); err != nil {
				t.Errorf("worker %d: %v", w, err)
			}
		}()
	}
	wg.Wait()
	it, err := stores[1].Get(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	if it.Data["n"] != int64(workers) {
		t.Fatalf("after %d increments n = %v", workers, it.Data["n"])
	}
}

// TestAmbiguousCommit checks that a Commit which the emulator applied but
// whose answer was lost (Unavailable) is not sent again: the second
// attempt would meet its own write, so that a create would report
// ErrAlreadyExists and an increment would count twice. The write fails
// with ErrUnavailable and the document holds it once.
func TestAmbiguousCommit(t *testing.T) {
	var mu sync.Mutex
	lose, commits := false, 0
	d := newDriver(t, gcpfirestore.WithGRPCDialOptions(grpc.WithChainUnaryInterceptor(
		func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			err := invoker(ctx, method, req, reply, cc, opts...)
			if path.Base(method) != "Commit" {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			commits++
			if err == nil && lose {
				lose = false
				return status.Error(codes.Unavailable, "injected: the answer was lost")
			}
			return err
		})))
	s := driver.NewStore(d)
	ctx := context.Background()
	k := store.Key{Partition: "amb", Sort: "a"}
	loseNext := func() {
		mu.Lock()
		defer mu.Unlock()
		lose, commits = true, 0
	}
	sent := func() int {
		mu.Lock()
		defer mu.Unlock()
		return commits
	}

	loseNext()
	_, err := s.Put(ctx, &store.Item{Key: k, Data: map[string]any{"n": 1}}, store.IfNotExists())
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("create whose answer was lost: %v; want ErrUnavailable, not a conflict", err)
	}
	if n := sent(); n != 1 {
		t.Errorf("the create was committed %d times; want once", n)
	}

	loseNext()
	_, err = s.Update(ctx, k, []store.FieldOp{store.Increment("n", 1)})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("increment whose answer was lost: %v; want ErrUnavailable", err)
	}
	if it, err := s.Get(ctx, k); err != nil || it.Data["n"] != int64(2) {
		t.Errorf("after one increment: %+v, %v; want n 2", it, err)
	}
}

// TestAmbiguousWriteMany checks that a batched Commit of WriteMany which
// failed without proving that nothing was applied is not sent again, one
// write at a time: each write of the batch fails with ErrUnavailable, and
// none is applied twice. A commit refused as a whole (Aborted) is sent
// again one write at a time.
func TestAmbiguousWriteMany(t *testing.T) {
	type fault int
	const (
		none    fault = iota
		lose          // forward the commit, then answer Unavailable
		refuse        // answer Unavailable without forwarding
		abortIt       // answer Aborted without forwarding
	)
	var mu sync.Mutex
	next, commits := none, 0
	d := newDriver(t, gcpfirestore.WithGRPCDialOptions(grpc.WithChainUnaryInterceptor(
		func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			if path.Base(method) != "Commit" {
				return invoker(ctx, method, req, reply, cc, opts...)
			}
			mu.Lock()
			commits++
			f := none
			if len(req.(*pb.CommitRequest).GetWrites()) > 1 {
				f, next = next, none
			}
			mu.Unlock()
			switch f {
			case refuse:
				return status.Error(codes.Unavailable, "injected: connection reset")
			case abortIt:
				return status.Error(codes.Aborted, "injected: contention")
			}
			err := invoker(ctx, method, req, reply, cc, opts...)
			if err == nil && f == lose {
				return status.Error(codes.Unavailable, "injected: the answer was lost")
			}
			return err
		})))
	s := driver.NewStore(d)
	ctx := context.Background()
	inject := func(f fault) {
		mu.Lock()
		defer mu.Unlock()
		next, commits = f, 0
	}
	sent := func() int {
		mu.Lock()
		defer mu.Unlock()
		return commits
	}
	counter := store.Key{Partition: "amb", Sort: "counter"}
	pinned := store.Key{Partition: "amb", Sort: "pinned"}
	if _, err := s.Put(ctx, &store.Item{Key: counter, Data: map[string]any{"n": 0}}); err != nil {
		t.Fatal(err)
	}
	rev, err := s.Put(ctx, &store.Item{Key: pinned, Data: map[string]any{"v": 0}})
	if err != nil {
		t.Fatal(err)
	}
	get := func(k store.Key) *store.Item {
		t.Helper()
		it, err := s.Get(ctx, k)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		return it
	}
	n := 0 // the increments applied so far
	batch := func(round int) []store.Write {
		return []store.Write{
			store.UpdateOp(counter, []store.FieldOp{store.Increment("n", 1)}),
			store.PutOp(&store.Item{Key: store.Key{Partition: "amb", Sort: fmt.Sprint("new", round)}}, store.IfNotExists()),
			store.PutOp(&store.Item{Key: pinned, Data: map[string]any{"v": round}}, store.IfRevision(rev)),
			store.PutOp(&store.Item{Key: store.Key{Partition: "amb", Sort: fmt.Sprint("plain", round)}}),
		}
	}
	// check asserts that the batch of round was applied (once) or not.
	check := func(what string, round int, applied bool) {
		t.Helper()
		if applied {
			n++
		}
		if it := get(counter); it.Data["n"] != int64(n) {
			t.Errorf("%s: counter %v; want %d (applied once)", what, it.Data["n"], n)
		}
		for _, sort := range []string{"new", "plain"} {
			if it := get(store.Key{Partition: "amb", Sort: fmt.Sprint(sort, round)}); (it != nil) != applied {
				t.Errorf("%s: item %s%d present %v; want %v", what, sort, round, it != nil, applied)
			}
		}
		it := get(pinned)
		if want := int64(round); !applied {
			if it.Revision != rev {
				t.Errorf("%s: the IfRevision write was applied", what)
			}
		} else if it.Data["v"] != want {
			t.Errorf("%s: pinned item %v; want v %d", what, it.Data, want)
		}
		rev = it.Revision
	}
	wantAll := func(what string, err error, kind error) {
		t.Helper()
		var be *store.BatchError
		if !errors.As(err, &be) || len(be.Errs) != 4 {
			t.Fatalf("%s: %v; want a BatchError of 4", what, err)
		}
		for i, err := range be.Errs {
			if !errors.Is(err, kind) {
				t.Errorf("%s: write %d: %v; want %v", what, i, err, kind)
			}
		}
	}

	inject(lose)
	wantAll("commit applied, answer lost", s.WriteMany(ctx, batch(1)), store.ErrUnavailable)
	if c := sent(); c != 1 {
		t.Errorf("commit applied, answer lost: %d commits; want 1 (no write sent again)", c)
	}
	check("commit applied, answer lost", 1, true)

	inject(refuse)
	wantAll("commit not sent", s.WriteMany(ctx, batch(2)), store.ErrUnavailable)
	if c := sent(); c != 1 {
		t.Errorf("commit not sent: %d commits; want 1", c)
	}
	check("commit not sent", 2, false)

	inject(abortIt)
	if err := s.WriteMany(ctx, batch(3)); err != nil {
		t.Errorf("commit aborted: %v; want each write sent again on its own", err)
	}
	if c := sent(); c != 5 {
		t.Errorf("commit aborted: %d commits; want the batch and one per write", c)
	}
	check("commit aborted", 3, true)
}

// TestMissingDatabase checks that NotFound for the database itself (as
// production Firestore answers when the database or the project does not
// exist; the emulator creates databases on use) is ErrUnavailable, at
// once: not ErrNotFound for a read, and not a conflict that writes re-read
// and retry until they fail with ErrThrottled.
func TestMissingDatabase(t *testing.T) {
	const msg = "The database (default) does not exist for project anyfunc-test Please visit https://console.cloud.google.com/datastore/setup?project=anyfunc-test to add a Cloud Datastore or Cloud Firestore database."
	c := &rpcCounter{}
	d := newDriver(t, gcpfirestore.WithGRPCDialOptions(
		grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			c.add(method)
			return status.Error(codes.NotFound, msg)
		}),
		grpc.WithChainStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			c.add(method)
			return nil, status.Error(codes.NotFound, msg)
		}),
	))
	// Without the portable Store's retries, to count one call's RPCs.
	s := driver.NewStore(d, store.WithRetry(1, time.Millisecond, time.Millisecond))
	ctx := context.Background()
	k := store.Key{Partition: "p", Sort: "a"}
	commit1 := map[string]int{"Commit": 1}
	get1 := map[string]int{"BatchGetDocuments": 1}
	for _, tc := range []struct {
		what string
		call func() error
		rpcs map[string]int
	}{
		{"Put", func() error { _, err := s.Put(ctx, &store.Item{Key: k}); return err }, commit1},
		{"Put IfNotExists", func() error { _, err := s.Put(ctx, &store.Item{Key: k}, store.IfNotExists()); return err }, commit1},
		{"Delete", func() error { return s.Delete(ctx, k) }, commit1},
		{"Update", func() error { _, err := s.Update(ctx, k, []store.FieldOp{store.Set("x", 1)}); return err }, get1},
		{"Atomic", func() error { return s.Atomic(ctx, []store.Write{store.PutOp(&store.Item{Key: k})}) }, commit1},
		{"Get", func() error { _, err := s.Get(ctx, k); return err }, get1},
		{"GetMany", func() error { _, err := s.GetMany(ctx, []store.Key{k}); return err }, get1},
		{"Query", func() error { _, err := s.Query(ctx, store.Query{Partition: "p"}); return err }, map[string]int{"RunQuery": 1}},
	} {
		c.take()
		if err := tc.call(); !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s: %v; want ErrUnavailable", tc.what, err)
		}
		expectRPCs(t, c, tc.what, tc.rpcs)
	}

	c.take()
	err := s.WriteMany(ctx, []store.Write{store.PutOp(&store.Item{Key: k}), store.DeleteOp(store.Key{Partition: "p", Sort: "b"})})
	var be *store.BatchError
	if !errors.As(err, &be) || len(be.Errs) != 2 || !errors.Is(be.Errs[0], store.ErrUnavailable) || !errors.Is(be.Errs[1], store.ErrUnavailable) {
		t.Errorf("WriteMany: %v; want ErrUnavailable for each write", err)
	}
	expectRPCs(t, c, "WriteMany", commit1)
}

// TestOneRetryLayer counts the Commit and BatchGetDocuments RPCs one
// throttled Put and one throttled Get cost: the store's attempts, one RPC
// each. The client used to re-send a throttled Commit itself (with a
// backoff up to a minute) under each of the store's attempts.
func TestOneRetryLayer(t *testing.T) {
	var commits, gets atomic.Int64
	throttle := func(method string) bool {
		switch path.Base(method) {
		case "Commit":
			commits.Add(1)
			return true
		case "BatchGetDocuments":
			gets.Add(1)
			return true
		}
		return false
	}
	d := newDriver(t, gcpfirestore.WithCacheSize(0), gcpfirestore.WithGRPCDialOptions(
		grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			if throttle(method) {
				return status.Error(codes.ResourceExhausted, "injected: quota exceeded")
			}
			return invoker(ctx, method, req, reply, cc, opts...)
		}),
		grpc.WithChainStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			if throttle(method) {
				return nil, status.Error(codes.ResourceExhausted, "injected: quota exceeded")
			}
			return streamer(ctx, desc, cc, method, opts...)
		})))
	s := driver.NewStore(d, store.WithRetry(5, time.Millisecond, time.Millisecond))
	ctx := context.Background()
	k := store.Key{Partition: "retry", Sort: "a"}
	if _, err := s.Put(ctx, &store.Item{Key: k, Data: map[string]any{"n": 1}}); !errors.Is(err, store.ErrThrottled) {
		t.Fatalf("Put: %v, want ErrThrottled", err)
	}
	if n := commits.Load(); n != 5 {
		t.Errorf("one throttled Put sent %d Commits, want 5 (the store's attempts)", n)
	}
	if _, err := s.Get(ctx, k); !errors.Is(err, store.ErrThrottled) {
		t.Fatalf("Get: %v, want ErrThrottled", err)
	}
	if n := gets.Load(); n != 5 {
		t.Errorf("one throttled Get sent %d BatchGetDocuments, want 5 (the store's attempts)", n)
	}
}
