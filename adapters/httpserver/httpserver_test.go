package httpserver_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/adapters/adaptertest"
	"github.com/anyfunc/anyfunc/adapters/httpserver"
	"github.com/anyfunc/anyfunc/handler"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// start serves h on a free 127.0.0.1 port until the test ends and returns
// the base URL, the cancel function that starts the shutdown, and a
// function that waits for Serve's result.
func start(t *testing.T, h handler.Handler, opts ...httpserver.Option) (string, context.CancelFunc, func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- httpserver.Serve(ctx, ln, h, append([]httpserver.Option{httpserver.WithLogger(quiet)}, opts...)...)
	}()
	wait := sync.OnceValue(func() error { return <-done })
	t.Cleanup(func() {
		cancel()
		wait()
	})
	return "http://" + ln.Addr().String(), cancel, wait
}

func TestAdaptertest(t *testing.T) {
	base, _, _ := start(t, adaptertest.Handler(),
		httpserver.WithMaxBodyBytes(adaptertest.MaxBodyBytes), httpserver.WithTimeout(adaptertest.Deadline))
	adaptertest.Run(t, adaptertest.Harness{
		Name:      "httpserver",
		Transport: func(*testing.T) http.RoundTripper { return adaptertest.ServerTransport(base) },
	})
	t.Run("first-chunk", func(t *testing.T) { adaptertest.FirstChunk(t, adaptertest.ServerTransport(base)) })
}

type todo struct {
	Title string `json:"title"`
}

func api() handler.Handler {
	r := handler.NewRouter()
	r.Handle("POST /todos", handler.JSON(func(ctx context.Context, in todo) (todo, error) { return in, nil },
		handler.WithMaxBytes(64)))
	r.Handle("GET /todos/{id}", handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		return handler.JSONResponse(200, map[string]string{"id": r.PathValue("id")})
	}))
	return r
}

