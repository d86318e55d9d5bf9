// Package adapterkit is what a platform adapter needs from package handler
// beyond what a handler author uses: turning a platform's request into a
// [handler.Request] (ParsePath, ReadBody, RequestFromHTTP), answering with a
// [handler.Response] (WriteHTTP), the reverse bridge (NewHTTPRequest), and
// the request ID and invocation an adapter puts in the context.
//
// The adapters in this module (awslambda, gcpfunctions, azurefunctions,
// httpserver) use it, and so can a third-party adapter, so that a bad path
// or an oversized body gets the same answer on every platform. Handler
// authors do not need it.
package adapterkit

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/internal/kit"
)

// The implementations live in package handler, whose own bridges (HTTP,
// FromHTTP, Serve) use them; it hands them over through package kit when
// it initialises, before this package's variables are.
var (
	parsePath       = kit.ParsePath.(func(string) (string, string, error))
	readBody        = kit.ReadBody.(func(io.Reader, int64) ([]byte, error))
	requestFromHTTP = kit.RequestFromHTTP.(func(*http.Request) (*handler.Request, error))
	writeHTTP       = kit.WriteHTTP.(func(context.Context, http.ResponseWriter, string, *handler.Response))
	newHTTPRequest  = kit.NewHTTPRequest.(func(context.Context, *handler.Request) *http.Request)
	newRequestID    = kit.NewRequestID.(func() string)
	withInvocation  = kit.ContextWithInvocation.(func(context.Context, *handler.Invocation) context.Context)
	withRequestID   = kit.ContextWithRequestID.(func(context.Context, string) context.Context)
	serveHTTP       = kit.ServeHTTP.(func(context.Context, handler.Handler, http.ResponseWriter, *http.Request))
	serveHTTPIn     = kit.ServeHTTPIn.(func(context.Context, handler.Invocation, time.Duration, handler.Handler, http.ResponseWriter, *http.Request))
	newRequestCtx   = kit.NewRequestContext.(func(context.Context, handler.Invocation, time.Duration) context.Context)
	endRequest      = kit.EndRequest.(func(context.Context))
	newRequestIn    = kit.NewRequestIn.(func(context.Context, handler.Invocation, time.Duration) (context.Context, *handler.Request))
	fillRequest     = kit.FillRequestFromHTTP.(func(*handler.Request, *http.Request) error)
	serveHTTPBehind = kit.ServeHTTPBehind.(func(context.Context, handler.Invocation, time.Duration, handler.Handler, http.ResponseWriter, *http.Request, string))
)

// NewRequestContext returns the context an adapter gives one request: a
// copy of parent carrying inv (unless it is the zero Invocation; see
// [handler.InvocationFrom]) and, when timeout > 0, a deadline timeout from
// now (unless parent's is sooner), in one allocation. [handler.Serve]
// records the request ID in it rather than adding a context of its own.
//
// The deadline is reported at once by Deadline, and Err reports
// context.DeadlineExceeded once it has passed, but the timer that closes
// Done is started only when Done is first called (by a select, a derived
// context, an HTTP or SDK call): a handler that answers without waiting on
// anything (a validation error, a cache hit, a health check) costs no timer.
// Call [EndRequest] when the request is answered, as one calls the cancel
// function of context.WithTimeout.
func NewRequestContext(parent context.Context, inv handler.Invocation, timeout time.Duration) context.Context {
	return newRequestCtx(parent, inv, timeout)
}

// EndRequest cancels a context from [NewRequestContext], releasing its
// timer if one was started; on any other context it does nothing.
func EndRequest(ctx context.Context) {
	endRequest(ctx)
}

// ServeHTTP serves hr with h as [handler.HTTP](h).ServeHTTP does, but with
// ctx as the handler's context instead of hr.Context(): an adapter that
// adds a deadline or an invocation to the request's context passes it here
// instead of copying hr with WithContext.
func ServeHTTP(ctx context.Context, h handler.Handler, w http.ResponseWriter, hr *http.Request) {
	serveHTTP(ctx, h, w, hr)
}

// NewRequestIn is [NewRequestContext] that also returns a zero
// [handler.Request] allocated together with the context (one allocation
// instead of two), for an adapter that builds the Request it serves in that
// context itself: with [FillRequestFromHTTP], or field by field. End the
// context with [EndRequest] as usual. An adapter with nothing to do between
// reading the request and serving it calls [ServeHTTPIn] instead.
func NewRequestIn(parent context.Context, inv handler.Invocation, timeout time.Duration) (context.Context, *handler.Request) {
	return newRequestIn(parent, inv, timeout)
}

// FillRequestFromHTTP is [RequestFromHTTP] building into r, which must be
// a zero Request (such as the one [NewRequestIn] returns).
func FillRequestFromHTTP(r *handler.Request, hr *http.Request) error {
	return fillRequest(r, hr)
}

