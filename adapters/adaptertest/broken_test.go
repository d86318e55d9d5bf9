package adaptertest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/anyfunc/anyfunc/handler"
)

// recorder is a tb that records failures instead of failing the test.
type recorder struct {
	mu     sync.Mutex
	errors []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

// runCase runs one case against rt and returns the failures it reported.
func runCase(c testCase, rt http.RoundTripper) []string {
	rec := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.run(rec, rt)
	}()
	<-done
	return rec.errors
}

// TestCasesCatchBrokenAdapters serves the table through adapters that each
// get one thing wrong and checks that exactly the cases about that thing
// fail (and every other case passes).
func TestCasesCatchBrokenAdapters(t *testing.T) {
	inner := handler.HTTP(Handler())
	good := func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), Deadline)
		defer cancel()
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		inner.ServeHTTP(w, r.WithContext(ctx))
	}
	breakages := []struct {
		name     string
		wrap     func(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request)
		wantFail []string
	}{
		{"none", nil, nil},
		{"decodes-raw-path", func(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request) {
			r.URL.RawPath = ""
			return w, r
		}, []string{"escaped-slash"}},
		{"plus-kept", func(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request) {
			r.URL.RawQuery = strings.ReplaceAll(r.URL.RawQuery, "+", "%2B")
			return w, r
		}, []string{"query-plus"}},
		{"drops-malformed-query-pairs", func(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request) {
			r.URL.RawQuery = r.URL.Query().Encode()
			return w, r
		}, []string{"malformed-query"}},
		{"first-header-value-only", func(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request) {
			for k, v := range r.Header {
				r.Header[k] = v[:1]
			}
			return w, r
		}, []string{"repeated-header", "cookies-in"}},
		{"splits-on-commas", func(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request) {
			for k, v := range r.Header {
				r.Header[k] = strings.Split(strings.Join(v, ","), ",")
			}
			return w, r
		}, []string{"comma-header"}},
		{"first-set-cookie-only", func(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request) {
			return &headerEditor{w, func(h http.Header) {
				if v := h["Set-Cookie"]; len(v) > 1 {
					h["Set-Cookie"] = v[:1]
				}
			}}, r
		}, []string{"set-cookies"}},
		{"drops-content-encoding", func(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request) {
			return &headerEditor{w, func(h http.Header) { h.Del("Content-Encoding") }}, r
		}, []string{"gzip-out"}},
		{"no-body-limit", func(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request) {
			return w, r
		}, []string{"body-over-limit"}},
		{"no-deadline", func(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request) {
			return w, r.WithContext(context.WithoutCancel(r.Context()))
		}, []string{"deadline"}},
	}
	for _, b := range breakages {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if b.wrap == nil {
					good(w, r)
					return
				}
				ctx, cancel := context.WithTimeout(r.Context(), Deadline)
				defer cancel()
				if b.name != "no-body-limit" {
					r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
				}
				w, r = b.wrap(w, r.WithContext(ctx))
				inner.ServeHTTP(w, r)
			}))
			defer srv.Close()
			rt := ServerTransport(srv.URL)
			for _, c := range cases {
				errs := runCase(c, rt)
				want := false
				for _, n := range b.wantFail {
					want = want || n == c.name
				}
				if failed := len(errs) > 0; failed != want {
					t.Errorf("case %s: failed = %v, want %v; failures: %q", c.name, failed, want, errs)
				}
			}
		})
	}
}

// headerEditor edits the response headers just before they are written.
type headerEditor struct {
	http.ResponseWriter
	edit func(http.Header)
}

func (h *headerEditor) WriteHeader(code int) {
	h.edit(h.Header())
	h.ResponseWriter.WriteHeader(code)
}

func (h *headerEditor) Unwrap() http.ResponseWriter { return h.ResponseWriter }
