package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/adapters/httpserver"
	"github.com/anyfunc/anyfunc/examples/todo"
	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/handlertest"
	"github.com/anyfunc/anyfunc/store"
	"github.com/anyfunc/anyfunc/store/memstore"
)

func TestLocal(t *testing.T) {
	t.Setenv("TODO_STORE_URL", "")
	t.Setenv("TODO_API_KEYS", "")
	t.Setenv("TODO_JWT_SECRET", "")
	t.Setenv("TODO_JWKS_URL", "")
	h, dev, err := newHandler(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !dev {
		t.Error("no authentication configured, but not in development mode")
	}
	res := handlertest.Serve(h, handlertest.NewRequest("GET", "/healthz", nil))
	if res.Status != 200 || res.String() != `{"statsRepairedAt":"never","status":"ok"}` {
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
	h, dev, err := newHandler(context.Background(), nil)
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
	if _, _, err := newHandler(context.Background(), nil); err == nil {
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

// TestRequestDeadline checks that the server main runs gives each handler
// RequestTimeout (29 s) from the request's arrival.
func TestRequestDeadline(t *testing.T) {
	var deadline time.Time
	var ok bool
	h := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		deadline, ok = ctx.Deadline()
		return nil, nil
	})
	before := time.Now()
	hh, err := httpserver.NewHandler(h, serverOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	hh.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	after := time.Now()
	if arrived := deadline.Add(-RequestTimeout); !ok || arrived.Before(before) || arrived.After(after) {
		t.Errorf("deadline %v (%v); want RequestTimeout after the request arrived", deadline, ok)
	}
}

// TestStoreStall serves the API over a store whose every call blocks until
// its context ends: the request is answered 504 problem+json when the
// deadline passes, and the store saw its context end (the stall did not
// outlive the request). The deadline is shortened from RequestTimeout so
// the test does not wait 29 s; nothing is asserted about time.
func TestStoreStall(t *testing.T) {
	c, err := todo.ConfigFromEnv("mem://stall")
	if err != nil {
		t.Fatal(err)
	}
	c.APIKeys, c.JWTSecret, c.JWKSURL = "dev:"+DevAPIKey, "", ""
	s := &stallStore{Store: memstore.New(), ended: make(chan error, 100)}
	h, err := c.Wrap(s)
	if err != nil {
		t.Fatal(err)
	}
	hh, err := httpserver.NewHandler(h, append(serverOptions(), httpserver.WithTimeout(100*time.Millisecond))...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(hh)
	defer srv.Close()
	for _, method := range []string{"GET", "POST"} {
		req, _ := http.NewRequest(method, srv.URL+"/todos", nil)
		req.Header.Set("X-Api-Key", DevAPIKey)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			Status int    `json:"status"`
			Code   string `json:"code"`
		}
		err = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if resp.StatusCode != http.StatusGatewayTimeout || resp.Header.Get("Content-Type") != "application/problem+json" || err != nil || p.Status != 504 {
			t.Errorf("%s /todos over a stalled store = %d %s %+v (%v); want a 504 problem", method, resp.StatusCode, resp.Header.Get("Content-Type"), p, err)
		}
		select {
		case err := <-s.ended:
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("the stalled store call ended with %v, want context.DeadlineExceeded", err)
			}
		default:
			t.Errorf("%s /todos: no store call saw its context end", method)
		}
	}
}

// stallStore blocks every call until its context ends, and reports the
// context's error on ended.
type stallStore struct {
	store.Store
	ended chan error
}

func (s *stallStore) stall(ctx context.Context) error {
	<-ctx.Done()
	s.ended <- ctx.Err()
	return &store.Error{Kind: store.ErrUnavailable, Msg: ctx.Err().Error(), Err: ctx.Err()}
}

func (s *stallStore) Get(ctx context.Context, k store.Key) (*store.Item, error) {
	return nil, s.stall(ctx)
}

func (s *stallStore) Put(ctx context.Context, it *store.Item, cond ...store.Condition) (store.Revision, error) {
	return "", s.stall(ctx)
}

func (s *stallStore) Update(ctx context.Context, k store.Key, ops []store.FieldOp, cond ...store.Condition) (store.Revision, error) {
	return "", s.stall(ctx)
}

func (s *stallStore) UpdateItem(ctx context.Context, k store.Key, ops []store.FieldOp, cond ...store.Condition) (*store.Item, error) {
	return nil, s.stall(ctx)
}

func (s *stallStore) Delete(ctx context.Context, k store.Key, cond ...store.Condition) error {
	return s.stall(ctx)
}

func (s *stallStore) GetMany(ctx context.Context, keys []store.Key) ([]*store.Item, error) {
	return nil, s.stall(ctx)
}

func (s *stallStore) WriteMany(ctx context.Context, writes []store.Write) error {
	return s.stall(ctx)
}

func (s *stallStore) Atomic(ctx context.Context, writes []store.Write) error {
	return s.stall(ctx)
}

func (s *stallStore) Query(ctx context.Context, q store.Query) (*store.Page, error) {
	return nil, s.stall(ctx)
}

// TestBodyLimitBeforeAuthentication sends unauthenticated 10 MB bodies to
// the server main runs: each is refused with 413 after at most the API's
// 64 KB limit (and one byte) was read, before authentication could answer
// 401; a declared length over the limit is refused without reading.
func TestBodyLimitBeforeAuthentication(t *testing.T) {
	t.Setenv("TODO_STORE_URL", "")
	t.Setenv("TODO_API_KEYS", "")
	t.Setenv("TODO_JWT_SECRET", "")
	t.Setenv("TODO_JWKS_URL", "")
	h, _, err := newHandler(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := mustHandler(h, serverOptions()...)
	const size = 10 << 20
	for _, declared := range []bool{false, true} {
		body := &countingReader{left: size}
		req := httptest.NewRequest("POST", "/todos", nil)
		req.Body = body
		req.ContentLength = -1
		if declared {
			req.ContentLength = size
		}
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusRequestEntityTooLarge || rec.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("10 MB body (declared length %v) without credentials = %d %s; want a 413 problem", declared, rec.Code, rec.Body)
		}
		if max := int64(todo.MaxBodyBytes + 1); body.read > max || declared && body.read != 0 {
			t.Errorf("10 MB body (declared length %v): the server read %d bytes; want at most %d (0 when declared)", declared, body.read, max)
		}
	}
}

// countingReader yields left bytes of JSON-ish filler and counts what was
// read.
type countingReader struct{ left, read int64 }

func (c *countingReader) Read(p []byte) (int, error) {
	if c.left == 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), c.left)
	for i := range p[:n] {
		p[i] = 'a'
	}
	c.left -= n
	c.read += n
	return int(n), nil
}

