package memstore_test

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/driver"
	"github.com/anyfunc/anyfunc/store/memstore"
)

// benchDoc is a typical small document (a to-do item).
func benchDoc(i int) map[string]any {
	return map[string]any{
		"title": "buy milk and bread", "done": i%2 == 0, "due": "2026-11-22", "n": int64(i),
		"tags": []any{"home", "shopping"},
		"meta": map[string]any{"created": int64(1763769600), "by": "user-42"},
	}
}

const benchKeys = 1024

var benchKeyList = func() []store.Key {
	keys := make([]store.Key, benchKeys)
	for i := range keys {
		keys[i] = store.Key{Partition: "user-42", Sort: "todo-" + strconv.Itoa(i)}
	}
	return keys
}()

func benchKey(i int) store.Key { return benchKeyList[i%benchKeys] }

// mapStore is the baseline: a map behind a sync.RWMutex that copies
// documents in and out as memstore does.
type mapStore struct {
	mu sync.RWMutex
	m  map[store.Key]map[string]any
}

func (s *mapStore) Get(k store.Key) map[string]any {
	s.mu.RLock()
	d := s.m[k]
	s.mu.RUnlock()
	return driver.CloneData(d)
}

func (s *mapStore) Put(k store.Key, d map[string]any) {
	c := driver.CloneData(d)
	s.mu.Lock()
	s.m[k] = c
	s.mu.Unlock()
}

// measureCPU reports the process's CPU time per operation as "cpu-ns/op"
// when the benchmark ends: unlike ns/op, it does not count time spent
// waiting for a CPU on a loaded machine.
func measureCPU(b *testing.B) {
	start := processCPU()
	b.Cleanup(func() {
		if used := processCPU() - start; used > 0 && b.N > 0 {
			b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	})
}

// BenchmarkMemstore compares memstore's Get and Put, through the portable
// Store, with the baseline map doing the same copies.
func BenchmarkMemstore(b *testing.B) {
	ctx := context.Background()
	docs := make([]map[string]any, benchKeys)
	for i := range docs {
		docs[i] = benchDoc(i)
	}
	b.Run("Get/impl=memstore", func(b *testing.B) {
		s := memstore.New()
		for i := range benchKeys {
			if _, err := s.Put(ctx, &store.Item{Key: benchKey(i), Data: docs[i]}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		b.ResetTimer()
		measureCPU(b)
		for i := 0; i < b.N; i++ {
			if _, err := s.Get(ctx, benchKey(i)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Get/impl=map", func(b *testing.B) {
		s := &mapStore{m: map[store.Key]map[string]any{}}
		for i := range benchKeys {
			s.Put(benchKey(i), docs[i])
		}
		b.ReportAllocs()
		b.ResetTimer()
		measureCPU(b)
		for i := 0; i < b.N; i++ {
			if s.Get(benchKey(i)) == nil {
				b.Fatal("missing")
			}
		}
	})
	b.Run("Put/impl=memstore", func(b *testing.B) {
		s := memstore.New()
		b.ReportAllocs()
		b.ResetTimer()
		measureCPU(b)
		for i := 0; i < b.N; i++ {
			if _, err := s.Put(ctx, &store.Item{Key: benchKey(i), Data: docs[i%benchKeys]}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Put/impl=map", func(b *testing.B) {
		s := &mapStore{m: map[store.Key]map[string]any{}}
		b.ReportAllocs()
		b.ResetTimer()
		measureCPU(b)
		for i := 0; i < b.N; i++ {
			s.Put(benchKey(i), docs[i%benchKeys])
		}
	})
}
