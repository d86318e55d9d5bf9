package middleware

import (
	"context"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/anyfunc/anyfunc/handler"
)

// instrumentationName names this package's tracer and meter.
const instrumentationName = "github.com/anyfunc/anyfunc/handler/middleware"

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
	serverKind := trace.WithSpanKind(trace.SpanKindServer)
	return func(next handler.Handler) handler.Handler {
		return handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (resp *handler.Response, err error) {
			if sc := inboundSpanContext(ctx, r); sc.IsValid() {
				ctx = trace.ContextWithRemoteSpanContext(ctx, sc)
			}
			method := methodOf(r)
			ctx, span := tracer.Start(ctx, method, serverKind)
			status := 500 // a panic is answered 500
			defer func() {
				route := routeOf(r)
				if route != "" {
					span.SetName(method + " " + route)
				}
				// All attributes in one call: the SDK grows its slice
				// once per call.
				attrs := [8]attribute.KeyValue{
					attribute.String("http.request.method", method),
					attribute.String("http.route", route),
					attribute.String("url.path", r.Path),
					attribute.String("client.address", r.RemoteAddr),
					attribute.String("user_agent.original", r.Header.Get("User-Agent")),
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
			status = statusOf(resp, err)
			return resp, err
		})
	}
}

// statusOf returns the status a response or error will be answered with.
func statusOf(resp *handler.Response, err error) int {
	if err != nil {
		if s := handler.AsError(err).Status; s != 0 {
			return s
		}
		return 500
	}
	return resp.StatusCode()
}

// methodOf returns r's method as spans and metrics record it: "GET" for
// an empty one and "_OTHER" for one that is not a standard HTTP method, so
// that clients cannot make up span names or metric attribute values (the
// HTTP semantic conventions' rule).
func methodOf(r *handler.Request) string {
	switch r.Method {
	case "":
		return http.MethodGet
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return r.Method
	}
	return "_OTHER"
}

// routeOf returns the path part of the matched pattern ("/todos/{id}"), or
// "" when no route matched.
func routeOf(r *handler.Request) string {
	p := r.Pattern
	if i := strings.IndexByte(p, '/'); i > 0 {
		p = p[i:]
	}
	return p
}
