package main

import (
	"context"
	"testing"

	"github.com/anyfunc/anyfunc/handler/handlertest"
)

func TestLocal(t *testing.T) {
	t.Setenv("TODO_STORE_URL", "")
	t.Setenv("TODO_API_KEYS", "")
	t.Setenv("TODO_JWT_SECRET", "")
	t.Setenv("TODO_JWKS_URL", "")
	h, dev, err := newHandler(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !dev {
		t.Error("no authentication configured, but not in development mode")
	}
	res := handlertest.Serve(h, handlertest.NewRequest("GET", "/healthz", nil))
	if res.Status != 200 || res.String() != `{"status":"ok"}` {
		t.Errorf("GET /healthz = %d %s", res.Status, res.Body)
	}
	if res := handlertest.Serve(h, handlertest.NewRequest("GET", "/todos", nil)); res.Status != 401 {
		t.Errorf("GET /todos without a key = %d, want 401", res.Status)
	}
	key := handlertest.Header("X-Api-Key", DevAPIKey)
	res = handlertest.Serve(h, handlertest.NewRequest("POST", "/todos", map[string]string{"title": "x"}, key))
	if res.Status != 201 {
		t.Fatalf("POST /todos with the dev key = %d %s", res.Status, res.Body)
	}
	if res := handlertest.Serve(h, handlertest.NewRequest("GET", res.Header.Get("Location"), nil, key)); res.Status != 200 {
		t.Errorf("GET the created todo = %d", res.Status)
	}
}

func TestLocalConfiguredKeysReplaceTheDevKey(t *testing.T) {
	t.Setenv("TODO_STORE_URL", "mem://local-test")
	t.Setenv("TODO_API_KEYS", "ann:0123456789abcdef0123")
	h, dev, err := newHandler(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if dev {
		t.Error("keys configured, but in development mode")
	}
	if res := handlertest.Serve(h, handlertest.NewRequest("GET", "/todos", nil, handlertest.Header("X-Api-Key", DevAPIKey))); res.Status != 401 {
		t.Errorf("dev key with TODO_API_KEYS set = %d, want 401", res.Status)
	}
	t.Setenv("TODO_STORE_URL", "nosuch://x")
	if _, _, err := newHandler(context.Background()); err == nil {
		t.Error("unknown store scheme accepted")
	}
}

// TestListenAddr checks that the development key is served on the loopback
// interface only, and configured authentication on every interface.
func TestListenAddr(t *testing.T) {
	t.Setenv("PORT", "9090")
	for _, tc := range []struct {
		dev  bool
		want string
	}{{true, "127.0.0.1:9090"}, {false, ":9090"}} {
		if got, err := listenAddr(tc.dev); err != nil || got != tc.want {
			t.Errorf("listenAddr(%v) = %q, %v; want %q", tc.dev, got, err, tc.want)
		}
	}
	t.Setenv("PORT", "http")
	if _, err := listenAddr(true); err == nil {
		t.Error("PORT=http accepted")
	}
}
