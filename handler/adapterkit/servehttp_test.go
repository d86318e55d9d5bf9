package adapterkit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/adapterkit"
)

// TestServeHTTPIn checks that ServeHTTPIn gives the handler the context
// NewRequestContext makes (invocation, deadline, the request ID Serve
// sets), the Request RequestFromHTTP builds, ends the context once the
// response is written, and writes the response as WriteHTTP does.
func TestServeHTTPIn(t *testing.T) {
	inv := handler.Invocation{Platform: "test", ID: "inv-1"}
	var (
		gotCtx context.Context
		gotReq *handler.Request
		idSeen string
	)
	h := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		gotCtx, gotReq, idSeen = ctx, r, handler.RequestIDFrom(ctx)
		if err := ctx.Err(); err != nil {
			t.Errorf("Err() = %v while serving", err)
		}
		return &handler.Response{Status: 201, Header: http.Header{"X-A": {"1", "2"}}, Body: []byte("created")}, nil
	})
	hr := httptest.NewRequest("PUT", "http://example.com/a%2Fb?x=1", strings.NewReader("body"))
	hr.RemoteAddr = "192.0.2.7:4711"
	rec := httptest.NewRecorder()
	before := time.Now()
	adapterkit.ServeHTTPIn(context.Background(), inv, time.Hour, h, rec, hr)

	if got, ok := handler.InvocationFrom(gotCtx); !ok || *got != inv {
		t.Errorf("InvocationFrom = %+v, %v", got, ok)
	}
	if dl, ok := gotCtx.Deadline(); !ok || dl.Before(before.Add(time.Hour)) || dl.After(time.Now().Add(time.Hour)) {
		t.Errorf("Deadline() = %v, %v; want an hour from the call", dl, ok)
	}
	if idSeen == "" || idSeen != gotReq.RequestID {
		t.Errorf("RequestIDFrom = %q, Request.RequestID = %q", idSeen, gotReq.RequestID)
	}
	if gotReq.Method != "PUT" || gotReq.Path != "/a/b" || gotReq.RawPath != "/a%2Fb" || gotReq.RawQuery != "x=1" ||
		gotReq.Host != "example.com" || gotReq.RemoteAddr != "192.0.2.7" || string(gotReq.Body) != "body" {
		t.Errorf("request = %+v", gotReq)
	}
	if err := gotCtx.Err(); !errors.Is(err, context.Canceled) {
		t.Errorf("Err() after ServeHTTPIn = %v, want Canceled", err)
	}
	<-gotCtx.Done()
	if rec.Code != 201 || rec.Body.String() != "created" || rec.Header().Get("Content-Length") != "7" ||
		strings.Join(rec.Header()["X-A"], ",") != "1,2" {
		t.Errorf("response: %d %v %q", rec.Code, rec.Header(), rec.Body)
	}
}

// TestServeHTTPInBadRequest checks that a body the request cannot be built
// from is answered as ServeHTTP answers it (413 behind MaxBytesReader)
// without running the handler.
func TestServeHTTPInBadRequest(t *testing.T) {
	h := handler.HandlerFunc(func(context.Context, *handler.Request) (*handler.Response, error) {
		t.Error("the handler ran")
		return nil, nil
	})
	rec := httptest.NewRecorder()
	hr := httptest.NewRequest("POST", "/", strings.NewReader("too long"))
	hr.Body = http.MaxBytesReader(rec, hr.Body, 3)
	adapterkit.ServeHTTPIn(context.Background(), handler.Invocation{}, 0, h, rec, hr)
	if rec.Code != http.StatusRequestEntityTooLarge || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("response: %d %v %q", rec.Code, rec.Header(), rec.Body)
	}
}

