package otelmw_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/anyfunc/anyfunc/handler/middleware/internal/obs"
)

// TestTraceParentMatchesOTel checks that the logger's own traceparent
// parser (package middleware links no OpenTelemetry) accepts and refuses
// the same headers as OpenTelemetry's TraceContext propagator.
func TestTraceParentMatchesOTel(t *testing.T) {
	for _, tp := range []string{
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
		"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
		"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"00-00000000000000000000000000000000-00f067aa0ba902b7-01",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
		"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
		"00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
		"zz-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"",
	} {
		want := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), propagation.MapCarrier{"traceparent": tp}))
		got := obs.ParseTraceParent(tp)
		if got.IsValid() != want.IsValid() {
			t.Errorf("%q: valid %v, OpenTelemetry says %v", tp, got.IsValid(), want.IsValid())
			continue
		}
		if got.IsValid() && (got.TraceID != [16]byte(want.TraceID()) || got.SpanID != [8]byte(want.SpanID()) || got.Sampled != want.IsSampled()) {
			t.Errorf("%q: %+v, OpenTelemetry says %v", tp, got, want)
		}
	}
}
