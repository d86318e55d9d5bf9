package otelmw_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/trace"

	"github.com/anyfunc/anyfunc/handler/event"
	"github.com/anyfunc/anyfunc/handler/middleware/otelmw"
)

func eventLogLines(t *testing.T, b *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func TestTraceMessages(t *testing.T) {
	rec, tp := newTracing(t)
	var inside trace.SpanContext
	h := event.ChainMessages(event.MessageHandlerFunc(func(ctx context.Context, m *event.Message) error {
		if m.ID == "m1" {
			inside = trace.SpanContextFromContext(ctx)
		}
		if m.ID == "bad" {
			return errors.New("nope")
		}
		return nil
	}), otelmw.TraceMessages(otelmw.WithTracerProvider(tp)))
	xray := "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	_ = h.HandleMessage(context.Background(), &event.Message{ID: "m1", Queue: "arn:aws:sqs:r:1:todo-events", DeliveryCount: 2, Attributes: map[string]string{"AWSTraceHeader": xray}})
	_ = h.HandleMessage(context.Background(), &event.Message{ID: "bad", Queue: "q"})
	spans := rec.Ended()
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	s := spans[0]
	if s.Name() != "process todo-events" || s.SpanKind() != trace.SpanKindConsumer || s.Parent().TraceID().String() != "5759e988bd862e3fe1be46a994272793" || s.Parent().SpanID().String() != "53995c3f42cd8ad8" {
		t.Errorf("span %s kind %v parent %v", s.Name(), s.SpanKind(), s.Parent())
	}
	if inside.TraceID().String() != "5759e988bd862e3fe1be46a994272793" {
		t.Errorf("the handler's context is not in the sender's trace: %v", inside.TraceID())
	}
	if spans[1].Status().Code.String() != "Error" || spans[1].Parent().IsValid() {
		t.Errorf("failed span status %v, parent %v", spans[1].Status(), spans[1].Parent())
	}
	tk := event.ChainTicks(event.ScheduleHandlerFunc(func(context.Context, *event.Tick) error { return nil }), otelmw.TraceTicks(otelmw.WithTracerProvider(tp)))
	_ = tk.HandleTick(context.Background(), &event.Tick{Schedule: "repair"})
	if spans := rec.Ended(); len(spans) != 3 || spans[2].Name() != "tick repair" {
		t.Errorf("tick span missing: %d spans", len(spans))
	}
}

func TestMessageMetrics(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	h := event.ChainMessages(event.MessageHandlerFunc(func(_ context.Context, m *event.Message) error {
		if m.ID == "bad" {
			return errors.New("nope")
		}
		return nil
	}), otelmw.MessageMetrics(otelmw.WithMeterProvider(mp)))
	for _, id := range []string{"a", "b", "bad"} {
		_ = h.HandleMessage(context.Background(), &event.Message{ID: id, Queue: "q"})
	}
	tk := event.ChainTicks(event.ScheduleHandlerFunc(func(context.Context, *event.Tick) error { return nil }), otelmw.TickMetrics(otelmw.WithMeterProvider(mp)))
	_ = tk.HandleTick(context.Background(), &event.Tick{Schedule: "s"})
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					counts[m.Name] += p.Value
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					counts[m.Name] += int64(p.Count)
				}
			}
		}
	}
	if counts["messaging.process.duration"] != 3 || counts["messaging.process.failures"] != 1 || counts["schedule.tick.duration"] != 1 {
		t.Errorf("metrics %v", counts)
	}
}

// TestInjectTraceParent checks the W3C traceparent a sender attaches for
// the span in its context, and that nothing is added without one.
func TestInjectTraceParent(t *testing.T) {
	tid, _ := trace.TraceIDFromHex("0af7651916cd43dd8448eb211c80319c")
	sid, _ := trace.SpanIDFromHex("b7ad6b7169203331")
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))
	attrs := otelmw.InjectTraceParent(ctx, nil)
	if got := attrs["traceparent"]; got != "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" {
		t.Errorf("InjectTraceParent = %q", got)
	}
	if got := otelmw.InjectTraceParent(context.Background(), nil); got != nil {
		t.Errorf("InjectTraceParent without a span = %v, want nil", got)
	}
}
