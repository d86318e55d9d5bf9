package otelmw_test

import (
	"context"
	"fmt"
	"net/http"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/handlertest"
	"github.com/anyfunc/anyfunc/handler/middleware/otelmw"
)

// Tracing names each server span by the route that matched, parented by
// the caller's traceparent.
func ExampleTracing() {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	r := handler.NewRouter()
	r.HandleFunc("GET /todos/{id}", func(ctx context.Context, req *handler.Request) (*handler.Response, error) {
		return &handler.Response{Status: http.StatusOK}, nil
	})
	h := handler.Chain(r, otelmw.Tracing(otelmw.WithTracerProvider(tp)))
	handlertest.Serve(h, handlertest.NewRequest("GET", "/todos/42", nil,
		handlertest.Header("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")))
	for _, s := range rec.Ended() {
		fmt.Println(s.Name(), s.SpanContext().TraceID(), s.Parent().SpanID())
	}
	// Output: GET /todos/{id} 4bf92f3577b34da6a3ce929d0e0e4736 00f067aa0ba902b7
}