// rawRequest sends raw bytes on a fresh connection and returns the parsed answer.
func rawRequest(t *testing.T, base, raw string) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// TestBadInput sends each kind of bad input through a real server and
// checks the precise status and problem body.
func TestBadInput(t *testing.T) {
	base, _, _ := start(t, api(), httpserver.WithMaxBodyBytes(128))
	type want struct {
		status int
		code   string
		detail string
		allow  string
	}
	for _, c := range []struct {
		name, method, path, contentType, body string
		want                                  want
	}{
		{"malformed JSON", "POST", "/todos", "application/json", `{"title": }`,
			want{400, "invalid_json", "The request body is not valid JSON: invalid character '}' looking for beginning of value at byte offset 11.", ""}},
		{"wrong type", "POST", "/todos", "application/json", `{"title": false}`,
			want{400, "invalid_type", `The field "title" must be a string, not a boolean.`, ""}},
		{"wrong Content-Type", "POST", "/todos", "text/plain", `{"title": "x"}`,
			want{415, "unsupported_media_type", "The request body must be JSON, sent with Content-Type: application/json.", ""}},
		{"body over the route's limit", "POST", "/todos", "application/json", `{"title": "` + strings.Repeat("x", 60) + `"}`,
			want{413, "body_too_large", "The request body is larger than the limit of 64 bytes.", ""}},
		{"body over the server's limit", "POST", "/todos", "application/json", `{"title": "` + strings.Repeat("x", 200) + `"}`,
			want{413, "body_too_large", "The request body is larger than the limit of 128 bytes.", ""}},
		{"method not allowed", "DELETE", "/todos/1", "", "",
			want{405, "method_not_allowed", "The method is not allowed for this resource.", "GET, HEAD"}},
		{"unknown method", "BREW", "/todos/1", "", "",
			want{501, "not_implemented", "The request method is not supported by this server.", ""}},
		{"not found", "GET", "/nothing", "", "",
			want{404, "not_found", "No resource matches the path.", ""}},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
			if c.contentType != "" {
				req.Header.Set("Content-Type", c.contentType)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var p map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
				t.Fatalf("status %d, body not JSON: %v", resp.StatusCode, err)
			}
			if resp.StatusCode != c.want.status || resp.Header.Get("Content-Type") != "application/problem+json" ||
				p["status"] != float64(c.want.status) || p["code"] != c.want.code || p["detail"] != c.want.detail ||
				p["type"] != handler.DefaultProblemTypeBase+c.want.code || p["requestId"] == nil {
				t.Errorf("got %d %v, want %+v", resp.StatusCode, p, c.want)
			}
			if got := resp.Header.Get("Allow"); got != c.want.allow {
				t.Errorf("Allow = %q, want %q", got, c.want.allow)
			}
		})
	}
	// An invalid percent-escape is refused by net/http's own request
	// parsing, before any handler, with 400 (other adapters refuse it with
	// adapterkit.ParsePath's 400 problem).
	t.Run("invalid percent-escape", func(t *testing.T) {
		resp, body := rawRequest(t, base, "GET /todos/%zz HTTP/1.1\r\nHost: x\r\n\r\n")
		if resp.StatusCode != 400 || !strings.HasPrefix(string(body), "400 Bad Request") {
			t.Errorf("got %d %q, want 400", resp.StatusCode, body)
		}
	})
	// The asterisk-form request target is not a resource: 400, not a
	// redirect to "/*" and not net/http's own answer to OPTIONS *.
	for _, method := range []string{"GET", "OPTIONS", "POST"} {
		t.Run(method+" *", func(t *testing.T) {
			resp, body := rawRequest(t, base, method+" * HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
			if resp.StatusCode != 400 || resp.Header.Get("Content-Type") != "application/problem+json" ||
				!strings.Contains(string(body), `"code":"invalid_target"`) {
				t.Errorf("got %d %s %s, want a 400 invalid_target problem", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
		})
	}
	// A malformed query is refused, naming the parameter, not served as
	// if the parameter were absent.
	t.Run("malformed query", func(t *testing.T) {
		resp, body := rawRequest(t, base, "GET /todos?done=%zz HTTP/1.1\r\nHost: x\r\n\r\n")
		if resp.StatusCode != 400 || !strings.Contains(string(body), `"code":"invalid_query"`) || !strings.Contains(string(body), `\"done\"`) {
			t.Errorf("got %d %s, want a 400 invalid_query problem naming done", resp.StatusCode, body)
		}
	})
	// A declared Content-Length over the limit is refused before reading.
	t.Run("declared length over the limit", func(t *testing.T) {
		resp, body := rawRequest(t, base, "POST /todos HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n")
		if resp.StatusCode != 413 || !strings.Contains(string(body), `"detail":"The request body is larger than the limit of 128 bytes."`) {
			t.Errorf("got %d %s, want a 413 problem", resp.StatusCode, body)
		}
	})
}

func TestGracefulShutdown(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	h := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		close(started)
		<-release
		return &handler.Response{Body: []byte("finished")}, nil
	})
	base, cancel, wait := start(t, h, httpserver.WithDrainTimeout(time.Hour))
	done := make(chan error, 1)
	got := make(chan string, 1)
	go func() {
		resp, err := http.Get(base + "/slow")
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- fmt.Sprint(resp.StatusCode, " ", string(b))
	}()
	<-started
	cancel() // as SIGTERM does
	go func() { done <- wait() }()
	select {
	case err := <-done:
		t.Fatalf("Serve returned %v while a request was in flight", err)
	default:
	}
	close(release)
	if g := <-got; g != "200 finished" {
		t.Errorf("in-flight request got %q, want 200 finished", g)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve = %v, want nil after a clean drain", err)
	}
	if _, err := http.Get(base + "/after"); err == nil {
		t.Error("the server still accepts connections after shutdown")
	}
}

func TestDrainTimeout(t *testing.T) {
	started := make(chan struct{})
	canceled := make(chan struct{})
	h := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		close(started)
		<-ctx.Done()
		close(canceled)
		return nil, ctx.Err()
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- httpserver.Serve(ctx, ln, h, httpserver.WithLogger(quiet), httpserver.WithDrainTimeout(time.Millisecond))
	}()
	go func() {
		if resp, err := http.Get("http://" + ln.Addr().String() + "/stuck"); err == nil {
			resp.Body.Close()
		}
	}()
	<-started
	cancel()
	if err := <-done; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Serve = %v, want an error wrapping context.DeadlineExceeded", err)
	}
	<-canceled // the stuck handler's context is canceled when its connection closes
}

