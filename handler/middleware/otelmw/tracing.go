package otelmw

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/middleware/internal/obs"
)

// instrumentationName names this package's tracer and meter.
const instrumentationName = "github.com/anyfunc/anyfunc/handler/middleware/otelmw"

// TracingOption configures Tracing.
type TracingOption func(*tracingConfig)

type tracingConfig struct {
	tp trace.TracerProvider
}

// WithTracerProvider sets the tracer provider; the default is the global
// one (otel.GetTracerProvider()), which does nothing until the program
// installs an SDK.
func WithTracerProvider(tp trace.TracerProvider) TracingOption {
	return func(c *tracingConfig) { c.tp = tp }
}

// Tracing starts an OpenTelemetry server span for each request, named by
// the matched route ("GET /todos/{id}"), with HTTP semantic-convention
// attributes (and faas.coldstart and faas.invocation_id when the adapter
// reports the invocation), and puts it in the handler's context so that store calls and
// logs join the trace.
//
// The span's parent is the caller's trace as the platform delivers it: a
// W3C traceparent header, else X-Amzn-Trace-Id (header, or the Lambda
// invocation's trace ID), else X-Cloud-Trace-Context. Responses of 500 and
// above mark the span as an error. Place Tracing outside Logger and Metrics
// so that they see the span.
func Tracing(opts ...TracingOption) handler.Middleware {
	c := tracingConfig{}
	for _, o := range opts {
		o(&c)
	}
	if c.tp == nil {
		c.tp = otel.GetTracerProvider()
	}
	tracer := c.tp.Tracer(instrumentationName)
	// The options as the slice Start takes: passing them one by one would
	// allocate that slice on every request.
	startOpts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer)}
	return func(next handler.Handler) handler.Handler {
		return handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (resp *handler.Response, err error) {
			if sc := inbound(ctx, r); sc.IsValid() {
				ctx = trace.ContextWithRemoteSpanContext(ctx, sc)
			}
			method := obs.MethodOf(r)
			ctx, span := tracer.Start(ctx, method, startOpts...)
			status := 500 // a panic is answered 500
			defer func() {
				if !span.IsRecording() {
					// Not sampled: nothing set on the span is kept.
					span.End()
					return
				}
				route := obs.RouteOf(r)
				if p := r.Pattern; route != "" {
					if len(p) > len(method) && p[len(method)] == ' ' && p[:len(method)] == method {
						span.SetName(p) // "GET /todos/{id}" as registered: no new string
					} else {
						span.SetName(method + " " + route)
					}
				}
				// All attributes in one call: the SDK grows its slice
				// once per call.
				attrs := [8]attribute.KeyValue{
					attribute.String("http.request.method", method),
					attribute.String("http.route", route),
					attribute.String("url.path", r.Path),
					attribute.String("client.address", r.RemoteAddr),
					attribute.String("user_agent.original", userAgent(r)),
					attribute.Int("http.response.status_code", status),
				}
				n := 6
				if inv, ok := handler.InvocationFrom(ctx); ok {
					attrs[6] = attribute.Bool("faas.coldstart", inv.ColdStart)
					attrs[7] = attribute.String("faas.invocation_id", inv.ID)
					n = 8
				}
				span.SetAttributes(attrs[:n]...)
				if status >= 500 {
					span.SetStatus(codes.Error, "")
					if err != nil {
						span.RecordError(err)
					}
				}
				span.End()
			}()
			resp, err = next.ServeRequest(ctx, r)
			status = obs.StatusOf(resp, err)
			return resp, err
		})
	}
}

// userAgent is r.Header.Get("User-Agent"): the name is canonical, so
// indexing finds the same without canonicalising it again.
func userAgent(r *handler.Request) string {
	if v := r.Header["User-Agent"]; len(v) > 0 {
		return v[0]
	}
	return ""
}
