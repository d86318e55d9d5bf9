package todo_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/anyfunc/anyfunc/examples/todo"
	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/handlertest"
	"github.com/anyfunc/anyfunc/secrets"
	"github.com/anyfunc/anyfunc/store/memstore"
)

func hs256(t *testing.T, secret, sub string) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte(secret)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(sig).Claims(jwt.Claims{Subject: sub, Expiry: jwt.NewNumericDate(time.Now().Add(time.Hour))}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func configured(t *testing.T, env map[string]string) handler.Handler {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	c, err := todo.ConfigFromEnv("mem://unused")
	if err != nil {
		t.Fatal(err)
	}
	c.Logs = io.Discard
	h, err := c.Wrap(memstore.New())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func serve(h handler.Handler, method, target string, body any, opts ...handlertest.Option) *handlertest.Result {
	return handlertest.Serve(h, handlertest.NewRequest(method, target, body, opts...))
}

func TestConfigFromEnv(t *testing.T) {
	t.Setenv("TODO_STORE_URL", "")
	t.Setenv("TODO_CORS_ORIGINS", " https://app.example.com, https://*.example.org ,")
	t.Setenv("TODO_RATE_LIMIT", "7")
	t.Setenv("TODO_ENSURE_SCHEMA", "1")
	c, err := todo.ConfigFromEnv("mem://default")
	if err != nil {
		t.Fatal(err)
	}
	if c.StoreURL != "mem://default" || c.RateLimit != 7 || !c.EnsureSchema ||
		strings.Join(c.CORSOrigins, " ") != "https://app.example.com https://*.example.org" {
		t.Errorf("config = %+v", c)
	}
	for _, bad := range []string{"0", "-1", "many"} {
		t.Setenv("TODO_RATE_LIMIT", bad)
		if _, err := todo.ConfigFromEnv(""); err == nil {
			t.Errorf("TODO_RATE_LIMIT=%s accepted", bad)
		}
	}
}

func TestConfigNeedsAuthentication(t *testing.T) {
	if _, err := (todo.Config{RateLimit: 1}).Wrap(memstore.New()); err == nil || !strings.Contains(err.Error(), "TODO_API_KEYS") {
		t.Errorf("no authentication: err = %v", err)
	}
	if _, err := (todo.Config{RateLimit: 1, APIKeys: "broken"}).Wrap(memstore.New()); err == nil {
		t.Error("malformed TODO_API_KEYS accepted")
	}
	jwks := todo.Config{RateLimit: 1, JWKSURL: "https://issuer.example/jwks"}
	if _, err := jwks.Wrap(memstore.New()); err == nil || !strings.Contains(err.Error(), "TODO_JWT_AUDIENCE") {
		t.Errorf("TODO_JWKS_URL without TODO_JWT_AUDIENCE: err = %v", err)
	}
	jwks.JWTAudience = "todo-api"
	if _, err := jwks.Wrap(memstore.New()); err != nil {
		t.Errorf("TODO_JWKS_URL with TODO_JWT_AUDIENCE: %v", err)
	}
}

func TestConfigAPIKeysAndJWT(t *testing.T) {
	h := configured(t, map[string]string{"TODO_API_KEYS": "ann:key-ann-000000000001,bob:key-bob-000000000002", "TODO_JWT_SECRET": "0123456789abcdef0123456789abcdef"})
	if res := serve(h, "GET", "/healthz", nil); res.Status != 200 {
		t.Errorf("healthz without credentials = %d", res.Status)
	}
	if res := serve(h, "GET", "/todos", nil); res.Status != 401 || res.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("no credentials = %d %v", res.Status, res.Header)
	}
	if res := serve(h, "GET", "/todos", nil, handlertest.Header("X-Api-Key", "key-ann-000000000002")); res.Status != 401 {
		t.Errorf("wrong key = %d", res.Status)
	}
	if res := serve(h, "GET", "/todos", nil, handlertest.Header("X-User", "ann")); res.Status != 401 {
		t.Errorf("X-User is not an identity: %d", res.Status)
	}
	res := serve(h, "POST", "/todos", map[string]string{"title": "by key"}, handlertest.Header("X-Api-Key", "key-ann-000000000001"))
	if res.Status != 201 {
		t.Fatalf("create with key = %d %s", res.Status, res.Body)
	}
	loc := res.Header.Get("Location")
	// A token whose subject is "ann" is not the API key named "ann" (the
	// partition includes the identity's source); bob does not see it either.
	if res := serve(h, "GET", loc, nil, handlertest.Header("Authorization", "Bearer "+hs256(t, "0123456789abcdef0123456789abcdef", "ann"))); res.Status != 404 {
		t.Errorf("ann by token = %d %s, want 404", res.Status, res.Body)
	}
	if res := serve(h, "GET", loc, nil, handlertest.Header("X-Api-Key", "key-ann-000000000001")); res.Status != 200 {
		t.Errorf("ann by key = %d %s", res.Status, res.Body)
	}
	if res := serve(h, "GET", loc, nil, handlertest.Header("X-Api-Key", "key-bob-000000000002")); res.Status != 404 {
		t.Errorf("bob = %d", res.Status)
	}
	if res := serve(h, "GET", loc, nil, handlertest.Header("Authorization", "Bearer "+hs256(t, "another-secret-another-secret-00", "ann"))); res.Status != 401 {
		t.Errorf("token with the wrong key = %d", res.Status)
	}
}

func TestConfigIdempotentCreate(t *testing.T) {
	h := configured(t, map[string]string{"TODO_API_KEYS": "ann:key-ann-000000000001"})
	key := handlertest.Header("X-Api-Key", "key-ann-000000000001")
	idem := handlertest.Header("Idempotency-Key", "create-1")
	var wg sync.WaitGroup
	results := make([]*handlertest.Result, 10)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = serve(h, "POST", "/todos", map[string]string{"title": "once"}, key, idem)
		}()
	}
	wg.Wait()
	created := ""
	for _, res := range results {
		switch res.Status {
		case 201:
			if created != "" && string(res.Body) != created {
				t.Errorf("replay differs:\n%s\n%s", res.Body, created)
			}
			created = string(res.Body)
		case 409: // a repeat while the first was in flight
		default:
			t.Errorf("status %d %s", res.Status, res.Body)
		}
	}
	// A later repeat replays; the same key with another body is refused.
	if res := serve(h, "POST", "/todos", map[string]string{"title": "once"}, key, idem); res.Status != 201 || string(res.Body) != created {
		t.Errorf("repeat = %d %s", res.Status, res.Body)
	}
	if res := serve(h, "POST", "/todos", map[string]string{"title": "twice"}, key, idem); res.Status != 422 {
		t.Errorf("reused key = %d", res.Status)
	}
	var list todo.List
	if res := serve(h, "GET", "/todos", nil, key); res.DecodeJSON(&list) != nil || len(list.Items) != 1 {
		t.Errorf("todos after idempotent creates: %s", res.Body)
	}
}

