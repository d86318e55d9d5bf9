package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/anyfunc/anyfunc/adapters/adaptertest"
	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/adapterkit"
)

func TestParsePath(t *testing.T) {
	for _, c := range []struct{ in, path, raw string }{
		{"", "/", ""},
		{"/", "/", ""},
		{"/todos/1", "/todos/1", ""},
		{"/a%2Fb/c", "/a/b/c", "/a%2Fb/c"},
		{"/a%20b", "/a b", "/a%20b"},
		{"/100%25", "/100%", "/100%25"},
		{"/h%C3%A9", "/hé", "/h%C3%A9"},
		{"/a+b", "/a+b", ""},
	} {
		path, raw, err := adapterkit.ParsePath(c.in)
		if err != nil || path != c.path || raw != c.raw {
			t.Errorf("parsePath(%q) = %q, %q, %v; want %q, %q", c.in, path, raw, err, c.path, c.raw)
		}
	}
	for _, in := range []string{"/a%zz", "/100%", "/%4", "todos", "*"} {
		_, _, err := adapterkit.ParsePath(in)
		var he *handler.Error
		if !errors.As(err, &he) || he.Status != 400 || he.Code != "invalid_path" {
			t.Errorf("parsePath(%q) error = %v, want a 400 invalid_path *Error", in, err)
		}
	}
	resp := handler.ErrorResponse(func() error { _, _, err := adapterkit.ParsePath("/a%zz"); return err }(), "rid")
	want := `{"type":"https://anyfunc.dev/problems/invalid_path","title":"Bad Request","status":400,"detail":"The request path contains an invalid percent-escape.","code":"invalid_path","requestId":"rid"}`
	if resp.Status != 400 || string(resp.Body) != want {
		t.Errorf("problem = %d %s, want 400 %s", resp.Status, resp.Body, want)
	}
}

func TestReadBody(t *testing.T) {
	b, err := adapterkit.ReadBody(strings.NewReader("12345"), 5)
	if err != nil || string(b) != "12345" {
		t.Errorf("at the limit: %q, %v", b, err)
	}
	_, err = adapterkit.ReadBody(strings.NewReader("123456"), 5)
	if he := handler.AsError(err); he.Status != 413 || he.Message != "The request body is larger than the limit of 5 bytes." {
		t.Errorf("over the limit: %v", err)
	}
	if b, err := adapterkit.ReadBody(strings.NewReader(""), 0); b != nil || err != nil {
		t.Errorf("empty: %q, %v; want nil, nil", b, err)
	}
	_, err = adapterkit.ReadBody(io.MultiReader(strings.NewReader("x"), errReader{}), 0)
	if he := handler.AsError(err); he.Status != 400 || he.Code != "unreadable_body" {
		t.Errorf("read failure: %v", err)
	}
}

// TestRequestFromHTTPBodySize reads bodies whose Content-Length is right,
// too small, too large, absent or implausibly large: the body is always
// what was sent, and a right one is read into a buffer of its size rather
// than one grown by doubling.
func TestRequestFromHTTPBodySize(t *testing.T) {
	body := strings.Repeat("0123456789", 300)
	for _, cl := range []int64{3000, 0, 10, 2999, 3001, 5000, -1, 1 << 40} {
		hr := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		hr.ContentLength = cl
		r, err := adapterkit.RequestFromHTTP(hr)
		if err != nil || string(r.Body) != body {
			t.Fatalf("Content-Length %d: %d bytes, %v", cl, len(r.Body), err)
		}
		if cl == 3000 && cap(r.Body) != 3001 {
			t.Errorf("Content-Length 3000: buffer of %d bytes, want 3001", cap(r.Body))
		}
	}
	hr := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	hr.Body = http.MaxBytesReader(httptest.NewRecorder(), hr.Body, 2000)
	if _, err := adapterkit.RequestFromHTTP(hr); handler.AsError(err).Status != 413 {
		t.Errorf("over MaxBytesReader's limit: %v", err)
	}
	hr = httptest.NewRequest(http.MethodPost, "/", io.MultiReader(strings.NewReader("x"), errReader{}))
	if _, err := adapterkit.RequestFromHTTP(hr); handler.AsError(err).Code != "unreadable_body" {
		t.Errorf("read failure: %v", err)
	}
}

