package anytodo_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/anyfunc/anyfunc/handler/handlertest"
	"github.com/anyfunc/anyfunc/handler/middleware"
	"github.com/anyfunc/anyfunc/internal/bench/anytodo"
	"github.com/anyfunc/anyfunc/store"
	_ "github.com/anyfunc/anyfunc/store/memstore"
)

func ExampleHandler() {
	os.Setenv("TODO_STORE_URL", "mem://anytodo-example")
	os.Setenv("TODO_API_KEYS", "ann:0123456789abcdef")
	ctx := context.Background()
	h, err := anytodo.Handler(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	const id = "01KBENCHTD0000000000000001"
	key := handlertest.Header("X-Api-Key", "0123456789abcdef")
	fmt.Println(handlertest.Serve(h, handlertest.NewRequest("GET", "/todos/"+id, nil)).Status)
	fmt.Println(handlertest.Serve(h, handlertest.NewRequest("GET", "/todos/"+id, nil, key)).Status)
	fmt.Println(handlertest.Serve(h, handlertest.NewRequest("GET", "/todos/not-an-id", nil, key)).Status)

	// The todo as the example writes it, in the caller's partition.
	s, err := store.Open(ctx, "mem://anytodo-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	at := time.Date(2026, 11, 1, 9, 30, 0, 0, time.UTC)
	rev, err := store.NewCollection[anytodo.Todo](s).Put(ctx, store.Entry[anytodo.Todo]{
		Key:   store.Key{Partition: "user/apikey:ann", Sort: id},
		Value: anytodo.Todo{ID: id, Title: "Measure", CreatedAt: at, UpdatedAt: at},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	resp := handlertest.Serve(h, handlertest.NewRequest("GET", "/todos/"+id, nil, key))
	fmt.Println(resp.Status, resp.Header.Get("ETag") == middleware.RevisionETag(rev))
	fmt.Println(string(resp.Body))
	// Output:
	// 401
	// 404
	// 404
	// 200 true
	// {"id":"01KBENCHTD0000000000000001","title":"Measure","due":null,"done":false,"createdAt":"2026-11-01T09:30:00Z","updatedAt":"2026-11-01T09:30:00Z"}
}
