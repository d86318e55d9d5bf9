package gcpfunctions_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/adapters/adaptertest"
	"github.com/anyfunc/anyfunc/adapters/gcpfunctions"
	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/internal/emulator"
)

var (
	buildOnce sync.Once
	binary    string
	buildDir  string
	buildErr  error

	procsMu sync.Mutex
	procs   = map[string]string{} // name -> endpoint
	stops   []func()
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, stop := range stops {
		stop()
	}
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// server builds testdata/gcfmain once and starts it (once per name) on a
// free port with env, returning its base URL.
func server(t *testing.T, name string, env ...string) string {
	t.Helper()
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "gcfmain-*"); buildErr != nil {
			return
		}
		binary = filepath.Join(buildDir, "gcfmain")
		if out, err := exec.Command("go", "build", "-o", binary, "./testdata/gcfmain").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./testdata/gcfmain: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	procsMu.Lock()
	defer procsMu.Unlock()
	if ep, ok := procs[name]; ok {
		return ep
	}
	ep, stop, err := emulator.Launch(emulator.Spec{
		Name: "functions-framework " + name,
		Command: func(port int) (*exec.Cmd, error) {
			cmd := exec.Command(binary)
			cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port))
			cmd.Env = append(cmd.Env, env...)
			return cmd, nil
		},
		Endpoint:     func(port int) string { return "http://127.0.0.1:" + strconv.Itoa(port) },
		Ready:        emulator.DialReady,
		StartTimeout: 30 * time.Second,
	})
	if err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	procs[name], stops = ep, append(stops, stop)
	return ep
}

// The buildpack way: Register in init, the framework's own main, the
// function picked by FUNCTION_TARGET and the deadline set by
// CLOUD_RUN_TIMEOUT_SECONDS.
func TestAdaptertestRegister(t *testing.T) {
	adaptertest.Run(t, adaptertest.Harness{
		Name: "gcf-register",
		Transport: func(t *testing.T) http.RoundTripper {
			return adaptertest.ServerTransport(server(t, "register",
				"FUNCTION_TARGET=AdapterTest", "CLOUD_RUN_TIMEOUT_SECONDS="+strconv.Itoa(int(adaptertest.Deadline/time.Second))))
		},
	})
}

// Each chunk of a stream reaches the client as the handler produces it,
// through the Functions Framework's server, both ways of starting it.
func TestFirstChunk(t *testing.T) {
	adaptertest.FirstChunk(t, adaptertest.ServerTransport(server(t, "register",
		"FUNCTION_TARGET=AdapterTest", "CLOUD_RUN_TIMEOUT_SECONDS="+strconv.Itoa(int(adaptertest.Deadline/time.Second)))))
	adaptertest.FirstChunk(t, adaptertest.ServerTransport(server(t, "start", "GCFMAIN_START=1", "FUNCTION_TARGET=", "CLOUD_RUN_TIMEOUT_SECONDS=")))
}

// The local-run way: gcpfunctions.Start with WithTimeout, no FUNCTION_TARGET.
func TestAdaptertestStart(t *testing.T) {
	adaptertest.Run(t, adaptertest.Harness{
		Name: "gcf-start",
		Transport: func(t *testing.T) http.RoundTripper {
			return adaptertest.ServerTransport(server(t, "start", "GCFMAIN_START=1", "FUNCTION_TARGET=", "CLOUD_RUN_TIMEOUT_SECONDS="))
		},
	})
}

func TestExecutionIDIsRequestID(t *testing.T) {
	base := server(t, "register", "FUNCTION_TARGET=AdapterTest", "CLOUD_RUN_TIMEOUT_SECONDS=2")
	req, _ := http.NewRequest(http.MethodGet, base+"/adaptertest/panic", nil)
	req.Header.Set(gcpfunctions.ExecutionIDHeader, "exec-123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || !strings.Contains(string(body), `"requestId":"exec-123"`) {
		t.Fatalf("got %d %s, want a 500 problem with requestId exec-123", resp.StatusCode, body)
	}
	if resp.Header.Get("X-Google-Status") != "" {
		t.Errorf("the framework's crash handling answered (X-Google-Status %q), not the core", resp.Header.Get("X-Google-Status"))
	}
}

func TestInvocation(t *testing.T) {
	var got []handler.Invocation
	var mu sync.Mutex
	h := mustHandler(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		inv, ok := handler.InvocationFrom(ctx)
		if !ok {
			return nil, fmt.Errorf("no invocation")
		}
		mu.Lock()
		got = append(got, *inv)
		mu.Unlock()
		return nil, nil
	}))
	for i := 0; i < 2; i++ {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set(gcpfunctions.ExecutionIDHeader, "e"+strconv.Itoa(i))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("status %d", rec.Code)
		}
	}
	if len(got) != 2 || got[0].Platform != "gcp-functions" || got[0].ID != "e0" || got[1].ID != "e1" {
		t.Fatalf("invocations = %+v", got)
	}
	if got[1].ColdStart {
		t.Errorf("second invocation reports a cold start")
	}
}

