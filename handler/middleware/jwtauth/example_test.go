package jwtauth_test

import (
	"context"
	"fmt"
	"time"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/handlertest"
	"github.com/anyfunc/anyfunc/handler/middleware"
	"github.com/anyfunc/anyfunc/handler/middleware/jwtauth"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// New with an HS256 secret, as TODO_JWT_SECRET would give it, and a scope
// required on one route.
func ExampleNew() {
	secret := "an HS256 secret of at least 32 bytes"
	auth, err := jwtauth.New(jwtauth.WithSecret(secret), jwtauth.WithIssuer("https://auth.example.com"))
	if err != nil {
		panic(err)
	}
	h := auth(middleware.RequireScope("todos:write")(handler.HandlerFunc(
		func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
			c := middleware.ClaimsOf(r.Identity)
			return &handler.Response{Body: []byte(c.Subject() + " may write")}, nil
		})))

	signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte(secret)}, nil)
	token := func(scope string) string {
		t, _ := jwt.Signed(signer).Claims(map[string]any{
			"sub": "user-42", "iss": "https://auth.example.com", "scope": scope,
			"exp": time.Now().Add(time.Hour).Unix(),
		}).Serialize()
		return t
	}
	for _, scope := range []string{"todos:read todos:write", "todos:read"} {
		res := handlertest.Serve(h, handlertest.NewRequest("POST", "/todos", nil,
			handlertest.Header("Authorization", "Bearer "+token(scope))))
		if res.Status == 200 {
			fmt.Println(res.Status, res.String())
		} else {
			fmt.Println(res.Status, res.Header.Get("WWW-Authenticate"))
		}
	}
	res := handlertest.Serve(h, handlertest.NewRequest("POST", "/todos", nil))
	fmt.Println(res.Status, res.Header.Get("WWW-Authenticate"))
	// Output:
	// 200 user-42 may write
	// 403 Bearer error="insufficient_scope", scope="todos:write"
	// 401 Bearer realm="api"
}

// The middleware stack of a GET with the caller already verified by the
// platform (an API Gateway JWT authorizer), as benchmarked by
// BenchmarkStack.
func ExampleWithTrustIdentity() {
	auth, err := jwtauth.New(jwtauth.WithJWKSURL("https://auth.example.com/.well-known/jwks.json"),
		jwtauth.WithAudience("todo-api"), jwtauth.WithTrustIdentity("aws-jwt"))
	if err != nil {
		panic(err)
	}
	h := auth(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		return &handler.Response{Body: []byte(r.Identity.Source + " " + r.Identity.Subject)}, nil
	}))
	res := handlertest.Serve(h, handlertest.NewRequest("GET", "/todos", nil,
		handlertest.Identity(&handler.Identity{Source: "aws-jwt", Subject: "user-42"})))
	fmt.Println(res.Status, res.String())
	res = handlertest.Serve(h, handlertest.NewRequest("GET", "/todos", nil,
		handlertest.Header("X-User", "user-42")))
	fmt.Println(res.Status, res.Header.Get("WWW-Authenticate") != "")
	// Output:
	// 200 aws-jwt user-42
	// 401 true
}
