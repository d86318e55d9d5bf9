// Package obs holds what the logging middleware (package middleware) and
// the OpenTelemetry middleware (package otelmw) share without package
// middleware linking OpenTelemetry: a span context of its own, the
// parsers of the trace headers platforms deliver, and how a request's
// status, method and route are recorded.
package obs

import (
	"context"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/event"
)

// SpanContext identifies a span: OpenTelemetry's trace.SpanContext without
// its dependency.
type SpanContext struct {
	TraceID [16]byte
	SpanID  [8]byte
	Sampled bool
}

// IsValid reports whether both IDs are set, as OpenTelemetry requires.
func (sc SpanContext) IsValid() bool {
	return sc.TraceID != [16]byte{} && sc.SpanID != [8]byte{}
}

// TraceIDString returns the trace ID as 32 lowercase hex digits.
func (sc SpanContext) TraceIDString() string { return hex.EncodeToString(sc.TraceID[:]) }

// SpanIDString returns the span ID as 16 lowercase hex digits.
func (sc SpanContext) SpanIDString() string { return hex.EncodeToString(sc.SpanID[:]) }

// epoch is the origin of Clock's readings.
var epoch = time.Now()

// Clock returns a monotonic clock reading, to time a request with: the
// time since the process started, read with one system clock read where
// time.Now makes two (wall and monotonic).
func Clock() time.Duration { return time.Since(epoch) }

// ClockAt returns the Clock reading of t, a time.Now result (which carries
// a monotonic reading).
func ClockAt(t time.Time) time.Duration { return t.Sub(epoch) }

// Current returns the span context of the span in ctx. Package otelmw sets
// it, when it is linked, to read OpenTelemetry's current span; without it
// there is no current span.
var Current = func(context.Context) SpanContext { return SpanContext{} }

// Inbound returns the caller's span context as the platform delivered it:
// a W3C traceparent header, else AWS X-Ray's X-Amzn-Trace-Id (the header,
// or the Lambda invocation's trace header), else Google's
// X-Cloud-Trace-Context. It returns an invalid SpanContext when there is
// none or it cannot be parsed.
func Inbound(ctx context.Context, r *handler.Request) SpanContext {
	if v := r.Header["Traceparent"]; len(v) > 0 {
		if sc := ParseTraceParent(v[0]); sc.IsValid() {
			return sc
		}
	}
	// The names are canonical: indexing finds what Header.Get would, without
	// canonicalising them again.
	if v := r.Header["X-Amzn-Trace-Id"]; len(v) > 0 && v[0] != "" {
		if sc := ParseXRay(v[0]); sc.IsValid() {
			return sc
		}
	}
	if inv, ok := handler.InvocationFrom(ctx); ok && inv.TraceHeader != "" {
		if sc := ParseXRay(inv.TraceHeader); sc.IsValid() {
			return sc
		}
	}
	if v := r.Header["X-Cloud-Trace-Context"]; len(v) > 0 && v[0] != "" {
		return ParseCloudTrace(v[0])
	}
	return SpanContext{}
}

// Message is the span context a message carries: the current span, else
// the sender's traceparent (or SQS AWSTraceHeader).
func Message(ctx context.Context, m *event.Message) SpanContext {
	if sc := Current(ctx); sc.IsValid() {
		return sc
	}
	if tp := m.TraceParent(); tp != "" {
		return ParseTraceParent(tp)
	}
	return SpanContext{}
}

// ParseTraceParent parses a W3C traceparent
// ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") as
// OpenTelemetry's TraceContext propagator does: version "ff" and IDs of
// zeros are invalid, and a version above 00 may carry more fields after a
// dash.
func ParseTraceParent(v string) SpanContext {
	if len(v) < 55 || v[2] != '-' || v[35] != '-' || v[52] != '-' {
		return SpanContext{}
	}
	ver := v[:2]
	if !isLowerHex(ver) || ver == "ff" || (ver == "00" && len(v) != 55) || (len(v) > 55 && v[55] != '-') {
		return SpanContext{}
	}
	var sc SpanContext
	if !isLowerHex(v[3:35]) || !isLowerHex(v[36:52]) || !isLowerHex(v[53:55]) {
		return SpanContext{}
	}
	hex.Decode(sc.TraceID[:], []byte(v[3:35]))
	hex.Decode(sc.SpanID[:], []byte(v[36:52]))
	var flags [1]byte
	hex.Decode(flags[:], []byte(v[53:55]))
	sc.Sampled = flags[0]&1 == 1
	if !sc.IsValid() {
		return SpanContext{}
	}
	return sc
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// ParseXRay parses "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1".
func ParseXRay(v string) SpanContext {
	var sc SpanContext
	for _, part := range strings.Split(v, ";") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Root":
			// 1-{8 hex epoch}-{24 hex random}
			if len(val) != 35 || val[0] != '1' || val[1] != '-' || val[10] != '-' {
				return SpanContext{}
			}
			if _, err := hex.Decode(sc.TraceID[:4], []byte(val[2:10])); err != nil {
				return SpanContext{}
			}
			if _, err := hex.Decode(sc.TraceID[4:], []byte(val[11:])); err != nil {
				return SpanContext{}
			}
		case "Parent":
			if len(val) != 16 {
				return SpanContext{}
			}
			if _, err := hex.Decode(sc.SpanID[:], []byte(val)); err != nil {
				return SpanContext{}
			}
		case "Sampled":
			sc.Sampled = val == "1"
		}
	}
	if !sc.IsValid() {
		return SpanContext{}
	}
	return sc
}

// ParseCloudTrace parses "TRACE_ID/SPAN_ID;o=1" (SPAN_ID decimal).
func ParseCloudTrace(v string) SpanContext {
	var sc SpanContext
	tid, rest, _ := strings.Cut(v, "/")
	if len(tid) != 32 {
		return SpanContext{}
	}
	if _, err := hex.Decode(sc.TraceID[:], []byte(tid)); err != nil {
		return SpanContext{}
	}
	sid, opts, _ := strings.Cut(rest, ";")
	n, err := strconv.ParseUint(sid, 10, 64)
	if err != nil {
		return SpanContext{}
	}
	for i := 0; i < 8; i++ {
		sc.SpanID[i] = byte(n >> (8 * (7 - i)))
	}
	sc.Sampled = opts == "o=1"
	if !sc.IsValid() {
		return SpanContext{}
	}
	return sc
}

// StatusOf returns the status a response or error will be answered with.
func StatusOf(resp *handler.Response, err error) int {
	if err != nil {
		if s := handler.AsError(err).Status; s != 0 {
			return s
		}
		return 500
	}
	return resp.StatusCode()
}

// MethodOf returns r's method as spans and metrics record it: "GET" for
// an empty one and "_OTHER" for one that is not a standard HTTP method, so
// that clients cannot make up span names or metric attribute values (the
// HTTP semantic conventions' rule).
func MethodOf(r *handler.Request) string {
	switch r.Method {
	case "":
		return http.MethodGet
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return r.Method
	}
	return "_OTHER"
}

// RouteOf returns the path part of the matched pattern ("/todos/{id}"), or
// "" when no route matched.
func RouteOf(r *handler.Request) string {
	p := r.Pattern
	if i := strings.IndexByte(p, '/'); i > 0 {
		p = p[i:]
	}
	return p
}

// ErrText is the status description of a failed span: the error, or
// "panic" when the handler panicked (no error returned).
func ErrText(err error) string {
	if err == nil {
		return "panic"
	}
	return err.Error()
}