func TestConfigRateLimitAndCORS(t *testing.T) {
	h := configured(t, map[string]string{"TODO_API_KEYS": "ann:key-ann-000000000001,bob:key-bob-000000000002", "TODO_RATE_LIMIT": "3",
		"TODO_CORS_ORIGINS": "https://app.example.com"})
	ann := handlertest.Header("X-Api-Key", "key-ann-000000000001")
	for i := 0; i < 3; i++ {
		if res := serve(h, "GET", "/todos", nil, ann); res.Status != 200 {
			t.Fatalf("request %d = %d", i, res.Status)
		}
	}
	res := serve(h, "GET", "/todos", nil, ann)
	if res.Status != 429 || res.Header.Get("Retry-After") == "" {
		t.Errorf("4th request = %d %v", res.Status, res.Header)
	}
	if res := serve(h, "GET", "/todos", nil, handlertest.Header("X-Api-Key", "key-bob-000000000002")); res.Status != 200 {
		t.Errorf("bob has his own budget: %d", res.Status)
	}
	pre := serve(h, "OPTIONS", "/todos", nil, handlertest.Header("Origin", "https://app.example.com"),
		handlertest.Header("Access-Control-Request-Method", "POST"))
	if pre.Status != 204 || pre.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Errorf("preflight = %d %v", pre.Status, pre.Header)
	}
	// A browser's preflight for a conditional GET (If-None-Match) or a
	// conditional PATCH (If-Match) is allowed: the library's default
	// header list covers the conditional headers.
	for _, hdrs := range []string{"if-none-match", "authorization, if-match, content-type, idempotency-key", "if-modified-since"} {
		pre := serve(h, "OPTIONS", "/todos/1", nil, handlertest.Header("Origin", "https://app.example.com"),
			handlertest.Header("Access-Control-Request-Method", "GET"), handlertest.Header("Access-Control-Request-Headers", hdrs))
		if pre.Status != 204 || pre.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" || pre.Header.Get("Access-Control-Allow-Headers") == "" {
			t.Errorf("preflight with headers %q = %d %v", hdrs, pre.Status, pre.Header)
		}
	}
	evil := serve(h, "GET", "/healthz", nil, handlertest.Header("Origin", "https://evil.example.net"))
	if evil.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("disallowed origin reflected: %v", evil.Header)
	}
}

func TestConfigHandlerOpensStore(t *testing.T) {
	c := todo.Config{StoreURL: "mem://config-test", APIKeys: "ann:key-ann-000000000001", RateLimit: 10, Logs: io.Discard}
	h, err := c.Handler(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res := serve(h, "GET", "/healthz", nil); res.Status != 200 {
		t.Errorf("healthz = %d", res.Status)
	}
	c.EnsureSchema = true // every backend, memstore included, accepts ensure=1
	if _, err := c.Handler(context.Background()); err != nil {
		t.Errorf("TODO_ENSURE_SCHEMA=1 on mem://: %v", err)
	}
	if _, err := (todo.Config{StoreURL: "nosuch://x", APIKeys: "a:0123456789abcdef"}).Handler(context.Background()); err == nil {
		t.Error("unknown store scheme accepted")
	}
}

func TestConfigApplySecret(t *testing.T) {
	c := todo.Config{APIKeys: "env:key-from-the-environment-0"}
	v := secrets.NewValue(`{"jwt_secret":"jwt-secret-from-the-manager-0123","api_keys":""}`)
	if err := c.ApplySecret(v); err != nil {
		t.Fatal(err)
	}
	if c.JWTSecret != "jwt-secret-from-the-manager-0123" || c.APIKeys != "env:key-from-the-environment-0" {
		t.Errorf("after ApplySecret: JWTSecret %q, APIKeys %q", c.JWTSecret, c.APIKeys)
	}
	err := c.ApplySecret(secrets.NewValue("not-json-but-a-secret-value"))
	if err == nil || strings.Contains(err.Error(), "not-json-but-a-secret-value") || !errors.Is(err, secrets.ErrInvalidArgument) {
		t.Errorf("ApplySecret of a non-JSON secret: %v", err)
	}
}
