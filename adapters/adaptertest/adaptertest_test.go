package adaptertest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/anyfunc/anyfunc/adapters/adaptertest"
	"github.com/anyfunc/anyfunc/handler"
)

// reference is the smallest correct net/http adapter: a body limit, a
// deadline, and handler.HTTP.
func reference(h handler.Handler) http.Handler {
	inner := handler.HTTP(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), adaptertest.Deadline)
		defer cancel()
		r.Body = http.MaxBytesReader(w, r.Body, adaptertest.MaxBodyBytes)
		inner.ServeHTTP(w, r.WithContext(ctx))
	})
}

func TestReferenceAdapter(t *testing.T) {
	srv := httptest.NewServer(reference(adaptertest.Handler()))
	defer srv.Close()
	adaptertest.Run(t, adaptertest.Harness{
		Name:      "reference",
		Transport: func(*testing.T) http.RoundTripper { return adaptertest.ServerTransport(srv.URL) },
	})
	t.Run("first-chunk", func(t *testing.T) { adaptertest.FirstChunk(t, adaptertest.ServerTransport(srv.URL)) })
}

func ExampleCases() {
	for _, name := range adaptertest.Cases() {
		fmt.Println(name)
	}
	// Output:
	// escaped-slash
	// escaped-space
	// escaped-percent
	// escaped-question
	// repeated-query
	// query-plus
	// unicode
	// malformed-query
	// repeated-header
	// comma-header
	// cookies-in
	// set-cookies
	// empty-200
	// no-content
	// redirect
	// binary-roundtrip
	// gzip-out
	// stream
	// body-at-limit
	// body-over-limit
	// panic
	// deadline
	// head
}

// An adapter's test runs the table through a Transport that carries each
// request through the platform's format. For a net/http server it is a
// plain round trip to the listener.
func ExampleRun() {
	srv := httptest.NewServer(reference(adaptertest.Handler()))
	defer srv.Close()
	rt := adaptertest.ServerTransport(srv.URL)
	req, _ := http.NewRequest("GET", "http://"+adaptertest.Host+"/adaptertest/empty", nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode)
	// In a test: adaptertest.Run(t, adaptertest.Harness{Name: "mine", Transport: ...})
	// Output: 200
}