func (c *countingReader) Close() error { return nil }

// TestMalformedQuery checks that the API refuses a query it cannot read,
// naming the parameter, instead of serving the list unfiltered.
func TestMalformedQuery(t *testing.T) {
	t.Setenv("TODO_STORE_URL", "")
	t.Setenv("TODO_API_KEYS", "")
	t.Setenv("TODO_JWT_SECRET", "")
	t.Setenv("TODO_JWKS_URL", "")
	h, _, err := newHandler(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mustHandler(h, serverOptions()...))
	defer srv.Close()
	for _, param := range []string{"done", "limit"} {
		req, _ := http.NewRequest("GET", srv.URL+"/todos?"+param+"=%zz", nil)
		req.Header.Set("X-Api-Key", DevAPIKey)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var p struct{ Code, Detail string }
		err = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if resp.StatusCode != 400 || err != nil || p.Code != "invalid_query" || !strings.Contains(p.Detail, `"`+param+`"`) {
			t.Errorf("GET /todos?%s=%%zz = %d %+v (%v); want a 400 invalid_query problem naming %q", param, resp.StatusCode, p, err, param)
		}
	}
}

// mustHandler is httpserver.NewHandler for tests, which panics on error as
// httptest.NewRequest does.
func mustHandler(h handler.Handler, opts ...httpserver.Option) http.Handler {
	hh, err := httpserver.NewHandler(h, opts...)
	if err != nil {
		panic(err)
	}
	return hh
}