// TestServeHTTPInContentLength checks each response's Content-Length, on
// both sides of the sizes whose digits strconv.Itoa allocates, and that an
// outer writer's append to one reaches no other.
func TestServeHTTPInContentLength(t *testing.T) {
	sizes := []int{0, 9, 99, 100, 12345, 5 << 20}
	var recs []*httptest.ResponseRecorder
	for _, n := range sizes {
		body := bytes.Repeat([]byte("x"), n)
		rec := httptest.NewRecorder()
		adapterkit.ServeHTTPIn(context.Background(), handler.Invocation{}, 0, handler.HandlerFunc(func(context.Context, *handler.Request) (*handler.Response, error) {
			return &handler.Response{Body: body}, nil
		}), rec, httptest.NewRequest("GET", "/", nil))
		if got := rec.Header().Values("Content-Length"); len(got) != 1 || got[0] != fmt.Sprint(n) || rec.Body.Len() != n {
			t.Errorf("%d bytes: Content-Length %q, body %d bytes", n, got, rec.Body.Len())
		}
		recs = append(recs, rec)
	}
	for _, rec := range recs {
		rec.Header().Add("Content-Length", "1")
	}
	for i, n := range sizes {
		if got := recs[i].Header().Values("Content-Length"); len(got) != 2 || got[0] != fmt.Sprint(n) || got[1] != "1" {
			t.Errorf("%d bytes: Content-Length %q after an append", n, got)
		}
	}
}

// TestServeHTTPInRetained checks (under -race) that a handler may keep its
// Request and context after answering: they share an allocation, which
// later requests never reuse.
func TestServeHTTPInRetained(t *testing.T) {
	var wg sync.WaitGroup
	release := make(chan struct{})
	h := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		want := r.Path
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-release
			<-ctx.Done() // ended once answered
			if r.Path != want || handler.RequestIDFrom(ctx) != r.RequestID {
				t.Errorf("retained request changed: path %q, want %q", r.Path, want)
			}
		}()
		return &handler.Response{Body: []byte(want)}, nil
	})
	for i := range 50 {
		rec := httptest.NewRecorder()
		adapterkit.ServeHTTPIn(context.Background(), handler.Invocation{Platform: "test"}, time.Hour, h, rec, httptest.NewRequest("GET", fmt.Sprintf("/r%d", i), nil))
		if want := fmt.Sprintf("/r%d", i); rec.Body.String() != want || rec.Header().Get("Content-Length") != fmt.Sprint(len(want)) {
			t.Errorf("request %d: %v %q", i, rec.Header(), rec.Body)
		}
	}
	close(release)
	wg.Wait()
}

