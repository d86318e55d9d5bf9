// Package otelmw is the OpenTelemetry middleware of anyfunc: traces and
// metrics of requests, messages, ticks and store calls. It is apart from
// package middleware so that programs that do not use OpenTelemetry do not
// link it.
//
// [Tracing] starts a server span per request, named by route, parented by
// the caller's traceparent, X-Amzn-Trace-Id (or the Lambda invocation's trace
// ID) or X-Cloud-Trace-Context; [InstrumentStore] makes store calls child
// spans. [Metrics] records request durations (count and percentiles), 5xx
// errors, in-flight requests and cold starts; InstrumentStore records store
// operation durations. Place them outermost, Tracing first:
//
//	h = handler.Chain(h, otelmw.Tracing(), otelmw.Metrics(), middleware.Logger(), cors, auth, ...)
//
// No exporter is forced on you: install an OpenTelemetry SDK with the
// exporter of your cloud, once, at start-up, for example
//
//	// AWS (ADOT collector layer / X-Ray): OTLP to the local collector
//	exp, _ := otlptracegrpc.New(ctx) // go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc
//	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithIDGenerator(xray.NewIDGenerator())))
//
//	// Google Cloud Trace: github.com/GoogleCloudPlatform/opentelemetry-operations-go/exporter/trace
//	exp, _ := texporter.New(texporter.WithProjectID(project))
//	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp)))
//
//	// Azure Monitor: OTLP to an OpenTelemetry Collector with the azuremonitor exporter
//	exp, _ := otlptracehttp.New(ctx) // go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp
//	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp)))
//
// and likewise otel.SetMeterProvider with the matching metric exporter.
//
// For message consumers and schedules (package handler/event):
// [TraceMessages] (a consumer span in the sender's trace), [TraceTicks],
// [MessageMetrics] and [TickMetrics]; install them with
// event.App.UseMessages and UseTicks.
//
// Linking this package also makes middleware.Logger, LogMessages and
// LogTicks log the IDs of the current span.
package otelmw
