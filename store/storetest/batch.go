package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/anyfunc/anyfunc/store"
)

func init() {
	suite = append(suite,
		testCase{name: "ConcurrentIncrements", fn: testConcurrentIncrements},
		testCase{name: "ConcurrentUpdateItems", fn: testConcurrentUpdateItems},
		testCase{name: "ConcurrentCreates", fn: testConcurrentCreates},
		testCase{name: "GetMany", fn: testGetMany},
		testCase{name: "WriteMany", fn: testWriteMany},
		testCase{name: "Atomic", subs: []string{"Commit", "RollbackOnCondition", "RollbackOnMissingItem", "Limits"}, fn: testAtomic},
	)
}

// testConcurrentIncrements runs 64 goroutines that each add one to a
// counter by a revision-checked read-modify-write, retrying on conflict:
// the count must be exact.
func testConcurrentIncrements(t *testing.T, e *env) {
	const workers = 64
	k := store.Key{Partition: "race", Sort: "counter"}
	e.put(t, k, map[string]any{"n": 0})
	var wg sync.WaitGroup
	var mu sync.Mutex
	conflicts := 0
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for attempt := 0; ; attempt++ {
				if attempt > 10*workers {
					t.Errorf("worker %d: no success after %d attempts", w, attempt)
					return
				}
				it, err := e.s.Get(e.ctx, k)
				if err != nil {
					t.Errorf("worker %d: Get: %v", w, err)
					return
				}
				n, ok := it.Data["n"].(int64)
				if !ok {
					t.Errorf("worker %d: n is %s", w, show(it.Data["n"]))
					return
				}
				_, err = e.s.Update(e.ctx, k, []store.FieldOp{store.Set("n", n+1)}, store.IfRevision(it.Revision))
				if errors.Is(err, store.ErrRevisionMismatch) {
					mu.Lock()
					conflicts++
					mu.Unlock()
					continue
				}
				if err != nil {
					t.Errorf("worker %d: Update: %v", w, err)
				}
				return
			}
		}()
	}
	wg.Wait()
	if got := e.get(t, k).Data["n"]; got != int64(workers) {
		t.Errorf("after %d revision-checked increments (%d conflicts retried), n = %s", workers, conflicts, show(got))
	}
}

// testConcurrentUpdateItems runs 64 goroutines that each add one to a
// counter with one UpdateItem, without reading it first: each must get
// back its own count, 1 to 64, as a rate limiter relies on.
func testConcurrentUpdateItems(t *testing.T, e *env) {
	const workers = 64
	k := store.Key{Partition: "race", Sort: "updateitem"}
	e.put(t, k, map[string]any{"n": 0})
	counts := make([]int64, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			it, err := e.s.UpdateItem(e.ctx, k, []store.FieldOp{store.Increment("n", 1)})
			if err != nil {
				t.Errorf("worker %d: UpdateItem: %v", w, err)
				return
			}
			counts[w], _ = it.Data["n"].(int64)
		}()
	}
	wg.Wait()
	slices.Sort(counts)
	for i, n := range counts {
		if n != int64(i+1) {
			t.Fatalf("the %d increments returned the counts %v; want each of 1 to %d once", workers, counts, workers)
		}
	}
	if got := e.get(t, k).Data["n"]; got != int64(workers) {
		t.Errorf("after %d increments n = %s", workers, show(got))
	}
}

// testConcurrentCreates runs 32 IfNotExists creates of one key at once:
// exactly one wins.
func testConcurrentCreates(t *testing.T, e *env) {
	const writers = 32
	k := store.Key{Partition: "race", Sort: "create"}
	errs := make([]error, writers)
	revs := make([]store.Revision, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			revs[w], errs[w] = e.s.Put(e.ctx, &store.Item{Key: k, Data: map[string]any{"writer": w}}, store.IfNotExists())
		}()
	}
	wg.Wait()
	winner := -1
	for w, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Errorf("writers %d and %d both created the item", winner, w)
			}
			winner = w
		case !errors.Is(err, store.ErrAlreadyExists):
			t.Errorf("writer %d: %v; want ErrAlreadyExists", w, err)
		}
	}
	if winner < 0 {
		t.Fatal("no writer created the item")
	}
	it := e.get(t, k)
	if it.Data["writer"] != int64(winner) || it.Revision != revs[winner] {
		t.Errorf("the item holds writer %v at revision %q; the winner was %d at %q", it.Data["writer"], it.Revision, winner, revs[winner])
	}
}

