package todo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/event"
	"github.com/anyfunc/anyfunc/handler/middleware"
	"github.com/anyfunc/anyfunc/handler/middleware/jwtauth"
	"github.com/anyfunc/anyfunc/handler/middleware/otelmw"
	"github.com/anyfunc/anyfunc/queue"
	"github.com/anyfunc/anyfunc/secrets"
	"github.com/anyfunc/anyfunc/store"
)

// Config is the example's configuration. Every entry point (local,
// Lambda, Cloud Functions, Azure) reads the same environment variables
// through ConfigFromEnv.
type Config struct {
	// StoreURL names the store (TODO_STORE_URL), e.g. mem://todos,
	// dynamodb://todos, firestore://PROJECT/todos,
	// cosmos://HOST/DATABASE/CONTAINER.
	StoreURL string
	// EnsureSchema creates the table, container or indexes at start-up
	// (TODO_ENSURE_SCHEMA=1): for local and emulator runs, never the
	// default.
	EnsureSchema bool

	// JWTSecret verifies HS256 bearer tokens (TODO_JWT_SECRET).
	JWTSecret string
	// JWKSURL, JWTIssuer and JWTAudience verify bearer tokens against a
	// key set (TODO_JWKS_URL, TODO_JWT_ISSUER, TODO_JWT_AUDIENCE); a JWKS
	// URL requires an audience.
	JWKSURL, JWTIssuer, JWTAudience string
	// APIKeys are "name:key,..." pairs (TODO_API_KEYS); the caller is the
	// key's name.
	APIKeys string
	// SecretID names a secret in the cloud's secret manager that holds the
	// JWT secret and the API keys (TODO_SECRET_ID; on AWS a Secrets
	// Manager name or ARN): a JSON object with the optional members
	// "jwt_secret" and "api_keys", which [Config.ApplySecret] applies.
	// The entry point that has a secret manager reads it (cmd/lambda); on
	// Google Cloud and Azure the platform puts secrets into
	// TODO_JWT_SECRET and TODO_API_KEYS itself.
	SecretID string

	// CORSOrigins are the allowed origins (TODO_CORS_ORIGINS, comma
	// separated; "https://*.example.com" allows subdomains).
	CORSOrigins []string
	// RateLimit is the number of requests each user may make per minute
	// (TODO_RATE_LIMIT, default 600), shared by all instances through the
	// store.
	RateLimit int
	// Logs receives the request log lines; nil means standard output.
	Logs io.Writer
	// QueueURL names the queue of the API's events (TODO_QUEUE_URL,
	// default mem://todo-events), which the worker consumes; see
	// [Config.App].
	QueueURL string
}

// DefaultQueueURL is the events queue when TODO_QUEUE_URL is unset: the
// in-memory queue, consumed in the same process.
const DefaultQueueURL = "mem://todo-events"

// ConfigFromEnv reads the configuration from the environment; StoreURL is
// defaultStoreURL when TODO_STORE_URL is unset.
func ConfigFromEnv(defaultStoreURL string) (Config, error) {
	c := Config{
		StoreURL:     os.Getenv("TODO_STORE_URL"),
		EnsureSchema: os.Getenv("TODO_ENSURE_SCHEMA") == "1",
		JWTSecret:    os.Getenv("TODO_JWT_SECRET"),
		JWKSURL:      os.Getenv("TODO_JWKS_URL"),
		JWTIssuer:    os.Getenv("TODO_JWT_ISSUER"),
		JWTAudience:  os.Getenv("TODO_JWT_AUDIENCE"),
		APIKeys:      os.Getenv("TODO_API_KEYS"),
		SecretID:     os.Getenv("TODO_SECRET_ID"),
		QueueURL:     os.Getenv("TODO_QUEUE_URL"),
		RateLimit:    600,
	}
	if c.QueueURL == "" {
		c.QueueURL = DefaultQueueURL
	}
	if c.StoreURL == "" {
		c.StoreURL = defaultStoreURL
	}
	if v := os.Getenv("TODO_CORS_ORIGINS"); v != "" {
		for _, o := range strings.Split(v, ",") {
			if o = strings.TrimSpace(o); o != "" {
				c.CORSOrigins = append(c.CORSOrigins, o)
			}
		}
	}
	if v := os.Getenv("TODO_RATE_LIMIT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return Config{}, fmt.Errorf("todo: TODO_RATE_LIMIT=%q: want a positive integer", v)
		}
		c.RateLimit = n
	}
	return c, nil
}

