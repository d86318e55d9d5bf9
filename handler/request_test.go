package handler

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"testing"
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
