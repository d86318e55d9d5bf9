package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// patternHandler answers with the matched pattern and its path values.
func patternHandler(names ...string) Handler {
	return HandlerFunc(func(ctx context.Context, r *Request) (*Response, error) {
		s := r.Pattern
		for _, n := range names {
			s += " " + n + "=" + r.PathValue(n)
		}
		return &Response{Body: []byte(s)}, nil
	})
}

// wildcardNames returns the wildcard names of a pattern.
func wildcardNames(pattern string) []string {
	var names []string
	for _, seg := range strings.Split(pattern, "/") {
		if strings.HasPrefix(seg, "{") && seg != "{$}" {
			names = append(names, strings.TrimSuffix(strings.Trim(seg, "{}"), "..."))
		}
	}
	return names
}

// serveRouter runs req through r the way an adapter does.
func serveRouter(r Handler, method, target string) *Response {
	u, err := url.ParseRequestURI(target)
	if err != nil {
		panic(err)
	}
	req := &Request{Method: method, Path: u.Path, RawQuery: u.RawQuery}
	if esc := u.EscapedPath(); esc != u.Path {
		req.RawPath = esc
	}
	return Serve(context.Background(), r, req)
}

// TestRouterMatchesServeMux registers the same patterns on a Router and on
// net/http.ServeMux and checks that every request picks the same pattern
// with the same path values, or gets the same status.
// differentialPatterns is registered on both a Router and a ServeMux.
var differentialPatterns = []string{
	"/",
	"/{$}",
	"GET /todos",
	"POST /todos",
	"GET /todos/{id}",
	"PUT /todos/{id}",
	"DELETE /todos/{id}",
	"GET /todos/{id}/items/{item}",
	"GET /todos/special",
	"/files/{path...}",
	"GET /files/readme",
	"/static/",
	"GET /static/{$}",
	"HEAD /head-only",
	"GET /users/{id}/",
	"/a%20b/{x}",
	"PATCH /todos/{id}",
	"GET /v1/{kind}/{id}/{sub...}",
	"GET /v1/{kind}/fixed",
}

// differential returns a ServeMux and a Router with differentialPatterns.
func differential() (*http.ServeMux, *Router) {
	mux := http.NewServeMux()
	router := NewRouter()
	for _, p := range differentialPatterns {
		names := wildcardNames(p)
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			s := r.Pattern
			for _, n := range names {
				s += " " + n + "=" + r.PathValue(n)
			}
			w.Write([]byte(s))
		})
		router.Handle(p, patternHandler(names...))
	}
	return mux, router
}

// compareWithServeMux serves method and target on both and reports any
// difference in status, matched pattern and path values, Location or Allow.
func compareWithServeMux(t *testing.T, mux *http.ServeMux, router *Router, method, target string) {
	t.Helper()
	u, err := url.ParseRequestURI(target)
	if err != nil || !strings.HasPrefix(target, "/") {
		return
	}
	hr := &http.Request{Method: method, URL: u, Host: "example.com", Header: http.Header{}, RequestURI: target}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, hr)
	resp := serveRouter(router, method, target)
	name := method + " " + target
	if resp.StatusCode() != rec.Code {
		t.Errorf("%s: status %d, ServeMux %d (%s)", name, resp.StatusCode(), rec.Code, resp.Body)
		return
	}
	switch rec.Code {
	case 200:
		if string(resp.Body) != rec.Body.String() {
			t.Errorf("%s: matched %q, ServeMux %q", name, resp.Body, rec.Body.String())
		}
	case 307:
		// For a clean-path redirect ServeMux escapes the cleaned, already
		// escaped path once more ("%20" becomes "%2520", "!" becomes
		// "%21"); the Router keeps it as received.
		// Both escape bytes a Location cannot hold; the Router in upper
		// case and spaces and controls too.
		got, want := resp.Header.Get("Location"), strings.ToUpper(escapeLocation(rec.Header().Get("Location")))
		got = strings.ToUpper(got)
		gotPath, gotQuery, _ := strings.Cut(got, "?")
		wantPath, wantQuery, _ := strings.Cut(want, "?")
		if unescaped, _ := url.PathUnescape(wantPath); gotPath != wantPath && gotPath != unescaped || gotQuery != wantQuery {
			t.Errorf("%s: Location %q, ServeMux %q", name, got, want)
		}
	case 405:
		if got, want := resp.Header.Get("Allow"), rec.Header().Get("Allow"); got != want {
			t.Errorf("%s: Allow %q, ServeMux %q", name, got, want)
		}
	}
}

