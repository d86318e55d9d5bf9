package httpserver_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/anyfunc/anyfunc/adapters/httpserver"
	"github.com/anyfunc/anyfunc/handler"
)

func ExampleNewHandler() {
	r := handler.NewRouter()
	r.HandleFunc("GET /hello/{name}", func(ctx context.Context, req *handler.Request) (*handler.Response, error) {
		return handler.JSONResponse(http.StatusOK, map[string]string{"hello": req.PathValue("name")})
	})
	h, err := httpserver.NewHandler(r, httpserver.WithTimeout(10*time.Second))
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/hello/gopher")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"), string(body))
	// Output: 200 application/json {"hello":"gopher"}
}

func ExampleStart() {
	r := handler.NewRouter()
	r.HandleFunc("GET /healthz", func(ctx context.Context, req *handler.Request) (*handler.Response, error) {
		return handler.JSONResponse(http.StatusOK, map[string]string{"status": "ok"})
	})
	// Serves on PORT (default 8080) until SIGTERM or SIGINT, then drains.
	if err := httpserver.Start(r, httpserver.WithDrainTimeout(20*time.Second)); err != nil {
		log.Fatal(err)
	}
}
