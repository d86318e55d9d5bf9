package awsdynamodb

import (
	"fmt"
	"strings"
	"testing"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/driver"
)

// benchItem is a typical small document: a few scalars, a list, a nested
// map.
func benchItem() *store.Item {
	data := map[string]any{
		"title": "write the DynamoDB backend", "done": false, "priority": int64(3),
		"score": 0.75, "tags": []any{"go", "aws", "store"}, "owner": map[string]any{"id": "u-1", "name": "Ada"},
	}
	for i := range 10 {
		data[fmt.Sprintf("f%d", i)] = strings.Repeat("v", 20)
	}
	return &store.Item{Key: store.Key{Partition: "user-1", Sort: "todo-1"}, Data: data}
}

func BenchmarkEncodeItem(b *testing.B) {
	it := benchItem()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encodeItem(it, "rev"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeItem(b *testing.B) {
	av, err := encodeItem(benchItem(), "rev")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeItem(av); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetMany reads 250 keys from moto: 3 BatchGetItem requests.
func BenchmarkGetMany(b *testing.B) {
	d := newDriver(b)
	s := driver.NewStore(d)
	var keys []store.Key
	var writes []store.Write
	for i := range 250 {
		k := store.Key{Partition: "b", Sort: fmt.Sprintf("%03d", i)}
		keys = append(keys, k)
		writes = append(writes, store.PutOp(&store.Item{Key: k, Data: benchItem().Data}))
	}
	if err := s.WriteMany(ctx, writes); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.GetMany(ctx, keys); err != nil {
			b.Fatal(err)
		}
	}
}