// ServeHTTPIn serves hr with h as [ServeHTTP] does, in the context
// NewRequestContext(parent, inv, timeout) would return, which it ends
// ([EndRequest]) once the response is written: it is
//
//	ctx := NewRequestContext(parent, inv, timeout)
//	defer EndRequest(ctx)
//	ServeHTTP(ctx, h, w, hr)
//
// with the context, the [handler.Request] and the response's
// Content-Length value in one allocation instead of three. An adapter that serves a net/http request with nothing to do
// between making the context and serving calls this.
func ServeHTTPIn(parent context.Context, inv handler.Invocation, timeout time.Duration, h handler.Handler, w http.ResponseWriter, hr *http.Request) {
	serveHTTPIn(parent, inv, timeout, h, w, hr)
}

// ServeHTTPBehind is [ServeHTTPIn] for a platform whose front end, not
// the client, is hr's TCP peer (Cloud Functions, for one): the
// [handler.Request]'s RemoteAddr is empty (hr.RemoteAddr is not even
// parsed) and its RequestID is requestID, the platform's; when requestID
// is "", one is generated, as [handler.Serve] does. A request that cannot
// be read (a bad path, a body over its limit) is answered with an error
// carrying requestID too. It saves an adapter that builds its Request
// with [NewRequestIn] and [FillRequestFromHTTP], sets the ID, clears
// RemoteAddr, serves and calls [WriteHTTP], an allocation (the response's
// Content-Length value) and the parse.
func ServeHTTPBehind(parent context.Context, inv handler.Invocation, timeout time.Duration, h handler.Handler, w http.ResponseWriter, hr *http.Request, requestID string) {
	serveHTTPBehind(parent, inv, timeout, h, w, hr, requestID)
}

// ParsePath decodes escaped, a request path as received (percent-encoded),
// into the Path and RawPath of a [handler.Request]: path is the decoded path and
// rawPath is escaped itself, or "" when decoding changed nothing. An empty
// escaped path means "/". A path that does not start with "/" or holds an
// invalid percent-escape ("%zz", a lone "%") is refused with a 400 *Error,
// which every adapter answers the same way.
func ParsePath(escaped string) (path, rawPath string, err error) {
	return parsePath(escaped)
}

// ReadBody reads rd to EOF, refusing more than limit bytes with
// [handler.BodyTooLargeError] (limit <= 0 means no limit). It returns nil for an
// empty body. An *http.MaxBytesError from rd is mapped to the same 413, and
// any other read failure to a 400 *Error.
func ReadBody(rd io.Reader, limit int64) ([]byte, error) {
	return readBody(rd, limit)
}

// RequestFromHTTP builds a *Request from a net/http request, reading its
// body to EOF. Limit the body beforehand with http.MaxBytesReader to refuse
// large ones with 413. RemoteAddr becomes the IP of hr.RemoteAddr; headers
// are shared with hr, not copied.
//
// Path is hr.URL's path, with a "/" put in front if it lacks one (as
// http.StripPrefix("/api/", ...) leaves it) and is not "*". BasePath is
// what was cut from the front of the path of hr.RequestURI, the
// request-target as the client sent it, to give hr.URL's path
// (http.StripPrefix keeps RequestURI and strips URL), on a segment
// boundary; "" when nothing was or RequestURI is empty.
func RequestFromHTTP(hr *http.Request) (*handler.Request, error) {
	return requestFromHTTP(hr)
}

// WriteHTTP writes resp to w as the answer to a request with the given
// method. Header values are appended to w's headers in order. A byte body
// gets a Content-Length unless resp sets one; for HEAD the body is not
// written. A Stream is copied chunk by chunk with a flush after each chunk
// and closed afterwards if it is an io.Closer; if reading it fails midway,
// the failure is logged and the response is aborted (panic with
// http.ErrAbortHandler) so the client sees a broken response rather than a
// silently truncated one. A status net/http cannot send (below 100 or above
// 999) is logged and answered with a 500 problem instead.
func WriteHTTP(ctx context.Context, w http.ResponseWriter, method string, resp *handler.Response) {
	writeHTTP(ctx, w, method, resp)
}

// NewHTTPRequest returns a server-side *http.Request for r, as net/http
// would hand it to an http.Handler: method, URL (Path, RawPath, RawQuery),
// RequestURI, Host, headers (shared with r, not copied), body, RemoteAddr
// (r's IP without a port), and the router's pattern and path values.
//
// RequestURI is the request-target the client sent: r.BasePath, the escaped
// path and the query. URL holds the path without BasePath, as behind
// http.StripPrefix, and [RequestFromHTTP] takes BasePath back from the
// difference, so a Request survives FromHTTP followed by HTTP whole.
func NewHTTPRequest(ctx context.Context, r *handler.Request) *http.Request {
	return newHTTPRequest(ctx, r)
}

// NewRequestID returns a random 128-bit request ID as 32 hex digits.
func NewRequestID() string {
	return newRequestID()
}

// ContextWithInvocation returns a copy of ctx carrying inv.
func ContextWithInvocation(ctx context.Context, inv *handler.Invocation) context.Context {
	return withInvocation(ctx, inv)
}

// ContextWithRequestID returns a copy of ctx carrying the request ID.
func ContextWithRequestID(ctx context.Context, id string) context.Context {
	return withRequestID(ctx, id)
}
