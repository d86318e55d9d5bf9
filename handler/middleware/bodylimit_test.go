package middleware

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/anyfunc/anyfunc/handler"
)

func TestBodyLimit(t *testing.T) {
	next := &ok{}
	h := BodyLimit(4)(next)
	wantStatus(t, serve(h, &handler.Request{Method: "POST", Body: []byte("1234")}), http.StatusOK)
	resp := serve(h, &handler.Request{Method: "POST", Body: []byte("12345")})
	wantStatus(t, resp, http.StatusRequestEntityTooLarge)
	if !bytes.Contains(resp.Body, []byte(`"code":"body_too_large"`)) {
		t.Errorf("body = %s", resp.Body)
	}
	if next.calls != 1 {
		t.Errorf("handler ran %d times, want 1", next.calls)
	}
}

func TestBodyLimitRefusesBadConfig(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("BodyLimit(0) did not panic")
		}
	}()
	BodyLimit(0)
}