// TestRequestFromHTTPUnbackedContentLength checks that a Content-Length the
// client does not back with a body costs no buffer of that size: anyone can
// declare a large body and send nothing (or a few bytes) and hold the
// connection until the read times out, so a buffer sized on their word
// would let each such connection hold that memory. A 10-byte body declared
// as 1 MiB - 1 must cost a small fraction of that (io.ReadAll's growth as
// the bytes arrive would cost 512 bytes).
func TestRequestFromHTTPUnbackedContentLength(t *testing.T) {
	const declared, n = 1<<20 - 1, 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range n {
		hr := httptest.NewRequest(http.MethodPost, "/", io.MultiReader(strings.NewReader("0123456789"), errReader{}))
		hr.ContentLength = declared
		if _, err := adapterkit.RequestFromHTTP(hr); handler.AsError(err).Code != "unreadable_body" {
			t.Fatalf("a body cut short: %v", err)
		}
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / n; per > declared/8 {
		t.Errorf("%d bytes allocated per request for a 10-byte body declared as %d bytes", per, declared)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// flushRecorder records each write and each flush, in order.
type flushRecorder struct {
	header http.Header
	status int
	events []string
}

func (f *flushRecorder) Header() http.Header { return f.header }
func (f *flushRecorder) WriteHeader(code int) {
	if f.status == 0 {
		f.status = code
	}
}
func (f *flushRecorder) Write(p []byte) (int, error) {
	if f.status == 0 {
		f.status = 200
	}
	f.events = append(f.events, "write "+string(p))
	return len(p), nil
}
func (f *flushRecorder) Flush() { f.events = append(f.events, "flush") }

// chunks is a Stream returning one chunk per Read, then err (io.EOF if nil).
type chunks struct {
	parts  []string
	err    error
	closed bool
}

func (c *chunks) Read(p []byte) (int, error) {
	if len(c.parts) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		return 0, io.EOF
	}
	n := copy(p, c.parts[0])
	c.parts = c.parts[1:]
	return n, nil
}

func (c *chunks) Close() error { c.closed = true; return nil }

func TestHTTPWritesResponseFaithfully(t *testing.T) {
	h := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		return &handler.Response{
			Status: http.StatusCreated,
			Header: http.Header{
				"Set-Cookie": {"a=1; Path=/", "b=2; HttpOnly", "c=3; Expires=Wed, 21 Oct 2037 07:28:00 GMT"},
				"X-Multi":    {"one", "two"},
				"Location":   {"/todos/1"},
			},
			Body: []byte(`{"id":"1"}`),
		}, nil
	})
	for _, method := range []string{"POST", "HEAD"} {
		rec := httptest.NewRecorder()
		handler.HTTP(h).ServeHTTP(rec, httptest.NewRequest(method, "/todos", nil))
		if rec.Code != 201 {
			t.Errorf("%s: status %d", method, rec.Code)
		}
		if got := rec.Header().Values("Set-Cookie"); len(got) != 3 || got[2] != "c=3; Expires=Wed, 21 Oct 2037 07:28:00 GMT" {
			t.Errorf("%s: Set-Cookie %q", method, got)
		}
		if got := rec.Header().Values("X-Multi"); !slices.Equal(got, []string{"one", "two"}) {
			t.Errorf("%s: X-Multi %q", method, got)
		}
		if got := rec.Header().Get("Content-Length"); got != "10" {
			t.Errorf("%s: Content-Length %q, want 10", method, got)
		}
		wantBody := `{"id":"1"}`
		if method == "HEAD" {
			wantBody = ""
		}
		if rec.Body.String() != wantBody {
			t.Errorf("%s: body %q, want %q", method, rec.Body.String(), wantBody)
		}
	}
}

