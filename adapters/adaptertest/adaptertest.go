// Package adaptertest is the table of HTTP cases every anyfunc adapter must
// pass. It is exported so that a third-party adapter can run it too.
//
// An adapter under test serves [Handler], configured with a request body
// limit of [MaxBodyBytes] and a handler deadline of [Deadline]. Its test
// supplies a [Harness] whose Transport carries a real *http.Request through
// the platform's format (for a Lambda adapter: build the event JSON, invoke,
// decode the event response) and returns the platform's answer as an
// *http.Response; [Run] sends every case through it and checks the answer to
// the byte.
//
// A case a platform cannot carry is listed in Harness.Skip with the reason;
// it is reported with t.Skip, never silently passed.
package adaptertest

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// Host is the host of the URLs of the requests [Run] sends. A Transport that
// forwards them to a real server rewrites it (see [ServerTransport]).
const Host = "adaptertest.invalid"

// Harness describes one adapter (or one mode of an adapter) under test.
type Harness struct {
	// Name names the adapter/mode in subtest names.
	Name string
	// Transport starts the adapter (or reuses one started earlier) and
	// returns an http.RoundTripper that carries a real *http.Request through
	// the platform's format (for Lambda: builds the event JSON, invokes,
	// decodes the event response) and returns the platform's answer as an
	// *http.Response.
	Transport func(t *testing.T) http.RoundTripper
	// Skip maps a case name to the reason this platform/mode cannot carry
	// it; a skipped case is reported with t.Skip(reason), never silently
	// passed. A name that is not a case fails the run.
	Skip map[string]string
}

// Run runs every case as a subtest of a subtest named h.Name.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.Transport == nil {
		t.Fatal("adaptertest: Harness.Transport is nil")
	}
	for name := range h.Skip {
		if !slices.Contains(Cases(), name) {
			t.Errorf("adaptertest: Harness.Skip names %q, which is not a case (cases: %s)", name, strings.Join(Cases(), ", "))
		}
	}
	t.Run(h.Name, func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if reason, ok := h.Skip[c.name]; ok {
					t.Skip(reason)
				}
				c.run(t, h.Transport(t))
			})
		}
	})
}

// Cases returns the case names, in the order [Run] runs them.
func Cases() []string {
	names := make([]string, len(cases))
	for i, c := range cases {
		names[i] = c.name
	}
	return names
}

// ServerTransport returns an http.RoundTripper that sends each request to
// the server at baseURL (for example an httptest.Server's URL) instead of
// [Host], keeping the path, query, headers and body as they are. It never
// adds or strips Content-Encoding, so compressed bodies arrive as sent.
func ServerTransport(baseURL string) http.RoundTripper {
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" {
		panic("adaptertest: ServerTransport: invalid base URL " + baseURL)
	}
	return &serverTransport{
		base: u,
		rt:   &http.Transport{DisableCompression: true, Proxy: nil},
	}
}

type serverTransport struct {
	base *url.URL
	rt   http.RoundTripper
}

func (s *serverTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.URL.Scheme = s.base.Scheme
	r.URL.Host = s.base.Host
	return s.rt.RoundTrip(r)
}

type testCase struct {
	name string
	run  func(t tb, rt http.RoundTripper)
}

// tb is the part of *testing.T the cases use, so that the package's own
// tests can run a case against a broken adapter and see it fail.
type tb interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// newRequest builds a request for Host; target is the escaped path and
// query, sent exactly as written.
func newRequest(t tb, method, target string, body []byte) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://"+Host+target, rd)
	if err != nil {
		t.Fatalf("building request %s %s: %v", method, target, err)
	}
	return req
}

// roundTrip sends req and returns the response and its whole body.
func roundTrip(t tb, rt http.RoundTripper, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: round trip failed: %v", req.Method, req.URL.RequestURI(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the response body: %v", req.Method, req.URL.RequestURI(), err)
	}
	return resp, body
}

func wantStatus(t tb, resp *http.Response, body []byte, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("status = %d, want %d; body: %.500q", resp.StatusCode, want, body)
	}
}

func wantHeader(t tb, resp *http.Response, name string, want ...string) {
	t.Helper()
	if got := resp.Header.Values(name); !slices.Equal(got, want) {
		t.Errorf("response header %s = %q, want %q", name, got, want)
	}
}