// testGetMany reads 250 keys with duplicates and missing keys.
func testGetMany(t *testing.T, e *env) {
	const present = 150
	var writes []store.Write
	for i := range present {
		writes = append(writes, store.PutOp(&store.Item{Key: manyKey(i), Data: map[string]any{"i": i}}))
	}
	if err := e.s.WriteMany(e.ctx, writes); err != nil {
		t.Fatal(err)
	}
	// 150 present keys, 50 missing ones, 50 repeats, interleaved.
	var keys []store.Key
	var want []int // index of the item, -1 for missing
	for i := range 250 {
		switch i % 5 {
		case 3:
			keys, want = append(keys, manyKey(1000+i)), append(want, -1)
		case 4:
			j := (i * 7) % present
			keys, want = append(keys, manyKey(j)), append(want, j)
		default:
			j := i / 5 * 3
			j += i % 5
			keys, want = append(keys, manyKey(j)), append(want, j)
		}
	}
	got, err := e.s.GetMany(e.ctx, keys)
	if err != nil {
		t.Fatalf("GetMany: %v", err)
	}
	if len(got) != len(keys) {
		t.Fatalf("GetMany returned %d items for %d keys", len(got), len(keys))
	}
	for i, j := range want {
		switch {
		case j < 0 && got[i] != nil:
			t.Errorf("GetMany[%d] (missing key %v) returned %v", i, keys[i], got[i].Key)
		case j >= 0 && got[i] == nil:
			t.Errorf("GetMany[%d] (key %v) is missing", i, keys[i])
		case j >= 0 && (got[i].Key != keys[i] || got[i].Data["i"] != int64(j) || got[i].Revision == ""):
			t.Errorf("GetMany[%d] (key %v) returned %v with i=%v revision %q", i, keys[i], got[i].Key, got[i].Data["i"], got[i].Revision)
		}
	}
	// Repeated keys give independent items.
	first, second := -1, -1
	for i := range keys {
		for j := i + 1; j < len(keys) && first < 0; j++ {
			if keys[i] == keys[j] && got[i] != nil {
				first, second = i, j
			}
		}
	}
	if first < 0 {
		t.Fatal("the test has no repeated present key")
	}
	got[first].Data["i"] = "changed"
	if got[second].Data["i"] == "changed" {
		t.Errorf("GetMany returned one map for repeated keys %d and %d", first, second)
	}
	// No keys: no items.
	if got, err := e.s.GetMany(e.ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("GetMany(nil) = %v, %v", got, err)
	}
}

func manyKey(i int) store.Key {
	return store.Key{Partition: fmt.Sprintf("many-%d", i%7), Sort: fmt.Sprintf("k%04d", i)}
}