// TestRouterMatchesServeMux checks that every request picks the same
// pattern with the same path values as net/http.ServeMux, or gets the same
// status.
func TestRouterMatchesServeMux(t *testing.T) {
	mux, router := differential()
	for _, rq := range differentialRequests {
		compareWithServeMux(t, mux, router, rq.method, rq.target)
	}
}

var differentialRequests = []struct{ method, target string }{
	{"GET", "/"}, {"POST", "/"}, {"GET", "/nothing"}, {"GET", "/todos"}, {"POST", "/todos"},
	{"DELETE", "/todos"}, {"HEAD", "/todos"}, {"GET", "/todos/1"}, {"PUT", "/todos/1"},
	{"PATCH", "/todos/1"}, {"POST", "/todos/1"}, {"GET", "/todos/special"},
	{"PUT", "/todos/special"}, {"GET", "/todos/1/items/2"}, {"GET", "/todos/1/items/2/3"},
	{"GET", "/todos/"}, {"GET", "/files/"}, {"GET", "/files/a/b/c"}, {"GET", "/files/a%2Fb/c%20d"},
	{"GET", "/files/readme"}, {"POST", "/files/readme"}, {"GET", "/static/"}, {"GET", "/static/x/y"},
	{"POST", "/static/"}, {"HEAD", "/head-only"}, {"GET", "/head-only"}, {"GET", "/users/7/"},
	{"GET", "/users/7/x"}, {"GET", "/users/7"}, {"GET", "/a%20b/%2F"}, {"GET", "/todos/a%2Fb"},
	{"GET", "/todos/%E2%9C%93"}, {"GET", "/v1/k/i/s/t"}, {"GET", "/v1/k/fixed"}, {"GET", "/v1/k/i/"},
	{"GET", "/v1/k/i"}, {"GET", "/static"}, {"GET", "/todos/1/../2"}, {"GET", "/todos//1"},
	{"GET", "/files/./x"}, {"DELETE", "/todos/1"}, {"OPTIONS", "/todos/1"},
}

// FuzzRouterMatchesServeMux compares the Router with ServeMux on arbitrary
// paths.
func FuzzRouterMatchesServeMux(f *testing.F) {
	for _, rq := range differentialRequests {
		f.Add(rq.method, rq.target)
	}
	mux, router := differential()
	f.Fuzz(func(t *testing.T, method, target string) {
		if !standardMethods[method] {
			return // the Router answers 501 where ServeMux answers 404 or 405
		}
		compareWithServeMux(t, mux, router, method, target)
	})
}

func TestRouterPathValuesAndPattern(t *testing.T) {
	r := NewRouter()
	r.Handle("GET /files/{dir}/{path...}", patternHandler("dir", "path"))
	r.Handle("GET /x/{a}/{b}", patternHandler("a", "b"))
	for _, c := range []struct{ target, want string }{
		{"/files/a%2Fb/c/d%20e", "GET /files/{dir}/{path...} dir=a/b path=c/d e"},
		{"/files/d/", "GET /files/{dir}/{path...} dir=d path="},
		{"/x/%E2%9C%93/100%25", "GET /x/{a}/{b} a=✓ b=100%"},
	} {
		resp := serveRouter(r, "GET", c.target)
		if resp.StatusCode() != 200 || string(resp.Body) != c.want {
			t.Errorf("GET %s = %d %q, want 200 %q", c.target, resp.StatusCode(), resp.Body, c.want)
		}
	}
	// An escaped slash stays in its segment: it does not make two.
	if resp := serveRouter(r, "GET", "/x/a%2Fb"); resp.StatusCode() != 404 {
		t.Errorf("GET /x/a%%2Fb = %d, want 404", resp.StatusCode())
	}
}