// TestNewRequestIn checks that NewRequestIn returns the context
// NewRequestContext makes (invocation, deadline, the request ID Serve sets,
// ended by EndRequest) and a zero Request, which FillRequestFromHTTP fills
// as RequestFromHTTP builds one, each call its own.
func TestNewRequestIn(t *testing.T) {
	inv := handler.Invocation{Platform: "test", ID: "inv-2"}
	before := time.Now()
	ctx, r := adapterkit.NewRequestIn(context.Background(), inv, time.Hour)
	ctx2, r2 := adapterkit.NewRequestIn(context.Background(), inv, 0)
	if r == r2 || ctx == ctx2 {
		t.Fatal("two calls share their context or Request")
	}
	if r.Method != "" || r.Header != nil || r.Body != nil || r.RequestID != "" {
		t.Fatalf("Request is not zero: %+v", r)
	}
	if got, ok := handler.InvocationFrom(ctx); !ok || *got != inv {
		t.Errorf("InvocationFrom = %+v, %v", got, ok)
	}
	if dl, ok := ctx.Deadline(); !ok || dl.Before(before.Add(time.Hour)) || dl.After(time.Now().Add(time.Hour)) {
		t.Errorf("Deadline() = %v, %v; want an hour from the call", dl, ok)
	}
	if _, ok := ctx2.Deadline(); ok {
		t.Error("a zero timeout gave a deadline")
	}
	hr := httptest.NewRequest("PUT", "http://example.com/a%2Fb?x=1", strings.NewReader("body"))
	hr.RemoteAddr = "192.0.2.7:4711"
	if err := adapterkit.FillRequestFromHTTP(r, hr); err != nil {
		t.Fatal(err)
	}
	want, err := adapterkit.RequestFromHTTP(httptest.NewRequest("PUT", "http://example.com/a%2Fb?x=1", strings.NewReader("body")))
	if err != nil {
		t.Fatal(err)
	}
	want.RemoteAddr, want.Header = "192.0.2.7", r.Header
	if fmt.Sprintf("%+v", *r) != fmt.Sprintf("%+v", *want) {
		t.Errorf("FillRequestFromHTTP gave\n%+v\nRequestFromHTTP\n%+v", *r, *want)
	}
	var idSeen string
	resp := handler.Serve(ctx, handler.HandlerFunc(func(ctx context.Context, _ *handler.Request) (*handler.Response, error) {
		idSeen = handler.RequestIDFrom(ctx)
		return nil, ctx.Err()
	}), r)
	if resp.StatusCode() != 200 || idSeen == "" || idSeen != r.RequestID {
		t.Errorf("served %d, RequestIDFrom = %q, Request.RequestID = %q", resp.StatusCode(), idSeen, r.RequestID)
	}
	adapterkit.EndRequest(ctx)
	if err := ctx.Err(); !errors.Is(err, context.Canceled) {
		t.Errorf("Err() after EndRequest = %v, want Canceled", err)
	}
	<-ctx.Done()
	if ctx2.Err() != nil {
		t.Error("ending one context ended the other")
	}
	adapterkit.EndRequest(ctx2)

	hr = httptest.NewRequest("POST", "/", strings.NewReader("too long"))
	hr.Body = http.MaxBytesReader(httptest.NewRecorder(), hr.Body, 3)
	_, r3 := adapterkit.NewRequestIn(context.Background(), inv, 0)
	if err := adapterkit.FillRequestFromHTTP(r3, hr); handler.AsError(err).Status != 413 {
		t.Errorf("FillRequestFromHTTP over the limit: %v", err)
	}
}

// TestServeHTTPBehind checks that ServeHTTPBehind serves as ServeHTTPIn
// does but with the platform's request ID (the Request's, the context's
// and that of the answer to a request that cannot be read; one generated
// when it is "") and RemoteAddr empty, whatever hr.RemoteAddr holds.
func TestServeHTTPBehind(t *testing.T) {
	inv := handler.Invocation{Platform: "test", ID: "inv-2"}
	for _, id := range []string{"exec-42", ""} {
		for _, addr := range []string{"192.0.2.7:4711", "[2001:db8::1]:80", "not an address", ""} {
			var gotReq *handler.Request
			var gotCtx context.Context
			idSeen := ""
			h := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
				gotCtx, gotReq, idSeen = ctx, r, handler.RequestIDFrom(ctx)
				return &handler.Response{Status: 202, Body: []byte("accepted")}, nil
			})
			hr := httptest.NewRequest("POST", "http://example.com/a%2Fb?x=1", strings.NewReader("body"))
			hr.RemoteAddr = addr
			rec := httptest.NewRecorder()
			adapterkit.ServeHTTPBehind(context.Background(), inv, time.Hour, h, rec, hr, id)
			if gotReq == nil {
				t.Fatalf("id %q, addr %q: the handler did not run", id, addr)
			}
			if gotReq.RemoteAddr != "" {
				t.Errorf("id %q, addr %q: RemoteAddr = %q, want empty", id, addr, gotReq.RemoteAddr)
			}
			if id != "" && gotReq.RequestID != id || gotReq.RequestID == "" || idSeen != gotReq.RequestID {
				t.Errorf("id %q: Request.RequestID = %q, RequestIDFrom = %q", id, gotReq.RequestID, idSeen)
			}
			if got, ok := handler.InvocationFrom(gotCtx); !ok || *got != inv {
				t.Errorf("InvocationFrom = %+v, %v", got, ok)
			}
			if _, ok := gotCtx.Deadline(); !ok {
				t.Error("no deadline")
			}
			if err := gotCtx.Err(); !errors.Is(err, context.Canceled) {
				t.Errorf("Err() after ServeHTTPBehind = %v, want Canceled", err)
			}
			if gotReq.Method != "POST" || gotReq.Path != "/a/b" || gotReq.RawPath != "/a%2Fb" || gotReq.RawQuery != "x=1" ||
				gotReq.Host != "example.com" || string(gotReq.Body) != "body" {
				t.Errorf("request = %+v", gotReq)
			}
			if rec.Code != 202 || rec.Body.String() != "accepted" || rec.Header().Get("Content-Length") != "8" {
				t.Errorf("response: %d %v %q", rec.Code, rec.Header(), rec.Body)
			}
		}
	}

	// A body over its limit: 413, with the platform's ID.
	h := handler.HandlerFunc(func(context.Context, *handler.Request) (*handler.Response, error) {
		t.Error("the handler ran")
		return nil, nil
	})
	rec := httptest.NewRecorder()
	hr := httptest.NewRequest("POST", "/", strings.NewReader("too long"))
	hr.Body = http.MaxBytesReader(rec, hr.Body, 3)
	adapterkit.ServeHTTPBehind(context.Background(), inv, 0, h, rec, hr, "exec-413")
	if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), `"exec-413"`) {
		t.Errorf("response: %d %v %q", rec.Code, rec.Header(), rec.Body)
	}
}

