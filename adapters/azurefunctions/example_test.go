package azurefunctions_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/anyfunc/anyfunc/adapters/azurefunctions"
	"github.com/anyfunc/anyfunc/handler"
)

// NewHandler is what Start serves; here it answers one payload-mode
// invocation the way the Functions host sends it.
func ExampleNewHandler() {
	hello := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		body := fmt.Sprintf("hello %s from %s (request %s)", r.Query().Get("name"), r.Path, r.RequestID)
		return &handler.Response{Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte(body)}, nil
	})
	dir, _ := os.MkdirTemp("", "app")
	defer os.RemoveAll(dir)
	h, err := azurefunctions.NewHandler(hello, azurefunctions.WithMode(azurefunctions.ModePayload), azurefunctions.WithDir(dir))
	if err != nil {
		fmt.Println(err)
		return
	}

	envelope := `{"Data":{"req":{"Url":"https://myapp.azurewebsites.net/api/greet?name=Ann","Method":"GET",
		"Query":{"name":"Ann"},"Headers":{"Accept":["*/*"]},"Params":{"path":"greet"}}},"Metadata":{}}`
	req := httptest.NewRequest(http.MethodPost, "/anyfunc", strings.NewReader(envelope))
	req.Header.Set(azurefunctions.InvocationIDHeader, "3f2c")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body.String())
	// Output: 200 {"Outputs":{"res":{"statusCode":"200","status":"200","headers":{"Content-Type":"text/plain"},"body":"hello Ann from /greet (request 3f2c)"}},"Logs":[],"ReturnValue":null}
}