// problemOf decodes a problem response and checks its status and code.
func problemOf(t *testing.T, resp *Response, status int, code string) map[string]any {
	t.Helper()
	if resp.StatusCode() != status {
		t.Fatalf("status = %d, want %d; body %s", resp.StatusCode(), status, resp.Body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json", ct)
	}
	var p map[string]any
	if err := json.Unmarshal(resp.Body, &p); err != nil {
		t.Fatalf("problem body: %v: %s", err, resp.Body)
	}
	if p["code"] != code || p["status"] != float64(status) || p["type"] != DefaultProblemTypeBase+code {
		t.Errorf("problem = %s, want status %d code %q", resp.Body, status, code)
	}
	if p["requestId"] == "" || p["requestId"] == nil {
		t.Errorf("problem has no requestId: %s", resp.Body)
	}
	return p
}

func TestRouterNotFoundMethodNotAllowedNotImplemented(t *testing.T) {
	r := NewRouter()
	r.Handle("GET /todos/{id}", patternHandler())
	r.Handle("DELETE /todos/{id}", patternHandler())
	r.Handle("PROPFIND /dav/", patternHandler())

	p := problemOf(t, serveRouter(r, "GET", "/nope"), 404, "not_found")
	if p["detail"] != "No resource matches the path." {
		t.Errorf("404 detail = %q", p["detail"])
	}

	resp := serveRouter(r, "POST", "/todos/1")
	problemOf(t, resp, 405, "method_not_allowed")
	if got := resp.Header.Values("Allow"); len(got) != 1 || got[0] != "DELETE, GET, HEAD" {
		t.Errorf("Allow = %q, want [\"DELETE, GET, HEAD\"]", got)
	}

	// A method no pattern uses and that is not standard: 501, wherever the path.
	problemOf(t, serveRouter(r, "BREW", "/todos/1"), 501, "not_implemented")
	problemOf(t, serveRouter(r, "BREW", "/nope"), 501, "not_implemented")
	// A non-standard method some pattern uses is known: 405 or 404.
	problemOf(t, serveRouter(r, "PROPFIND", "/todos/1"), 405, "method_not_allowed")
	problemOf(t, serveRouter(r, "PROPFIND", "/nope"), 404, "not_found")
	// A standard method no pattern uses: 405 with Allow.
	problemOf(t, serveRouter(r, "PATCH", "/todos/1"), 405, "method_not_allowed")
}

func TestRouterHeadMatchesGet(t *testing.T) {
	r := NewRouter()
	r.Handle("GET /page", patternHandler())
	resp := serveRouter(r, "HEAD", "/page")
	if resp.StatusCode() != 200 || string(resp.Body) != "GET /page" {
		t.Errorf("HEAD /page = %d %q, want 200 from GET /page", resp.StatusCode(), resp.Body)
	}
	r.Handle("HEAD /page", patternHandler())
	if resp := serveRouter(r, "HEAD", "/page"); string(resp.Body) != "HEAD /page" {
		t.Errorf("HEAD /page with a HEAD pattern matched %q", resp.Body)
	}
}

func TestRouterEmptyMethodIsGet(t *testing.T) {
	r := NewRouter()
	r.Handle("GET /", patternHandler())
	if resp := Serve(context.Background(), r, &Request{}); string(resp.Body) != "GET /" {
		t.Errorf("zero Request matched %d %q, want GET /", resp.StatusCode(), resp.Body)
	}
}

func mustPanic(t *testing.T, wantSubstrings []string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		v := recover()
		if v == nil {
			t.Errorf("no panic, want one mentioning %q", wantSubstrings)
			return
		}
		msg, _ := v.(string)
		for _, s := range wantSubstrings {
			if !strings.Contains(msg, s) {
				t.Errorf("panic %q does not mention %q", msg, s)
			}
		}
	}()
	f()
}