// ApplySecret sets JWTSecret and APIKeys from the members "jwt_secret"
// and "api_keys" of v, a JSON object (the secret named by SecretID); an
// absent or empty member leaves the setting as it was. Errors name the
// member, never the value.
func (c *Config) ApplySecret(v secrets.Value) error {
	for _, f := range []struct {
		key string
		to  *string
	}{{"jwt_secret", &c.JWTSecret}, {"api_keys", &c.APIKeys}} {
		m, err := v.Field(f.key)
		if errors.Is(err, secrets.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("todo: TODO_SECRET_ID: %w", err)
		}
		if !m.IsZero() {
			*f.to = m.Reveal()
		}
	}
	return nil
}

// OpenStore opens the configured store. With EnsureSchema it asks the
// backend to create what it needs (the URL gains ensure=1, which every
// backend's URL opener understands).
func (c Config) OpenStore(ctx context.Context) (store.Store, error) {
	u := c.StoreURL
	if c.EnsureSchema {
		pu, err := url.Parse(u)
		if err != nil {
			return nil, fmt.Errorf("todo: TODO_STORE_URL: %w", err)
		}
		q := pu.Query()
		q.Set("ensure", "1")
		pu.RawQuery = q.Encode()
		u = pu.String()
	}
	return store.Open(ctx, u)
}

// Handler opens the store and returns the to-do API behind the full
// middleware stack: tracing, metrics and logs; CORS; authentication (JWT
// bearer tokens and/or API keys); a per-user rate limit shared through the
// store; and Idempotency-Key support for POST /todos.
func (c Config) Handler(ctx context.Context, opts ...Option) (handler.Handler, error) {
	s, err := c.OpenStore(ctx)
	if err != nil {
		return nil, err
	}
	return c.Wrap(s, opts...)
}

// Wrap returns the to-do API over s behind the middleware stack of Handler.
func (c Config) Wrap(s store.Store, opts ...Option) (handler.Handler, error) {
	auth, err := c.auth()
	if err != nil {
		return nil, err
	}
	var logOpts []middleware.LoggerOption
	if c.Logs != nil {
		logOpts = append(logOpts, middleware.LogTo(c.Logs))
	}
	mws := []handler.Middleware{otelmw.Tracing(), otelmw.Metrics(), middleware.Logger(logOpts...)}
	if len(c.CORSOrigins) > 0 {
		cors, err := middleware.CORS(middleware.AllowOrigins(c.CORSOrigins...),
			middleware.AllowMethods("GET", "POST", "PATCH", "DELETE"),
			middleware.ExposeHeaders("ETag", "Location"))
		if err != nil {
			return nil, fmt.Errorf("todo: TODO_CORS_ORIGINS: %w", err)
		}
		mws = append(mws, cors)
	}
	instrumented := otelmw.InstrumentStore(s, "todos", nil, nil)
	app := New(instrumented, opts...)
	protected := handler.Chain(app, auth,
		// Reads are counted while they are served: a GET waits for the
		// slower of the counter's store call and its own read, not for
		// both in turn, and a refused GET costs the read it did.
		middleware.RateLimit(middleware.NewStoreLimiter(instrumented, c.RateLimit, time.Minute, middleware.LimiterPrefix("ratelimit/")),
			middleware.ByIdentity, middleware.RateLimitOverlapReads()),
		// Keys are recorded in the caller's partition, beside the todos,
		// so that a write and its key's record commit together.
		middleware.Idempotency(instrumented, middleware.IdempotencyPartition(user)))
	// GET /healthz needs no credentials and costs no store call.
	root := handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		if r.Path == "/healthz" {
			return app.ServeRequest(ctx, r)
		}
		return protected.ServeRequest(ctx, r)
	})
	return handler.Chain(root, mws...), nil
}

