package memstore_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/driver"
	"github.com/anyfunc/anyfunc/store/memstore"
)

func ExampleNew() {
	ctx := context.Background()
	s := memstore.New()
	rev, _ := s.Put(ctx, &store.Item{Key: store.Key{Partition: "user-1", Sort: "todo-1"}, Data: map[string]any{"title": "buy milk"}})
	it, _ := s.Get(ctx, store.Key{Partition: "user-1", Sort: "todo-1"})
	fmt.Println(it.Data["title"], it.Revision == rev)
	// Output: buy milk true
}

// A fake clock expires items without waiting.
func ExampleWithClock() {
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	s := memstore.New(memstore.WithClock(func() time.Time { return now }))
	key := store.Key{Partition: "sessions", Sort: "abc"}
	_, _ = s.Put(ctx, &store.Item{Key: key, ExpiresAt: now.Add(time.Hour)})

	_, err := s.Get(ctx, key)
	fmt.Println("before:", err)
	now = now.Add(time.Hour)
	_, err = s.Get(ctx, key)
	fmt.Println("after:", errors.Is(err, store.ErrNotFound))
	// Output:
	// before: <nil>
	// after: true
}

// FailNext makes the store behave like a throttled cloud database: the
// portable Store retries, and gives up after its attempts.
func ExampleDriver_FailNext() {
	ctx := context.Background()
	d := memstore.NewDriver()
	s := driver.NewStore(d, store.WithRetry(3, time.Millisecond, time.Millisecond))
	key := store.Key{Partition: "p", Sort: "k"}

	d.FailNext(memstore.OpPut, 2, store.ErrThrottled)
	_, err := s.Put(ctx, &store.Item{Key: key})
	fmt.Println("two throttles, three attempts:", err)

	d.FailNext(memstore.OpPut, 3, store.ErrThrottled)
	_, err = s.Put(ctx, &store.Item{Key: key})
	fmt.Println("three throttles:", errors.Is(err, store.ErrThrottled))
	// Output:
	// two throttles, three attempts: <nil>
	// three throttles: true
}
