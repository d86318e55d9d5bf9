// Package handlertest provides utilities for testing anyfunc Handlers, in
// the spirit of net/http/httptest: build a *handler.Request with
// [NewRequest], run a Handler with [Serve], and assert on the plain fields of
// the [Result].
//
// Like httptest, the helpers panic on misuse (an unparsable target, a body
// that cannot be encoded) instead of taking a *testing.T.
package handlertest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/adapterkit"
)

// DefaultRemoteAddr is the RemoteAddr of requests built by [NewRequest]
// (an address from TEST-NET-1, RFC 5737).
const DefaultRemoteAddr = "192.0.2.1"

// DefaultHost is the Host of requests built by [NewRequest] whose target
// names none.
const DefaultHost = "example.com"

// Option sets a field of a request built by [NewRequest].
type Option func(*handler.Request)

// Header adds a request header value (repeat it for repeated values).
func Header(name, value string) Option {
	return func(r *handler.Request) { r.Header.Add(name, value) }
}

// PathValue sets a path wildcard value, as the Router would.
func PathValue(name, value string) Option {
	return func(r *handler.Request) { r.SetPathValue(name, value) }
}

// Cookie adds a cookie to the Cookie header.
func Cookie(c *http.Cookie) Option {
	return func(r *handler.Request) {
		hr := &http.Request{Header: r.Header}
		hr.AddCookie(c)
	}
}

// BasePath sets the part of the client's path that the platform or the
// adapter removed before the request's path (for example "/prod" for an
// API Gateway stage or "/api" for Azure Functions' route prefix), as an
// adapter would; see [handler.Request.BasePath]. NewRequest sets none.
func BasePath(base string) Option {
	return func(r *handler.Request) { r.BasePath = base }
}

// RemoteAddr sets the client IP.
func RemoteAddr(ip string) Option {
	return func(r *handler.Request) { r.RemoteAddr = ip }
}

// RequestID sets the request ID (otherwise [handler.Serve] makes one).
func RequestID(id string) Option {
	return func(r *handler.Request) { r.RequestID = id }
}

// Identity sets the verified caller, as an adapter or an authentication
// middleware would.
func Identity(id *handler.Identity) Option {
	return func(r *handler.Request) { r.Identity = id }
}

// NewRequest returns a new incoming request for testing a Handler.
//
// method "" means GET. target is a path with an optional query
// ("/todos?done=true"), percent-encoded as on the wire, or an absolute URL
// whose host becomes Request.Host; otherwise Host is [DefaultHost].
// RemoteAddr is [DefaultRemoteAddr].
//
// body may be nil (no body), a string, a []byte, an io.Reader (read to EOF),
// or any other value, which is encoded as JSON with Content-Type
// application/json (unless an option sets one).
//
// NewRequest panics if target cannot be parsed or has an invalid
// percent-escape, or if body cannot be read or encoded.
func NewRequest(method, target string, body any, opts ...Option) *handler.Request {
	if method == "" {
		method = http.MethodGet
	}
	u, err := url.Parse(target)
	if err != nil {
		panic("handlertest: invalid NewRequest target " + target + ": " + err.Error())
	}
	path, rawPath, err := adapterkit.ParsePath(u.EscapedPath())
	if err != nil {
		panic("handlertest: invalid NewRequest target " + target + ": " + err.Error())
	}
	r := &handler.Request{
		Method:     method,
		Path:       path,
		RawPath:    rawPath,
		RawQuery:   u.RawQuery,
		Header:     http.Header{},
		Host:       u.Host,
		RemoteAddr: DefaultRemoteAddr,
	}
	if r.Host == "" {
		r.Host = DefaultHost
	}
	isJSON := false
	switch b := body.(type) {
	case nil:
	case string:
		r.Body = []byte(b)
	case []byte:
		r.Body = bytes.Clone(b)
	case io.Reader:
		r.Body, err = io.ReadAll(b)
		if err != nil {
			panic("handlertest: reading the NewRequest body: " + err.Error())
		}
	default:
		r.Body, err = json.Marshal(b)
		if err != nil {
			panic(fmt.Sprintf("handlertest: encoding the NewRequest body %T as JSON: %v", b, err))
		}
		isJSON = true
	}
	if len(r.Body) == 0 {
		r.Body = nil
	}
	for _, opt := range opts {
		opt(r)
	}
	if isJSON && r.Header.Get("Content-Type") == "" {
		r.Header.Set("Content-Type", "application/json")
	}
	return r
}
