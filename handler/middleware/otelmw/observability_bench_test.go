package otelmw_test

import (
	"context"
	"io"
	"net/http"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/adapterkit"
	"github.com/anyfunc/anyfunc/handler/middleware"
	"github.com/anyfunc/anyfunc/handler/middleware/otelmw"
)

// BenchmarkObservability measures what Tracing (SDK tracer, no-op
// exporter), Metrics (SDK meter, manual reader) and Logger (to io.Discard)
// add to a routed request, against the bare router; observed-noop-sdk is
// the same chain on OTel's no-op providers.
func BenchmarkObservability(b *testing.B) {
	app := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		return &handler.Response{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"ok":true}`)}, nil
	})
	r := handler.NewRouter()
	r.Handle("GET /items/{id}", app)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(tracetest.NewNoopExporter()))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	// The SDK installed, the request's span not sampled (a sampling ratio
	// below 1 leaves most requests so).
	tpUnsampled := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()), sdktrace.WithSyncer(tracetest.NewNoopExporter()))
	ctx := adapterkit.ContextWithInvocation(context.Background(), &handler.Invocation{Platform: "aws-lambda", ID: "inv"})
	for _, bc := range []struct {
		name string
		h    handler.Handler
	}{
		{"bare", r},
		{"observed", handler.Chain(r, otelmw.Tracing(otelmw.WithTracerProvider(tp)),
			otelmw.Metrics(otelmw.WithMeterProvider(mp)), middleware.Logger(middleware.LogTo(io.Discard)))},
		{"observed-unsampled", handler.Chain(r, otelmw.Tracing(otelmw.WithTracerProvider(tpUnsampled)),
			otelmw.Metrics(otelmw.WithMeterProvider(mp)), middleware.Logger(middleware.LogTo(io.Discard)))},
		// OpenTelemetry's part alone: Tracing and Metrics without the log
		// line.
		{"otel-only", handler.Chain(r, otelmw.Tracing(otelmw.WithTracerProvider(tp)), otelmw.Metrics(otelmw.WithMeterProvider(mp)))},
		{"otel-only-unsampled", handler.Chain(r, otelmw.Tracing(otelmw.WithTracerProvider(tpUnsampled)), otelmw.Metrics(otelmw.WithMeterProvider(mp)))},
		// Each middleware alone, to tell their shares apart.
		{"tracing-only", handler.Chain(r, otelmw.Tracing(otelmw.WithTracerProvider(tp)))},
		{"tracing-only-unsampled", handler.Chain(r, otelmw.Tracing(otelmw.WithTracerProvider(tpUnsampled)))},
		{"metrics-only", handler.Chain(r, otelmw.Metrics(otelmw.WithMeterProvider(mp)))},
		{"tracing-only-noop", handler.Chain(r, otelmw.Tracing(otelmw.WithTracerProvider(tracenoop.NewTracerProvider())))},
		{"metrics-only-noop", handler.Chain(r, otelmw.Metrics(otelmw.WithMeterProvider(metricnoop.NewMeterProvider())))},
		{"logger-only", handler.Chain(r, middleware.Logger(middleware.LogTo(io.Discard)))},
		// What a program that installs no OTel SDK pays: the API's no-op
		// providers (OTel's default), and the log line.
		{"observed-noop-sdk", handler.Chain(r, otelmw.Tracing(otelmw.WithTracerProvider(tracenoop.NewTracerProvider())),
			otelmw.Metrics(otelmw.WithMeterProvider(metricnoop.NewMeterProvider())), middleware.Logger(middleware.LogTo(io.Discard)))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := &handler.Request{Method: "GET", Path: "/items/42", Header: http.Header{}, RequestID: "req-1"}
			b.ReportAllocs()
			start := cpuTime()
			for i := 0; i < b.N; i++ {
				req.Pattern = ""
				if _, err := bc.h.ServeRequest(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
			// The process's CPU time per request: steadier than sec/op on
			// a loaded machine.
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the process's user + system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSDKFloor is what the OpenTelemetry SDK itself costs per
// request under BenchmarkObservability's providers, whatever the
// middleware around it does: a sampled server span with the eight
// attributes Tracing sets, an unsampled one, an up-down counter's Add
// (Metrics makes two per request, for active requests), a histogram's
// Record with a cached attribute set (one per request), and the clock
// reads of time.Now and time.Since.
func BenchmarkSDKFloor(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(tracetest.NewNoopExporter()))
	tpUnsampled := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()), sdktrace.WithSyncer(tracetest.NewNoopExporter()))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	meter := mp.Meter("bench")
	active, _ := meter.Int64UpDownCounter("a")
	hist, _ := meter.Float64Histogram("h", metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10))
	recordOpts := []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(attribute.String("http.request.method", "GET"),
		attribute.String("http.route", "/items/{id}"), attribute.Int("http.response.status_code", 200)))}
	startOpts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer)}
	ctx := context.Background()
	span := func(tp trace.TracerProvider) func() {
		tracer := tp.Tracer("bench")
		return func() {
			_, span := tracer.Start(ctx, "GET", startOpts...)
			if span.IsRecording() {
				span.SetName("GET /items/{id}")
				span.SetAttributes(
					attribute.String("http.request.method", "GET"),
					attribute.String("http.route", "/items/{id}"),
					attribute.String("url.path", "/items/42"),
					attribute.String("client.address", ""),
					attribute.String("user_agent.original", ""),
					attribute.Int("http.response.status_code", 200),
					attribute.Bool("faas.coldstart", false),
					attribute.String("faas.invocation_id", "inv"))
			}
			span.End()
		}
	}
	var sink time.Duration
	for _, bc := range []struct {
		name string
		f    func()
	}{
		{"span-sampled", span(tp)},
		{"span-unsampled", span(tpUnsampled)},
		{"updown-add", func() { active.Add(ctx, 1) }},
		{"histogram-record", func() { hist.Record(ctx, 0.001, recordOpts...) }},
		{"now-since", func() { sink += time.Since(time.Now()) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			start := cpuTime()
			for i := 0; i < b.N; i++ {
				bc.f()
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		})
	}
}