func TestRouterConflictsPanic(t *testing.T) {
	for _, c := range [][2]string{
		{"GET /a/{x}", "GET /a/{y}"},
		{"/a/{x}", "/{y}/b"},
		{"GET /{x}", "/a"},
		{"/todos/", "/todos/{rest...}"},
		{"GET /a", "GET /a"},
		{"HEAD /a/{x}", "GET /a/b"},
	} {
		mustPanic(t, []string{c[0], c[1], "conflicts with", "router_test.go:"}, func() {
			r := NewRouter()
			r.Handle(c[0], patternHandler())
			r.Handle(c[1], patternHandler())
		})
	}
	// Patterns that overlap with one more specific do not conflict.
	r := NewRouter()
	for _, p := range []string{"/", "GET /{$}", "/a/{x}", "/a/b", "GET /a/b", "HEAD /a/b", "/a/{x}/{y...}", "/a/{$}", "POST /b/{x}"} {
		r.Handle(p, patternHandler())
	}
}

// TestRouterConflictsAsServeMux registers pairs of patterns on a Router
// and on net/http.ServeMux and checks that both panic, or neither.
func TestRouterConflictsAsServeMux(t *testing.T) {
	patterns := []string{
		"/", "GET /", "/{$}", "GET /{$}", "/a", "GET /a", "HEAD /a", "POST /a", "/a/", "GET /a/",
		"/a/{x}", "GET /a/{x}", "/a/{y}", "/a/b", "GET /a/b", "/{x}/b", "/a/{x}/{y...}", "/a/{x...}",
		"/a/{$}", "GET /a/{$}", "/static/", "GET /static/{path...}", "/{x}", "GET /{x}/{y}", "/a/b/c",
		"/{x}/{y}/c", "/a/{x}/c", "DELETE /a/{x}",
	}
	noop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	panics := func(f func()) (panicked bool) {
		defer func() { panicked = recover() != nil }()
		f()
		return false
	}
	for _, p1 := range patterns {
		for _, p2 := range patterns {
			muxPanics := panics(func() {
				m := http.NewServeMux()
				m.Handle(p1, noop)
				m.Handle(p2, noop)
			})
			routerPanics := panics(func() {
				r := NewRouter()
				r.Handle(p1, patternHandler())
				r.Handle(p2, patternHandler())
			})
			if muxPanics != routerPanics {
				t.Errorf("%q then %q: Router panics = %v, ServeMux panics = %v", p1, p2, routerPanics, muxPanics)
			}
		}
	}
}

func TestRouterBadPatternsPanic(t *testing.T) {
	for pattern, msg := range map[string]string{
		"example.com/a":    "host-less",
		"GET example.com/": "host-less",
		"/a/{x":            "wildcard",
		"/a/x}":            "wildcard",
		"/a/{x}y":          "wildcard",
		"/{x...}/b":        "must be the last segment",
		"/a/{$}/b":         "must be the last segment",
		"/{1x}":            "bad wildcard name",
		"/{x}/{x}":         "duplicate wildcard name",
		"":                 "empty path",
		"GET ":             "empty path",
		"G(T /a":           "bad method",
		"/a//b":            "empty segment",
		"/a/../b":          "clean",
		"/a%zz":            "bad escape",
	} {
		mustPanic(t, []string{msg, "router_test.go:"}, func() { NewRouter().Handle(pattern, patternHandler()) })
	}
	mustPanic(t, []string{"nil handler"}, func() { NewRouter().Handle("/", nil) })
	mustPanic(t, []string{"prefix"}, func() { NewRouter().Route("v1", nil) })
	mustPanic(t, []string{"prefix"}, func() { NewRouter().Route("/{v}", nil) })
}

