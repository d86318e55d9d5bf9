package handler

import (
	"log/slog"
	"net/http"
	"net/url"
)

// Request is one HTTP request, decoded from whatever the platform delivered.
//
// Adapters fill it in; handlers read it. The zero value is a GET of "/" with
// no headers and no body.
type Request struct {
	// Method is the HTTP method ("GET", "POST", ...). Empty means GET.
	Method string
	// Path is the decoded path, always starting with "/" when set.
	Path string
	// RawPath is the path as received, percent-encoded. It is empty when
	// the received path had no escapes, in which case it equals Path.
	RawPath string
	// BasePath is the part of the path the client requested that the
	// platform or the adapter removed before Path: API Gateway's stage
	// ("/prod") or a custom domain's base path mapping, a prefix stripped by
	// an adapter option (awslambda.WithBasePath, WithStripStage), Azure
	// Functions' route prefix ("/api"), or what http.StripPrefix cut in
	// front of [HTTP]. It is percent-encoded (like RawPath, though a
	// platform may have normalised the escapes the client used), starts
	// with "/" and has no trailing slash; "" means the client requested
	// Path itself.
	//
	// BasePath + EscapedPath() is the path the client requested (with a
	// "/" after it when the client requested the base path alone), so a
	// path the client is to follow is built as r.BasePath + "/todos/" + id.
	// [Router] does not read it: routes match Path.
	BasePath string
	// RawQuery is the query string as received, without the "?".
	RawQuery string
	// Header holds the request headers with canonical keys; repeated
	// headers keep every value in order.
	Header http.Header
	// Host is the host the client addressed, if the platform reports it.
	Host string
	// Body is the request body, already base64-decoded. Nil when empty.
	Body []byte
	// RemoteAddr is the client's IP address as verified by the platform
	// (API Gateway's sourceIp, the load balancer's, or the TCP peer), never
	// taken from a header a client can send.
	RemoteAddr string
	// RequestID identifies this request. Adapters set it from the
	// platform; [Serve] generates one when it is empty.
	RequestID string
	// Identity is the caller as verified by the platform or by an
	// authentication middleware; nil when the request is anonymous.
	Identity *Identity
	// Pattern is the route pattern that matched, set by [Router].
	Pattern string

	query      url.Values
	pathParams []pathParam
	// params holds the first path parameters, so that a route with few
	// wildcards sets them without allocating.
	params [3]pathParam
	// idBuf holds a request ID Serve generates (see newRequestIDIn).
	idBuf [32]byte
}

type pathParam struct{ name, value string }

// Query returns the parsed query string. Repeated keys keep their values in
// order. The result is parsed once and cached. A request served through
// [Serve], as every adapter serves them, has no malformed pair (Serve
// answers such a request 400 naming the parameter); on a Request built
// otherwise, malformed pairs are dropped as net/url does.
func (r *Request) Query() url.Values {
	if r.query == nil {
		r.query, _ = url.ParseQuery(r.RawQuery)
	}
	return r.query
}

// URL returns the request's path and query as a *url.URL (no scheme or host
// unless Host is set).
func (r *Request) URL() *url.URL {
	return &url.URL{Host: r.Host, Path: r.Path, RawPath: r.RawPath, RawQuery: r.RawQuery}
}

// EscapedPath returns the path as received, percent-encoded.
func (r *Request) EscapedPath() string {
	if r.RawPath != "" {
		return r.RawPath
	}
	return (&url.URL{Path: r.Path}).EscapedPath()
}

// PathValue returns the value of the named path wildcard set by the
// [Router], or "" if there is none.
func (r *Request) PathValue(name string) string {
	for i := range r.pathParams {
		if r.pathParams[i].name == name {
			return r.pathParams[i].value
		}
	}
	return ""
}

// SetPathValue sets the named path wildcard to value, so that a later
// PathValue(name) returns it.
func (r *Request) SetPathValue(name, value string) {
	for i := range r.pathParams {
		if r.pathParams[i].name == name {
			r.pathParams[i].value = value
			return
		}
	}
	if r.pathParams == nil {
		r.pathParams = r.params[:0] // as the Router does: no allocation for the first few
	}
	r.pathParams = append(r.pathParams, pathParam{name, value})
}

// copyRequest makes *dst a copy of *src with path values of its own. A
// Request keeps its first path values in its own storage (params), so a
// plain struct copy would leave the copy's path values in src's storage:
// a value the copy adds would go where src keeps its own, and copying the
// copy back (*src = *dst) would put src's old values over it.
func copyRequest(dst, src *Request) {
	*dst = *src
	switch {
	case src.pathParams == nil:
	case len(src.pathParams) <= len(dst.params):
		dst.pathParams = dst.params[:len(src.pathParams)]
		copy(dst.pathParams, src.pathParams)
	default:
		dst.pathParams = append([]pathParam(nil), src.pathParams...)
	}
}

// Cookies parses and returns the cookies sent with the request.
func (r *Request) Cookies() []*http.Cookie {
	if len(r.Header["Cookie"]) == 0 {
		return nil
	}
	return (&http.Request{Header: r.Header}).Cookies()
}

// Cookie returns the named cookie, or http.ErrNoCookie.
func (r *Request) Cookie(name string) (*http.Cookie, error) {
	if len(r.Header["Cookie"]) == 0 {
		return nil, http.ErrNoCookie
	}
	return (&http.Request{Header: r.Header}).Cookie(name)
}

// Identity is a verified caller: who the platform's authorizer or an
// authentication middleware says sent the request.
type Identity struct {
	// Source names who verified the identity, for example "aws-jwt",
	// "aws-lambda-authorizer", "aws-iam", "azure", "azure-function-key",
	// "jwt" or "apikey".
	Source string
	// Subject is the caller's stable ID (a JWT "sub", an IAM ARN, an API
	// key's name).
	Subject string
	// Scopes are the permissions granted to the caller.
	Scopes []string
	// Claims holds the verified claims or authorizer context, as decoded
	// JSON values.
	Claims map[string]any
}

// HasScope reports whether the identity was granted scope.
func (id *Identity) HasScope(scope string) bool {
	if id == nil {
		return false
	}
	for _, s := range id.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// LogValue makes a logged *Request its method, path, route pattern,
// request ID and client address, and nothing else: no headers, query or
// body, which may carry credentials and personal data.
func (r *Request) LogValue() slog.Value {
	if r == nil {
		return slog.Value{}
	}
	attrs := make([]slog.Attr, 0, 5)
	attrs = append(attrs, slog.String("method", r.Method), slog.String("path", r.BasePath+r.EscapedPath()))
	if r.Pattern != "" {
		attrs = append(attrs, slog.String("pattern", r.Pattern))
	}
	if r.RequestID != "" {
		attrs = append(attrs, slog.String("requestId", r.RequestID))
	}
	if r.RemoteAddr != "" {
		attrs = append(attrs, slog.String("remoteAddr", r.RemoteAddr))
	}
	return slog.GroupValue(attrs...)
}
