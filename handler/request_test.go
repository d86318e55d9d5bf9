package handler

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"unsafe"
)

// TestRequestLogValue checks that a logged request shows where it went and
// none of its headers, query or body.
func TestRequestLogValue(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewJSONHandler(&buf, nil))
	r := &Request{Method: "POST", Path: "/todos", BasePath: "/prod", RawQuery: "api_key=QUERYSECRET", RequestID: "req-1",
		RemoteAddr: "192.0.2.1", Pattern: "POST /todos",
		Header: http.Header{"Authorization": {"Bearer HEADERSECRET"}}, Body: []byte(`{"password":"BODYSECRET"}`)}
	l.Info("got", "request", r)
	out := buf.String()
	for _, secret := range []string{"QUERYSECRET", "HEADERSECRET", "BODYSECRET"} {
		if strings.Contains(out, secret) {
			t.Errorf("logged request shows %s: %s", secret, out)
		}
	}
	for _, want := range []string{`"method":"POST"`, `"path":"/prod/todos"`, `"pattern":"POST /todos"`, `"requestId":"req-1"`, `"remoteAddr":"192.0.2.1"`} {
		if !strings.Contains(out, want) {
			t.Errorf("logged request lacks %s: %s", want, out)
		}
	}
	buf.Reset()
	l.Info("nil", "request", (*Request)(nil))
	if !strings.Contains(buf.String(), `"msg":"nil"`) {
		t.Errorf("nil request: %s", buf.String())
	}
}

func TestSetPathValue(t *testing.T) {
	var r Request
	names := []string{"a", "b", "c", "d"}
	for i, n := range names {
		r.SetPathValue(n, strings.Repeat("v", i+1))
	}
	r.SetPathValue("b", "replaced")
	for i, n := range names {
		want := strings.Repeat("v", i+1)
		if n == "b" {
			want = "replaced"
		}
		if got := r.PathValue(n); got != want {
			t.Errorf("PathValue(%q) = %q, want %q", n, got, want)
		}
	}
	if got := r.PathValue("e"); got != "" {
		t.Errorf("PathValue(e) = %q", got)
	}
	// The first few values go into the Request's own storage, as the
	// Router's do: an adapter setting its platform's path parameters
	// allocates nothing for them.
	rp := new(Request)
	allocs := testing.AllocsPerRun(100, func() {
		*rp = Request{}
		r := rp
		r.SetPathValue("id", "1")
		r.SetPathValue("list", "home")
		if r.PathValue("id") != "1" {
			t.Fatal("lost")
		}
	})
	if allocs != 0 {
		t.Errorf("SetPathValue allocated %v times for 2 values", allocs)
	}
}

// TestHTTPExchangeSize checks that the one allocation serveHTTPIn makes per
// request stays within 512 bytes: the Go runtime allocates a larger object
// with pointers on another path, with a malloc header (an earlier merged
// allocation of 552 bytes cost more CPU than it saved; see 231e211). A
// field added to Request or requestCtx must be paid for elsewhere.
func TestHTTPExchangeSize(t *testing.T) {
	if n := unsafe.Sizeof(httpExchange{}); n > 512 {
		t.Errorf("httpExchange is %d bytes, more than 512 (Request %d, requestCtx %d)",
			n, unsafe.Sizeof(Request{}), unsafe.Sizeof(requestCtx{}))
	}
}
