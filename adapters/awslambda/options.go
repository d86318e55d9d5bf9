package awslambda

import (
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

// DefaultMaxHeaderBytes is the default limit on the total size of an event's
// header names and values, the same as net/http's.
const DefaultMaxHeaderBytes = 1 << 20

// MaxResponseBytes is the largest response payload Lambda accepts from a
// function invoked synchronously (6 MB). The limit applies to the encoded
// JSON, base64 included.
const MaxResponseBytes = 6 << 20

// MaxALBResponseBytes is the largest response an Application Load Balancer
// accepts from a Lambda target (1 MB), base64 included.
const MaxALBResponseBytes = 1 << 20

// An Option configures [NewHandler] and [Start].
type Option func(*options)

type options struct {
	binaryTypes    []string
	basePath       string
	basePathEsc    string // basePath percent-encoded
	stripStage     bool
	maxBodyBytes   int64
	maxHeaderBytes int
	streaming      bool
	restStreaming  bool
	lambdaOptions  []lambda.Option
	now            func() time.Time
}

func newOptions(opts []Option) options {
	o := options{maxHeaderBytes: DefaultMaxHeaderBytes, now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithBinaryTypes sets the media types whose response bodies are sent
// base64-encoded, as API Gateway's binaryMediaTypes setting does: exact
// types ("image/png"), type wildcards ("image/*") or "*/*". A body with a
// Content-Encoding (gzip, br, ...) is always sent base64-encoded.
//
// Without this option every type that is not text is sent base64-encoded:
// text/*, JSON, XML, JavaScript and form types (including +json and +xml
// types) whose charset, if given, is UTF-8 or US-ASCII are sent as text. A
// REST API (payload 1.0) delivers base64 to the client as is unless its
// binaryMediaTypes match, so set this option to the same list there.
//
// The decision is never made by looking at the bytes.
func WithBinaryTypes(types ...string) Option {
	return func(o *options) {
		o.binaryTypes = o.binaryTypes[:0]
		for _, t := range types {
			t = strings.ToLower(strings.TrimSpace(t))
			if t != "" {
				o.binaryTypes = append(o.binaryTypes, t)
			}
		}
		if o.binaryTypes == nil {
			o.binaryTypes = []string{}
		}
	}
}

// WithBasePath strips base (for example "/v1" or the name of a custom
// domain's API mapping) from the start of every request path, once and only
// on a segment boundary: with base "/v1", "/v1/todos" becomes "/todos" and
// "/v1" becomes "/", but "/v10/todos" is left alone. When it strips base,
// handler.Request.BasePath ends with base (percent-encoded); a path it
// leaves alone gets no BasePath from it.
func WithBasePath(base string) Option {
	return func(o *options) {
		base = strings.TrimRight(base, "/")
		if base != "" && base[0] != '/' {
			base = "/" + base
		}
		o.basePath = base
		o.basePathEsc = escapePath(base)
	}
}

// WithStripStage strips a named HTTP API stage ("/prod" for stage "prod"),
// which API Gateway keeps in the path (rawPath in payload 2.0, path in
// payload 1.0), from the start of the request path, once and on a segment
// boundary, and makes it handler.Request.BasePath. The "$default" stage is
// never stripped, nor is anything stripped from a REST API's path, which
// never holds the stage (its BasePath comes from requestContext.path
// instead, with or without this option). WithBasePath takes precedence.
func WithStripStage() Option {
	return func(o *options) { o.stripStage = true }
}

// WithMaxBodyBytes makes the adapter answer 413 (a problem response) without
// calling the handler when a request body, after base64 decoding, is larger
// than n bytes. Zero, the default, leaves the limit to the platform (6 MB
// for API Gateway and Function URLs, 1 MB for an ALB).
func WithMaxBodyBytes(n int64) Option {
	return func(o *options) { o.maxBodyBytes = max(n, 0) }
}

// WithMaxHeaderBytes limits the total size of an event's header names,
// values and cookies; a larger event is refused with an error wrapping
// [ErrMalformedEvent]. The default is [DefaultMaxHeaderBytes].
func WithMaxHeaderBytes(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.maxHeaderBytes = n
		}
	}
}

// WithStreaming declares that the function is invoked through a Function
// URL whose InvokeMode is RESPONSE_STREAM. [Start] then answers Function URL
// events in Lambda's streaming integration format (a JSON prelude with the
// status, headers and cookies, eight NUL bytes, then the body), sending a
// Response.Stream body chunk by chunk as the handler produces it. Other
// event shapes are still answered buffered.
func WithStreaming() Option {
	return func(o *options) { o.streaming = true }
}

// WithRESTStreaming declares that the function is invoked by API Gateway
// REST APIs through a Lambda proxy integration whose response transfer
// mode is STREAM (the integration URI ends in
// /response-streaming-invocations). [Start] then answers REST API events in
// the streaming format API Gateway requires for it (a JSON prelude with
// statusCode and multiValueHeaders, eight NUL bytes, then the body, not
// base64-encoded whatever its type), sending a Response.Stream body chunk
// by chunk as the handler produces it. A REST API integration in the
// default BUFFERED mode, an HTTP API (whose payload 1.0 events look alike but
// say "version":"1.0") and an ALB cannot stream; they are answered buffered.
// Without [WithStreaming] too, Function URL events are answered buffered.
func WithRESTStreaming() Option {
	return func(o *options) { o.restStreaming = true }
}

// WithLambdaOptions passes options to aws-lambda-go's lambda.StartWithOptions
// when [Start] hooks the handler into the runtime (for example
// lambda.WithEnableSIGTERM).
func WithLambdaOptions(opts ...lambda.Option) Option {
	return func(o *options) { o.lambdaOptions = append(o.lambdaOptions, opts...) }
}

// WithClock sets the clock that decides whether a scheduled event is
// late (event.Tick.PastDue); the default (and nil) is time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}
