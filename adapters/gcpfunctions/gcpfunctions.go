// Package gcpfunctions runs a [handler.Handler] as a Google Cloud Function
// (2nd gen, also called a Cloud Run function) through Google's Functions
// Framework for Go.
//
// Cloud Functions builds a Go function from source: the buildpack generates
// a main package that imports your package and starts the framework, and
// your package registers the function in an init function:
//
//	package todo
//
//	func init() {
//		gcpfunctions.Register("Todo", NewHandler())
//	}
//
// Deploy with --entry-point=Todo (the platform sets FUNCTION_TARGET to it).
// For a local run, or a container you build yourself, a main package calls
// [Start], which serves on PORT (8080 when unset):
//
//	func main() {
//		log.Fatal(gcpfunctions.Start(todo.NewHandler()))
//	}
//
// # Packaging
//
// Google's Go buildpack builds the function from the source directory you
// upload, and its rules decide how that source must look:
//
//   - go.mod is at the root of the uploaded source, and the package at the
//     root is the one the buildpack imports: it must register the
//     function, in init, directly or by importing the package that does
//     (a blank import of that package is enough).
//   - The root package imports
//     github.com/GoogleCloudPlatform/functions-framework-go/functions (a
//     blank import will do). Its presence makes the buildpack generate a
//     main that serves the function registered under the entry point;
//     without it the generated main calls a function of the root package
//     named like the entry point, which does not exist.
//   - The module path's first element contains a dot (example.com/fn, not
//     fn): the buildpack refuses the module otherwise.
//   - Modules the build cannot download (a replace of a local copy, a
//     private module) are vendored: upload vendor/ with the source.
//
// A root package that follows these rules:
//
//	package fn // module example.com/todofn
//
//	import (
//		_ "github.com/GoogleCloudPlatform/functions-framework-go/functions"
//		_ "example.com/app/gcp" // calls gcpfunctions.Register("Todo", ...) in init
//	)
//
// and the deployment names the registered function as its entry point:
// gcloud functions deploy todo --gen2 --runtime=go126 --entry-point=Todo
// --trigger-http --source=DIR. examples/todo/deploy/build.sh gcp writes
// such a directory for the to-do example.
//
// # Behaviour
//
// Every request is served through [handler.Serve], so request IDs, panic
// recovery (a problem 500, never the framework's crash page) and error
// mapping are the same as on every other platform. The request ID is the
// platform's Function-Execution-Id. The handler's context carries a deadline:
// the framework applies CLOUD_RUN_TIMEOUT_SECONDS (set by the platform from
// the function's timeout; [DefaultTimeout], Cloud Run's default, where it is
// absent) and [WithTimeout] can set a shorter one; a handler that runs past
// it should return ctx.Err(), which answers 504.
// [handler.InvocationFrom] reports Platform "gcp-functions", the execution ID,
// the function name and whether this is the process's first request.
//
// [handler.Request.BasePath] is "": neither the framework nor the adapter
// strips anything from the path. A request through the function's
// cloudfunctions.net URL (https://REGION-PROJECT.cloudfunctions.net/NAME/...)
// arrives with /NAME already removed by the platform, which the adapter does
// not try to guess; a handler whose clients use that URL and follow URLs it
// builds from BasePath can be wrapped in a middleware that sets BasePath to
// "/NAME", or its clients can use the function's run.app URL, which has no
// prefix.
//
// # Response bodies
//
// A Response body reaches the client byte for byte, whatever its
// Content-Type: the framework is a net/http server, so there is no
// encoding step that could alter it (a text body that is not valid UTF-8
// is sent as it is). A HEAD answer carries no body.
//
// # Streaming
//
// A Response.Stream body is written chunk by chunk, with a flush after each
// chunk, so each reaches the client as the handler produces it (Cloud Run
// passes a response on as it is written, HTTP/1 chunked or HTTP/2). A
// response with a byte Body gets a Content-Length and is sent in one piece.
//
// # Request size
//
// Cloud Run accepts HTTP/1 requests of up to 32 MiB and streams the body to
// the instance; the Functions Framework does not read it. With
// [WithMaxBodyBytes] the adapter reads it through http.MaxBytesReader, so
// at most the limit (and one byte more, to detect the excess) is read
// into memory before a 413 problem answers, before the handler and its
// authentication run. Without it, the whole body is read.
//
// Request.RemoteAddr is empty: the handler's peer is Google's front end,
// not the client, and the client address headers the front end adds can
// also be sent by a client (Google documents the first X-Forwarded-For
// entry only as "generally" the client's, and a client can write it). Rate
// limits and logs that need a caller therefore key on an identity, or on a
// header a front end you control sets (a load balancer, Cloud Armor).
//
// # Triggers
//
// When the handler is an [event.App], the same function also serves its
// consumers and schedules; each POST is recognised as:
//
//   - a CloudEvent, by its ce-* headers (binary mode, as Eventarc sends
//     them) or the application/cloudevents+json type (structured mode): a
//     Pub/Sub message of type [PubSubEventType] goes to the consumer of its
//     topic (ce-source //pubsub.googleapis.com/projects/P/topics/T; see
//     event.App.ConsumerFor), and any other type is refused with 400 naming
//     it;
//   - a Pub/Sub push envelope, by its path: [DefaultPushPath]/CONSUMER (or
//     the path alone, picking the consumer by the subscription's name; see
//     [WithPushPath]); deliveryAttempt, present when the subscription has a
//     dead-letter topic, is Message.DeliveryCount;
//   - a Cloud Scheduler HTTP target, by its X-CloudScheduler-JobName
//     header, which names the schedule; X-CloudScheduler-ScheduleTime is
//     Tick.Time, and the tick is PastDue when that is over a minute ago.
//
// Message.Body is the message's data, decoded from base64; Attributes are
// its attributes, EnqueuedAt its publishTime. Success answers 204, which
// acknowledges the message; a consumer's or schedule's failure or panic
// answers 500 (the error is logged, not sent), so that Pub/Sub redelivers
// (and after the subscription's maximum delivery attempts forwards it to
// the dead-letter topic) and Cloud Scheduler retries per its retry config.
// An event that cannot be decoded answers 400, one without a declared
// consumer or schedule 404. [WithTriggerAuth] verifies the OIDC token
// Google attaches to push and scheduler requests.
package gcpfunctions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"
	"github.com/GoogleCloudPlatform/functions-framework-go/functions"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/adapterkit"
	"github.com/anyfunc/anyfunc/handler/event"
)