// mark returns middleware that adds name to the X-Mw response header.
func mark(name string) Middleware {
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, r *Request) (*Response, error) {
			resp, err := next.ServeRequest(ctx, r)
			if err != nil {
				resp = ErrorResponse(err, r.RequestID)
			}
			if resp == nil {
				resp = &Response{}
			}
			if resp.Header == nil {
				resp.Header = http.Header{}
			}
			resp.Header.Add("X-Mw", name)
			return resp, nil
		})
	}
}

func TestRouterGroups(t *testing.T) {
	r := NewRouter()
	r.Use(mark("root"))
	r.Handle("GET /health", patternHandler())
	r.Route("/v1", func(v1 *Router) {
		v1.Use(mark("v1"))
		v1.Handle("GET /todos/{id}", patternHandler("id"))
		v1.Route("/admin/", func(admin *Router) {
			admin.Use(mark("admin"))
			admin.Handle("DELETE /todos/{id}", patternHandler("id"))
		})
	})
	v2 := r.Route("/v2", nil)
	v2.Group(func(authed *Router) {
		authed.Use(mark("authed"))
		authed.Handle("PUT /todos/{id}", patternHandler("id"))
	})
	v2.Handle("GET /todos/{id}", patternHandler("id"))
	v2.Handle("GET /{$}", patternHandler())

	for _, c := range []struct {
		method, target, body string
		status               int
		mws                  []string
	}{
		{"GET", "/health", "GET /health", 200, []string{"root"}},
		{"GET", "/v1/todos/7", "GET /v1/todos/{id} id=7", 200, []string{"v1", "root"}},
		{"DELETE", "/v1/admin/todos/7", "DELETE /v1/admin/todos/{id} id=7", 200, []string{"admin", "v1", "root"}},
		{"GET", "/v2/todos/8", "GET /v2/todos/{id} id=8", 200, []string{"root"}},
		{"PUT", "/v2/todos/8", "PUT /v2/todos/{id} id=8", 200, []string{"authed", "root"}},
		{"GET", "/v2/", "GET /v2/{$}", 200, []string{"root"}},
		{"GET", "/v3/todos/8", "", 404, []string{"root"}},
		{"POST", "/v1/todos/7", "", 405, []string{"root"}},
	} {
		resp := serveRouter(r, c.method, c.target)
		if resp.StatusCode() != c.status || c.body != "" && string(resp.Body) != c.body {
			t.Errorf("%s %s = %d %q, want %d %q", c.method, c.target, resp.StatusCode(), resp.Body, c.status, c.body)
		}
		if got := resp.Header.Values("X-Mw"); strings.Join(got, ",") != strings.Join(c.mws, ",") {
			t.Errorf("%s %s ran middleware %q, want %q", c.method, c.target, got, c.mws)
		}
	}
	// Serving through a group serves the whole tree.
	if resp := serveRouter(v2, "GET", "/health"); resp.StatusCode() != 200 {
		t.Errorf("GET /health through the v2 group = %d", resp.StatusCode())
	}
	mustPanic(t, []string{"Use", "/v2"}, func() { v2.Use(mark("late")) })
	mustPanic(t, []string{"conflicts with", "GET /v1/todos/{id}"}, func() {
		r.Handle("GET /v1/todos/{other}", patternHandler())
	})
}

func TestRouterRedirects(t *testing.T) {
	r := NewRouter()
	r.Handle("/tree/", patternHandler())
	r.Handle("/a/b", patternHandler())
	r.Handle("GET /static/{path...}", patternHandler())
	for _, c := range []struct {
		method, target, location string
		status                   int
	}{
		{"GET", "/tree", "/tree/", 307},
		{"POST", "/tree?x=1", "/tree/?x=1", 307},
		{"GET", "/a//b?q=%2F", "/a/b?q=%2F", 307},
		{"PUT", "/a/./c/../b", "/a/b", 307},
		{"GET", "/a/b/..", "/a", 307},
		{"GET", "/a/b/../", "/a/", 307},
		// Dot segments spelled with escapes are dot segments once decoded.
		{"GET", "/static/%2E%2E/%2e%2e/etc/passwd", "/etc/passwd", 307},
		{"GET", "/static/..%2Fsecret", "/secret", 307},
		{"GET", "/static/%2E/x%20y?q=1", "/static/x%20y?q=1", 307},
	} {
		resp := serveRouter(r, c.method, c.target)
		if resp.StatusCode() != c.status || resp.Header.Get("Location") != c.location {
			t.Errorf("%s %s = %d Location %q, want %d %q", c.method, c.target, resp.StatusCode(), resp.Header.Get("Location"), c.status, c.location)
		}
	}
	// A redirect keeps the base path the platform stripped.
	req := &Request{Method: "GET", Path: "/tree", BasePath: "/prod"}
	if loc := Serve(context.Background(), r, req).Header.Get("Location"); loc != "/prod/tree/" {
		t.Errorf("redirect behind BasePath /prod: Location %q, want /prod/tree/", loc)
	}
}

