// Package middleware provides the gateway features anyfunc handlers need on
// every platform: authentication (APIKey), authorization
// (RequireScope, RequireClaim), CORS, rate limits, idempotency keys, request
// validation, body limits, timeouts and conditional GET; and observability:
// structured request logs. JWT/OIDC authentication (package
// handler/middleware/jwtauth, on go-jose) and OpenTelemetry traces and
// metrics (package handler/middleware/otelmw) are packages of their own:
// a program that uses this one for CORS, API keys or body limits links
// neither.
//
// API gateways differ across clouds (Google's API Gateway has no CORS, API
// keys and JWT authorizers work differently on each), so anyfunc does this
// work in the handler, the same way on AWS Lambda, Google Cloud Functions,
// Azure Functions, a plain net/http server and in tests.
//
// Every middleware has the shape func(handler.Handler) handler.Handler
// ([handler.Middleware]); configured middleware is built by a constructor,
// and bad configuration fails there, at start-up, never per request:
// constructors that parse configuration return an error, the others panic.
// Refusals are returned as *handler.Error values, so [handler.Serve] answers
// them as application/problem+json with the request ID.
//
// # What is here
//
//   - Authentication: [APIKey] (keys from [ParseKeys], [StaticKeys] or any
//     [KeySource]); jwtauth.New (static keys, a JWKS URL or OIDC discovery;
//     claims through [ClaimsOf]). Both set Request.Identity.
//   - Authorization: [RequireScope] and [RequireClaim] (403).
//   - [CORS], answering preflights itself.
//   - [RateLimit] with a [Limiter]: [NewTokenBucket] (per process) or
//     [NewStoreLimiter] (one budget shared through a store.Store).
//   - [Idempotency]: Idempotency-Key replays, 409 and 422, in a store.Store;
//     [CommitIdempotent] commits a handler's writes with the key's record, so
//     the effect happens once whatever fails.
//   - Validation lives in package handler/middleware/validate (validate.JSON,
//     validate.Body, validate.Struct: 422 problems listing each invalid
//     field by JSON pointer), so that importing this package does not link
//     the validator.
//   - [BodyLimit] (413), [Timeout] (504), [ConditionalGET] (ETag, 304) and
//     [CacheControl].
//   - For message consumers and schedules (package handler/event), the
//     logging middleware in their shapes, [LogMessages] and [LogTicks]
//     (otelmw has their tracing and metrics counterparts); install them with
//     event.App.UseMessages and UseTicks.
//
// Constructors that read configuration accept it in the form an
// environment variable holds: ParseKeys takes "name:key,..." and
// AllowOrigins a comma-separated list.
//
// # Order
//
// A typical stack, outermost first:
//
//	h = handler.Chain(h,
//		cors,                          // answers preflights before anything else
//		middleware.BodyLimit(1<<20),   // 413
//		middleware.Timeout(10*time.Second),
//		auth,                          // APIKey or jwtauth.New: 401
//		middleware.RateLimit(limiter, middleware.ByIdentity), // 429
//		middleware.Idempotency(s),     // replays, 409, 422
//	)
//
// Authorization (RequireScope, RequireClaim) usually wraps single routes or
// route groups, inside authentication.
//
// # Trusted identity
//
// [handler.Request.Identity] is the caller as verified by the platform (an
// API Gateway JWT or Lambda authorizer, Azure's identities) or by APIKey or
// jwtauth. It is never taken from a header a client can send; jwtauth can
// be told to accept an identity the platform has already verified instead
// of verifying a token again (jwtauth.WithTrustIdentity).
//
// # Observability
//
// [Logger] writes one JSON line per request in the shape the platform's own
// tooling reads (Cloud Logging's severity, httpRequest and trace fields;
// Lambda's JSON log format with requestId; fields Application Insights picks
// up on Azure), chosen from the adapter's [handler.Invocation] and
// overridable with [WithLogFormat]. Handlers log through handler.Logger(ctx),
// which carries the request and trace IDs. Header values are never logged
// and secret-named attributes are redacted.
//
// Traces and metrics are in package handler/middleware/otelmw, so that a
// program that does not use them does not link OpenTelemetry; when it is
// linked, Logger also logs the IDs of the current OpenTelemetry span.
package middleware
