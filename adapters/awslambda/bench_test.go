package awslambda_test

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/anyfunc/anyfunc/handler"
)

// BenchmarkInvoke measures one invocation per event shape with a handler
// that answers a small JSON body. The comparison with other adapters is in
// internal/bench.
func BenchmarkInvoke(b *testing.B) {
	h := mustHandler(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		return &handler.Response{Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"ok":true}`)}, nil
	}))
	for _, name := range []string{v1Fixture, v2Fixture, albMVFixture, urlFixture} {
		payload := fixture(b, name)
		b.Run(filepath.Base(name), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(payload)))
			ctx := context.Background()
			for b.Loop() {
				if _, err := h.Invoke(ctx, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