// benchRoutes are 20 routes of a typical API.
var benchRoutes = []string{
	"GET /healthz", "GET /v1/todos", "POST /v1/todos", "GET /v1/todos/{id}", "PUT /v1/todos/{id}",
	"PATCH /v1/todos/{id}", "DELETE /v1/todos/{id}", "GET /v1/todos/{id}/items", "POST /v1/todos/{id}/items",
	"GET /v1/users", "POST /v1/users", "GET /v1/users/{id}", "PUT /v1/users/{id}", "DELETE /v1/users/{id}",
	"GET /v1/users/{id}/todos", "GET /v1/search", "POST /v1/login", "POST /v1/logout",
	"GET /static/{path...}", "GET /{$}",
}

// benchRouter returns a Router with benchRoutes.
func benchRouter() *Router {
	r := NewRouter()
	noop := HandlerFunc(func(context.Context, *Request) (*Response, error) { return nil, nil })
	for _, p := range benchRoutes {
		r.Handle(p, noop)
	}
	return r
}

func BenchmarkRouter(b *testing.B) {
	r := benchRouter()
	ctx := context.Background()
	req := &Request{Method: "GET", Path: "/v1/users/12345/todos"}
	b.ReportAllocs()
	for b.Loop() {
		req.pathParams = nil // count the path parameters' allocation, as for a fresh request
		if _, err := r.ServeRequest(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
	if req.PathValue("id") != "12345" {
		b.Fatalf("id = %q", req.PathValue("id"))
	}
}

// BenchmarkServeMux is the reference for BenchmarkRouter: net/http.ServeMux
// routing the same request among the same routes, on a machine as loaded.
func BenchmarkServeMux(b *testing.B) {
	mux := http.NewServeMux()
	for _, p := range benchRoutes {
		mux.HandleFunc(p, func(http.ResponseWriter, *http.Request) {})
	}
	hr := httptest.NewRequest("GET", "/v1/users/12345/todos", nil)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		mux.ServeHTTP(w, hr)
	}
}

// scaleRoutes returns n patterns of a REST API with n/5 resources (list,
// create, read, replace, delete each), as an application with many routes
// registers them.
func scaleRoutes(n int) []string {
	ps := make([]string, 0, n)
	for i := 0; len(ps) < n; i++ {
		for _, p := range []string{"GET /v1/res%d", "POST /v1/res%d", "GET /v1/res%d/{id}", "PUT /v1/res%d/{id}", "DELETE /v1/res%d/{id}"} {
			if len(ps) < n {
				ps = append(ps, fmt.Sprintf(p, i))
			}
		}
	}
	return ps
}

// BenchmarkRegister measures registering 10 to 1,000 routes on a Router and,
// as the reference, on a net/http.ServeMux; compare the two with
// benchstat -col /impl.
func BenchmarkRegister(b *testing.B) {
	noop := HandlerFunc(func(context.Context, *Request) (*Response, error) { return nil, nil })
	noopHTTP := func(http.ResponseWriter, *http.Request) {}
	for _, n := range []int{10, 100, 1000} {
		ps := scaleRoutes(n)
		b.Run(fmt.Sprintf("routes=%d/impl=router", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := NewRouter()
				for _, p := range ps {
					r.Handle(p, noop)
				}
			}
		})
		b.Run(fmt.Sprintf("routes=%d/impl=servemux", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				mux := http.NewServeMux()
				for _, p := range ps {
					mux.HandleFunc(p, noopHTTP)
				}
			}
		})
	}
}

