package awslambda_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/anyfunc/anyfunc/adapters/awslambda"
	"github.com/anyfunc/anyfunc/handler"
)

// TestInvokeAllocations guards the allocation budget of one invocation:
// decoding the event, the request, its headers, the context values and the
// encoded response. The handler allocates nothing itself.
func TestInvokeAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts (sync.Pool drops entries)")
	}
	resp := &handler.Response{Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"ok":true}`)}
	h := mustHandler(handler.HandlerFunc(func(context.Context, *handler.Request) (*handler.Response, error) {
		return resp, nil
	}))
	budgets := map[string]float64{v2Fixture: 9, urlFixture: 14, albMVFixture: 15, v1Fixture: 34}
	for name, budget := range budgets {
		payload := fixture(t, name)
		ctx := context.Background()
		got := testing.AllocsPerRun(200, func() {
			if _, err := h.Invoke(ctx, payload); err != nil {
				t.Fatal(err)
			}
		})
		t.Logf("%s: %v allocations", name, got)
		if got > budget {
			t.Errorf("%s: %v allocations per invocation, budget %v", name, got, budget)
		}
	}
}

// TestInvokeAllocationsBasePath checks that a BasePath costs no
// allocation: a REST API's stage is a substring of requestContext.path and
// WithBasePath's prefix is escaped once, when the option is made.
func TestInvokeAllocationsBasePath(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts (sync.Pool drops entries)")
	}
	resp := &handler.Response{Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"ok":true}`)}
	var base string
	serve := handler.HandlerFunc(func(_ context.Context, r *handler.Request) (*handler.Response, error) {
		base = r.BasePath
		return resp, nil
	})
	for _, tc := range []struct {
		name    string
		payload []byte
		opts    []awslambda.Option
		base    string
		budget  float64
	}{
		{"rest-stage", modify(t, v1Fixture, nil, map[string]any{"path": "/testStage/hello/world"}), nil, "/testStage", 34},
		{"v2-base-path", modify(t, v2Fixture, map[string]any{"rawPath": "/v1/x"}, nil),
			[]awslambda.Option{awslambda.WithBasePath("/v1")}, "/v1", 9},
	} {
		h := mustHandler(serve, tc.opts...)
		ctx := context.Background()
		got := testing.AllocsPerRun(200, func() {
			if _, err := h.Invoke(ctx, tc.payload); err != nil {
				t.Fatal(err)
			}
		})
		t.Logf("%s: %v allocations", tc.name, got)
		if base != tc.base {
			t.Errorf("%s: BasePath = %q, want %q", tc.name, base, tc.base)
		}
		if got > tc.budget {
			t.Errorf("%s: %v allocations per invocation, budget %v", tc.name, got, tc.budget)
		}
	}
}
