package adapterkit_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/adapterkit"
)

// An adapter decodes the platform's request, serves it through
// handler.Serve, and writes the answer back: a bad path gets the same 400
// problem on every platform.
func Example() {
	h := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		return &handler.Response{Body: []byte("path " + r.Path)}, nil
	})
	for _, target := range []string{"/caf%C3%A9", "/a%zz"} {
		rec := httptest.NewRecorder()
		path, rawPath, err := adapterkit.ParsePath(target)
		var resp *handler.Response
		if err != nil {
			resp = handler.ErrorResponse(err, adapterkit.NewRequestID())
		} else {
			resp = handler.Serve(context.Background(), h, &handler.Request{Method: "GET", Path: path, RawPath: rawPath})
		}
		adapterkit.WriteHTTP(context.Background(), rec, "GET", resp)
		fmt.Println(rec.Code, strings.SplitN(rec.Body.String(), ",", 2)[0])
	}
	// Output:
	// 200 path /café
	// 400 {"type":"https://anyfunc.dev/problems/invalid_path"
}