// TestHTTPContentLength checks the Content-Length of byte bodies on both
// sides of the sizes whose digits strconv.Itoa allocates, and that an
// outer writer's append to the value does not reach another response's.
func TestHTTPContentLength(t *testing.T) {
	var recs []*httptest.ResponseRecorder
	for _, n := range []int{0, 9, 99, 100, 12345, 5 << 20} {
		body := bytes.Repeat([]byte("x"), n)
		rec := httptest.NewRecorder()
		handler.HTTP(handler.HandlerFunc(func(context.Context, *handler.Request) (*handler.Response, error) {
			return &handler.Response{Body: body}, nil
		})).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if got := rec.Header().Values("Content-Length"); len(got) != 1 || got[0] != fmt.Sprint(n) || rec.Body.Len() != n {
			t.Errorf("%d bytes: Content-Length %q, body %d bytes", n, got, rec.Body.Len())
		}
		recs = append(recs, rec)
	}
	for _, rec := range recs {
		rec.Header().Add("Content-Length", "1")
	}
	for i, n := range []int{0, 9, 99, 100, 12345, 5 << 20} {
		if got := recs[i].Header().Values("Content-Length"); len(got) != 2 || got[0] != fmt.Sprint(n) || got[1] != "1" {
			t.Errorf("%d bytes: Content-Length %q after an append", n, got)
		}
	}
}

func TestHTTPNilResponseIs200(t *testing.T) {
	rec := httptest.NewRecorder()
	handler.HTTP(handler.HandlerFunc(func(context.Context, *handler.Request) (*handler.Response, error) {
		return nil, nil
	})).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 200 || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") != "0" {
		t.Errorf("nil response: %d %v %q", rec.Code, rec.Header(), rec.Body)
	}
}

// A status net/http cannot send (it would panic and drop the connection)
// is answered as a 500 problem, as the Lambda and Azure adapters do.
func TestHTTPInvalidStatusIs500(t *testing.T) {
	for _, status := range []int{42, 1000} {
		rec := httptest.NewRecorder()
		handler.HTTP(handler.HandlerFunc(func(context.Context, *handler.Request) (*handler.Response, error) {
			return &handler.Response{Status: status, Header: http.Header{"X-Secret": {"s"}}, Body: []byte("x")}, nil
		})).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if rec.Code != 500 || rec.Header().Get("Content-Type") != "application/problem+json" || rec.Header().Get("X-Secret") != "" {
			t.Errorf("status %d: %d %v %q", status, rec.Code, rec.Header(), rec.Body)
		}
	}
}

func TestHTTPStreamsAndFlushesEachChunk(t *testing.T) {
	stream := &chunks{parts: []string{"one", "two", "three"}}
	h := handler.HandlerFunc(func(context.Context, *handler.Request) (*handler.Response, error) {
		return &handler.Response{Header: http.Header{"Content-Type": {"text/plain"}}, Stream: stream}, nil
	})
	rec := &flushRecorder{header: http.Header{}}
	handler.HTTP(h).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	want := []string{"write one", "flush", "write two", "flush", "write three", "flush"}
	if rec.status != 200 || !slices.Equal(rec.events, want) {
		t.Errorf("status %d, events %q; want 200, %q", rec.status, rec.events, want)
	}
	if !stream.closed {
		t.Error("the stream was not closed")
	}
	if _, ok := rec.header["Content-Length"]; ok {
		t.Error("a streamed response got a Content-Length")
	}
}

func TestHTTPStreamFailureAborts(t *testing.T) {
	stream := &chunks{parts: []string{"partial"}, err: errors.New("disk gone")}
	h := handler.HandlerFunc(func(context.Context, *handler.Request) (*handler.Response, error) {
		return &handler.Response{Stream: stream}, nil
	})
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", v)
		}
		if !stream.closed {
			t.Error("the stream was not closed")
		}
	}()
	handler.HTTP(h).ServeHTTP(&flushRecorder{header: http.Header{}}, httptest.NewRequest("GET", "/", nil))
}

