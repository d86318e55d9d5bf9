// Package azurefunctions runs a [handler.Handler] as an Azure Functions
// custom handler: a small web server the Functions host starts next to
// itself and calls over HTTP on the port named by FUNCTIONS_CUSTOMHANDLER_PORT.
//
//	func main() {
//		if err := azurefunctions.Start(todo.NewHandler()); err != nil {
//			log.Fatal(err)
//		}
//	}
//
// The app needs a host.json naming the executable and one HTTP-triggered
// function with a catch-all route; `go run
// github.com/anyfunc/anyfunc/adapters/azurefunctions/cmd/azfunc-init` writes
// both.
//
// # Modes
//
// The host talks to a custom handler in one of two ways, chosen in host.json,
// which [Start] reads from the working directory (the host starts the handler
// in the app's root, where host.json is):
//
//   - Proxy mode, when customHandler.enableProxyingHttpRequest (current) or
//     customHandler.enableForwardingHttpRequest (legacy) is true: the original
//     HTTP request arrives as it is, its path still starting with the route
//     prefix (extensions.http.routePrefix, default "api"), which the adapter
//     strips once. The answer is a normal HTTP response: any body, several
//     Set-Cookie headers and streaming all work. This is the recommended mode.
//   - Payload mode, otherwise: the host POSTs a JSON envelope
//     {"Data":{"req":{...}},"Metadata":{...}} to /{FunctionName} and the
//     adapter answers {"Outputs":{"res":{...}},"Logs":[...],"ReturnValue":null}.
//     The request's path is the path of Url, the client's URL, with the
//     route prefix stripped once as in proxy mode.
//     The host joins repeated query keys with commas in Query (the adapter
//     uses the raw query of Url instead), sends bodies as strings (base64 for
//     application/octet-stream and multipart/*), and can only answer a text
//     body and one value per header: a binary response body (by Content-Type
//     or Content-Encoding), a text body that is not valid UTF-8, or several
//     Set-Cookie headers are refused with a 500 problem that names the
//     setting that lifts the limit, enableProxyingHttpRequest. A body is
//     never altered; proxy mode sends its bytes as they are. A HEAD answer
//     carries no body in either mode.
//
// # Streaming
//
// In proxy mode a Response.Stream body is written chunk by chunk, with a
// flush after each chunk, so each reaches the host as the handler produces
// it. Payload mode cannot stream: the answer is one JSON document, so the
// adapter reads the stream to its end (within the response limit) and
// sends it whole.
//
// [WithMode] forces a mode. A host.json that cannot be read or parsed, that
// has no customHandler (or legacy httpWorker) section, that enables both
// forwarding and proxying, or whose settings have the wrong type, is an
// error from [Start] and [NewHandler], so a misconfigured app fails at
// start-up rather than on its first request. As in the host, keys match
// case-insensitively, and these app settings override host.json:
//
//	AzureFunctionsJobHost__customHandler__enableProxyingHttpRequest
//	AzureFunctionsJobHost__customHandler__enableForwardingHttpRequest
//	AzureFunctionsJobHost__extensions__http__routePrefix
//	AzureFunctionsJobHost__functionTimeout
//
// # Request size
//
// The Functions host reads the client's whole request first (up to its
// limit, 100 MB by default, which the FUNCTIONS_REQUEST_BODY_SIZE_LIMIT
// app setting changes).
// [WithMaxBodyBytes] then bounds what this process reads: in proxy mode
// the body goes through http.MaxBytesReader, so at most the limit (plus
// one byte) is read before a 413 problem answers; in payload mode the
// body arrives inside the host's JSON envelope, escaped (or base64), so the
// adapter reads at most 6 times the limit plus 1 MB of envelope (the
// worst case of JSON escaping, and room for headers) and checks the
// decoded body against the exact limit before the handler runs.
//
// # Requests
//
// Every request is served through [handler.Serve]. The request ID is the
// host's invocation ID (the X-Azure-Functions-InvocationId header of the
// host's call; in proxy mode x-ms-invocation-id, which the host sets, comes
// first). The context's deadline is host.json's functionTimeout (or its
// app setting), but at most [HTTPResponseLimit], the 230 s within which
// Azure's front end needs an HTTP-triggered function's answer whatever the
// functionTimeout; without a functionTimeout (the plan's default applies:
// 5 minutes on Consumption, 30 on the others) or with "-1" (none), it is
// HTTPResponseLimit. [WithTimeout] replaces it. In payload mode the identities the host verified
// (App Service authentication, function keys) are available through
// [IdentitiesFrom], and the first authenticated user identity (or, when
// there is none, the function-key identity) becomes
// [handler.Request.Identity], with Source [SourceUser] ("azure") or
// [SourceFunctionKey] ("azure-function-key"). In both modes,
// [handler.Request.BasePath] is the route prefix the adapter stripped, as
// the client wrote it ("/api"; "" for an empty prefix or a path outside
// it), so that r.BasePath + "/todos/" + id is a path the client can follow.
// Request.RemoteAddr is empty in both modes: the handler's peer is the
// host, and the client address headers the front end adds can also be sent
// by a client.
//
// # Triggers
//
// When the handler is an [event.App], each of its consumers and schedules
// is a function of the app, named like it, beside the HTTP function
// ([FunctionJSON] gives their function.json files; azfunc-init's -queue and
// -timer flags write them). The host invokes a non-HTTP function, in either
// mode, by POSTing {"Data":{BINDING:VALUE},"Metadata":{...}} to
// /{FunctionName}; the adapter dispatches by that name (case-insensitively).
// In proxy mode a client request the host proxies carries
// X-Ms-Invocation-Id, which the host sets, and is always served as HTTP, so
// no client can pose as a trigger; in payload mode HTTP requests arrive at
// the HTTP function's own name.
//
//   - queueTrigger: VALUE is the message text, as the host decoded it
//     (the queue extension's messageEncoding, base64 by default); a message
//     holding JSON may arrive as that JSON. A message package
//     queue/azurequeue sent with attributes arrives in that package's
//     envelope, which the adapter opens: Message.Body and Attributes are
//     what was sent. Metadata gives Message.ID (Id),
//     DeliveryCount (DequeueCount) and EnqueuedAt (InsertionTime);
//     Message.Queue is the consumer's first declared queue, else its name.
//   - timerTrigger: VALUE is the timer's information; Tick.PastDue is its
//     IsPastDue and Tick.Time is Metadata.sys.UtcNow, when the host fired.
//
// The answer is {"Outputs":{},"Logs":[...],"ReturnValue":null}: HTTP 200
// when the handler returned nil; 500 when it failed or panicked, and 400
// for an invocation the adapter cannot decode, with the reason in Logs.
// A non-success answer fails the invocation: the host makes the message
// visible again and, after host.json's extensions.queues.maxDequeueCount
// deliveries (default 5), moves it to the queue named QUEUE-poison. A
// trigger's context deadline is the functionTimeout (or [WithTimeout]),
// without HTTP's [HTTPResponseLimit].
package azurefunctions

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/event"
)

