// Package middleware provides the gateway features anyfunc handlers need on
// every platform: authentication (APIKey, JWT/OIDC), authorization
// (RequireScope, RequireClaim), CORS, rate limits, idempotency keys, request
// validation, body limits, timeouts and conditional GET; and observability:
// structured request logs, OpenTelemetry traces and metrics.
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
//     observability middleware in their shapes: [LogMessages], [LogTicks],
//     [TraceMessages] (a consumer span in the sender's trace), [TraceTicks],
//     [MessageMetrics] and [TickMetrics]; install them with
//     event.App.UseMessages and UseTicks.
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
// [Tracing] starts a server span per request, named by route, parented by
// the caller's traceparent, X-Amzn-Trace-Id (or the Lambda invocation's trace
// ID) or X-Cloud-Trace-Context; [InstrumentStore] makes store calls child
// spans. [Metrics] records request durations (count and percentiles), 5xx
// errors, in-flight requests and cold starts; InstrumentStore records store
// operation durations. Place them outermost, Tracing first:
//
//	h = handler.Chain(h, middleware.Tracing(), middleware.Metrics(), middleware.Logger(), cors, auth, ...)
//
// No exporter is forced on you: install an OpenTelemetry SDK with the
// exporter of your cloud, once, at start-up, for example
//
//	// AWS (ADOT collector layer / X-Ray): OTLP to the local collector
//	exp, _ := otlptracegrpc.New(ctx) // go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc
//	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithIDGenerator(xray.NewIDGenerator())))
//
//	// Google Cloud Trace: github.com/GoogleCloudPlatform/opentelemetry-operations-go/exporter/trace
//	exp, _ := texporter.New(texporter.WithProjectID(project))
//	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp)))
//
//	// Azure Monitor: OTLP to an OpenTelemetry Collector with the azuremonitor exporter
//	exp, _ := otlptracehttp.New(ctx) // go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp
//	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp)))
//
// and likewise otel.SetMeterProvider with the matching metric exporter.
package middleware