func wantBody(t tb, body, want []byte) {
	t.Helper()
	if !bytes.Equal(body, want) {
		t.Errorf("body = %d bytes (sha256 %s), want %d bytes (sha256 %s); got starts %.80q, want starts %.80q",
			len(body), sum(body), len(want), sum(want), body, want)
	}
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// echoOf sends req to an echo route, checks for a 200 JSON answer and decodes it.
func echoOf(t tb, rt http.RoundTripper, req *http.Request) Echo {
	t.Helper()
	resp, body := roundTrip(t, rt, req)
	wantStatus(t, resp, body, http.StatusOK)
	wantHeader(t, resp, "Content-Type", "application/json")
	var e Echo
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("decoding the echo body: %v; body: %.500q", err, body)
	}
	return e
}

func wantEqual[T comparable](t tb, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %q, want %q", what, any(got), any(want))
	}
}

func wantValues(t tb, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

// problemBody checks that body is an application/problem+json answer with
// the given status and returns it decoded.
func problemBody(t tb, resp *http.Response, body []byte, status int) map[string]any {
	t.Helper()
	wantStatus(t, resp, body, status)
	wantHeader(t, resp, "Content-Type", "application/problem+json")
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("decoding the problem body: %v; body: %.500q", err, body)
	}
	if got, _ := p["status"].(float64); int(got) != status {
		t.Errorf("problem status = %v, want %d; body: %s", p["status"], status, body)
	}
	if id, _ := p["requestId"].(string); id == "" {
		t.Errorf("problem has no requestId; body: %s", body)
	}
	return p
}

// pathCase checks that target reaches the handler with the decoded path
// wantPath and the escaped path wantEscaped (and, if non-nil, the query).
func pathCase(name, target, wantPath, wantEscaped string, wantQuery url.Values) testCase {
	return testCase{name, func(t tb, rt http.RoundTripper) {
		e := echoOf(t, rt, newRequest(t, http.MethodGet, target, nil))
		wantEqual(t, "handler's Path", e.Path, wantPath)
		wantEqual(t, "handler's EscapedPath()", e.EscapedPath, wantEscaped)
		for k, want := range wantQuery {
			wantValues(t, "handler's Query()["+k+"]", e.Query[k], want)
		}
		if wantQuery != nil && len(e.Query) != len(wantQuery) {
			t.Errorf("handler's Query() = %q, want %q", e.Query, wantQuery)
		}
	}}
}

// bodyOfSize returns n bytes of printable ASCII in a repeating pattern.
func bodyOfSize(n int) []byte {
	const pattern = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_\n"
	b := make([]byte, n)
	for i := range b {
		b[i] = pattern[i%len(pattern)]
	}
	return b
}