func TestHTTPRequestFields(t *testing.T) {
	var got *handler.Request
	h := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		got = r
		return nil, nil
	})
	hr := httptest.NewRequest("PUT", "http://example.com/a%2Fb/%E2%9C%93?x=1&x=2", strings.NewReader("body"))
	hr.RemoteAddr = "192.0.2.7:4711"
	hr.Header.Add("X-Multi", "one")
	hr.Header.Add("X-Multi", "two")
	handler.HTTP(h).ServeHTTP(httptest.NewRecorder(), hr)
	if got.Method != "PUT" || got.Path != "/a/b/✓" || got.RawPath != "/a%2Fb/%E2%9C%93" || got.RawQuery != "x=1&x=2" ||
		got.Host != "example.com" || got.RemoteAddr != "192.0.2.7" || string(got.Body) != "body" || got.RequestID == "" ||
		!slices.Equal(got.Header["X-Multi"], []string{"one", "two"}) || !slices.Equal(got.Query()["x"], []string{"1", "2"}) {
		t.Errorf("request = %+v", got)
	}
}

// TestHTTPBasePath checks that a Request served through HTTP behind
// http.StripPrefix has the stripped prefix as BasePath (as the client sent
// it, on a segment boundary, without a trailing slash) and a path that
// starts with "/", and that nothing else makes a BasePath.
func TestHTTPBasePath(t *testing.T) {
	var got *handler.Request
	h := handler.HTTP(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		got = r
		return nil, nil
	}))
	for _, c := range []struct {
		name                string
		srv                 http.Handler
		target              string
		base, path, rawPath string
	}{
		{"none", h, "/api/todos", "", "/api/todos", ""},
		{"strip-prefix", http.StripPrefix("/api", h), "/api/todos?x=1", "/api", "/todos", ""},
		{"strip-prefix-slash", http.StripPrefix("/api/", h), "/api/todos", "/api", "/todos", ""},
		{"strip-prefix-whole", http.StripPrefix("/api", h), "/api", "/api", "/", ""},
		{"strip-prefix-raw-path", http.StripPrefix("/api", h), "/api/a%2Fb", "/api", "/a/b", "/a%2Fb"},
		{"strip-prefix-escaped", http.StripPrefix("/v 1", h), "/v%201/x", "/v%201", "/x", ""},
		{"strip-prefix-mid-segment", http.StripPrefix("/ap", h), "/api/x", "", "/i/x", ""},
		{"absolute-form", http.StripPrefix("/api", h), "http://example.com/api/todos", "/api", "/todos", ""},
		{"two-levels", http.StripPrefix("/a", http.StripPrefix("/b", h)), "/a/b/c", "/a/b", "/c", ""},
	} {
		got = nil
		hr := httptest.NewRequest("GET", c.target, nil)
		c.srv.ServeHTTP(httptest.NewRecorder(), hr)
		if got == nil {
			t.Errorf("%s: the handler did not run", c.name)
			continue
		}
		if got.BasePath != c.base || got.Path != c.path || got.RawPath != c.rawPath {
			t.Errorf("%s: BasePath, Path, RawPath = %q, %q, %q; want %q, %q, %q",
				c.name, got.BasePath, got.Path, got.RawPath, c.base, c.path, c.rawPath)
		}
	}
	// A request built by hand, without RequestURI, has no BasePath.
	got = nil
	hr := httptest.NewRequest("GET", "/x", nil)
	hr.RequestURI = ""
	hr.URL.Path = "/y"
	h.ServeHTTP(httptest.NewRecorder(), hr)
	if got == nil || got.BasePath != "" || got.Path != "/y" {
		t.Errorf("without RequestURI: %+v", got)
	}
}