// ExecutionIDHeader is the header in which Cloud Functions sends the
// execution ID; it becomes the request ID.
const ExecutionIDHeader = "Function-Execution-Id"

// TimeoutEnv is the environment variable in which Cloud Run functions gives
// the request timeout in whole seconds.
const TimeoutEnv = "CLOUD_RUN_TIMEOUT_SECONDS"

// DefaultTimeout is the deadline when CLOUD_RUN_TIMEOUT_SECONDS is absent
// or invalid and [WithTimeout] sets none (the framework run locally, for
// instance): Cloud Run's default request timeout, 300 s.
const DefaultTimeout = 300 * time.Second

// Option configures the adapter.
type Option func(*options)

type options struct {
	timeout     time.Duration
	maxBody     int64
	function    string
	pushPath    string
	triggerAuth handler.Middleware
	now         func() time.Time
}

// WithClock sets the clock that decides whether a Cloud Scheduler call is
// late (event.Tick.PastDue); the default (and nil) is time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}

// WithTimeout gives every request's context a deadline d after the request
// arrives. The platform's own timeout (CLOUD_RUN_TIMEOUT_SECONDS) applies
// as well; the earlier deadline wins. d <= 0 adds no deadline of its own,
// and without either the deadline is [DefaultTimeout].
func WithTimeout(d time.Duration) Option {
	return func(o *options) { o.timeout = d }
}

// WithMaxBodyBytes refuses request bodies larger than n bytes with a 413
// problem response before the handler runs. n <= 0 means no limit beyond
// the platform's (32 MiB on Cloud Functions).
func WithMaxBodyBytes(n int64) Option {
	return func(o *options) { o.maxBody = n }
}

// Register registers h as the HTTP function name with the Functions
// Framework, for use in an init function of a non-main package: the
// framework serves it at "/" when FUNCTION_TARGET is name. Like the
// framework's functions.HTTP, which exits the process if name is already
// registered, Register exits the process (status 1, after logging why)
// when [NewHandler] refuses h: an init function has no caller to return
// an error to.
func Register(name string, h handler.Handler, opts ...Option) {
	opts = append(opts, func(o *options) { o.function = name })
	hh, err := NewHandler(h, opts...)
	if err != nil {
		slog.Error("gcpfunctions: Register "+name, slog.Any("error", err))
		os.Exit(1)
	}
	functions.HTTP(name, hh.ServeHTTP)
}