// auth returns the authentication middleware the configuration asks for:
// bearer tokens, API keys, or both (a request with an Authorization
// header is checked as a token, any other for an API key).
func (c Config) auth() (handler.Middleware, error) {
	var jwt, keys handler.Middleware
	if c.JWTSecret != "" || c.JWKSURL != "" {
		var opts []jwtauth.Option
		if c.JWTSecret != "" {
			opts = append(opts, jwtauth.WithSecret(c.JWTSecret))
		}
		if c.JWKSURL != "" {
			if c.JWTAudience == "" {
				return nil, errors.New("todo: TODO_JWKS_URL needs TODO_JWT_AUDIENCE: the identity provider's keys also sign tokens for its other applications")
			}
			opts = append(opts, jwtauth.WithJWKSURL(c.JWKSURL))
		}
		if c.JWTIssuer != "" {
			opts = append(opts, jwtauth.WithIssuer(c.JWTIssuer))
		}
		if c.JWTAudience != "" {
			opts = append(opts, jwtauth.WithAudience(c.JWTAudience))
		}
		mw, err := jwtauth.New(opts...)
		if err != nil {
			return nil, fmt.Errorf("todo: JWT configuration: %w", err)
		}
		jwt = mw
	}
	if c.APIKeys != "" {
		src, err := middleware.ParseKeys(c.APIKeys)
		if err != nil {
			return nil, fmt.Errorf("todo: TODO_API_KEYS: %w", err)
		}
		if keys, err = middleware.APIKey(src); err != nil {
			return nil, fmt.Errorf("todo: TODO_API_KEYS: %w", err)
		}
	}
	switch {
	case jwt == nil && keys == nil:
		return nil, errors.New("todo: no authentication configured: set TODO_JWT_SECRET, TODO_JWKS_URL or TODO_API_KEYS")
	case keys == nil:
		return jwt, nil
	case jwt == nil:
		return keys, nil
	}
	return func(next handler.Handler) handler.Handler {
		withJWT, withKeys := jwt(next), keys(next)
		return handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
			if r.Header.Get("Authorization") != "" {
				return withJWT.ServeRequest(ctx, r)
			}
			return withKeys.ServeRequest(ctx, r)
		})
	}, nil
}

// App returns the whole example as one event.App: the API over s (the
// configured store when s is nil) behind [Config.Wrap]'s middleware,
// publishing its events to the queue QueueURL names; the consumer of that
// queue, which keeps the stats GET /stats answers; and the hourly repair of
// those stats. Every adapter serves it: the API, the consumer and the
// schedule run wherever the platform delivers them (locally, all in the
// process).
func (c Config) App(ctx context.Context, s store.Store) (*event.App, error) {
	if s == nil {
		var err error
		if s, err = c.OpenStore(ctx); err != nil {
			return nil, err
		}
	}
	u := c.QueueURL
	if u == "" {
		u = DefaultQueueURL
	}
	q, err := queue.Open(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("todo: TODO_QUEUE_URL: %w", err)
	}
	w := NewWorker(s, nil)
	h, err := c.Wrap(s, WithEvents(q), WithWorker(w))
	if err != nil {
		return nil, err
	}
	app := NewApp(h, w, queueName(u))
	return app, app.Err()
}

// queueName is the name of the queue a URL names ("todo-events" for
// mem://todo-events, sqs://todo-events or azqueue://ACCOUNT/todo-events;
// the topic for pubsub://PROJECT/TOPIC): what a platform's delivery names
// it by.
func queueName(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		raw = u.Host + u.Path
	}
	return event.QueueName(raw)
}
