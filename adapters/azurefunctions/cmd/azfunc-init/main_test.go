package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anyfunc/anyfunc/adapters/adaptertest"
	"github.com/anyfunc/anyfunc/adapters/azurefunctions"
)

func TestGeneratedAppIsUsable(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		path     string
		wantCode int // 200 in proxy mode, 405 for a GET in payload mode
	}{
		{nil, "/api/adaptertest/empty", http.StatusOK},
		{[]string{"-mode", "payload"}, "/anyfunc", http.StatusMethodNotAllowed},
		{[]string{"-route-prefix", "", "-timeout", "00:10:00", "-function", "App"}, "/adaptertest/empty", http.StatusOK},
	} {
		dir := t.TempDir()
		if err := run(append([]string{"-dir", dir}, tc.args...), io.Discard); err != nil {
			t.Fatal(err)
		}
		fn := "anyfunc"
		if strings.Contains(strings.Join(tc.args, " "), "App") {
			fn = "App"
		}
		b, err := os.ReadFile(filepath.Join(dir, fn, "function.json"))
		if err != nil || !strings.Contains(string(b), `"route": "{*path}"`) || !strings.Contains(string(b), `"name": "req"`) {
			t.Fatalf("function.json: %v %s", err, b)
		}
		if b, err := os.ReadFile(filepath.Join(dir, "local.settings.json")); err != nil || !strings.Contains(string(b), `"FUNCTIONS_WORKER_RUNTIME": "custom"`) {
			t.Fatalf("local.settings.json: %v %s", err, b)
		}
		h, err := azurefunctions.NewHandler(adaptertest.Handler(), azurefunctions.WithDir(dir))
		if err != nil {
			t.Fatalf("%v: the adapter refuses the generated host.json: %v", tc.args, err)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
		if rec.Code != tc.wantCode {
			t.Errorf("%v: GET %s = %d, want %d", tc.args, tc.path, rec.Code, tc.wantCode)
		}
	}
}

func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	if err := run([]string{"-dir", dir}, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-dir", dir}, "exists; use -force"},
		{[]string{"-dir", dir, "-mode", "grpc"}, "-mode"},
		{[]string{"-dir", dir, "-auth-level", "open"}, "-auth-level"},
		{[]string{"-dir", dir, "-function", "../x"}, "not a valid function name"},
		{[]string{"-dir", dir, "-exe", ""}, "-exe"},
		{[]string{"-dir", dir, "extra"}, "unexpected arguments"},
	} {
		if err := run(tc.args, io.Discard); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
	secrets := []byte(`{"Values":{"FUNCTIONS_WORKER_RUNTIME":"custom","DB_PASSWORD":"s3cret"}}`)
	if err := os.WriteFile(filepath.Join(dir, "local.settings.json"), secrets, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"-dir", dir, "-force", "-mode", "payload"}, io.Discard); err != nil {
		t.Errorf("-force: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "local.settings.json")); string(b) != string(secrets) {
		t.Errorf("-force overwrote local.settings.json: %s", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "host.json")); !strings.Contains(string(b), `"enableProxyingHttpRequest": false`) {
		t.Errorf("-force did not rewrite host.json: %s", b)
	}
}

// TestHelp checks that -h prints the usage, with every flag, and succeeds.
func TestHelp(t *testing.T) {
	for _, arg := range []string{"-h", "-help", "--help"} {
		var out bytes.Buffer
		if err := run([]string{arg}, &out); err != nil {
			t.Fatalf("%s: %v", arg, err)
		}
		for _, want := range []string{"Usage: azfunc-init", "-dir", "-exe", "-function", "-mode", "-route-prefix", "-auth-level", "-timeout", "-force"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s: the output lacks %q:\n%s", arg, want, out.String())
			}
		}
	}
	if err := run([]string{"-bogus"}, io.Discard); err == nil || !strings.Contains(err.Error(), "-h") {
		t.Errorf("unknown flag: %v; want an error pointing at -h", err)
	}
}
