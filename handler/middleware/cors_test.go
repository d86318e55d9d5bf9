package middleware

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/handler"
)

func mustCORS(t *testing.T, opts ...CORSOption) handler.Middleware {
	t.Helper()
	mw, err := CORS(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return mw
}

func withOrigin(method, origin string, kv ...string) *handler.Request {
	r := &handler.Request{Method: method, Header: http.Header{}}
	if origin != "" {
		r.Header.Set("Origin", origin)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		r.Header.Add(kv[i], kv[i+1])
	}
	return r
}

func TestCORSActualRequests(t *testing.T) {
	next := &ok{}
	h := mustCORS(t, AllowOrigins("https://app.example.com, https://*.example.org"), AllowCredentials(),
		ExposeHeaders("ETag", "RateLimit"))(next)
	for _, tc := range []struct {
		origin, want string
	}{
		{"https://app.example.com", "https://app.example.com"},
		{"https://a.b.example.org", "https://a.b.example.org"},
		{"https://evil.com", ""},
		{"https://app.example.com.evil.com", ""},
		{"http://app.example.com", ""},
		{"https://example.org", ""},
		{"https://x/.example.org", ""},
		{"null", ""},
		{"", ""},
	} {
		resp := serve(h, withOrigin("GET", tc.origin))
		wantStatus(t, resp, http.StatusOK)
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tc.want {
			t.Errorf("origin %q: Allow-Origin = %q, want %q", tc.origin, got, tc.want)
		}
		if got := resp.Header.Values("Vary"); len(got) != 1 || got[0] != "Origin" {
			t.Errorf("origin %q: Vary = %q", tc.origin, got)
		}
		allowed := tc.want != ""
		if got := resp.Header.Get("Access-Control-Allow-Credentials") == "true"; got != allowed {
			t.Errorf("origin %q: credentials header present = %v", tc.origin, got)
		}
		if got := resp.Header.Get("Access-Control-Expose-Headers"); allowed != (got == "ETag, RateLimit") {
			t.Errorf("origin %q: Expose-Headers = %q", tc.origin, got)
		}
	}
	if next.calls != 9 {
		t.Errorf("handler ran %d times, want 9", next.calls)
	}
}

func TestCORSOnErrorAnswers(t *testing.T) {
	h := mustCORS(t, AllowOrigins("https://app.example.com"))(handler.HandlerFunc(
		func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
			return nil, handler.NewError(http.StatusUnauthorized, "", "who are you")
		}))
	resp := serve(h, withOrigin("GET", "https://app.example.com"))
	wantStatus(t, resp, http.StatusUnauthorized)
	if resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" || resp.Header.Get("Vary") != "Origin" {
		t.Errorf("headers = %v", resp.Header)
	}
}

func TestCORSPreflight(t *testing.T) {
	next := &ok{}
	h := mustCORS(t, AllowOrigins("https://app.example.com"), AllowMethods("GET", "POST", "DELETE"), MaxAge(10*time.Minute))(next)
	resp := serve(h, withOrigin("OPTIONS", "https://app.example.com",
		"Access-Control-Request-Method", "DELETE", "Access-Control-Request-Headers", "content-type, x-api-key"))
	wantStatus(t, resp, http.StatusNoContent)
	for k, want := range map[string]string{
		"Access-Control-Allow-Origin":  "https://app.example.com",
		"Access-Control-Allow-Methods": "GET, POST, DELETE",
		"Access-Control-Allow-Headers": "content-type, x-api-key",
		"Access-Control-Max-Age":       "600",
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if v := resp.Header.Values("Vary"); len(v) == 0 || v[0] != "Origin" {
		t.Errorf("Vary = %q", v)
	}

	for name, r := range map[string]*handler.Request{
		"origin":  withOrigin("OPTIONS", "https://evil.com", "Access-Control-Request-Method", "GET"),
		"method":  withOrigin("OPTIONS", "https://app.example.com", "Access-Control-Request-Method", "PUT"),
		"headers": withOrigin("OPTIONS", "https://app.example.com", "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "x-secret"),
	} {
		resp := serve(h, r)
		wantStatus(t, resp, http.StatusNoContent)
		for k := range resp.Header {
			if k != "Vary" {
				t.Errorf("disallowed %s: preflight sent %s: %q", name, k, resp.Header[k])
			}
		}
	}
	if next.calls != 0 {
		t.Errorf("preflights reached the handler %d times", next.calls)
	}
	// A plain OPTIONS (no Access-Control-Request-Method) is the handler's.
	wantStatus(t, serve(h, withOrigin("OPTIONS", "https://app.example.com")), http.StatusOK)
	if next.calls != 1 {
		t.Errorf("plain OPTIONS reached the handler %d times, want 1", next.calls)
	}
}

func TestCORSAnyOrigin(t *testing.T) {
	h := mustCORS(t, AllowOrigins("*"), AllowHeaders("*"))(&ok{})
	resp := serve(h, withOrigin("GET", "https://whoever.net"))
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("Allow-Origin = %q, want *", got)
	}
	resp = serve(h, withOrigin("OPTIONS", "https://whoever.net", "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "x-anything"))
	if got := resp.Header.Get("Access-Control-Allow-Headers"); got != "x-anything" {
		t.Errorf("Allow-Headers = %q", got)
	}
}

func TestCORSBadConfig(t *testing.T) {
	for name, opts := range map[string][]CORSOption{
		"none":            nil,
		"path":            {AllowOrigins("https://a.com/x")},
		"no scheme":       {AllowOrigins("a.com")},
		"ftp":             {AllowOrigins("ftp://a.com")},
		"inner wildcard":  {AllowOrigins("https://a.*.com")},
		"any+credentials": {AllowOrigins("*"), AllowCredentials()},
	} {
		if _, err := CORS(opts...); err == nil {
			t.Errorf("%s: CORS accepted %v", name, opts)
		}
	}
}

// TestCORSDefaultHeadersCoverConditionalRequests checks that the default
// header list lets a page send every conditional request header.
func TestCORSDefaultHeadersCoverConditionalRequests(t *testing.T) {
	h := mustCORS(t, AllowOrigins("https://app.example.com"))(&ok{})
	for _, name := range []string{"if-none-match", "if-match", "if-modified-since", "if-unmodified-since"} {
		resp := serve(h, withOrigin("OPTIONS", "https://app.example.com",
			"Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", name))
		if resp.Status != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Headers") != name {
			t.Errorf("preflight for %s = %d, Allow-Headers %q", name, resp.Status, resp.Header.Get("Access-Control-Allow-Headers"))
		}
	}
}
