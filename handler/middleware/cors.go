package middleware

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/anyfunc/anyfunc/handler"
)

// CORSOption configures [CORS].
type CORSOption func(*corsConfig)

type corsConfig struct {
	origins     []string
	methods     []string
	headers     []string
	expose      []string
	credentials bool
	maxAge      time.Duration
}

// AllowOrigins adds allowed origins. Each argument may hold several origins
// separated by commas (so an environment variable can be passed as is).
// An origin is exact ("https://app.example.com", "http://localhost:5173"),
// a wildcard subdomain ("https://*.example.com", which matches
// "https://a.example.com" and "https://a.b.example.com" but not
// "https://example.com"), or "*" for any origin.
func AllowOrigins(origins ...string) CORSOption {
	return func(c *corsConfig) { c.origins = append(c.origins, splitList(origins)...) }
}

// AllowMethods sets the methods a preflight allows. The default is GET,
// HEAD, POST, PUT, PATCH and DELETE.
func AllowMethods(methods ...string) CORSOption {
	return func(c *corsConfig) { c.methods = splitList(methods) }
}

// AllowHeaders sets the request headers a preflight allows (compared
// case-insensitively); "*" allows any. The default is Accept,
// Authorization, Content-Type, Idempotency-Key, X-Api-Key and the
// conditional request headers (If-Match, If-None-Match, If-Modified-Since,
// If-Unmodified-Since), so that conditional GETs and writes from a page
// need no list of their own.
func AllowHeaders(headers ...string) CORSOption {
	return func(c *corsConfig) { c.headers = splitList(headers) }
}

// ExposeHeaders sets the response headers a page's script may read beyond
// the CORS-safelisted ones (Access-Control-Expose-Headers).
func ExposeHeaders(headers ...string) CORSOption {
	return func(c *corsConfig) { c.expose = splitList(headers) }
}

// AllowCredentials lets pages send cookies and HTTP authentication
// (Access-Control-Allow-Credentials: true). It cannot be combined with the
// "*" origin.
func AllowCredentials() CORSOption { return func(c *corsConfig) { c.credentials = true } }

// MaxAge sets how long a browser may cache a preflight answer
// (Access-Control-Max-Age, whole seconds). The default, 0, sends none.
func MaxAge(d time.Duration) CORSOption { return func(c *corsConfig) { c.maxAge = d } }

// CORS returns middleware implementing Cross-Origin Resource Sharing.
//
// A preflight (OPTIONS with Origin and Access-Control-Request-Method) is
// answered 204 without reaching the handler: with the Access-Control-Allow-*
// headers when the origin, method and headers are allowed, and with none
// otherwise. Any other request reaches the handler; when its origin is
// allowed the response (error problems included) gets
// Access-Control-Allow-Origin naming that origin, or "*" for the any-origin
// setting without credentials. A disallowed origin is never reflected.
// Every response carries Vary: Origin so caches keep answers apart.
//
// CORS returns an error when no origin is given, an origin is malformed,
// or "*" is combined with AllowCredentials.
func CORS(opts ...CORSOption) (handler.Middleware, error) {
	c := corsConfig{
		methods: []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"},
		headers: []string{"Accept", "Authorization", "Content-Type", "Idempotency-Key", "If-Match", "If-Modified-Since", "If-None-Match", "If-Unmodified-Since", "X-Api-Key"},
	}
	for _, o := range opts {
		o(&c)
	}
	p := &corsPolicy{credentials: c.credentials}
	if len(c.origins) == 0 {
		return nil, fmt.Errorf("middleware: CORS: no allowed origin")
	}
	for _, o := range c.origins {
		if o == "*" {
			p.any = true
			continue
		}
		o = strings.ToLower(o)
		if err := checkOrigin(o); err != nil {
			return nil, err
		}
		if scheme, host, ok := strings.Cut(o, "://*."); ok {
			p.wild = append(p.wild, [2]string{scheme + "://", "." + host})
		} else {
			p.exact = append(p.exact, o)
		}
	}
	if p.any && c.credentials {
		return nil, fmt.Errorf(`middleware: CORS: the "*" origin cannot be combined with AllowCredentials`)
	}
	for _, h := range c.headers {
		if h == "*" {
			p.anyHeader = true
		}
		p.headers = append(p.headers, strings.ToLower(h))
	}
	p.methods = strings.Join(c.methods, ", ")
	p.methodSet = c.methods
	p.expose = strings.Join(c.expose, ", ")
	if c.maxAge > 0 {
		p.maxAge = strconv.Itoa(int(c.maxAge / time.Second))
	}
	return p.middleware, nil
}

