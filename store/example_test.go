package store_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/anyfunc/anyfunc/store"
	_ "github.com/anyfunc/anyfunc/store/memstore" // registers mem://
)

func Example() {
	ctx := context.Background()
	s, err := store.Open(ctx, "mem://example-todos")
	if err != nil {
		panic(err)
	}
	key := store.Key{Partition: "user-1", Sort: "todo-1"}

	// Create the item only if it does not exist yet.
	rev, err := s.Put(ctx, &store.Item{Key: key, Data: map[string]any{"title": "buy milk", "done": false}}, store.IfNotExists())
	if err != nil {
		panic(err)
	}
	_, err = s.Put(ctx, &store.Item{Key: key, Data: map[string]any{"title": "again"}}, store.IfNotExists())
	fmt.Println("second create:", errors.Is(err, store.ErrAlreadyExists))

	// Update it, but only if nobody changed it since we wrote it.
	if _, err := s.Update(ctx, key, []store.FieldOp{store.Set("done", true)}, store.IfRevision(rev)); err != nil {
		panic(err)
	}
	_, err = s.Update(ctx, key, []store.FieldOp{store.Set("done", false)}, store.IfRevision(rev))
	fmt.Println("stale update:", errors.Is(err, store.ErrRevisionMismatch))

	it, err := s.Get(ctx, key)
	if err != nil {
		panic(err)
	}
	fmt.Println(it.Data["title"], it.Data["done"])
	// Output:
	// second create: true
	// stale update: true
	// buy milk true
}

func ExampleStore_Query() {
	ctx := context.Background()
	s, err := store.Open(ctx, "mem://example-query")
	if err != nil {
		panic(err)
	}
	for i, title := range []string{"a", "b", "c", "d", "e"} {
		item := &store.Item{Key: store.Key{Partition: "user-1", Sort: fmt.Sprintf("todo-%d", i)}, Data: map[string]any{"title": title}}
		if _, err := s.Put(ctx, item); err != nil {
			panic(err)
		}
	}
	// Read the partition two items at a time, newest first.
	q := store.Query{Partition: "user-1", Descending: true, Limit: 2}
	for {
		page, err := s.Query(ctx, q)
		if err != nil {
			panic(err)
		}
		for _, it := range page.Items {
			fmt.Print(it.Data["title"], " ")
		}
		fmt.Println("|")
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next // opaque; tied to this query
	}
	// Output:
	// e d |
	// c b |
	// a |
}

func ExampleStore_Atomic() {
	ctx := context.Background()
	s, err := store.Open(ctx, "mem://example-atomic")
	if err != nil {
		panic(err)
	}
	acct := func(id string) store.Key { return store.Key{Partition: "bank", Sort: id} }
	_, _ = s.Put(ctx, &store.Item{Key: acct("alice"), Data: map[string]any{"balance": 100}})

	// Both writes happen, or neither: bob does not exist, so the
	// transfer fails at index 1 and alice keeps her money.
	err = s.Atomic(ctx, []store.Write{
		store.UpdateOp(acct("alice"), []store.FieldOp{store.Increment("balance", -30)}),
		store.UpdateOp(acct("bob"), []store.FieldOp{store.Increment("balance", 30)}),
	})
	var oe *store.OpError
	fmt.Println(errors.As(err, &oe), oe.Index, errors.Is(err, store.ErrNotFound))
	it, _ := s.Get(ctx, acct("alice"))
	fmt.Println(it.Data["balance"])
	// Output:
	// true 1 true
	// 100
}