// testWriteMany checks that writes apply independently and that errors
// come back at their index.
func testWriteMany(t *testing.T, e *env) {
	k := func(s string) store.Key { return store.Key{Partition: "wm", Sort: s} }
	e.put(t, k("exists"), map[string]any{"v": 0})
	staleRev := e.put(t, k("stale"), map[string]any{"v": 0})
	e.put(t, k("stale"), map[string]any{"v": 1})
	e.put(t, k("doomed"), map[string]any{"v": 0})
	writes := []store.Write{
		store.PutOp(&store.Item{Key: k("new"), Data: map[string]any{"v": 1}}),
		store.PutOp(&store.Item{Key: k("exists"), Data: map[string]any{"v": 2}}, store.IfNotExists()),
		store.UpdateOp(k("exists"), []store.FieldOp{store.Increment("v", 5)}),
		store.UpdateOp(k("missing"), []store.FieldOp{store.Set("v", 1)}),
		store.DeleteOp(k("doomed")),
		store.PutOp(&store.Item{Key: k("stale"), Data: map[string]any{"v": 9}}, store.IfRevision(staleRev)),
		store.PutOp(&store.Item{Key: k("bad"), Data: map[string]any{"": 1}}),
		store.PutOp(&store.Item{Key: k("new2"), Data: map[string]any{"v": 2}}, store.IfNotExists()),
	}
	wantKinds := []error{nil, store.ErrAlreadyExists, nil, store.ErrNotFound, nil, store.ErrRevisionMismatch, store.ErrInvalidArgument, nil}
	err := e.s.WriteMany(e.ctx, writes)
	var be *store.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("WriteMany returned %v (%T); want a *store.BatchError", err, err)
	}
	if len(be.Errs) != len(writes) {
		t.Fatalf("BatchError has %d errors for %d writes", len(be.Errs), len(writes))
	}
	for i, kind := range wantKinds {
		wantErr(t, fmt.Sprintf("WriteMany[%d]", i), be.Errs[i], kind, "writemany")
	}
	equalData(t, "new", e.get(t, k("new")).Data, map[string]any{"v": int64(1)})
	equalData(t, "new2", e.get(t, k("new2")).Data, map[string]any{"v": int64(2)})
	equalData(t, "exists", e.get(t, k("exists")).Data, map[string]any{"v": int64(5)})
	equalData(t, "stale", e.get(t, k("stale")).Data, map[string]any{"v": int64(1)})
	e.wantMissing(t, k("doomed"))
	e.wantMissing(t, k("missing"))
	e.wantMissing(t, k("bad"))
	if err := e.s.WriteMany(e.ctx, nil); err != nil {
		t.Errorf("WriteMany(nil) = %v", err)
	}
	// Many writes across partitions, more than one request of any backend.
	var many []store.Write
	for i := range 120 {
		many = append(many, store.PutOp(&store.Item{Key: manyKey(i), Data: map[string]any{"i": i}}))
	}
	if err := e.s.WriteMany(e.ctx, many); err != nil {
		t.Fatalf("WriteMany of 120 puts: %v", err)
	}
	for i := range 120 {
		many[i] = store.DeleteOp(manyKey(i))
	}
	if err := e.s.WriteMany(e.ctx, many); err != nil {
		t.Fatalf("WriteMany of 120 deletes: %v", err)
	}
	page, err := e.s.Query(e.ctx, store.Query{Partition: manyKey(0).Partition})
	if err != nil || len(page.Items) != 0 {
		t.Errorf("after deleting every item, Query returns %d items, %v", len(page.Items), err)
	}
}

