package awslambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"sync/atomic"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/adapterkit"
	"github.com/anyfunc/anyfunc/handler/event"
)

// Platform is the handler.Invocation.Platform this adapter reports.
const Platform = "aws-lambda"

// traceKey is the context key under which aws-lambda-go stores the
// invocation's X-Ray trace header.
const traceKey = "x-amzn-trace-id"

// started records whether this process has served an invocation, for
// handler.Invocation.ColdStart.
var started atomic.Bool

// Handler runs a handler.Handler as a Lambda function. It implements
// aws-lambda-go's lambda.Handler, so the runtime hands it the event bytes
// and the adapter decodes them itself, without reflection.
//
// A Handler is safe for concurrent use.
type Handler struct {
	h   handler.Handler
	o   options
	app *event.App // h, when it is an event.App
}

var _ lambda.Handler = (*Handler)(nil)

// NewHandler returns a Handler that serves h. Pass it to lambda.Start, or
// call [Start] instead. A nil h, or an [event.App] whose declarations are
// invalid, is an error.
func NewHandler(h handler.Handler, opts ...Option) (*Handler, error) {
	if h == nil {
		return nil, errors.New("awslambda: NewHandler: nil handler")
	}
	lh := &Handler{h: h, o: newOptions(opts)}
	if app, ok := event.FromHandler(h); ok {
		lh.app = app
		if err := app.Err(); err != nil {
			return nil, fmt.Errorf("awslambda: the app's declarations are invalid: %w", err)
		}
	}
	return lh, nil
}

// RuntimeAPIEnv is the environment variable in which Lambda gives a
// function the address of its Runtime API; [Start] needs it.
const RuntimeAPIEnv = "AWS_LAMBDA_RUNTIME_API"

// Start serves h as a Lambda function: it hooks a [NewHandler] into
// aws-lambda-go's runtime loop (lambda.StartWithOptions), which does not
// return. With [WithStreaming] it answers Function URL events, and with
// [WithRESTStreaming] API Gateway REST API events, through the runtime's
// response streaming.
//
// Outside Lambda (RuntimeAPIEnv unset), or when NewHandler fails, it
// returns an error saying what is missing, at once:
//
//	if err := awslambda.Start(h); err != nil {
//		log.Fatal(err)
//	}
func Start(h handler.Handler, opts ...Option) error {
	lh, err := NewHandler(h, opts...)
	if err != nil {
		return err
	}
	if os.Getenv(RuntimeAPIEnv) == "" && os.Getenv("_LAMBDA_SERVER_PORT") == "" {
		return errors.New("awslambda: not running on AWS Lambda: " + RuntimeAPIEnv + " is not set (the Lambda runtime sets it; to run locally, use package httpserver)")
	}
	if lh.o.streaming || lh.o.restStreaming {
		lambda.StartWithOptions(func(ctx context.Context, event json.RawMessage) (io.Reader, error) {
			return lh.InvokeStream(ctx, event)
		}, lh.o.lambdaOptions...)
		return nil
	}
	lambda.StartWithOptions(lh, lh.o.lambdaOptions...)
	return nil
}

// Invoke decodes the HTTP event in payload, serves it through
// handler.Serve and returns the encoded response event of the same shape.
// When the Handler serves an [event.App], SQS events and schedules go to
// its consumers and schedules instead (see the package doc's "Triggers").
//
// A handler's error or panic becomes a problem response, never an error
// here. Invoke returns an error (which fails the invocation) only for a
// payload that is not an HTTP event ([ErrNotHTTPEvent]) or cannot be
// decoded ([ErrMalformedEvent]).
func (h *Handler) Invoke(ctx context.Context, payload []byte) (out []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, h.internalPanic(ctx, v)
		}
	}()
	if h.app != nil {
		return h.invokeApp(ctx, payload)
	}
	shape, rest, r, resp, err := h.serve(ctx, payload)
	if err != nil {
		return nil, err
	}
	return h.encode(ctx, shape, rest, r, resp), nil
}

// serve decodes payload and answers it; rest tells a REST API's event
// from an HTTP API's payload 1.0 (both shapeV1).
func (h *Handler) serve(ctx context.Context, payload []byte) (shape eventShape, rest bool, r *handler.Request, resp *handler.Response, err error) {
	// One allocation for both; the handler may keep neither past its return.
	st := new(struct {
		r   handler.Request
		inv handler.Invocation
	})
	r, inv := &st.r, &st.inv
	shape, rest, herr, err := decodeEvent(payload, r, &h.o)
	if err != nil {
		return 0, false, nil, nil, err
	}
	*inv = handler.Invocation{Platform: Platform, Function: lambdacontext.FunctionName, ColdStart: !started.Swap(true)}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		inv.ID = lc.AwsRequestID
	}
	inv.TraceHeader, _ = ctx.Value(traceKey).(string)
	if r.RequestID == "" {
		r.RequestID = inv.ID
	}
	ctx = adapterkit.ContextWithInvocation(ctx, inv)
	if herr != nil {
		if r.RequestID == "" {
			r.RequestID = adapterkit.NewRequestID()
		}
		return shape, rest, r, handler.ErrorResponse(herr, r.RequestID), nil
	}
	return shape, rest, r, handler.Serve(ctx, h.h, r), nil
}

// internalPanic logs a panic in the adapter itself (not in the handler,
// which handler.Serve recovers) and turns it into an invocation error, so
// the process keeps running.
func (h *Handler) internalPanic(ctx context.Context, v any) error {
	handler.Logger(ctx).LogAttrs(ctx, slog.LevelError, "awslambda: panic while serving an invocation",
		slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(debug.Stack())))
	return fmt.Errorf("awslambda: internal error while serving the invocation: %v", v)
}
