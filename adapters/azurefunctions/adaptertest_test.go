package azurefunctions_test

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/anyfunc/anyfunc/adapters/adaptertest"
	"github.com/anyfunc/anyfunc/adapters/azurefunctions/azuretest"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
	buildDir  string
)

// handlerBinary builds testdata/azmain once per test run.
func handlerBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "azmain-*")
		if buildErr != nil {
			return
		}
		binary = filepath.Join(buildDir, "handler")
		out, err := exec.Command("go", "build", "-o", binary, "./testdata/azmain").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./testdata/azmain: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

var (
	hostsMu sync.Mutex
	hosts   = map[string]*azuretest.Host{}
)

// startHost starts (once per name) a simulated host running the built
// handler with cfg; the hosts stop when the test binary exits (TestMain).
func startHost(t *testing.T, name string, cfg azuretest.Config) *azuretest.Host {
	t.Helper()
	hostsMu.Lock()
	defer hostsMu.Unlock()
	if h, ok := hosts[name]; ok {
		return h
	}
	cfg.Binary = handlerBinary(t)
	h, err := azuretest.Start(cfg)
	if err != nil {
		t.Fatalf("starting the simulated host (%s): %v", name, err)
	}
	hosts[name] = h
	return h
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, h := range hosts {
		h.Close()
	}
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// deadline is adaptertest.Deadline as a host.json functionTimeout.
const deadline = "00:00:02"

func TestAdaptertestPayload(t *testing.T) {
	skip := map[string]string{
		"binary-roundtrip": "payload mode carries response bodies as JSON strings: a binary body is refused with a 500 naming enableProxyingHttpRequest",
		"gzip-out":         "payload mode carries response bodies as JSON strings: a gzip-encoded body is refused with a 500 naming enableProxyingHttpRequest",
		"set-cookies":      "payload mode answers one string per header name: several Set-Cookie headers are refused with a 500 naming enableProxyingHttpRequest",
	}
	adaptertest.Run(t, adaptertest.Harness{
		Name: "azure-payload",
		Transport: func(t *testing.T) http.RoundTripper {
			return prefixed(startHost(t, "payload", azuretest.Config{Mode: azuretest.Payload, FunctionTimeout: deadline}), "/api")
		},
		Skip: skip,
	})
}

func TestAdaptertestPayloadQueryString(t *testing.T) {
	adaptertest.Run(t, adaptertest.Harness{
		Name: "azure-payload-query-as-string",
		Transport: func(t *testing.T) http.RoundTripper {
			return prefixed(startHost(t, "payload-qs", azuretest.Config{Mode: azuretest.Payload, QueryAsString: true, IdentitiesAsString: true,
				FunctionTimeout: deadline, FunctionName: "Other"}), "/api")
		},
		Skip: map[string]string{
			"binary-roundtrip": "payload mode cannot carry a binary response body",
			"gzip-out":         "payload mode cannot carry a gzip-encoded response body",
			"set-cookies":      "payload mode cannot carry several Set-Cookie headers",
		},
	})
}

func TestAdaptertestForwarding(t *testing.T) {
	adaptertest.Run(t, adaptertest.Harness{
		Name: "azure-forwarding",
		Transport: func(t *testing.T) http.RoundTripper {
			return prefixed(startHost(t, "forwarding", azuretest.Config{Mode: azuretest.Forwarding, FunctionTimeout: deadline}), "/api")
		},
		Skip: map[string]string{
			"repeated-query":  "enableForwardingHttpRequest rebuilds the query from the host's parsed query, joining repeated keys with commas",
			"malformed-query": "enableForwardingHttpRequest rebuilds the query from the host's parsed query: what becomes of an invalid escape is the host's decision, not the handler's",
		},
	})
}

func TestAdaptertestProxying(t *testing.T) {
	adaptertest.Run(t, adaptertest.Harness{
		Name: "azure-proxying",
		Transport: func(t *testing.T) http.RoundTripper {
			return prefixed(startHost(t, "proxying", azuretest.Config{Mode: azuretest.Proxying, FunctionTimeout: deadline}), "/api")
		},
	})
}

// In proxying mode each chunk of a stream reaches the client as the handler
// produces it. (Payload mode cannot stream: its answer is one JSON
// document, and the "stream" case checks it is buffered whole.)
func TestFirstChunk(t *testing.T) {
	adaptertest.FirstChunk(t, prefixed(startHost(t, "proxying", azuretest.Config{Mode: azuretest.Proxying, FunctionTimeout: deadline}), "/api"))
}

func TestAdaptertestProxyingCustomPrefix(t *testing.T) {
	prefix := "v1/fn"
	adaptertest.Run(t, adaptertest.Harness{
		Name: "azure-proxying-prefix",
		Transport: func(t *testing.T) http.RoundTripper {
			return prefixed(startHost(t, "proxying-prefix", azuretest.Config{Mode: azuretest.Proxying,
				RoutePrefix: &prefix, FunctionTimeout: deadline}), "/V1/fn")
		},
	})
}

// prefixed puts the route prefix in front of the path, as a client of the
// function app addresses it.
func prefixed(rt http.RoundTripper, prefix string) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		r := req.Clone(req.Context())
		r.URL.Path = prefix + req.URL.Path
		if req.URL.RawPath != "" {
			r.URL.RawPath = prefix + req.URL.RawPath
		}
		return rt.RoundTrip(r)
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
