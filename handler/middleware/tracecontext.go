package middleware

import (
	"context"
	"encoding/hex"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/anyfunc/anyfunc/handler"
)

// inboundSpanContext returns the caller's span context as the platform
// delivered it: a W3C traceparent header, else AWS X-Ray's X-Amzn-Trace-Id
// (the header, or the Lambda invocation's trace header), else Google's
// X-Cloud-Trace-Context. It returns an invalid SpanContext when there is
// none or it cannot be parsed.
func inboundSpanContext(ctx context.Context, r *handler.Request) trace.SpanContext {
	if len(r.Header["Traceparent"]) > 0 {
		sc := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(ctx, propagation.HeaderCarrier(r.Header)))
		if sc.IsValid() {
			return sc
		}
	}
	if v := r.Header.Get("X-Amzn-Trace-Id"); v != "" {
		if sc := parseXRay(v); sc.IsValid() {
			return sc
		}
	}
	if inv, ok := handler.InvocationFrom(ctx); ok && inv.TraceHeader != "" {
		if sc := parseXRay(inv.TraceHeader); sc.IsValid() {
			return sc
		}
	}
	if v := r.Header.Get("X-Cloud-Trace-Context"); v != "" {
		return parseCloudTrace(v)
	}
	return trace.SpanContext{}
}

// parseXRay parses "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1".
func parseXRay(v string) trace.SpanContext {
	var cfg trace.SpanContextConfig
	for _, part := range strings.Split(v, ";") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Root":
			// 1-{8 hex epoch}-{24 hex random}
			if len(val) != 35 || val[0] != '1' || val[1] != '-' || val[10] != '-' {
				return trace.SpanContext{}
			}
			if _, err := hex.Decode(cfg.TraceID[:4], []byte(val[2:10])); err != nil {
				return trace.SpanContext{}
			}
			if _, err := hex.Decode(cfg.TraceID[4:], []byte(val[11:])); err != nil {
				return trace.SpanContext{}
			}
		case "Parent":
			if len(val) != 16 {
				return trace.SpanContext{}
			}
			if _, err := hex.Decode(cfg.SpanID[:], []byte(val)); err != nil {
				return trace.SpanContext{}
			}
		case "Sampled":
			if val == "1" {
				cfg.TraceFlags = trace.FlagsSampled
			}
		}
	}
	cfg.Remote = true
	return trace.NewSpanContext(cfg)
}

// parseCloudTrace parses "TRACE_ID/SPAN_ID;o=1" (SPAN_ID decimal).
func parseCloudTrace(v string) trace.SpanContext {
	var cfg trace.SpanContextConfig
	tid, rest, _ := strings.Cut(v, "/")
	if len(tid) != 32 {
		return trace.SpanContext{}
	}
	if _, err := hex.Decode(cfg.TraceID[:], []byte(tid)); err != nil {
		return trace.SpanContext{}
	}
	sid, opts, _ := strings.Cut(rest, ";")
	n, err := strconv.ParseUint(sid, 10, 64)
	if err != nil {
		return trace.SpanContext{}
	}
	for i := 0; i < 8; i++ {
		cfg.SpanID[i] = byte(n >> (8 * (7 - i)))
	}
	if opts == "o=1" {
		cfg.TraceFlags = trace.FlagsSampled
	}
	cfg.Remote = true
	return trace.NewSpanContext(cfg)
}