// splitList splits a comma-separated header value, trimming spaces.
func splitList(v string) []string {
	parts := strings.Split(v, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

var cases = []testCase{
	// Percent-encoded paths: an encoded slash stays inside its segment, and
	// %20, %25 and %3F decode once, without ending the path.
	pathCase("escaped-slash", "/adaptertest/echo/a%2Fb/c",
		"/adaptertest/echo/a/b/c", "/adaptertest/echo/a%2Fb/c", url.Values{}),
	pathCase("escaped-space", "/adaptertest/echo/a%20b",
		"/adaptertest/echo/a b", "/adaptertest/echo/a%20b", url.Values{}),
	pathCase("escaped-percent", "/adaptertest/echo/100%25/%2541",
		"/adaptertest/echo/100%/%41", "/adaptertest/echo/100%25/%2541", url.Values{}),
	pathCase("escaped-question", "/adaptertest/echo/what%3F?x=1",
		"/adaptertest/echo/what?", "/adaptertest/echo/what%3F", url.Values{"x": {"1"}}),
	// Repeated query keys keep their values in order; + is a space and %2B a plus.
	pathCase("repeated-query", "/adaptertest/echo/q?a=1&b=2&a=3&a=",
		"/adaptertest/echo/q", "/adaptertest/echo/q", url.Values{"a": {"1", "3", ""}, "b": {"2"}}),
	pathCase("query-plus", "/adaptertest/echo/q?q=a+b&r=c%2Bd&s=%20+",
		"/adaptertest/echo/q", "/adaptertest/echo/q", url.Values{"q": {"a b"}, "r": {"c+d"}, "s": {"  "}}),
	// Unicode in path and query, percent-encoded UTF-8 on the wire.
	pathCase("unicode", "/adaptertest/echo/h%C3%A9llo/%E2%9C%93?name=%E6%97%A5%E6%9C%AC&emoji=%F0%9F%98%80",
		"/adaptertest/echo/héllo/✓", "/adaptertest/echo/h%C3%A9llo/%E2%9C%93", url.Values{"name": {"日本"}, "emoji": {"😀"}}),
	{"malformed-query", func(t tb, rt http.RoundTripper) {
		// A query pair url.ParseQuery would drop (an invalid percent
		// escape) is refused with a 400 problem naming the parameter,
		// never served as if the parameter were absent.
		for _, tc := range []struct{ target, name string }{
			{"/adaptertest/echo/q?ok=1&done=%zz", `"done"`},
			{"/adaptertest/echo/q?limit=%zz", `"limit"`},
		} {
			resp, body := roundTrip(t, rt, newRequest(t, http.MethodGet, tc.target, nil))
			p := problemBody(t, resp, body, http.StatusBadRequest)
			wantEqual(t, "problem code", p["code"], any("invalid_query"))
			if detail, _ := p["detail"].(string); !strings.Contains(detail, tc.name) {
				t.Errorf("GET %s: problem detail %q does not name the parameter %s", tc.target, detail, tc.name)
			}
		}
	}},
	{"repeated-header", func(t tb, rt http.RoundTripper) {
		// Two header lines reach the handler as two values in order, or as
		// one comma-joined value (API Gateway v2, Function URLs): both mean
		// the same list (RFC 9110, section 5.3).
		req := newRequest(t, http.MethodGet, "/adaptertest/echo/h", nil)
		req.Header.Add("X-Adaptertest-Multi", "one")
		req.Header.Add("X-Adaptertest-Multi", "two")
		e := echoOf(t, rt, req)
		got := e.Header["X-Adaptertest-Multi"]
		if len(got) == 1 {
			got = splitList(got[0])
		}
		wantValues(t, "handler's X-Adaptertest-Multi values", got, []string{"one", "two"})
	}},
	{"comma-header", func(t tb, rt http.RoundTripper) {
		// A comma inside one header value is not a list separator to split on.
		req := newRequest(t, http.MethodGet, "/adaptertest/echo/h", nil)
		req.Header.Set("If-None-Match", `"a,b"`)
		req.Header.Set("X-Adaptertest-Date", "Wed, 21 Oct 2015 07:28:00 GMT")
		e := echoOf(t, rt, req)
		wantValues(t, "handler's If-None-Match", e.Header["If-None-Match"], []string{`"a,b"`})
		wantValues(t, "handler's X-Adaptertest-Date", e.Header["X-Adaptertest-Date"], []string{"Wed, 21 Oct 2015 07:28:00 GMT"})
	}},
	{"cookies-in", func(t tb, rt http.RoundTripper) {
		req := newRequest(t, http.MethodGet, "/adaptertest/echo/c", nil)
		req.Header.Add("Cookie", "a=1; b=two")
		req.Header.Add("Cookie", "c=3")
		e := echoOf(t, rt, req)
		want := [][2]string{{"a", "1"}, {"b", "two"}, {"c", "3"}}
		if !slices.Equal(e.Cookies, want) {
			t.Errorf("handler's Cookies() = %q, want %q", e.Cookies, want)
		}
	}},
	{"set-cookies", func(t tb, rt http.RoundTripper) {
		resp, body := roundTrip(t, rt, newRequest(t, http.MethodGet, "/adaptertest/set-cookies", nil))
		wantStatus(t, resp, body, http.StatusOK)
		wantHeader(t, resp, "Set-Cookie", setCookies...)
		wantBody(t, body, []byte("cookies set"))
	}},
	{"empty-200", func(t tb, rt http.RoundTripper) {
		resp, body := roundTrip(t, rt, newRequest(t, http.MethodGet, "/adaptertest/empty", nil))
		wantStatus(t, resp, body, http.StatusOK)
		wantBody(t, body, []byte{})
	}},
	{"no-content", func(t tb, rt http.RoundTripper) {
		resp, body := roundTrip(t, rt, newRequest(t, http.MethodDelete, "/adaptertest/no-content", nil))
		wantStatus(t, resp, body, http.StatusNoContent)
		wantHeader(t, resp, "X-Adaptertest", "no-content")
		wantBody(t, body, []byte{})
	}},
	{"redirect", func(t tb, rt http.RoundTripper) {
		resp, body := roundTrip(t, rt, newRequest(t, http.MethodGet, "/adaptertest/redirect", nil))
		wantStatus(t, resp, body, http.StatusFound)
		wantHeader(t, resp, "Location", redirectLocation)
	}},
	{"binary-roundtrip", func(t tb, rt http.RoundTripper) {
		req := newRequest(t, http.MethodPost, "/adaptertest/binary", pngBody)
		req.Header.Set("Content-Type", "image/png")
		resp, body := roundTrip(t, rt, req)
		wantStatus(t, resp, body, http.StatusOK)
		wantHeader(t, resp, "Content-Type", "image/png")
		wantBody(t, body, pngBody)
	}},
	{"gzip-out", func(t tb, rt http.RoundTripper) {
		req := newRequest(t, http.MethodGet, "/adaptertest/gzip", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, body := roundTrip(t, rt, req)
		wantStatus(t, resp, body, http.StatusOK)
		wantHeader(t, resp, "Content-Encoding", "gzip")
		wantHeader(t, resp, "Content-Type", "text/plain; charset=utf-8")
		wantBody(t, body, gzipBody)
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("the body is not gzip: %v", err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("the body does not decompress: %v", err)
		}
		wantBody(t, plain, []byte(strings.Repeat(gzipText, 64)))
	}},
	{"stream", func(t tb, rt http.RoundTripper) {
		resp, body := roundTrip(t, rt, newRequest(t, http.MethodGet, "/adaptertest/stream", nil))
		wantStatus(t, resp, body, http.StatusOK)
		wantHeader(t, resp, "Content-Type", "text/plain; charset=utf-8")
		wantBody(t, body, bytes.Join(streamChunks(), nil))
	}},
	{"body-at-limit", func(t tb, rt http.RoundTripper) {
		b := bodyOfSize(MaxBodyBytes)
		req := newRequest(t, http.MethodPost, "/adaptertest/echo/body", b)
		req.Header.Set("Content-Type", "text/plain")
		e := echoOf(t, rt, req)
		wantEqual(t, "handler's body length", e.BodyLength, MaxBodyBytes)
		wantEqual(t, "handler's body sha256", e.BodySHA256, sum(b))
	}},
	{"body-over-limit", func(t tb, rt http.RoundTripper) {
		req := newRequest(t, http.MethodPost, "/adaptertest/echo/body", bodyOfSize(MaxBodyBytes+1))
		req.Header.Set("Content-Type", "text/plain")
		resp, body := roundTrip(t, rt, req)
		problemBody(t, resp, body, http.StatusRequestEntityTooLarge)
	}},
	{"panic", func(t tb, rt http.RoundTripper) {
		resp, body := roundTrip(t, rt, newRequest(t, http.MethodGet, "/adaptertest/panic", nil))
		p := problemBody(t, resp, body, http.StatusInternalServerError)
		if bytes.Contains(body, []byte("secret")) || bytes.Contains(body, []byte("adaptertest:")) {
			t.Errorf("the problem body leaks the panic text: %s", body)
		}
		wantEqual(t, "problem code", p["code"], any("internal"))
		// The process keeps serving after a panic.
		e := echoOf(t, rt, newRequest(t, http.MethodGet, "/adaptertest/echo/after-panic", nil))
		wantEqual(t, "handler's Path after a panic", e.Path, "/adaptertest/echo/after-panic")
	}},
	{"deadline", func(t tb, rt http.RoundTripper) {
		resp, body := roundTrip(t, rt, newRequest(t, http.MethodGet, "/adaptertest/deadline", nil))
		p := problemBody(t, resp, body, http.StatusGatewayTimeout)
		wantEqual(t, "problem code", p["code"], any("timeout"))
	}},
	{"head", func(t tb, rt http.RoundTripper) {
		resp, body := roundTrip(t, rt, newRequest(t, http.MethodHead, "/adaptertest/head", nil))
		wantStatus(t, resp, body, http.StatusOK)
		wantHeader(t, resp, "X-Adaptertest-Method", http.MethodHead)
		wantHeader(t, resp, "Content-Type", "text/plain; charset=utf-8")
		wantBody(t, body, []byte{})
		// The same route answers GET with the body HEAD left out.
		resp, body = roundTrip(t, rt, newRequest(t, http.MethodGet, "/adaptertest/head", nil))
		wantStatus(t, resp, body, http.StatusOK)
		wantHeader(t, resp, "X-Adaptertest-Method", http.MethodGet)
		wantBody(t, body, []byte(headBody))
	}},
}