func TestTimeoutAndInvocation(t *testing.T) {
	var inv *handler.Invocation
	var hasDeadline bool
	var deadline time.Time
	h := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		inv, _ = handler.InvocationFrom(ctx)
		deadline, hasDeadline = ctx.Deadline()
		return nil, nil
	})
	t.Setenv(httpserver.TimeoutEnv, "")
	srv := mustHandler(h)
	req, _ := http.NewRequest("GET", "/", nil)
	before := time.Now()
	srv.ServeHTTP(discard{http.Header{}}, req)
	after := time.Now()
	if inv == nil || inv.Platform != "http" || !inv.ColdStart {
		t.Errorf("first request: invocation %+v", inv)
	}
	// Without an option or CLOUD_RUN_TIMEOUT_SECONDS, the deadline is
	// DefaultTimeout after the request arrived (between before and after).
	if arrived := deadline.Add(-httpserver.DefaultTimeout); !hasDeadline || arrived.Before(before) || arrived.After(after) {
		t.Errorf("default deadline: %v, %v; want DefaultTimeout (%v) after the request arrived", deadline, hasDeadline, httpserver.DefaultTimeout)
	}
	srv.ServeHTTP(discard{http.Header{}}, req)
	if inv.ColdStart {
		t.Error("second request reported a cold start")
	}
	t.Setenv(httpserver.TimeoutEnv, "30")
	mustHandler(h).ServeHTTP(discard{http.Header{}}, req)
	if !hasDeadline {
		t.Errorf("no deadline with %s=30", httpserver.TimeoutEnv)
	}
	mustHandler(h, httpserver.WithTimeout(0)).ServeHTTP(discard{http.Header{}}, req)
	if hasDeadline {
		t.Error("WithTimeout(0) did not override the environment")
	}
	t.Setenv(httpserver.TimeoutEnv, "soon")
	if _, err := httpserver.NewHandler(h); err == nil || !strings.Contains(err.Error(), httpserver.TimeoutEnv) {
		t.Errorf("invalid %s: %v", httpserver.TimeoutEnv, err)
	}
	if _, err := httpserver.NewHandler(nil); err == nil {
		t.Error("NewHandler(nil) succeeded")
	}
}

type discard struct{ h http.Header }

func (d discard) Header() http.Header         { return d.h }
func (d discard) WriteHeader(int)             {}
func (d discard) Write(p []byte) (int, error) { return len(p), nil }

func TestAddr(t *testing.T) {
	t.Setenv("PORT", "")
	if a, err := httpserver.Addr(); a != ":8080" || err != nil {
		t.Errorf("default: %q %v", a, err)
	}
	t.Setenv("PORT", "9090")
	if a, err := httpserver.Addr(); a != ":9090" || err != nil {
		t.Errorf("PORT=9090: %q %v", a, err)
	}
	for _, bad := range []string{"http", "-1", "70000"} {
		t.Setenv("PORT", bad)
		if _, err := httpserver.Addr(); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("PORT=%s: %v", bad, err)
		}
		if err := httpserver.ListenAndServe(context.Background(), "", handler.HandlerFunc(nil)); err == nil {
			t.Errorf("ListenAndServe with PORT=%s: no error", bad)
		}
	}
}

func TestServerTimeoutsAreSet(t *testing.T) {
	var got *http.Server
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = httpserver.Serve(ctx, ln, handler.HandlerFunc(nil), httpserver.WithLogger(quiet),
		httpserver.WithIdleTimeout(3*time.Second), httpserver.WithServer(func(s *http.Server) { got = s }))
	if err != nil {
		t.Fatal(err)
	}
	if got.ReadHeaderTimeout != httpserver.DefaultReadHeaderTimeout || got.ReadTimeout != httpserver.DefaultReadTimeout ||
		got.IdleTimeout != 3*time.Second || got.WriteTimeout != 0 {
		t.Errorf("timeouts: header %v read %v idle %v write %v", got.ReadHeaderTimeout, got.ReadTimeout, got.IdleTimeout, got.WriteTimeout)
	}
}

// TestBasePath checks that the server strips nothing (Request.BasePath is
// "") and that its Handler, mounted behind http.StripPrefix in a server of
// one's own, reports the stripped prefix as BasePath.
func TestBasePath(t *testing.T) {
	got := make(chan *handler.Request, 1)
	h := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		got <- r
		return nil, nil
	})
	get := func(url string) *handler.Request {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", url, resp.StatusCode)
		}
		return <-got
	}
	base, _, _ := start(t, h)
	if r := get(base + "/api/todos"); r.BasePath != "" || r.Path != "/api/todos" {
		t.Errorf("served directly: BasePath %q, Path %q; want none and the whole path", r.BasePath, r.Path)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", http.StripPrefix("/api", mustHandler(h, httpserver.WithLogger(quiet))))
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	if r := get("http://" + ln.Addr().String() + "/api/todos/a%2Fb"); r.BasePath != "/api" || r.Path != "/todos/a/b" || r.RawPath != "/todos/a%2Fb" {
		t.Errorf("behind http.StripPrefix: BasePath %q, Path %q, RawPath %q; want /api, /todos/a/b, /todos/a%%2Fb", r.BasePath, r.Path, r.RawPath)
	}
}

// mustHandler is httpserver.NewHandler for tests, which panics on error as
// httptest.NewRequest does.
func mustHandler(h handler.Handler, opts ...httpserver.Option) http.Handler {
	hh, err := httpserver.NewHandler(h, opts...)
	if err != nil {
		panic(err)
	}
	return hh
}
