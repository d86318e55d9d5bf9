package main

import (
	"context"
	"testing"

	"github.com/anyfunc/anyfunc/handler/handlertest"
)

func TestLocal(t *testing.T) {
	h, err := newHandler(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	res := handlertest.Serve(h, handlertest.NewRequest("GET", "/healthz", nil))
	if res.Status != 200 || res.String() != `{"status":"ok"}` {
		t.Errorf("GET /healthz = %d %s", res.Status, res.Body)
	}
	if res := handlertest.Serve(h, handlertest.NewRequest("GET", "/todos", nil)); res.Status != 401 {
		t.Errorf("GET /todos without X-User = %d, want 401", res.Status)
	}
	res = handlertest.Serve(h, handlertest.NewRequest("POST", "/todos", map[string]string{"title": "x"}, handlertest.Header("X-User", "ann")))
	if res.Status != 201 {
		t.Fatalf("POST /todos as ann = %d %s", res.Status, res.Body)
	}
	if res := handlertest.Serve(h, handlertest.NewRequest("GET", res.Header.Get("Location"), nil, handlertest.Header("X-User", "bob"))); res.Status != 404 {
		t.Errorf("bob reading ann's todo = %d, want 404", res.Status)
	}
	if _, err := newHandler(context.Background(), "nosuch://x"); err == nil {
		t.Error("unknown store scheme accepted")
	}
}
