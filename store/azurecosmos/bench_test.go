package azurecosmos

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/store"
)

// BenchmarkCodec measures the translation of a typical item to its stored
// JSON and back, the work the driver adds to each request.
func BenchmarkCodec(b *testing.B) {
	it := &store.Item{
		Key: store.Key{Partition: "user-123", Sort: "todo/2026-11-22/abc"},
		Data: map[string]any{
			"title": "buy milk", "done": false, "n": int64(42), "big": int64(1 << 60), "f": 0.5,
			"tags": []any{"a", "b"}, "meta": map[string]any{"by": "me", "at": int64(1700000000)},
		},
		ExpiresAt: time.Unix(1900000000, 0),
	}
	now := time.Unix(1800000000, 0)
	b.ReportAllocs()
	for b.Loop() {
		raw, err := json.Marshal(encodeDoc(it, now))
		if err != nil {
			b.Fatal(err)
		}
		dc, err := decodeDoc(raw)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := dc.item(); err != nil {
			b.Fatal(err)
		}
	}
}