// TestRegisterManyRoutes checks that the conflict index still finds a
// conflict among many routes, whichever position narrows the search.
func TestRegisterManyRoutes(t *testing.T) {
	r := NewRouter()
	noop := HandlerFunc(func(context.Context, *Request) (*Response, error) { return nil, nil })
	for _, p := range scaleRoutes(1000) {
		r.Handle(p, noop)
	}
	// Patterns that conflict only with a route found through each way the
	// index narrows the search: a shared literal, the multi routes, and the
	// whole index for a pattern made only of wildcards.
	r.Handle("GET /{a}/{b}/{c}", noop)         // more general than every route
	r.Handle("GET /v1/res3/x/{rest...}", noop) // under no other route
	for _, p := range []string{
		"GET /v1/res7/{other}",    // same requests as GET /v1/res7/{id}
		"GET /{x}/res0/7",         // overlaps GET /v1/res0/{id}
		"GET /v1/res3/x/{all...}", // same requests as GET /v1/res3/x/{rest...}
		"GET /{x}/{y}/{z}",        // same requests as GET /{a}/{b}/{c}
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Handle(%q) among 1,000 routes did not panic", p)
				}
			}()
			r.Handle(p, noop)
		}()
	}
	for path, want := range map[string]string{"/v1/res199/x": "GET /v1/res199/{id}", "/v1/res0": "GET /v1/res0"} {
		req := &Request{Method: "GET", Path: path}
		if _, err := r.ServeRequest(context.Background(), req); err != nil || req.Pattern != want {
			t.Errorf("GET %s: pattern %q, err %v; want %q", path, req.Pattern, err, want)
		}
	}
}

// TestRouteIndexFindsEveryConflict checks the index against comparing with
// every registered route, on random patterns: every route that is not
// disjoint from a new pattern is among its candidates.
func TestRouteIndexFindsEveryConflict(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	segs := []string{"a", "b", "{w}", "{v}"}
	methods := []string{"", "GET ", "HEAD ", "POST "}
	var x routeIndex
	var all []*route
	for range 3000 {
		p := methods[rng.IntN(len(methods))]
		for n := 1 + rng.IntN(3); n > 0; n-- {
			p += "/" + segs[rng.IntN(len(segs))]
		}
		switch rng.IntN(4) {
		case 0:
			p += "/"
		case 1:
			p += "/{m...}"
		case 2:
			p += "/{$}"
		}
		rt, err := parsePattern(p, "")
		if err != nil {
			continue // a duplicate wildcard name
		}
		found := map[*route]bool{}
		x.candidates(rt, func(old *route) { found[old] = true })
		for _, old := range all {
			if compareRoutes(rt, old) != disjoint && !found[old] {
				t.Fatalf("pattern %q: the index misses %q", rt.pattern, old.pattern)
			}
		}
		x.add(rt)
		all = append(all, rt)
	}
}

// TestIsClean checks isClean against its definition on every path of up
// to 7 bytes over "/", "." and "a".
func TestIsClean(t *testing.T) {
	ref := func(p string) bool {
		if p == "" || p[0] != '/' {
			return false
		}
		segs := strings.Split(p[1:], "/")
		for i, s := range segs {
			if s == "." || s == ".." || s == "" && i < len(segs)-1 {
				return false
			}
		}
		return true
	}
	var walk func(p string)
	walk = func(p string) {
		if got, want := isClean(p), ref(p); got != want {
			t.Errorf("isClean(%q) = %v, want %v", p, got, want)
		}
		if len(p) < 7 {
			for _, c := range []string{"/", ".", "a"} {
				walk(p + c)
			}
		}
	}
	walk("")
}