// testAtomic checks all-or-nothing writes.
func testAtomic(t *testing.T, e *env) {
	k := func(s string) store.Key { return store.Key{Partition: "atomic", Sort: s} }
	e.run(t, "Commit", func(t *testing.T) {
		e.put(t, k("c-upd"), map[string]any{"n": 1})
		e.put(t, k("c-del"), map[string]any{"n": 1})
		rev := e.put(t, k("c-rev"), map[string]any{"n": 1})
		err := e.s.Atomic(e.ctx, []store.Write{
			store.PutOp(&store.Item{Key: k("c-new"), Data: map[string]any{"n": 1}}, store.IfNotExists()),
			store.UpdateOp(k("c-upd"), []store.FieldOp{store.Increment("n", 1)}, store.IfExists()),
			store.DeleteOp(k("c-del")),
			store.PutOp(&store.Item{Key: k("c-rev"), Data: map[string]any{"n": 3}}, store.IfRevision(rev)),
		})
		if err != nil {
			t.Fatalf("Atomic: %v", err)
		}
		equalData(t, "c-new", e.get(t, k("c-new")).Data, map[string]any{"n": int64(1)})
		equalData(t, "c-upd", e.get(t, k("c-upd")).Data, map[string]any{"n": int64(2)})
		equalData(t, "c-rev", e.get(t, k("c-rev")).Data, map[string]any{"n": int64(3)})
		e.wantMissing(t, k("c-del"))
		if err := e.s.Atomic(e.ctx, nil); err != nil {
			t.Errorf("Atomic(nil) = %v", err)
		}
	})
	// setup writes the items a rolled-back call must leave unchanged.
	setup := func(t *testing.T, prefix string) map[store.Key]store.Revision {
		revs := map[store.Key]store.Revision{}
		for _, s := range []string{"upd", "del", "put"} {
			revs[k(prefix+s)] = e.put(t, k(prefix+s), map[string]any{"n": 1})
		}
		return revs
	}
	unchanged := func(t *testing.T, revs map[store.Key]store.Revision, created store.Key) {
		t.Helper()
		for key, rev := range revs {
			it, err := e.s.Get(e.ctx, key)
			if err != nil || it.Revision != rev || it.Data["n"] != int64(1) {
				t.Errorf("after a failed Atomic, %v is %v, %v; want it unchanged", key.Sort, it, err)
			}
		}
		e.wantMissing(t, created)
	}
	wantIndex := func(t *testing.T, err error, index int, kind error) {
		t.Helper()
		var oe *store.OpError
		if !errors.As(err, &oe) {
			t.Fatalf("Atomic returned %v (%T); want a *store.OpError", err, err)
		}
		if oe.Index != index {
			t.Errorf("Atomic failed at index %d (%v); want %d", oe.Index, err, index)
		}
		wantErr(t, "Atomic", err, kind, "atomic")
	}
	e.run(t, "RollbackOnCondition", func(t *testing.T) {
		revs := setup(t, "r-")
		err := e.s.Atomic(e.ctx, []store.Write{
			store.PutOp(&store.Item{Key: k("r-created"), Data: map[string]any{"n": 1}}),
			store.UpdateOp(k("r-upd"), []store.FieldOp{store.Increment("n", 1)}),
			store.DeleteOp(k("r-del")),
			store.PutOp(&store.Item{Key: k("r-put"), Data: map[string]any{"n": 2}}, store.IfRevision(revs[k("r-upd")])),
		})
		wantIndex(t, err, 3, store.ErrRevisionMismatch)
		unchanged(t, revs, k("r-created"))
		err = e.s.Atomic(e.ctx, []store.Write{
			store.UpdateOp(k("r-upd"), []store.FieldOp{store.Increment("n", 1)}),
			store.PutOp(&store.Item{Key: k("r-put"), Data: map[string]any{"n": 2}}, store.IfNotExists()),
			store.PutOp(&store.Item{Key: k("r-created"), Data: map[string]any{"n": 1}}),
		})
		wantIndex(t, err, 1, store.ErrAlreadyExists)
		unchanged(t, revs, k("r-created"))
	})
	e.run(t, "RollbackOnMissingItem", func(t *testing.T) {
		revs := setup(t, "m-")
		err := e.s.Atomic(e.ctx, []store.Write{
			store.DeleteOp(k("m-del")),
			store.PutOp(&store.Item{Key: k("m-created"), Data: map[string]any{"n": 1}}),
			store.UpdateOp(k("m-missing"), []store.FieldOp{store.Set("n", 1)}),
		})
		wantIndex(t, err, 2, store.ErrNotFound)
		unchanged(t, revs, k("m-created"))
		e.wantMissing(t, k("m-missing"))
	})
	e.run(t, "Limits", func(t *testing.T) {
		var writes []store.Write
		for i := range store.MaxAtomicWrites + 1 {
			writes = append(writes, store.PutOp(&store.Item{Key: k(fmt.Sprintf("l-%03d", i))}))
		}
		err := e.s.Atomic(e.ctx, writes)
		wantErr(t, "Atomic of 101 writes", err, store.ErrInvalidArgument, "atomic")
		err = e.s.Atomic(e.ctx, writes[:store.MaxAtomicWrites])
		if err != nil {
			t.Fatalf("Atomic of %d writes: %v", store.MaxAtomicWrites, err)
		}
		page, err := e.s.Query(e.ctx, store.Query{Partition: "atomic", Sort: store.SortHasPrefix("l-"), Limit: 200})
		if err != nil || len(page.Items) != store.MaxAtomicWrites {
			t.Errorf("after an Atomic of %d puts, Query finds %d items, %v", store.MaxAtomicWrites, len(page.Items), err)
		}
		err = e.s.Atomic(e.ctx, []store.Write{
			store.PutOp(&store.Item{Key: k("l-x")}),
			store.PutOp(&store.Item{Key: store.Key{Partition: "other", Sort: "l-x"}}),
		})
		wantIndex(t, err, 1, store.ErrInvalidArgument)
		err = e.s.Atomic(e.ctx, []store.Write{
			store.PutOp(&store.Item{Key: k("l-y")}),
			store.DeleteOp(k("l-y")),
		})
		wantIndex(t, err, 1, store.ErrInvalidArgument)
		e.wantMissing(t, k("l-x"))
		e.wantMissing(t, k("l-y"))
	})
}
