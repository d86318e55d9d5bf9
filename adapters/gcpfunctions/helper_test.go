package gcpfunctions_test

import (
	"net/http"
	"testing"

	"github.com/anyfunc/anyfunc/adapters/gcpfunctions"
	"github.com/anyfunc/anyfunc/handler"
)

// mustHandler is gcpfunctions.NewHandler for tests, which panics on error
// as httptest.NewRequest does.
func mustHandler(h handler.Handler, opts ...gcpfunctions.Option) http.Handler {
	hh, err := gcpfunctions.NewHandler(h, opts...)
	if err != nil {
		panic(err)
	}
	return hh
}

// TestNewHandlerNil checks that a nil handler is an error, not a panic at
// the first request.
func TestNewHandlerNil(t *testing.T) {
	if _, err := gcpfunctions.NewHandler(nil); err == nil {
		t.Fatal("NewHandler(nil) succeeded")
	}
}
