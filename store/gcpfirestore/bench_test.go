package gcpfirestore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/driver"
	"github.com/anyfunc/anyfunc/store/gcpfirestore"
)

// BenchmarkUpdate measures a read-modify-write counter increment against
// the emulator, with the document cache (one Commit) and without it (a
// BatchGetDocuments and a Commit).
func BenchmarkUpdate(b *testing.B) {
	for _, bc := range []struct {
		name string
		size int
	}{{"cache=on", gcpfirestore.DefaultCacheSize}, {"cache=off", 0}} {
		b.Run(bc.name, func(b *testing.B) {
			s := driver.NewStore(newDriver(b, gcpfirestore.WithCacheSize(bc.size)))
			ctx := context.Background()
			k := store.Key{Partition: "bench", Sort: "counter"}
			if _, err := s.Put(ctx, &store.Item{Key: k, Data: map[string]any{"n": 0, "title": "a counter"}}); err != nil {
				b.Fatal(err)
			}
			ops := []store.FieldOp{store.Increment("n", 1)}
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.Update(ctx, k, ops); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGetPut measures the one-RPC operations against the emulator.
func BenchmarkGetPut(b *testing.B) {
	s := driver.NewStore(newDriver(b))
	ctx := context.Background()
	k := store.Key{Partition: "bench", Sort: "item"}
	it := &store.Item{Key: k, Data: map[string]any{"title": "write docs", "done": false, "tags": []any{"a", "b"}}}
	if _, err := s.Put(ctx, it); err != nil {
		b.Fatal(err)
	}
	b.Run("op=get", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Get(ctx, k); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("op=put", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Put(ctx, it); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("op=query25", func(b *testing.B) {
		var ws []store.Write
		for i := range 25 {
			ws = append(ws, store.PutOp(&store.Item{Key: store.Key{Partition: "q", Sort: fmt.Sprint(i)}, Data: it.Data}))
		}
		if err := s.WriteMany(ctx, ws); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for b.Loop() {
			if _, err := s.Query(ctx, store.Query{Partition: "q", Limit: 25}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
