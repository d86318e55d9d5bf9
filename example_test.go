package anyfunc_test

import (
	"context"
	"fmt"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/handlertest"
)

// The handler is written once against handler.Request and
// handler.Response; an adapter runs it (httpserver.Start(r) for a plain
// server, awslambda.Start(r) on Lambda). Here handlertest runs it directly.
func Example() {
	r := handler.NewRouter()
	r.Handle("GET /hello/{name}", handler.JSONOut(
		func(ctx context.Context, req *handler.Request) (map[string]string, error) {
			return map[string]string{"hello": req.PathValue("name")}, nil
		}))

	res := handlertest.Serve(r, handlertest.NewRequest("GET", "/hello/gopher", nil))
	fmt.Println(res.Status, res.String())

	res = handlertest.Serve(r, handlertest.NewRequest("POST", "/hello/gopher", nil))
	fmt.Println(res.Status, res.Header.Get("Allow"))
	// Output:
	// 200 {"hello":"gopher"}
	// 405 GET, HEAD
}
