package azuretest

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

func TestRoute(t *testing.T) {
	empty := ""
	for _, tc := range []struct {
		prefix *string
		path   string
		want   string
		ok     bool
	}{
		{nil, "/api/a/b", "a/b", true},
		{nil, "/API/a%2Fb", "a%2Fb", true},
		{nil, "/api", "", true},
		{nil, "/apix/a", "", false},
		{nil, "/other", "", false},
		{&empty, "/a/b", "a/b", true},
	} {
		h := &Host{prefix: "api"}
		if tc.prefix != nil {
			h.prefix = *tc.prefix
		}
		got, ok := h.route(tc.path)
		if got != tc.want || ok != tc.ok {
			t.Errorf("route(%q) with prefix %q = %q, %v; want %q, %v", tc.path, h.prefix, got, ok, tc.want, tc.ok)
		}
	}
}

func TestModeString(t *testing.T) {
	for m, want := range map[Mode]string{Payload: "payload", Forwarding: "forwarding", Proxying: "proxying", 7: "Mode(7)", -1: "Mode(-1)"} {
		if got := m.String(); got != want {
			t.Errorf("Mode(%d).String() = %q, want %q", int(m), got, want)
		}
	}
}

func TestOrderedKeys(t *testing.T) {
	got := strings.Join(orderedKeys("b=1&a=2&b=3&&c&%zz=1&a%20b=4"), ",")
	if got != "b,a,c,a b" {
		t.Errorf("orderedKeys = %q", got)
	}
}

func TestUnwrap(t *testing.T) {
	req, _ := http.NewRequest(http.MethodGet, "http://app/api/x", nil)
	for _, tc := range []struct {
		answer     string
		wantStatus int
		wantHeader string
		wantBody   string
	}{
		{`{"Outputs":{"res":{"statusCode":"201","headers":{"X-A":"1"},"body":"hi"}},"Logs":["l"],"ReturnValue":null}`, 201, "1", "hi"},
		{`{"Outputs":{"res":{"StatusCode":404,"body":""}}}`, 404, "", ""},
		{`{"Outputs":{"res":{"status":"202","headers":{"X-A":5},"body":{"k":"v"}}}}`, 202, "5", `{"k":"v"}`},
		{`{"Outputs":{"res":{"body":"x"}}}`, 200, "", "x"},
		{`{"Outputs":{}}`, 500, "", ""},
		{`{"Outputs":{"res":{"headers":[1],"body":"x"}}}`, 500, "", ""},
		{`not json`, 500, "", ""},
	} {
		h := &Host{}
		resp, err := h.unwrap(req, []byte(tc.answer))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != tc.wantStatus || resp.Header.Get("X-A") != tc.wantHeader || string(body) != tc.wantBody {
			t.Errorf("%s: got %d %q %q", tc.answer, resp.StatusCode, resp.Header.Get("X-A"), body)
		}
	}
}

func TestStartMissingBinary(t *testing.T) {
	_, err := Start(Config{Binary: filepath.Join(t.TempDir(), "no-such-handler")})
	if err == nil {
		t.Fatal("Start with a missing binary succeeded")
	}
}
