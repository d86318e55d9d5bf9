// Package middleware provides the gateway features anyfunc handlers need on
// every platform: authentication (APIKey, JWT/OIDC), authorization
// (RequireScope, RequireClaim), CORS, rate limits, idempotency keys, request
// validation, body limits, timeouts and conditional GET.
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
//     [KeySource]) and [JWT] (static keys, a JWKS URL or OIDC discovery;
//     claims through [ClaimsOf]). Both set Request.Identity.
//   - Authorization: [RequireScope] and [RequireClaim] (403).
//   - [CORS], answering preflights itself.
//   - [RateLimit] with a [Limiter]: [NewTokenBucket] (per process) or
//     [NewStoreLimiter] (one budget shared through a store.Store).
//   - [Idempotency]: Idempotency-Key replays, 409 and 422, in a store.Store.
//   - [Validate], [ValidateJSON] and [ValidatedJSON]: 422 problems listing
//     each invalid field by JSON pointer.
//   - [BodyLimit] (413), [Timeout] (504), [ConditionalGET] (ETag, 304) and
//     [CacheControl].
//
// Constructors that read configuration accept it in the form an
// environment variable holds: ParseKeys takes "name:key,...", AllowOrigins,
// Issuer and Audience take comma-separated lists, JWTSecret takes the
// secret as a string.
//
// # Order
//
// A typical stack, outermost first:
//
//	h = handler.Chain(h,
//		cors,                          // answers preflights before anything else
//		middleware.BodyLimit(1<<20),   // 413
//		middleware.Timeout(10*time.Second),
//		auth,                          // APIKey or JWT: 401
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
// JWT. It is never taken from a header a client can send; the JWT
// middleware can be told to accept an identity the platform has already
// verified instead of verifying a token again.
package middleware