func TestHTTPBodyOverLimit(t *testing.T) {
	inner := handler.HTTP(handler.HandlerFunc(func(context.Context, *handler.Request) (*handler.Response, error) {
		t.Error("the handler ran for an oversized body")
		return nil, nil
	}))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 10)
		inner.ServeHTTP(w, r)
	}))
	defer srv.Close()
	resp, err := http.Post(srv.URL, "text/plain", strings.NewReader("12345678901"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p map[string]any
	json.NewDecoder(resp.Body).Decode(&p)
	if resp.StatusCode != 413 || resp.Header.Get("Content-Type") != "application/problem+json" ||
		p["code"] != "body_too_large" || p["detail"] != "The request body is larger than the limit of 10 bytes." {
		t.Errorf("over the limit: %d %v", resp.StatusCode, p)
	}
}

func serveFromHTTP(h http.HandlerFunc, req *handler.Request) *handler.Response {
	return handler.Serve(context.Background(), handler.FromHTTP(h), req)
}

func TestFromHTTPStatusAndHeaders(t *testing.T) {
	for _, c := range []struct {
		name   string
		h      http.HandlerFunc
		status int
		header http.Header
		body   string
	}{
		{"writes nothing", func(w http.ResponseWriter, r *http.Request) {}, 200, http.Header{}, ""},
		{"header only", func(w http.ResponseWriter, r *http.Request) { w.Header().Set("X-A", "1") }, 200, http.Header{"X-A": {"1"}}, ""},
		{"first WriteHeader wins", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(201)
			w.WriteHeader(500)
			w.Header().Set("X-Late", "ignored")
			w.Write([]byte("made"))
		}, 201, http.Header{"Content-Type": {"text/plain; charset=utf-8"}}, "made"},
		{"1xx is not final", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(103)
			w.WriteHeader(202)
		}, 202, http.Header{}, ""},
		{"repeated headers and cookies", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Add("X-Multi", "one")
			w.Header().Add("X-Multi", "two")
			http.SetCookie(w, &http.Cookie{Name: "a", Value: "1"})
			http.SetCookie(w, &http.Cookie{Name: "b", Value: "2", HttpOnly: true})
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{}`))
		}, 200, http.Header{"X-Multi": {"one", "two"}, "Set-Cookie": {"a=1", "b=2; HttpOnly"}, "Content-Type": {"application/json"}}, `{}`},
		{"sniffed content type", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("<!DOCTYPE html><p>hi"))
		}, 200, http.Header{"Content-Type": {"text/html; charset=utf-8"}}, "<!DOCTYPE html><p>hi"},
		{"no sniffing when suppressed", func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Content-Type"] = nil
			w.Write([]byte("<p>hi"))
		}, 200, http.Header{"Content-Type": nil}, "<p>hi"},
		{"no sniffing of an encoded body", func(w http.ResponseWriter, r *http.Request) {
			// net/http leaves Content-Type unset when Content-Encoding is set.
			w.Header().Set("Content-Encoding", "gzip")
			w.Write([]byte("\x1f\x8b\x08\x00"))
		}, 200, http.Header{"Content-Encoding": {"gzip"}}, "\x1f\x8b\x08\x00"},
		{"no body after 204", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(204)
			if _, err := w.Write([]byte("x")); err != http.ErrBodyNotAllowed {
				panic(fmt.Sprintf("Write after 204: %v", err))
			}
		}, 204, http.Header{}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp := serveFromHTTP(c.h, &handler.Request{Method: "GET", Path: "/"})
			if resp.StatusCode() != c.status || string(resp.Body) != c.body || !equalHeader(resp.Header, c.header) {
				t.Errorf("got %d %v %q; want %d %v %q", resp.StatusCode(), resp.Header, resp.Body, c.status, c.header, c.body)
			}
		})
	}
}

func equalHeader(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !slices.Equal(v, w) {
			return false
		}
	}
	return true
}

func TestFromHTTPRequest(t *testing.T) {
	r := handler.NewRouter()
	r.Handle("POST /files/{dir}/{name...}", handler.FromHTTP(http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
		body, _ := io.ReadAll(hr.Body)
		fmt.Fprintf(w, "%s %s|%s|%s|%s|%s|%s|%s|%d|%s|%s|%s|%q",
			hr.Method, hr.URL.Path, hr.URL.EscapedPath(), hr.URL.RawQuery, hr.RequestURI, hr.Host, hr.RemoteAddr,
			body, hr.ContentLength, hr.Pattern, hr.PathValue("dir"), hr.PathValue("name"), hr.Header["X-Multi"])
	})))
	req := &handler.Request{Method: "POST", Path: "/files/a/b/c d", RawPath: "/files/a%2Fb/c%20d", RawQuery: "q=1&q=2",
		Host: "example.com", RemoteAddr: "192.0.2.1", Body: []byte("data"),
		Header: http.Header{"X-Multi": {"one", "two"}}}
	resp := handler.Serve(context.Background(), r, req)
	want := `POST /files/a/b/c d|/files/a%2Fb/c%20d|q=1&q=2|/files/a%2Fb/c%20d?q=1&q=2|example.com|192.0.2.1|data|4|POST /files/{dir}/{name...}|a/b|c d|["one" "two"]`
	if string(resp.Body) != want {
		t.Errorf("the net/http handler saw\n%s\nwant\n%s", resp.Body, want)
	}
}

// TestFromHTTPBasePath checks that a net/http handler behind FromHTTP sees
// the Request's BasePath in front of RequestURI only, as behind
// http.StripPrefix, and that HTTP inside it gets the BasePath back.
func TestFromHTTPBasePath(t *testing.T) {
	var uri, path string
	var inner *handler.Request
	h := handler.FromHTTP(http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
		uri, path = hr.RequestURI, hr.URL.EscapedPath()
		handler.HTTP(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
			inner = r
			return nil, nil
		})).ServeHTTP(w, hr)
	}))
	req := &handler.Request{Method: "GET", Path: "/todos/a b", RawPath: "/todos/a%20b", RawQuery: "x=1", BasePath: "/prod"}
	if resp := handler.Serve(context.Background(), h, req); resp.StatusCode() != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode(), resp.Body)
	}
	if uri != "/prod/todos/a%20b?x=1" || path != "/todos/a%20b" {
		t.Errorf("RequestURI, URL path = %q, %q; want /prod/todos/a%%20b?x=1, /todos/a%%20b", uri, path)
	}
	if inner == nil || inner.BasePath != "/prod" || inner.Path != "/todos/a b" || inner.RawPath != "/todos/a%20b" {
		t.Errorf("the Request through FromHTTP and HTTP = %+v; want BasePath /prod and the same path", inner)
	}
}

func TestFromHTTPStreams(t *testing.T) {
	next := make(chan struct{})
	canceled := make(chan struct{})
	h := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: one\n\n")
		http.NewResponseController(w).Flush()
		<-next // the test reads "one" before letting the handler go on
		io.WriteString(w, "data: two\n\n")
		w.(http.Flusher).Flush()
		<-next
		io.WriteString(w, "data: three\n\n")
		<-r.Context().Done()
		close(canceled)
	}
	resp := serveFromHTTP(h, &handler.Request{Method: "GET", Path: "/events"})
	if resp.Stream == nil || resp.StatusCode() != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("response %d %v, stream %v", resp.StatusCode(), resp.Header, resp.Stream)
	}
	buf := make([]byte, 64)
	read := func(want string) {
		t.Helper()
		var got []byte
		for len(got) < len(want) {
			n, err := resp.Stream.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				t.Fatalf("reading %q: got %q, %v", want, got, err)
			}
		}
		if string(got) != want {
			t.Fatalf("read %q, want %q", got, want)
		}
	}
	read("data: one\n\n")
	next <- struct{}{}
	read("data: two\n\n")
	next <- struct{}{}
	read("data: three\n\n")
	resp.Stream.(io.Closer).Close()
	<-canceled // closing the stream cancels the handler's context
}

func TestFromHTTPStreamEnds(t *testing.T) {
	resp := serveFromHTTP(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("a"))
		w.(http.Flusher).Flush()
		w.Write([]byte("b"))
	}, &handler.Request{})
	b, err := io.ReadAll(resp.Stream)
	if err != nil || string(b) != "ab" {
		t.Errorf("stream = %q, %v; want \"ab\"", b, err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("sniffed Content-Type at the flush = %q", ct)
	}
}

func TestFromHTTPPanics(t *testing.T) {
	resp := serveFromHTTP(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("partial"))
		panic("secret detail")
	}, &handler.Request{})
	if resp.StatusCode() != 500 || bytes.Contains(resp.Body, []byte("secret")) || bytes.Contains(resp.Body, []byte("partial")) {
		t.Errorf("panic before flush: %d %s", resp.StatusCode(), resp.Body)
	}
	resp = serveFromHTTP(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		panic("secret detail")
	}, &handler.Request{})
	b, err := io.ReadAll(resp.Stream)
	if string(b) != "partial" || err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("panic after flush: stream %q, %v; want \"partial\" and an error", b, err)
	}
}

// The bridges compose: the adaptertest table passes through
// HTTP(FromHTTP(HTTP(h))), a net/http server in front.
func TestBridgesRoundTripAdaptertest(t *testing.T) {
	inner := handler.HTTP(handler.FromHTTP(handler.HTTP(adaptertest.Handler())))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), adaptertest.Deadline)
		defer cancel()
		r.Body = http.MaxBytesReader(w, r.Body, adaptertest.MaxBodyBytes)
		inner.ServeHTTP(w, r.WithContext(ctx))
	}))
	defer srv.Close()
	adaptertest.Run(t, adaptertest.Harness{
		Name:      "bridges",
		Transport: func(*testing.T) http.RoundTripper { return adaptertest.ServerTransport(srv.URL) },
	})
}

// discardWriter is a reusable ResponseWriter for benchmarks.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) WriteHeader(int)             {}
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }

func BenchmarkHTTPBridge(b *testing.B) {
	body := []byte(`{"id":"1","title":"buy milk"}`)
	b.Run("HTTP", func(b *testing.B) {
		h := handler.HTTP(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
			return &handler.Response{Header: http.Header{"Content-Type": {"application/json"}}, Body: body}, nil
		}))
		hr := httptest.NewRequest("GET", "/todos/1", nil)
		w := &discardWriter{h: http.Header{}}
		b.ReportAllocs()
		for b.Loop() {
			clear(w.h)
			h.ServeHTTP(w, hr)
		}
	})
	b.Run("FromHTTP", func(b *testing.B) {
		h := handler.FromHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write(body)
		}))
		req := &handler.Request{Method: "GET", Path: "/todos/1", Header: http.Header{}}
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := h.ServeRequest(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestHTTPMergesHeaders checks how the Response's headers join those the
// ResponseWriter already holds (an outer middleware's): values are
// appended after the writer's, a Content-Length set by either side is kept
// rather than computed, whether the Response has Content-Type alone (as
// JSONResponse's) or more headers, and whether the writer's header starts
// empty or not.
func TestHTTPMergesHeaders(t *testing.T) {
	jsonAlone := func() *handler.Response {
		resp, err := handler.JSONResponse(200, map[string]int{"n": 1})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	for _, tc := range []struct {
		name   string
		before http.Header
		resp   func() *handler.Response
		want   http.Header
	}{
		{"alone-into-empty", nil, jsonAlone,
			http.Header{"Content-Type": {"application/json"}, "Content-Length": {"7"}}},
		{"alone-into-set", http.Header{"Content-Type": {"text/plain"}, "X-Outer": {"o"}}, jsonAlone,
			http.Header{"Content-Type": {"text/plain", "application/json"}, "X-Outer": {"o"}, "Content-Length": {"7"}}},
		{"writer-length", http.Header{"Content-Length": {"3"}}, jsonAlone,
			http.Header{"Content-Type": {"application/json"}, "Content-Length": {"3"}}},
		{"response-length-into-empty", nil, func() *handler.Response {
			return &handler.Response{Header: http.Header{"Content-Length": {"2"}, "X-A": {"a"}}, Body: []byte("ab")}
		}, http.Header{"Content-Length": {"2"}, "X-A": {"a"}}},
		{"response-length-alone", nil, func() *handler.Response {
			return &handler.Response{Header: http.Header{"Content-Length": {"2"}}, Body: []byte("ab")}
		}, http.Header{"Content-Length": {"2"}}},
		{"many-into-set", http.Header{"X-A": {"outer"}}, func() *handler.Response {
			return &handler.Response{Header: http.Header{"X-A": {"a1", "a2"}, "Content-Type": {"text/plain"}}, Body: []byte("abc")}
		}, http.Header{"X-A": {"outer", "a1", "a2"}, "Content-Type": {"text/plain"}, "Content-Length": {"3"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			for k, vs := range tc.before {
				rec.Header()[k] = slices.Clone(vs)
			}
			resp := tc.resp()
			handler.HTTP(handler.HandlerFunc(func(context.Context, *handler.Request) (*handler.Response, error) {
				return resp, nil
			})).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			if got := rec.Header(); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("header %v, want %v", got, tc.want)
			}
		})
	}
}
