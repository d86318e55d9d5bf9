package azurefunctions_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/adapters/adaptertest"
	"github.com/anyfunc/anyfunc/adapters/azurefunctions"
	"github.com/anyfunc/anyfunc/adapters/azurefunctions/azuretest"
)

// modeOf reports the mode a handler was built in: payload mode answers a GET
// of a function path with 405, proxy mode routes it to the handler.
func modeOf(t *testing.T, h http.Handler, path string) azurefunctions.Mode {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	switch rec.Code {
	case http.StatusMethodNotAllowed:
		return azurefunctions.ModePayload
	case http.StatusOK:
		return azurefunctions.ModeProxy
	}
	t.Fatalf("GET %s: unexpected %d %s", path, rec.Code, rec.Body)
	return 0
}

func writeHostJSON(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	if content != "" {
		if err := os.WriteFile(filepath.Join(dir, "host.json"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestHostJSONModes(t *testing.T) {
	for _, tc := range []struct {
		name, hostJSON, path string
		env                  []string
		want                 azurefunctions.Mode
	}{
		{"payload", `{"version":"2.0","customHandler":{"description":{"defaultExecutablePath":"h"}}}`, "/api/adaptertest/empty", nil, azurefunctions.ModePayload},
		{"proxying", `{"customHandler":{"enableProxyingHttpRequest":true}}`, "/api/adaptertest/empty", nil, azurefunctions.ModeProxy},
		{"forwarding", `{"customHandler":{"enableForwardingHttpRequest":true}}`, "/api/adaptertest/empty", nil, azurefunctions.ModeProxy},
		{"string booleans, any case", `{"CustomHandler":{"EnableProxyingHttpRequest":"True","enableForwardingHttpRequest":"false"}}`, "/api/adaptertest/empty", nil, azurefunctions.ModeProxy},
		{"byte order mark", "\ufeff" + `{"customHandler":{"enableProxyingHttpRequest":true}}`, "/api/adaptertest/empty", nil, azurefunctions.ModeProxy},
		{"legacy httpWorker", `{"httpWorker":{"description":{"defaultExecutablePath":"h"}}}`, "/api/adaptertest/empty", nil, azurefunctions.ModeProxy},
		{"route prefix", `{"customHandler":{"enableProxyingHttpRequest":true},"extensions":{"http":{"routePrefix":"v2"}}}`, "/V2/adaptertest/empty", nil, azurefunctions.ModeProxy},
		{"empty route prefix", `{"customHandler":{"enableProxyingHttpRequest":true},"extensions":{"http":{"routePrefix":""}}}`, "/adaptertest/empty", nil, azurefunctions.ModeProxy},
		{"app setting turns proxying on", `{"customHandler":{}}`, "/api/adaptertest/empty",
			[]string{"AzureFunctionsJobHost__customHandler__enableProxyingHttpRequest=true"}, azurefunctions.ModeProxy},
		{"app setting turns proxying off", `{"customHandler":{"enableProxyingHttpRequest":true}}`, "/api/adaptertest/empty",
			[]string{"AzureFunctionsJobHost__customHandler__enableProxyingHttpRequest=false"}, azurefunctions.ModePayload},
		{"app setting route prefix", `{"customHandler":{"enableProxyingHttpRequest":true}}`, "/x/adaptertest/empty",
			[]string{"AzureFunctionsJobHost__extensions__http__routePrefix=x"}, azurefunctions.ModeProxy},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, kv := range tc.env {
				k, v, _ := strings.Cut(kv, "=")
				t.Setenv(k, v)
			}
			h, err := azurefunctions.NewHandler(adaptertest.Handler(), azurefunctions.WithDir(writeHostJSON(t, tc.hostJSON)))
			if err != nil {
				t.Fatal(err)
			}
			if got := modeOf(t, h, tc.path); got != tc.want {
				t.Errorf("mode %v, want %v", got, tc.want)
			}
		})
	}
}

func TestHostJSONErrors(t *testing.T) {
	for _, tc := range []struct {
		name, hostJSON, want string
		env                  []string
	}{
		{"missing", "", "cannot read host.json", nil},
		{"not json", `{"customHandler":`, "not a JSON object", nil},
		{"comments", "{// comment\n\"customHandler\":{}}", "not a JSON object", nil},
		{"no customHandler", `{"version":"2.0"}`, "no customHandler section", nil},
		{"both modes", `{"customHandler":{"enableForwardingHttpRequest":true,"enableProxyingHttpRequest":true}}`, "enables both", nil},
		{"both modes via app setting", `{"customHandler":{"enableForwardingHttpRequest":true}}`, "enables both",
			[]string{"AzureFunctionsJobHost__customHandler__enableProxyingHttpRequest=true"}},
		{"flag not boolean", `{"customHandler":{"enableProxyingHttpRequest":1}}`, "enableProxyingHttpRequest must be true or false", nil},
		{"flag bad string", `{"customHandler":{"enableProxyingHttpRequest":"yes"}}`, `"yes" is neither true nor false`, nil},
		{"keys differing in case", `{"customHandler":{"enableProxyingHttpRequest":true,"EnableProxyingHttpRequest":false}}`, "ambiguous", nil},
		{"customHandler not object", `{"customHandler":true}`, "customHandler must be an object", nil},
		{"routePrefix number", `{"customHandler":{},"extensions":{"http":{"routePrefix":1}}}`, "routePrefix must be a string", nil},
		{"functionTimeout number", `{"customHandler":{},"functionTimeout":300}`, "functionTimeout must be a string", nil},
		{"functionTimeout bad", `{"customHandler":{},"functionTimeout":"5 minutes"}`, "not a time span", nil},
		{"functionTimeout app setting bad", `{"customHandler":{}}`, "not a time span", []string{"AzureFunctionsJobHost__functionTimeout=00:99:00"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, kv := range tc.env {
				k, v, _ := strings.Cut(kv, "=")
				t.Setenv(k, v)
			}
			_, err := azurefunctions.NewHandler(adaptertest.Handler(), azurefunctions.WithDir(writeHostJSON(t, tc.hostJSON)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	// A forced mode does without host.json.
	if _, err := azurefunctions.NewHandler(adaptertest.Handler(), azurefunctions.WithDir(t.TempDir()), azurefunctions.WithMode(azurefunctions.ModeProxy)); err != nil {
		t.Errorf("forced mode without host.json: %v", err)
	}
}

func TestFunctionTimeout(t *testing.T) {
	for _, tc := range []struct {
		span string
		want time.Duration
	}{
		{"00:00:02", 2 * time.Second},
		{"00:00:01.5", 1500 * time.Millisecond},
		// An HTTP answer is due within 230 s, whatever functionTimeout
		// says, none ("-1") and none given (the plan's default) included.
		{"00:05", azurefunctions.HTTPResponseLimit},
		{"1.00:00:00", azurefunctions.HTTPResponseLimit},
		{"-1", azurefunctions.HTTPResponseLimit},
		{"", azurefunctions.HTTPResponseLimit},
	} {
		t.Run(tc.span, func(t *testing.T) {
			hj := `{"customHandler":{"enableProxyingHttpRequest":true},"functionTimeout":"` + tc.span + `"}`
			if tc.span == "" {
				hj = `{"customHandler":{"enableProxyingHttpRequest":true}}`
			}
			dir := writeHostJSON(t, hj)
			var left time.Duration
			var has bool
			h, err := azurefunctions.NewHandler(deadlineProbe(&left, &has), azurefunctions.WithDir(dir))
			if err != nil {
				t.Fatal(err)
			}
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/api/x", nil))
			if !has || left > tc.want || left < tc.want-time.Minute {
				t.Errorf("deadline %v away (set %v), want %v", left, has, tc.want)
			}
			// WithTimeout overrides host.json.
			h, err = azurefunctions.NewHandler(deadlineProbe(&left, &has), azurefunctions.WithDir(dir), azurefunctions.WithTimeout(time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/api/x", nil))
			if !has || left > time.Millisecond {
				t.Errorf("WithTimeout(1ms): deadline %v away (set %v)", left, has)
			}
		})
	}
}

// A real handler process with an unusable host.json stops at start-up with
// the reason, which the host's log (here, the launch error) shows.
func TestStartFailsOnBadHostJSON(t *testing.T) {
	_, err := azuretest.Start(azuretest.Config{
		Binary:   handlerBinary(t),
		HostJSON: []byte(`{"customHandler":{"enableForwardingHttpRequest":true,"enableProxyingHttpRequest":true}}`),
	})
	if err == nil || !strings.Contains(err.Error(), "enables both") {
		t.Fatalf("start with an ambiguous host.json: %v", err)
	}
}

func TestStartWithoutPort(t *testing.T) {
	t.Setenv(azurefunctions.PortEnv, "")
	if err := azurefunctions.Start(adaptertest.Handler()); err == nil || !strings.Contains(err.Error(), azurefunctions.PortEnv) {
		t.Fatalf("Start without %s: %v", azurefunctions.PortEnv, err)
	}
	t.Setenv(azurefunctions.PortEnv, "http")
	if err := azurefunctions.Start(adaptertest.Handler()); err == nil || !strings.Contains(err.Error(), "not a port") {
		t.Fatalf("Start with a bad port: %v", err)
	}
}

// The real process keeps serving after malformed envelopes, answering each
// with HTTP 200 and a 400 problem in the answer.
func TestRealProcessMalformedEnvelopes(t *testing.T) {
	h := startHost(t, "payload", azuretest.Config{Mode: azuretest.Payload, FunctionTimeout: deadline})
	for _, env := range []string{`{`, `{"Data":{}}`, `{"Data":{"req":{"Url":"http://h/api/x"}}}`,
		`{"Data":{"req":{"Method":"POST","Url":"http://h/api/x","Body":false}}}`} {
		resp, err := h.Invoke(t.Context(), []byte(env))
		if err != nil {
			t.Fatal(err)
		}
		var a answer
		err = jsonDecode(resp, &a)
		if err != nil || resp.StatusCode != 200 || a.Outputs.Res.StatusCode != "400" {
			t.Fatalf("%s: HTTP %d, answer %+v, %v", env, resp.StatusCode, a, err)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, "http://app/api/adaptertest/echo/still-serving", nil)
	resp, err := h.RoundTrip(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("after malformed envelopes: %v %v", resp, err)
	}
	resp.Body.Close()
}
