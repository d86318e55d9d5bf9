package gcpfunctions_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/anyfunc/anyfunc/adapters/gcpfunctions"
	"github.com/anyfunc/anyfunc/handler"
)

// NewHandler returns what Register and Start give the Functions Framework; serving it
// with httptest shows what the framework's server answers.
func ExampleNewHandler() {
	hello := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		inv, _ := handler.InvocationFrom(ctx)
		body := fmt.Sprintf("hello from %s, execution %s", inv.Platform, r.RequestID)
		return &handler.Response{Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte(body)}, nil
	})
	h, err := gcpfunctions.NewHandler(hello, gcpfunctions.WithTimeout(10*time.Second))
	if err != nil {
		panic(err)
	}

	req := httptest.NewRequest(http.MethodGet, "/hello", nil)
	req.Header.Set(gcpfunctions.ExecutionIDHeader, "exec-42")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body.String())
	// Output: 200 hello from gcp-functions, execution exec-42
}

// A package deployed to Cloud Functions registers its handler in init; the
// platform serves it when the function's entry point is "Hello".
func ExampleRegister() {
	gcpfunctions.Register("Hello", handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		return &handler.Response{Body: []byte("hello")}, nil
	}))
}
