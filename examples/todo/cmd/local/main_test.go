package main

import (
	"testing"

	"github.com/anyfunc/anyfunc/handler/handlertest"
)

func TestHealthz(t *testing.T) {
	res := handlertest.Serve(newHandler(), handlertest.NewRequest("GET", "/healthz", nil))
	if res.Status != 200 || res.Header.Get("Content-Type") != "application/json" || res.String() != `{"status":"ok"}` {
		t.Errorf("GET /healthz = %d %v %s", res.Status, res.Header, res.Body)
	}
	if res := handlertest.Serve(newHandler(), handlertest.NewRequest("GET", "/nothing", nil)); res.Status != 404 {
		t.Errorf("GET /nothing = %d, want 404", res.Status)
	}
}
