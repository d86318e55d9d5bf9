package memstore_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/store/driver"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/memstore"
	"github.com/anyfunc/anyfunc/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) driver.Driver { return memstore.NewDriver() })
}

func TestFailNext(t *testing.T) {
	ctx := context.Background()
	d := memstore.NewDriver()
	k := store.Key{Partition: "p"}
	d.FailNext(memstore.OpGet, 1, store.ErrThrottled)
	d.FailNext(memstore.OpGet, 1, store.ErrUnavailable)
	if _, err := d.Get(ctx, k); !errors.Is(err, store.ErrThrottled) || store.RetryAfter(err) <= 0 {
		t.Errorf("first Get: %v; want ErrThrottled with a RetryAfter", err)
	}
	if _, err := d.Get(ctx, k); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("second Get: %v; want ErrUnavailable", err)
	}
	if _, err := d.Get(ctx, k); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("third Get: %v; want ErrNotFound (no fault left)", err)
	}
	// Faults of one operation leave the others alone.
	d.FailNext(memstore.OpDelete, 1, store.ErrUnavailable)
	if _, err := d.Put(ctx, &store.Item{Key: k}, store.Condition{}, time.Now()); err != nil {
		t.Errorf("Put with a Delete fault queued: %v", err)
	}
	errs := d.WriteMany(ctx, []store.Write{store.DeleteOp(k), store.DeleteOp(k)}, time.Now())
	if errs != nil {
		t.Errorf("WriteMany with a Delete fault queued: %v", errs)
	}
	d.FailNext(memstore.OpWriteMany, 1, store.ErrThrottled)
	errs = d.WriteMany(ctx, []store.Write{store.DeleteOp(k), store.DeleteOp(k)}, time.Now())
	if len(errs) != 2 || !errors.Is(errs[0], store.ErrThrottled) || !errors.Is(errs[1], store.ErrThrottled) {
		t.Errorf("WriteMany with a fault: %v; want ErrThrottled for each write", errs)
	}
	if err := d.Delete(ctx, k, store.Condition{}, time.Now()); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Delete: %v; want the queued ErrUnavailable", err)
	}
}

func TestLoseAnswerNext(t *testing.T) {
	ctx := context.Background()
	d := memstore.NewDriver()
	s := driver.NewStore(d)
	k := store.Key{Partition: "p", Sort: "a"}
	d.LoseAnswerNext(memstore.OpPut, 1, store.ErrUnavailable)
	if _, err := s.Put(ctx, &store.Item{Key: k, Data: map[string]any{"v": 1}}); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Put with its answer lost: %v; want ErrUnavailable", err)
	}
	if it, err := s.Get(ctx, k); err != nil || it.Data["v"] != int64(1) {
		t.Fatalf("the Put whose answer was lost was not applied: %v, %v", it, err)
	}
	// A call that fails on its own keeps its error.
	d.LoseAnswerNext(memstore.OpPut, 1, store.ErrUnavailable)
	if _, err := s.Put(ctx, &store.Item{Key: k}, store.IfNotExists()); !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("refused Put with a lost-answer fault: %v; want ErrAlreadyExists", err)
	}
	k2 := store.Key{Partition: "p", Sort: "b"}
	d.LoseAnswerNext(memstore.OpAtomic, 1, store.ErrUnavailable)
	err := s.Atomic(ctx, []store.Write{store.DeleteOp(k), store.PutOp(&store.Item{Key: k2, Data: map[string]any{}})})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Atomic with its answer lost: %v", err)
	}
	if _, err := s.Get(ctx, k); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Atomic not applied: %v", err)
	}
	d.LoseAnswerNext(memstore.OpDelete, 1, store.ErrUnavailable)
	if err := s.Delete(ctx, k2); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Delete with its answer lost: %v", err)
	}
	if _, err := s.Get(ctx, k2); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Delete not applied: %v", err)
	}
	// A read has nothing to apply: the fault fails it.
	d.LoseAnswerNext(memstore.OpGet, 1, store.ErrUnavailable)
	if _, err := d.Get(ctx, k2); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Get with a lost-answer fault: %v", err)
	}
}

func TestCopies(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	k := store.Key{Partition: "p"}
	data := map[string]any{"m": map[string]any{"x": 1}, "l": []any{1}}
	if _, err := s.Put(ctx, &store.Item{Key: k, Data: data}); err != nil {
		t.Fatal(err)
	}
	data["m"].(map[string]any)["x"] = 2
	a, _ := s.Get(ctx, k)
	a.Data["l"].([]any)[0] = "changed"
	page, _ := s.Query(ctx, store.Query{Partition: "p"})
	page.Items[0].Data["m"].(map[string]any)["x"] = "changed"
	items, _ := s.GetMany(ctx, []store.Key{k})
	items[0].Data["new"] = true
	b, _ := s.Get(ctx, k)
	want := map[string]any{"m": map[string]any{"x": int64(1)}, "l": []any{int64(1)}}
	if !reflect.DeepEqual(b.Data, want) {
		t.Errorf("stored data changed through a caller's map: %v", b.Data)
	}
}

func TestCloseKeepsData(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, "mem://close-test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, &store.Item{Key: store.Key{Partition: "p"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, _ := store.Open(ctx, "mem://close-test")
	if _, err := s2.Get(ctx, store.Key{Partition: "p"}); err != nil {
		t.Errorf("after Close, a store of the same name lost the item: %v", err)
	}
	if c := s.Capabilities(); c.Backend != "memstore" || len(c.Limitations) != 0 {
		t.Errorf("Capabilities() = %+v", c)
	}
}

func TestOpenURLParameters(t *testing.T) {
	ctx := context.Background()
	a, err := store.Open(ctx, "mem://ensure-test?ensure=1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := store.Open(ctx, "mem://ensure-test")
	if err != nil || a != b {
		t.Errorf("ensure=1 opened another store (%v)", err)
	}
	for _, bad := range []string{"mem://x?ensure=0", "mem://x?region=eu", "mem://x?ensure=1&ensure=1"} {
		if _, err := store.Open(ctx, bad); !errors.Is(err, store.ErrInvalidArgument) {
			t.Errorf("%s: err = %v, want ErrInvalidArgument", bad, err)
		}
	}
}
