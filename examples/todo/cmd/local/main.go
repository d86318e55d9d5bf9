// Command local serves the to-do example with a plain net/http server on
// PORT (default 8080): go run ./examples/todo/cmd/local
//
// For now it answers GET /healthz with {"status":"ok"}.
package main

import (
	"context"
	"net/http"

	"github.com/anyfunc/anyfunc/adapters/httpserver"
	"github.com/anyfunc/anyfunc/handler"
)

func main() {
	httpserver.Start(newHandler())
}

// newHandler returns the example's routes.
func newHandler() handler.Handler {
	r := handler.NewRouter()
	r.HandleFunc("GET /healthz", func(ctx context.Context, req *handler.Request) (*handler.Response, error) {
		return handler.JSONResponse(http.StatusOK, map[string]string{"status": "ok"})
	})
	return r
}