// checkOrigin validates a lower-cased origin pattern.
func checkOrigin(o string) error {
	u, err := url.Parse(strings.Replace(o, "://*.", "://", 1))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.Path != "" || u.RawQuery != "" || u.User != nil || u.Fragment != "" || strings.Contains(u.Host, "*") {
		return fmt.Errorf("middleware: CORS: origin %q must be scheme://host[:port] or scheme://*.domain[:port]", o)
	}
	return nil
}

type corsPolicy struct {
	any, anyHeader, credentials bool
	exact                       []string
	wild                        [][2]string // scheme:// and .domain[:port]
	headers                     []string    // lower case
	methods, expose, maxAge     string
	methodSet                   []string
}

func (p *corsPolicy) allowed(origin string) bool {
	if p.any {
		return true
	}
	o := strings.ToLower(origin)
	for _, e := range p.exact {
		if o == e {
			return true
		}
	}
	for _, w := range p.wild {
		if len(o) > len(w[0])+len(w[1]) && strings.HasPrefix(o, w[0]) && strings.HasSuffix(o, w[1]) &&
			isHostLabels(o[len(w[0]):len(o)-len(w[1])]) {
			return true
		}
	}
	return false
}

// isHostLabels reports whether s is made of DNS labels: letters, digits,
// '-' and '.', not starting or ending with '.'.
func isHostLabels(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func (p *corsPolicy) middleware(next handler.Handler) handler.Handler {
	return handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		origin := r.Header.Get("Origin")
		if r.Method == http.MethodOptions && origin != "" && r.Header.Get("Access-Control-Request-Method") != "" {
			return p.preflight(r, origin), nil
		}
		allowed := origin != "" && p.allowed(origin)
		resp, err := next.ServeRequest(ctx, r)
		if err != nil {
			h := make(http.Header, 4)
			p.actualHeaders(h, allowed, origin)
			return nil, withHeader(err, h)
		}
		if resp == nil {
			resp = &handler.Response{}
		}
		if resp.Header == nil {
			resp.Header = make(http.Header, 4)
		}
		p.actualHeaders(resp.Header, allowed, origin)
		return resp, nil
	})
}

// actualHeaders adds the CORS headers of a non-preflight answer to h.
func (p *corsPolicy) actualHeaders(h http.Header, allowed bool, origin string) {
	h["Vary"] = append(h["Vary"], "Origin")
	if !allowed {
		return
	}
	p.allowOrigin(h, origin)
	if p.expose != "" {
		h["Access-Control-Expose-Headers"] = []string{p.expose}
	}
}

func (p *corsPolicy) allowOrigin(h http.Header, origin string) {
	if p.any {
		h["Access-Control-Allow-Origin"] = []string{"*"}
		return
	}
	h["Access-Control-Allow-Origin"] = []string{origin}
	if p.credentials {
		h["Access-Control-Allow-Credentials"] = []string{"true"}
	}
}

func (p *corsPolicy) preflight(r *handler.Request, origin string) *handler.Response {
	h := http.Header{"Vary": {"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"}}
	resp := &handler.Response{Status: http.StatusNoContent, Header: h}
	if !p.allowed(origin) {
		return resp
	}
	method := r.Header.Get("Access-Control-Request-Method")
	okMethod := false
	for _, m := range p.methodSet {
		if m == method {
			okMethod = true
			break
		}
	}
	if !okMethod {
		return resp
	}
	reqHeaders := strings.Join(r.Header.Values("Access-Control-Request-Headers"), ",")
	if !p.anyHeader {
		for _, name := range strings.Split(reqHeaders, ",") {
			name = strings.ToLower(strings.TrimSpace(name))
			if name != "" && !p.headerAllowed(name) {
				return resp
			}
		}
	}
	p.allowOrigin(h, origin)
	h["Access-Control-Allow-Methods"] = []string{p.methods}
	if reqHeaders != "" {
		// Echo what was asked for: it has been checked against the list.
		h["Access-Control-Allow-Headers"] = []string{reqHeaders}
	}
	if p.maxAge != "" {
		h["Access-Control-Max-Age"] = []string{p.maxAge}
	}
	return resp
}

func (p *corsPolicy) headerAllowed(name string) bool {
	for _, a := range p.headers {
		if a == name {
			return true
		}
	}
	return false
}

// withHeader returns err as a *handler.Error whose Header also holds h, so
// that headers a middleware adds reach error answers too. The *handler.Error
// err carries is copied, never modified.
func withHeader(err error, h http.Header) error {
	e := *handler.AsError(err)
	merged := make(http.Header, len(e.Header)+len(h))
	for k, v := range e.Header {
		merged[k] = append([]string(nil), v...)
	}
	for k, v := range h {
		merged[k] = append(merged[k], v...)
	}
	e.Header = merged
	return &e
}

// splitList splits comma-separated entries and trims spaces, dropping
// empty ones.
func splitList(in []string) []string {
	var out []string
	for _, s := range in {
		for _, part := range strings.Split(s, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}
