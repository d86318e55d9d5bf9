package handler_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/handlertest"
	"github.com/anyfunc/anyfunc/handler/middleware"
)

// A constructor that can fail goes inline in Chain through Must.
func ExampleMust() {
	hello := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		return &handler.Response{Body: []byte("hello")}, nil
	})
	h := handler.Chain(hello,
		handler.Must(middleware.CORS(middleware.AllowOrigins("https://app.example.com"))),
		middleware.BodyLimit(1<<20))
	res := handlertest.Serve(h, handlertest.NewRequest("GET", "/", nil, handlertest.Header("Origin", "https://app.example.com")))
	fmt.Println(res.Status, res.Header.Get("Access-Control-Allow-Origin"), res.String())
	// Output: 200 https://app.example.com hello
}

func TestMustPanicsOnError(t *testing.T) {
	boom := errors.New("boom")
	defer func() {
		if v := recover(); v != boom {
			t.Errorf("recovered %v, want the constructor's error", v)
		}
	}()
	handler.Must(nil, boom)
}