// Start serves h with the Functions Framework on the port named by the PORT
// environment variable (8080 when unset), on every interface, as a local
// run or a self-built container does. It returns only when the server fails.
func Start(h handler.Handler, opts ...Option) error {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	return StartHostPort("", port, h, opts...)
}

// StartHostPort is [Start] on an explicit host and port; an empty host
// means every interface.
//
// h is registered at the path "/" without a name, so the framework serves it
// for every path whether FUNCTION_TARGET is unset or names no other
// registered function.
func StartHostPort(host, port string, h handler.Handler, opts ...Option) error {
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("gcpfunctions: invalid port %q", port)
	}
	hh, err := NewHandler(h, opts...)
	if err != nil {
		return err
	}
	if err := funcframework.RegisterHTTPFunctionContext(context.Background(), "/", hh.ServeHTTP); err != nil {
		return fmt.Errorf("gcpfunctions: register: %w", err)
	}
	return funcframework.StartHostPort(host, port)
}

// NewHandler returns h as the net/http handler that [Register] and [Start]
// give the framework. Serving it outside the framework (in a test, say)
// works the same, except that CLOUD_RUN_TIMEOUT_SECONDS, which the adapter
// also reads once here, is then the only source of the platform deadline.
// A nil h is an error.
func NewHandler(h handler.Handler, opts ...Option) (http.Handler, error) {
	if h == nil {
		return nil, errors.New("gcpfunctions: NewHandler: nil handler")
	}
	a := &adapter{h: h, opts: options{pushPath: DefaultPushPath, now: time.Now}}
	for _, o := range opts {
		o(&a.opts)
	}
	if app, ok := event.FromHandler(h); ok {
		if err := app.Err(); err != nil {
			return nil, fmt.Errorf("gcpfunctions: the app's declarations are invalid: %w", err)
		}
		a.app = app
	}
	if env := os.Getenv(TimeoutEnv); env != "" {
		secs, err := strconv.Atoi(env)
		switch {
		case err != nil || secs <= 0:
			slog.Warn("gcpfunctions: ignoring invalid "+TimeoutEnv, slog.String("value", env))
		case a.opts.timeout <= 0 || time.Duration(secs)*time.Second < a.opts.timeout:
			a.opts.timeout = time.Duration(secs) * time.Second
		}
	}
	if a.opts.timeout <= 0 {
		a.opts.timeout = DefaultTimeout
	}
	return a, nil
}

type adapter struct {
	h    handler.Handler
	opts options
	app  *event.App // h, when it is an event.App
}

// served is set by the first request this process serves.
var served atomic.Bool

func (a *adapter) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	ctx := hr.Context()
	// The framework puts the execution ID in the context, from the header
	// or one it generates when there is none; outside the framework only
	// the header is there. The header, when sent, is the same ID, and
	// reading it costs no allocation (nor, with the name already canonical,
	// Header.Get's canonicalization).
	var id string
	if vs := hr.Header[ExecutionIDHeader]; len(vs) > 0 {
		id = vs[0]
	}
	if id == "" {
		id = funcframework.ExecutionIDFromContext(ctx)
	}
	inv := handler.Invocation{
		Platform:  "gcp-functions",
		ID:        id,
		Function:  a.opts.function,
		ColdStart: !served.Load() && served.CompareAndSwap(false, true), // a load, not a locked write, on every later request
	}
	if a.app != nil {
		if kind := a.triggerKindOf(hr); kind != notTrigger {
			ctx = adapterkit.NewRequestContext(ctx, inv, a.opts.timeout)
			defer adapterkit.EndRequest(ctx)
			if id == "" {
				id = adapterkit.NewRequestID()
			}
			hr.Body = http.MaxBytesReader(w, hr.Body, maxEventBytes)
			a.serveTrigger(ctx, w, hr, kind, id)
			return
		}
	}
	if a.opts.maxBody > 0 {
		hr.Body = http.MaxBytesReader(w, hr.Body, a.opts.maxBody)
	}
	// The context, the Request and the response's Content-Length value in
	// one allocation. The TCP peer is Google's front end, not the client:
	// RemoteAddr stays empty.
	adapterkit.ServeHTTPBehind(ctx, inv, a.opts.timeout, a.h, w, hr, id)
}
