package otelmw

import (
	"context"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/event"
	"github.com/anyfunc/anyfunc/handler/middleware/internal/obs"
)

// init lets package middleware's loggers (Logger, LogMessages, LogTicks)
// log the IDs of the current OpenTelemetry span: they read it through
// obs.Current, which is empty unless this package is linked.
func init() {
	obs.Current = func(ctx context.Context) obs.SpanContext {
		sc := trace.SpanContextFromContext(ctx)
		if !sc.IsValid() {
			return obs.SpanContext{}
		}
		return obs.SpanContext{TraceID: sc.TraceID(), SpanID: sc.SpanID(), Sampled: sc.IsSampled()}
	}
}

// inbound is obs.Inbound with a W3C traceparent read by OpenTelemetry's
// own propagator, which keeps its tracestate.
func inbound(ctx context.Context, r *handler.Request) trace.SpanContext {
	if len(r.Header["Traceparent"]) > 0 {
		sc := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(ctx, propagation.HeaderCarrier(r.Header)))
		if sc.IsValid() {
			return sc
		}
	}
	return fromObs(obs.Inbound(ctx, r))
}

// messageParent is the span context a message carries: the current span,
// else the sender's traceparent (or SQS AWSTraceHeader), read by
// OpenTelemetry's propagator.
func messageParent(ctx context.Context, m *event.Message) trace.SpanContext {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		return sc
	}
	if tp := m.TraceParent(); tp != "" {
		return trace.SpanContextFromContext(propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{"traceparent": tp}))
	}
	return trace.SpanContext{}
}

// fromObs returns sc as a remote OpenTelemetry span context.
func fromObs(sc obs.SpanContext) trace.SpanContext {
	if !sc.IsValid() {
		return trace.SpanContext{}
	}
	cfg := trace.SpanContextConfig{TraceID: sc.TraceID, SpanID: sc.SpanID, Remote: true}
	if sc.Sampled {
		cfg.TraceFlags = trace.FlagsSampled
	}
	return trace.NewSpanContext(cfg)
}
