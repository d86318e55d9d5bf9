package handler

import (
	"context"
	"log/slog"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	loggerKey
	invocationKey
)

// withRequestID returns a copy of ctx carrying the request ID.
func withRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestIDFrom returns the request ID [Serve] put in ctx, or "".
func RequestIDFrom(ctx context.Context) string {
	switch id := ctx.Value(requestIDKey).(type) {
	case string:
		return id
	case *string: // a requestCtx points at the Request's field
		return *id
	}
	return ""
}

// ContextWithLogger returns a copy of ctx carrying l, the request-scoped logger.
func ContextWithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey, l)
}

// Logger returns the request-scoped logger in ctx, or slog.Default().
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey).(*slog.Logger); ok && l != nil {
		return l
	}
	return slog.Default()
}

// Invocation describes the platform invocation serving a request.
type Invocation struct {
	// Platform is "aws-lambda", "gcp-functions", "azure-functions" or "http".
	Platform string
	// ID is the platform's invocation ID (Lambda's aws request ID, the
	// Function-Execution-Id, Azure's invocation ID), if any.
	ID string
	// Function is the function's name, if the platform reports it.
	Function string
	// ColdStart is true for the first invocation served by this process.
	ColdStart bool
	// TraceHeader is the platform's trace context, if it delivers one
	// outside the request headers (Lambda's X-Amzn-Trace-Id).
	TraceHeader string
}

// withInvocation returns a copy of ctx carrying inv.
func withInvocation(ctx context.Context, inv *Invocation) context.Context {
	return context.WithValue(ctx, invocationKey, inv)
}

// InvocationFrom returns the invocation in ctx, if an adapter set one.
func InvocationFrom(ctx context.Context) (*Invocation, bool) {
	inv, ok := ctx.Value(invocationKey).(*Invocation)
	return inv, ok && inv != nil
}
