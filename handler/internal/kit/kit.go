// Package kit hands the adapter-side functions of package handler, which
// handler keeps unexported to keep its index small, to package
// handler/adapterkit, which exports them. Package handler sets these
// variables in its init function; adapterkit asserts their types once.
package kit

// The functions, as any: their types mention package handler's types,
// which this package cannot import.
var (
	ParsePath, ReadBody, RequestFromHTTP, WriteHTTP, NewHTTPRequest any
	NewRequestID, ContextWithInvocation, ContextWithRequestID       any
	ServeHTTP, ServeHTTPIn, NewRequestContext, EndRequest           any
	NewRequestIn, FillRequestFromHTTP, ServeHTTPBehind              any
)

// LoggerKey is the context key under which handler.ContextWithLogger puts
// the request-scoped logger, for package middleware's Logger, whose
// request logger is its own context node (one allocation fewer than
// context.WithValue on top of it).
var LoggerKey any

// CopyRequest is handler's copyRequest (func(dst, src *handler.Request)),
// for package middleware's AnswerAtDeadline, which runs the handler on a
// copy of the request.
var CopyRequest any
