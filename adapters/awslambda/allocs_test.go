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
	h := awslambda.NewHandler(handler.HandlerFunc(func(context.Context, *handler.Request) (*handler.Response, error) {
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