// headerWriter is an http.ResponseWriter that keeps nothing but its
// header map, cleared before each use, so that it allocates nothing.
type headerWriter struct{ h http.Header }

func (w *headerWriter) Header() http.Header         { return w.h }
func (w *headerWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *headerWriter) WriteHeader(int)             {}

// TestServeHTTPBehindAllocs checks that ServeHTTPBehind allocates what
// ServeHTTPIn does, one allocation fewer than building the same answer
// with NewRequestIn, FillRequestFromHTTP and WriteHTTP: the response's
// Content-Length value (of 3 digits, which strconv.Itoa would allocate)
// lives in the request's allocation.
func TestServeHTTPBehindAllocs(t *testing.T) {
	resp := &handler.Response{Body: bytes.Repeat([]byte("x"), 123)}
	h := handler.HandlerFunc(func(context.Context, *handler.Request) (*handler.Response, error) { return resp, nil })
	hr := httptest.NewRequest("GET", "http://example.com/items/7", nil)
	hr.RemoteAddr = "192.0.2.7:4711"
	w := &headerWriter{h: http.Header{}}
	inv := handler.Invocation{Platform: "test", ID: "exec-1"}
	measure := func(serve func()) float64 {
		return testing.AllocsPerRun(200, func() {
			clear(w.h)
			serve()
			if got := w.h["Content-Length"]; len(got) != 1 || got[0] != "123" {
				t.Fatalf("Content-Length %q", got)
			}
		})
	}
	in := measure(func() { adapterkit.ServeHTTPIn(context.Background(), inv, time.Hour, h, w, hr) })
	behind := measure(func() { adapterkit.ServeHTTPBehind(context.Background(), inv, time.Hour, h, w, hr, "exec-1") })
	manual := measure(func() {
		ctx, r := adapterkit.NewRequestIn(context.Background(), inv, time.Hour)
		defer adapterkit.EndRequest(ctx)
		if err := adapterkit.FillRequestFromHTTP(r, hr); err != nil {
			t.Fatal(err)
		}
		r.RequestID = "exec-1"
		r.RemoteAddr = ""
		adapterkit.WriteHTTP(ctx, w, hr.Method, handler.Serve(ctx, h, r))
	})
	if behind != in || behind != manual-1 {
		t.Errorf("allocs per request: ServeHTTPBehind %v, ServeHTTPIn %v, NewRequestIn and WriteHTTP %v; want %v, %v, %v",
			behind, in, manual, in, in, in+1)
	}
}
