package middleware

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"testing"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/handlertest"
)

// serve runs h for r through handler.Serve, as every adapter does, with
// a quiet logger.
func serve(h handler.Handler, r *handler.Request) *handlertest.Result {
	if r.Header == nil {
		r.Header = http.Header{}
	}
	return handlertest.ServeContext(quiet, h, r)
}

// quiet is a context whose logger discards: refusals the tests provoke
// are not news.
var quiet = handler.ContextWithLogger(context.Background(), slog.New(slog.DiscardHandler))

// ok is a handler that counts its calls and answers 200 "ok".
type ok struct{ calls int }

func (o *ok) ServeRequest(ctx context.Context, r *handler.Request) (*handler.Response, error) {
	o.calls++
	return &handler.Response{Body: []byte("ok")}, nil
}

func wantStatus(t *testing.T, resp *handlertest.Result, status int) {
	t.Helper()
	if resp.Status != status {
		t.Fatalf("status = %d, want %d; body %s", resp.Status, status, resp.Body)
	}
}

func contains(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }
