// Package httpserver runs an anyfunc Handler as a plain net/http server: for
// local runs, containers, Cloud Run and Kubernetes.
//
// [Start] is the one-line main: it listens on PORT (default 8080), serves
// until SIGTERM or SIGINT, then drains in-flight requests for up to the
// drain timeout. [ListenAndServe] and [Serve] do the same under a context
// the caller controls, and [Handler] gives the http.Handler alone, to mount
// in a server of one's own.
//
// Every request goes through [handler.Serve] (request IDs, panic recovery,
// the problem+json error mapping, a 400 problem for a malformed query or
// the asterisk-form target "OPTIONS *"; [Serve] and [ListenAndServe] turn
// off net/http's own answer to OPTIONS * so that it gets the same).
//
// # Request size
//
// Bodies over the limit ([WithMaxBodyBytes], default
// [DefaultMaxBodyBytes]) get a 413 problem before the handler, and so
// before any authentication middleware, runs: a declared Content-Length
// over the limit is refused without reading the body, and any other body
// is read through http.MaxBytesReader, at most the limit plus one byte.
// Set the limit to the API's own (the to-do example uses its 64 KB), so
// that no request costs more memory than the API would accept.
//
// # Deadlines
//
// Every handler's context carries a deadline: [DefaultTimeout] (30 s)
// after the request arrives, CLOUD_RUN_TIMEOUT_SECONDS on Cloud Run, or
// what [WithTimeout] says (WithTimeout(0) removes it). A handler whose
// store or downstream call stalls sees its context end there, and the
// request is answered with a 504 problem (from the context's error) instead
// of whenever the stall ends. The server
// has read-header, read and idle timeouts against slow clients, and no
// write timeout, so that streamed responses are not cut.
//
// # Response bodies
//
// A Response body reaches the client byte for byte, whatever its
// Content-Type (a text body that is not valid UTF-8 is sent as it is); a
// HEAD answer carries no body.
//
// # Streaming
//
// A Response.Stream body is written chunk by chunk, with a flush after each
// chunk, so each reaches the client as the handler produces it (server-sent
// events, long exports); the server's lack of a write timeout lets such a
// response run as long as the handler's deadline allows.
//
// The server strips nothing from paths: [handler.Request.BasePath] is "",
// unless [Handler] is mounted behind http.StripPrefix in a server of one's
// own, in which case it is the prefix stripped.
//
// # Triggers
//
// When the handler is an event.App, [Serve], [ListenAndServe] and [Start]
// also run its consumers and schedules in the process ([RunTriggers]), and
// stop them before returning: by default each consumer pulls from the
// in-memory queue of mem:// URLs named like its queue (so that a message a
// handler sends to mem://todo-events reaches the consumer of todo-events),
// a failed message comes back after [DefaultRetryDelay] and, after
// [DefaultMaxDeliveries] failed deliveries, moves to the queue of the same
// name plus [DeadLetterSuffix]; each schedule declared with event.Every
// fires from a ticker. [WithTriggerOptions] changes that, for example to
// pull from a real queue with [WithSubscription].
//
// # Dashboard
//
// [WithDashboard] turns on the local monitoring dashboard (package
// dashboard): every request, message and tick is recorded, and the page
// is served on its own loopback address beside the API. It is off unless
// the option is given.
package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/anyfunc/anyfunc/dashboard"
	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/adapterkit"
	"github.com/anyfunc/anyfunc/handler/event"
)

// Defaults of the options.
const (
	DefaultPort              = "8080"
	DefaultMaxBodyBytes      = 10 << 20
	DefaultTimeout           = 30 * time.Second
	DefaultDrainTimeout      = 10 * time.Second
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 60 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
)

// TimeoutEnv is the environment variable Cloud Run sets to the request
// timeout in seconds; when it is set and [WithTimeout] is not given, it is
// the handler's deadline.
const TimeoutEnv = "CLOUD_RUN_TIMEOUT_SECONDS"

// Option configures the server.
type Option func(*options)

type options struct {
	maxBody    int64
	timeout    time.Duration
	timeoutSet bool
	drain      time.Duration
	readHeader time.Duration
	read       time.Duration
	idle       time.Duration
	logger     *slog.Logger
	configure  func(*http.Server)
	signals    []os.Signal
	triggers   []TriggerOption
	dash       *dashboard.Dashboard
}

// WithMaxBodyBytes refuses request bodies larger than n bytes with a 413
// problem (default [DefaultMaxBodyBytes]; n <= 0 means no limit).
func WithMaxBodyBytes(n int64) Option {
	return func(o *options) { o.maxBody = n }
}

// WithTimeout gives every handler a context deadline d after the request
// arrives (0 means none). A handler that returns ctx.Err() then answers 504.
// Without this option, CLOUD_RUN_TIMEOUT_SECONDS sets it when present, and
// [DefaultTimeout] otherwise.
func WithTimeout(d time.Duration) Option {
	return func(o *options) { o.timeout, o.timeoutSet = d, true }
}

// WithDrainTimeout bounds the graceful shutdown: in-flight requests get this
// long to finish after the signal (or the context's end) before their
// connections are closed (default [DefaultDrainTimeout]).
func WithDrainTimeout(d time.Duration) Option {
	return func(o *options) { o.drain = d }
}

// WithReadHeaderTimeout bounds reading a request's header (default
// [DefaultReadHeaderTimeout]).
func WithReadHeaderTimeout(d time.Duration) Option {
	return func(o *options) { o.readHeader = d }
}

// WithReadTimeout bounds reading a whole request, body included (default
// [DefaultReadTimeout]).
func WithReadTimeout(d time.Duration) Option {
	return func(o *options) { o.read = d }
}

// WithIdleTimeout bounds how long a keep-alive connection waits for its
// next request (default [DefaultIdleTimeout]).
func WithIdleTimeout(d time.Duration) Option {
	return func(o *options) { o.idle = d }
}

// WithLogger sets the logger for the server's own messages and the
// handler's context ([handler.Logger]); default slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// WithServer lets f adjust the *http.Server after the defaults are set
// (TLS, MaxHeaderBytes, ErrorLog, ...). f must not set Handler.
func WithServer(f func(*http.Server)) Option {
	return func(o *options) { o.configure = f }
}

// WithDashboard turns on the local monitoring dashboard d (package
// dashboard): every request is recorded by d's middleware, outermost, and
// [Serve], [ListenAndServe] and [Start] also serve d on its own address
// (loopback unless d has authentication) for as long as the API. When the
// handler is an event.App, they also install d's message and tick
// middleware on it (outermost), so that its consumers and schedules have
// panels too; give d the same dashboard.WithMaxDeliveries as the triggers'
// [WithMaxDeliveries]. [NewHandler] records but does not serve d: mount
// d.Handler() in a server of your own.
// It is off unless this option is given.
func WithDashboard(d *dashboard.Dashboard) Option {
	return func(o *options) { o.dash = d }
}

// WithSignals sets the signals [Start] shuts down on (default SIGTERM and
// SIGINT).
func WithSignals(sigs ...os.Signal) Option {
	return func(o *options) { o.signals = sigs }
}

func newOptions(opts []Option) (*options, error) {
	o := &options{
		maxBody:    DefaultMaxBodyBytes,
		timeout:    DefaultTimeout,
		drain:      DefaultDrainTimeout,
		readHeader: DefaultReadHeaderTimeout,
		read:       DefaultReadTimeout,
		idle:       DefaultIdleTimeout,
		signals:    []os.Signal{syscall.SIGTERM, os.Interrupt},
	}
	for _, opt := range opts {
		opt(o)
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	if !o.timeoutSet {
		if v := os.Getenv(TimeoutEnv); v != "" {
			s, err := strconv.Atoi(v)
			if err != nil || s <= 0 {
				return nil, fmt.Errorf("httpserver: %s=%q is not a positive number of seconds", TimeoutEnv, v)
			}
			o.timeout = time.Duration(s) * time.Second
		}
	}
	if o.timeout < 0 || o.drain < 0 {
		return nil, errors.New("httpserver: negative timeout")
	}
	return o, nil
}

// NewHandler returns the http.Handler that serves h with the options' body
// limit and timeout (the server timeouts and shutdown options do not apply
// to it). A nil h, an invalid option or an invalid
// CLOUD_RUN_TIMEOUT_SECONDS is an error.
func NewHandler(h handler.Handler, opts ...Option) (http.Handler, error) {
	if h == nil {
		return nil, errors.New("httpserver: NewHandler: nil handler")
	}
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	return newAdapter(h, o), nil
}

func newAdapter(h handler.Handler, o *options) *adapter {
	if o.dash != nil {
		h = o.dash.Middleware()(h)
	}
	return &adapter{h: h, o: o}
}

type adapter struct {
	h      handler.Handler
	o      *options
	served atomic.Bool
}

func (a *adapter) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	if a.o.maxBody > 0 {
		if hr.ContentLength > a.o.maxBody {
			adapterkit.WriteHTTP(hr.Context(), w, hr.Method,
				handler.ErrorResponse(handler.BodyTooLargeError(a.o.maxBody), adapterkit.NewRequestID()))
			return
		}
		if hr.Body != nil && hr.Body != http.NoBody {
			hr.Body = http.MaxBytesReader(w, hr.Body, a.o.maxBody)
		}
	}
	ctx := hr.Context()
	if a.o.logger != slog.Default() {
		ctx = handler.ContextWithLogger(ctx, a.o.logger)
	}
	// Load before Swap: once warm, requests only read the flag, and
	// concurrent ones do not contend for its cache line.
	cold := !a.served.Load() && !a.served.Swap(true)
	adapterkit.ServeHTTPIn(ctx, handler.Invocation{Platform: "http", ColdStart: cold}, a.o.timeout, a.h, w, hr)
}

// Addr returns the address to listen on: ":" + PORT, or ":8080" when PORT
// is unset. It fails if PORT is not a port number.
func Addr() (string, error) {
	port := os.Getenv("PORT")
	if port == "" {
		port = DefaultPort
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("httpserver: PORT=%q is not a port number", port)
	}
	return ":" + port, nil
}

// Start serves h on PORT (default 8080) until SIGTERM or SIGINT, then
// shuts down gracefully (see [WithDrainTimeout]) and returns nil. It
// returns an error if the configuration is invalid, the server cannot
// start, or the drain times out; main should then exit non-zero:
//
//	if err := httpserver.Start(h); err != nil {
//		log.Fatal(err)
//	}
func Start(h handler.Handler, opts ...Option) error {
	o, err := newOptions(opts)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), o.signals...)
	defer stop()
	return ListenAndServe(ctx, "", h, opts...)
}

// ListenAndServe listens on addr ("" means [Addr]) and serves h until ctx
// ends, then shuts down gracefully: it stops accepting connections, lets
// in-flight requests finish for up to the drain timeout, and returns nil,
// or an error wrapping context.DeadlineExceeded if requests were still
// running when the drain timeout expired (their connections are closed and
// their contexts canceled).
func ListenAndServe(ctx context.Context, addr string, h handler.Handler, opts ...Option) error {
	if addr == "" {
		var err error
		if addr, err = Addr(); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("httpserver: %w", err)
	}
	return Serve(ctx, ln, h, opts...)
}

// Serve is [ListenAndServe] on a listener the caller opened (for example on
// "127.0.0.1:0" in tests). It closes ln.
func Serve(ctx context.Context, ln net.Listener, h handler.Handler, opts ...Option) error {
	o, err := newOptions(opts)
	if err == nil {
		if app, ok := event.FromHandler(h); ok {
			if aerr := app.Err(); aerr != nil {
				err = fmt.Errorf("httpserver: the app's declarations are invalid: %w", aerr)
			}
		}
	}
	if err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{
		Handler:           newAdapter(h, o),
		ReadHeaderTimeout: o.readHeader,
		ReadTimeout:       o.read,
		IdleTimeout:       o.idle,
		// OPTIONS * reaches the handler, which refuses the asterisk form
		// with a 400 problem like any other method (handler.Serve).
		DisableGeneralOptionsHandler: true,
		ErrorLog:                     slog.NewLogLogger(o.logger.Handler(), slog.LevelWarn),
	}
	if o.configure != nil {
		o.configure(srv)
		srv.Handler = newAdapter(h, o)
	}
	if o.dash != nil {
		dln, err := net.Listen("tcp", o.dash.Addr())
		if err != nil {
			ln.Close()
			return fmt.Errorf("httpserver: dashboard: %w", err)
		}
		dctx, stop := context.WithCancel(context.Background())
		derr := make(chan error, 1)
		go func() { derr <- o.dash.Serve(dctx, dln, o.logger) }()
		defer func() {
			stop()
			if err := <-derr; err != nil {
				o.logger.Warn("httpserver: " + err.Error())
			}
		}()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if app, ok := event.FromHandler(h); ok {
		if o.dash != nil {
			// The dashboard records the consumers and schedules too, and
			// shows them before their first message or tick.
			app.UseMessages(o.dash.MessageMiddleware())
			app.UseTicks(o.dash.TickMiddleware())
			for _, c := range app.Consumers() {
				q := c.Name
				if len(c.Queues) > 0 {
					q = c.Queues[0]
				}
				o.dash.Declare(dashboard.KindConsumer, q)
			}
			for _, s := range app.Schedules() {
				o.dash.Declare(dashboard.KindSchedule, s.Name)
			}
		}
		// The app's consumers and schedules run beside the server, and
		// stop before Serve returns.
		tctx, stopTriggers := context.WithCancel(ctx)
		topts := append([]TriggerOption{WithTriggerTimeout(o.timeout), WithTriggerLogger(o.logger)}, o.triggers...)
		triggersDone := make(chan error, 1)
		go func() { triggersDone <- RunTriggers(tctx, app, topts...) }()
		defer func() {
			stopTriggers()
			if err := <-triggersDone; err != nil {
				o.logger.Error(err.Error())
			}
		}()
	}
	o.logger.Info("httpserver: listening", slog.String("addr", ln.Addr().String()))

	select {
	case err := <-errc:
		return fmt.Errorf("httpserver: %w", err)
	case <-ctx.Done():
	}
	o.logger.Info("httpserver: shutting down", slog.Duration("drainTimeout", o.drain))
	drainCtx, cancel := context.WithTimeout(context.Background(), o.drain)
	defer cancel()
	if err := srv.Shutdown(drainCtx); err != nil {
		srv.Close()
		<-errc
		return fmt.Errorf("httpserver: requests still running after the drain timeout of %v: %w", o.drain, err)
	}
	<-errc // http.ErrServerClosed
	return nil
}