func TestTimeoutEnv(t *testing.T) {
	for _, tc := range []struct {
		env     string
		opt     time.Duration
		wantMax time.Duration // the deadline is at most this far, and more than a minute less
	}{
		{"", 0, gcpfunctions.DefaultTimeout},
		{"3", 0, 3 * time.Second},
		{"3", time.Second, time.Second},
		{"1", time.Minute, time.Second},
		{"junk", time.Minute, time.Minute},
		{"junk", 0, gcpfunctions.DefaultTimeout},
	} {
		t.Run(tc.env+"/"+tc.opt.String(), func(t *testing.T) {
			t.Setenv(gcpfunctions.TimeoutEnv, tc.env)
			var left time.Duration
			var has bool
			h := mustHandler(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
				var dl time.Time
				dl, has = ctx.Deadline()
				left = time.Until(dl)
				return nil, nil
			}), gcpfunctions.WithTimeout(tc.opt))
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
			if !has || left > tc.wantMax || left < tc.wantMax-time.Minute {
				t.Fatalf("deadline in %v (set %v), want %v", left, has, tc.wantMax)
			}
		})
	}
}

func TestStartHostPortInvalidPort(t *testing.T) {
	if err := gcpfunctions.StartHostPort("127.0.0.1", "http", adaptertest.Handler()); err == nil {
		t.Fatal("StartHostPort accepted port \"http\"")
	}
}

// TestBasePath checks that Request.BasePath is "": neither the Functions
// Framework nor the adapter strips anything from the path (the platform's
// own cut of the function name, on cloudfunctions.net URLs, is invisible
// to the function; see the package doc). Behind http.StripPrefix, the
// stripped prefix is the BasePath, as for any handler.HTTP.
func TestBasePath(t *testing.T) {
	base := server(t, "register", "FUNCTION_TARGET=AdapterTest", "CLOUD_RUN_TIMEOUT_SECONDS=2")
	resp, err := http.Get(base + "/adaptertest/echo/todos")
	if err != nil {
		t.Fatal(err)
	}
	var e adaptertest.Echo
	err = json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("echo: %d %v", resp.StatusCode, err)
	}
	if e.BasePath != "" || e.Path != "/adaptertest/echo/todos" {
		t.Errorf("through the framework: BasePath %q, Path %q; want none and the whole path", e.BasePath, e.Path)
	}

	var got *handler.Request
	h := mustHandler(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		got = r
		return nil, nil
	}))
	rec := httptest.NewRecorder()
	http.StripPrefix("/todo", h).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/todo/todos", nil))
	if rec.Code != 200 || got == nil || got.BasePath != "/todo" || got.Path != "/todos" {
		t.Errorf("behind http.StripPrefix: %d, request %+v; want BasePath /todo and Path /todos", rec.Code, got)
	}
}

// TestRemoteAddrEmpty checks that Request.RemoteAddr is empty: on Cloud Run
// functions the TCP peer is Google's front end, and X-Forwarded-For can be
// written by the client, so neither names the client.
func TestRemoteAddrEmpty(t *testing.T) {
	var got *handler.Request
	h := mustHandler(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		got = r
		return nil, nil
	}))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.RemoteAddr = "169.254.1.1:43210"
	req.Header.Set("X-Forwarded-For", "198.51.100.9, 203.0.113.7")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || got == nil {
		t.Fatalf("status %d", rec.Code)
	}
	if got.RemoteAddr != "" {
		t.Errorf("RemoteAddr = %q, want empty", got.RemoteAddr)
	}
	if got.Header.Get("X-Forwarded-For") != "198.51.100.9, 203.0.113.7" {
		t.Errorf("X-Forwarded-For = %q, want it passed as sent", got.Header.Get("X-Forwarded-For"))
	}
}

// TestRemoteAddrEmptyAnyPeer checks that RemoteAddr is empty whatever the
// peer's address looks like (IPv6, unparsable, absent): the adapter does
// not read it.
func TestRemoteAddrEmptyAnyPeer(t *testing.T) {
	for _, addr := range []string{"[2001:db8::1]:443", "not an address", ""} {
		var got *handler.Request
		h := mustHandler(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
			got = r
			return nil, nil
		}))
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.RemoteAddr = addr
		req.Header.Set(gcpfunctions.ExecutionIDHeader, "exec-7")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 || got == nil {
			t.Fatalf("%q: status %d", addr, rec.Code)
		}
		if got.RemoteAddr != "" || got.RequestID != "exec-7" {
			t.Errorf("%q: RemoteAddr = %q, RequestID = %q; want empty, exec-7", addr, got.RemoteAddr, got.RequestID)
		}
	}
}

// TestTooLargeCarriesExecutionID checks that a body over the limit is
// answered with 413 naming the execution ID, without running the handler.
func TestTooLargeCarriesExecutionID(t *testing.T) {
	h := mustHandler(handler.HandlerFunc(func(context.Context, *handler.Request) (*handler.Response, error) {
		t.Error("the handler ran")
		return nil, nil
	}), gcpfunctions.WithMaxBodyBytes(3))
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("too long"))
	req.Header.Set(gcpfunctions.ExecutionIDHeader, "exec-413")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), `"exec-413"`) {
		t.Errorf("response: %d %q", rec.Code, rec.Body)
	}
}