// PortEnv is the environment variable in which the host passes the port the
// custom handler must listen on.
const PortEnv = "FUNCTIONS_CUSTOMHANDLER_PORT"

// InvocationIDHeader is the header carrying the host's invocation ID on the
// host's call to the custom handler.
const InvocationIDHeader = "X-Azure-Functions-InvocationId"

// ProxyInvocationIDHeader is the header in which the host, proxying a
// request, passes the invocation ID (current hosts override any value a
// client sent).
const ProxyInvocationIDHeader = "X-Ms-Invocation-Id"

// Mode is how the host delivers HTTP requests to the custom handler.
type Mode int

const (
	// ModeAuto reads the mode from host.json (the default).
	ModeAuto Mode = iota
	// ModePayload is the JSON envelope protocol.
	ModePayload
	// ModeProxy is plain HTTP: enableProxyingHttpRequest or
	// enableForwardingHttpRequest.
	ModeProxy
)

// String returns "auto", "payload" or "proxy".
func (m Mode) String() string {
	switch m {
	case ModeAuto:
		return "auto"
	case ModePayload:
		return "payload"
	case ModeProxy:
		return "proxy"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// Option configures the adapter.
type Option func(*options)

type options struct {
	mode    Mode
	dir     string
	prefix  *string
	timeout *time.Duration
	maxBody int64
}

// WithMode forces the mode instead of reading it from host.json. With a
// forced mode, host.json is still read for the route prefix and the
// function timeout when it exists, but its absence is not an error.
func WithMode(m Mode) Option {
	return func(o *options) { o.mode = m }
}

// WithDir names the directory holding host.json; the default is the
// working directory, where the host starts the handler.
func WithDir(dir string) Option {
	return func(o *options) { o.dir = dir }
}

// WithBasePath sets the route prefix stripped from paths in proxy mode and
// from Url in payload mode (and reported as Request.BasePath), instead of
// host.json's extensions.http.routePrefix: "api" and "/api" are the same;
// "" means no prefix.
func WithBasePath(prefix string) Option {
	return func(o *options) { o.prefix = &prefix }
}

// HTTPResponseLimit is how long an HTTP-triggered function has to answer
// on Azure, whatever its functionTimeout: the idle timeout of Azure's load
// balancer, after which the client gets a 502.
const HTTPResponseLimit = 230 * time.Second

// WithTimeout gives every request's context a deadline d after it arrives,
// instead of host.json's functionTimeout and [HTTPResponseLimit]; d <= 0
// means no deadline.
func WithTimeout(d time.Duration) Option {
	return func(o *options) { o.timeout = &d }
}

// WithMaxBodyBytes refuses request bodies larger than n bytes with a 413
// problem response before the handler runs. n <= 0 means no limit beyond the
// host's (100 MB by default).
func WithMaxBodyBytes(n int64) Option {
	return func(o *options) { o.maxBody = n }
}

// Start serves h on 127.0.0.1 at the port in FUNCTIONS_CUSTOMHANDLER_PORT,
// in the mode host.json (or [WithMode]) selects. It returns an error at
// once when the port is missing or host.json is unusable, and otherwise only
// when the server fails.
func Start(h handler.Handler, opts ...Option) error {
	port := os.Getenv(PortEnv)
	if port == "" {
		return errors.New("azurefunctions: " + PortEnv + " is not set; the Functions host sets it when it starts a custom handler")
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return fmt.Errorf("azurefunctions: %s=%q is not a port number", PortEnv, port)
	}
	hh, err := NewHandler(h, opts...)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              net.JoinHostPort("127.0.0.1", port),
		Handler:           hh,
		ReadHeaderTimeout: 30 * time.Second,
	}
	return srv.ListenAndServe()
}

// NewHandler returns the http.Handler that [Start] serves: h behind the
// protocol of the configured mode. It reads host.json now and returns an
// error if the configuration is unusable.
func NewHandler(h handler.Handler, opts ...Option) (http.Handler, error) {
	if h == nil {
		return nil, errors.New("azurefunctions: NewHandler: nil handler")
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := loadConfig(o.dir, o.mode != ModeAuto)
	if err != nil {
		return nil, err
	}
	a := &adapter{h: h, maxBody: o.maxBody, prefix: cfg.routePrefix, timeout: cfg.timeout, mode: cfg.mode}
	if o.mode != ModeAuto {
		a.mode = o.mode
	}
	if o.prefix != nil {
		a.prefix = *o.prefix
	}
	if a.timeout <= 0 || a.timeout > HTTPResponseLimit {
		a.timeout = HTTPResponseLimit
	}
	if o.timeout != nil {
		a.timeout = *o.timeout
	}
	a.prefix = trimSlashes(a.prefix)
	var next http.Handler
	switch a.mode {
	case ModePayload:
		next = payloadHandler{a}
	case ModeProxy:
		next = proxyHandler{a}
	default:
		return nil, fmt.Errorf("azurefunctions: unknown mode %v", a.mode)
	}
	app, ok := event.FromHandler(h)
	if !ok {
		return next, nil
	}
	if err := app.Err(); err != nil {
		return nil, fmt.Errorf("azurefunctions: the app's declarations are invalid: %w", err)
	}
	// A trigger runs for the functionTimeout, without HTTP's 230 s limit.
	tt := cfg.timeout
	if o.timeout != nil {
		tt = *o.timeout
	}
	return &triggerHandler{a: a, app: app, next: next, timeout: tt}, nil
}

type adapter struct {
	h       handler.Handler
	mode    Mode
	prefix  string // without slashes; "" for none
	timeout time.Duration
	maxBody int64
}

// served is set by the first request this process serves.
var served atomic.Bool

func (a *adapter) invocation(id, function string) handler.Invocation {
	return handler.Invocation{
		Platform:  "azure-functions",
		ID:        id,
		Function:  function,
		ColdStart: !served.Load() && served.CompareAndSwap(false, true), // a load, not a locked write, on every later request
	}
}

// stripPrefix removes the route prefix from escaped, a path as received,
// once and on a segment boundary, comparing case-insensitively as the
// host's router does. It returns the rest and the prefix removed, as it
// appeared in escaped ("/api"), which becomes Request.BasePath. A path
// outside the prefix is returned unchanged, with base "".
func (a *adapter) stripPrefix(escaped string) (rest, base string) {
	p := a.prefix
	if p == "" || len(escaped) < len(p)+1 || escaped[0] != '/' {
		return escaped, ""
	}
	if !equalFoldASCII(escaped[1:1+len(p)], p) {
		return escaped, ""
	}
	base, rest = escaped[:1+len(p)], escaped[1+len(p):]
	switch {
	case rest == "":
		return "/", base
	case rest[0] == '/':
		return rest, base
	}
	return escaped, ""
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	if a == b {
		return true // the host's own spelling: one comparison of the bytes
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func trimSlashes(s string) string {
	for len(s) > 0 && s[0] == '/' {
		s = s[1:]
	}
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}
