package middleware

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/middleware/jwtauth"
)

// BenchmarkStack measures the gateway stack a to-do API puts in front of a
// GET: CORS, BodyLimit, Timeout, authentication (an API key, or a JWT
// already verified by the platform's authorizer, so no signature check),
// and an in-process rate limit per caller.
func BenchmarkStack(b *testing.B) {
	final := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		return &handler.Response{Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`[]`)}, nil
	})
	cors, err := CORS(AllowOrigins("https://app.example.com,https://*.example.org"), AllowCredentials(), ExposeHeaders("ETag"))
	if err != nil {
		b.Fatal(err)
	}
	keys, err := ParseKeys("alice:" + aliceKey + ",bob:" + bobKey + ",ci:ci-0123456789abcdef0123")
	if err != nil {
		b.Fatal(err)
	}
	jwtTrusted := mustJWT(b, jwtauth.WithJWKSURL("https://auth.example.com/jwks"), jwtauth.WithAudience("todo-api"), jwtauth.WithTrustIdentity("aws-jwt"))
	stack := func(auth handler.Middleware, topts ...TimeoutOption) handler.Handler {
		return handler.Chain(final,
			cors,
			BodyLimit(1<<20),
			Timeout(10*time.Second, topts...),
			auth,
			RateLimit(NewTokenBucket(1<<30, time.Second), ByIdentity),
		)
	}
	for _, bc := range []struct {
		name string
		h    handler.Handler
		req  func() *handler.Request
	}{
		// The handler alone, with the same request: the stack's cost is the
		// difference.
		{"bare", final, func() *handler.Request {
			return &handler.Request{Method: "GET", Path: "/todos", RemoteAddr: "192.0.2.1",
				Header: http.Header{"Origin": {"https://app.example.com"}, "X-Api-Key": {bobKey}}}
		}},
		{"apikey", stack(mustAPIKey(b, keys)), func() *handler.Request {
			return &handler.Request{Method: "GET", Path: "/todos", RemoteAddr: "192.0.2.1",
				Header: http.Header{"Origin": {"https://app.example.com"}, "X-Api-Key": {bobKey}}}
		}},
		{"jwt-trusted", stack(jwtTrusted), func() *handler.Request {
			return &handler.Request{Method: "GET", Path: "/todos", RemoteAddr: "192.0.2.1",
				Header:   http.Header{"Origin": {"https://app.example.com"}},
				Identity: &handler.Identity{Source: "aws-jwt", Subject: "user-1"}}
		}},
		// The same with Timeout answering at the deadline: a goroutine per
		// request.
		{"jwt-trusted-answer-at-deadline", stack(jwtTrusted, AnswerAtDeadline()), func() *handler.Request {
			return &handler.Request{Method: "GET", Path: "/todos", RemoteAddr: "192.0.2.1",
				Header:   http.Header{"Origin": {"https://app.example.com"}},
				Identity: &handler.Identity{Source: "aws-jwt", Subject: "user-1"}}
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			defer reportCPU(b)()
			for i := 0; i < b.N; i++ {
				resp, err := bc.h.ServeRequest(ctx, bc.req())
				if err != nil || resp.StatusCode() != 200 {
					b.Fatal(resp, err)
				}
			}
		})
	}
}

// reportCPU, deferred at the start of a benchmark loop, reports the
// process's CPU time per operation as "cpu-ns/op": unlike ns/op (wall
// time) it does not grow when other processes load the machine.
func reportCPU(b *testing.B) func() {
	start := processCPU()
	b.ResetTimer()
	return func() {
		b.StopTimer()
		if used := processCPU() - start; used > 0 {
			b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}

func mustJWT(t testing.TB, opts ...jwtauth.Option) handler.Middleware {
	t.Helper()
	mw, err := jwtauth.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return mw
}
