package anytodo_test

import (
	"context"
	"fmt"
	"os"

	"github.com/anyfunc/anyfunc/handler/handlertest"
	"github.com/anyfunc/anyfunc/internal/bench/anytodo"
	_ "github.com/anyfunc/anyfunc/store/memstore"
)

func ExampleHandler() {
	os.Setenv("TODO_STORE_URL", "mem://anytodo-example")
	os.Setenv("TODO_API_KEYS", "ann:0123456789abcdef")
	h, err := anytodo.Handler(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	const path = "/todos/01KBENCHTD0000000000000001"
	fmt.Println(handlertest.Serve(h, handlertest.NewRequest("GET", path, nil)).Status)
	fmt.Println(handlertest.Serve(h, handlertest.NewRequest("GET", path, nil, handlertest.Header("X-Api-Key", "0123456789abcdef"))).Status)
	// Output:
	// 401
	// 404
}
