package middleware_test

import (
	"context"
	"fmt"
	"time"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/handlertest"
	"github.com/anyfunc/anyfunc/handler/middleware"
	"github.com/anyfunc/anyfunc/store/memstore"
)

// A handler behind CORS, API keys (as an environment variable would hold
// them), a per-caller rate limit, a body limit and a timeout.
func Example() {
	hello := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		return &handler.Response{Body: []byte("hello " + r.Identity.Subject)}, nil
	})
	keys, err := middleware.ParseKeys("alice:alice-0123456789abcdef,bob:bob-0123456789abcdef")
	if err != nil {
		panic(err)
	}
	auth, err := middleware.APIKey(keys)
	if err != nil {
		panic(err)
	}
	cors, err := middleware.CORS(middleware.AllowOrigins("https://app.example.com"))
	if err != nil {
		panic(err)
	}
	h := handler.Chain(hello,
		cors,
		middleware.BodyLimit(1<<20),
		middleware.Timeout(10*time.Second),
		auth,
		middleware.RateLimit(middleware.NewTokenBucket(2, time.Minute), middleware.ByIdentity),
	)

	for _, key := range []string{"alice-0123456789abcdef", "alice-0123456789abcdeg", "alice-0123456789abcdef", "alice-0123456789abcdef"} {
		res := handlertest.Serve(h, handlertest.NewRequest("GET", "/hello", nil,
			handlertest.Header("X-Api-Key", key), handlertest.Header("Origin", "https://app.example.com")))
		fmt.Println(res.Status, res.Header.Get("Access-Control-Allow-Origin"), res.Header.Get("RateLimit"), res.String()[:min(len(res.Body), 11)])
	}
	// Output:
	// 200 https://app.example.com "default";r=1;t=30 hello alice
	// 401 https://app.example.com  {"type":"ht
	// 200 https://app.example.com "default";r=0;t=60 hello alice
	// 429 https://app.example.com "default";r=0;t=60 {"type":"ht
}

// Retries of a POST with the same Idempotency-Key get the first answer,
// replayed from the store, without running the handler again.
func ExampleIdempotency() {
	s := memstore.New()
	created := 0
	create := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		created++
		return &handler.Response{Status: 201, Body: []byte(fmt.Sprintf(`{"id":%d}`, created))}, nil
	})
	h := middleware.Idempotency(s)(create)
	for _, body := range []string{`{"title":"milk"}`, `{"title":"milk"}`, `{"title":"eggs"}`} {
		res := handlertest.Serve(h, handlertest.NewRequest("POST", "/todos", body,
			handlertest.Header("Idempotency-Key", "7f3c1a")))
		fmt.Println(res.Status, res.String()[:min(len(res.Body), 8)])
	}
	fmt.Println("created", created)
	// Output:
	// 201 {"id":1}
	// 201 {"id":1}
	// 422 {"type":
	// created 1
}

// A limit shared by every instance of a function: the counters live in the
// store (memstore here; DynamoDB, Firestore or Cosmos DB in production).
func ExampleNewStoreLimiter() {
	// A fixed clock keeps the example inside one window.
	now := func() time.Time { return time.Date(2026, 5, 1, 12, 0, 10, 0, time.UTC) }
	s := memstore.New(memstore.WithClock(now))
	ok := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) { return nil, nil })
	instanceA := middleware.RateLimit(middleware.NewStoreLimiter(s, 2, time.Minute, middleware.WithClock(now)), middleware.ByIP)(ok)
	instanceB := middleware.RateLimit(middleware.NewStoreLimiter(s, 2, time.Minute, middleware.WithClock(now)), middleware.ByIP)(ok)
	for _, h := range []handler.Handler{instanceA, instanceB, instanceA} {
		res := handlertest.Serve(h, handlertest.NewRequest("GET", "/todos", nil, handlertest.RemoteAddr("198.51.100.7")))
		fmt.Println(res.Status, res.Header.Get("RateLimit"), res.Header.Values("Retry-After"))
	}
	// Output:
	// 200 "default";r=1;t=50 []
	// 200 "default";r=0;t=50 []
	// 429 "default";r=0;t=50 [50]
}
