package awslambda

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/adapterkit"
	"github.com/anyfunc/anyfunc/internal/jsonscan"
)

// ErrNotServed is wrapped by the error Invoke returns for an event the
// [event.App] does not serve: an event kind it has no trigger for (S3,
// DynamoDB streams, an EventBridge event that is not a schedule, ...), an
// SQS queue without a consumer, a schedule without a handler. The message
// names the kind, queue or schedule. An event that is neither a trigger nor
// an HTTP event also wraps [ErrNotHTTPEvent].
var ErrNotServed = errors.New("awslambda: event not served")

// triggerKind is what a non-HTTP event is.
type triggerKind uint8

const (
	notTrigger      triggerKind = iota
	kindSQS                     // {"Records":[{"eventSource":"aws:sqs",...}]}
	kindRecords                 // Records of another source (S3, SNS, DynamoDB, Kinesis, ...)
	kindSchedule                // EventBridge "Scheduled Event", or a Scheduler input naming a schedule
	kindEventBridge             // another EventBridge event
)

// firstKeyIs reports whether payload is an object whose first member is
// key, without decoding anything else: SQS events start with "Records".
func firstKeyIs(payload []byte, key string) bool {
	i := 0
	for i < len(payload) && isSpace(payload[i]) {
		i++
	}
	if i >= len(payload) || payload[i] != '{' {
		return false
	}
	i++
	for i < len(payload) && isSpace(payload[i]) {
		i++
	}
	n := len(key)
	return i+n+2 <= len(payload) && payload[i] == '"' && string(payload[i+1:i+1+n]) == key && payload[i+1+n] == '"'
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// invokeApp serves an invocation of a Handler built from an event.App:
// SQS batches and schedules go to the App's triggers, HTTP events to its
// HTTP handler.
func (h *Handler) invokeApp(ctx context.Context, payload []byte) ([]byte, error) {
	if firstKeyIs(payload, "Records") {
		return h.invokeTrigger(ctx, payload, nil)
	}
	shape, rest, r, resp, err := h.serve(ctx, payload)
	if err == nil {
		return h.encode(ctx, shape, rest, r, resp), nil
	}
	if !errors.Is(err, ErrNotHTTPEvent) {
		return nil, err
	}
	return h.invokeTrigger(ctx, payload, err)
}

// invokeTrigger decodes a non-HTTP event and serves it; httpErr is why the
// event is not an HTTP event, if that was tried.
func (h *Handler) invokeTrigger(ctx context.Context, payload []byte, httpErr error) ([]byte, error) {
	d := &scanner{jsonscan.New(string(payload))}
	b := batchPool.Get().(*sqsBatch)
	defer b.release()
	t, err := sniffTrigger(d, b)
	if err != nil {
		var se *jsonscan.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("%w: %v", ErrMalformedEvent, err)
		}
		return nil, err
	}
	ctx = h.invocationContext(ctx)
	switch t.kind {
	case kindSQS:
		return h.serveSQS(ctx, b)
	case kindSchedule:
		return h.serveSchedule(ctx, &t)
	case kindRecords:
		return nil, fmt.Errorf("%w: saw Records from %q; this app serves SQS records only", ErrNotServed, t.source)
	case kindEventBridge:
		return nil, fmt.Errorf("%w: saw an EventBridge event (source %q, detail-type %q); this app serves only \"Scheduled Event\" from aws.events", ErrNotServed, t.source, t.detailType)
	}
	if httpErr == nil {
		httpErr = fmt.Errorf("%w: saw an object that is no HTTP event", ErrNotHTTPEvent)
	}
	return nil, fmt.Errorf("%w: %w", ErrNotServed, httpErr)
}

// invocationContext puts the invocation in ctx, as serve does for HTTP.
func (h *Handler) invocationContext(ctx context.Context) context.Context {
	inv := &handler.Invocation{Platform: Platform, Function: lambdacontext.FunctionName, ColdStart: !started.Swap(true)}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		inv.ID = lc.AwsRequestID
	}
	inv.TraceHeader, _ = ctx.Value(traceKey).(string)
	return adapterkit.ContextWithInvocation(ctx, inv)
}

// trigger is what sniffTrigger found at the top level of an event.
type trigger struct {
	kind       triggerKind
	source     string // eventSource of Records, source of EventBridge
	detailType string
	time       string
	resource   string // resources[0]: the rule's ARN
	schedule   string // a Scheduler input's "schedule"
	schedTime  string // a Scheduler input's "scheduledTime"
}

// sniffTrigger reads the top level of an event, decoding SQS records into
// b as it meets them.
func sniffTrigger(d *scanner, b *sqsBatch) (trigger, error) {
	var t trigger
	if d.Peek() != '{' {
		if err := d.Skip(); err != nil {
			return t, err
		}
		return t, d.End()
	}
	it, _ := d.Open('{')
	sawRecords := false
	for {
		key, ok, err := d.NextKey(&it)
		if err != nil {
			return t, err
		}
		if !ok {
			break
		}
		switch key {
		case "Records":
			sawRecords = true
			if err := b.parse(d); err != nil {
				return t, err
			}
		case "source":
			t.source, err = d.stringField(key)
		case "detail-type":
			t.detailType, err = d.stringField(key)
		case "time":
			t.time, err = d.stringField(key)
		case "resources":
			err = readFirstString(d, key, &t.resource)
		case "schedule":
			t.schedule, err = d.stringField(key)
		case "scheduledTime":
			t.schedTime, err = d.stringField(key)
		default:
			err = d.Skip()
		}
		if err != nil {
			return t, err
		}
	}
	if err := d.End(); err != nil {
		return t, err
	}
	switch {
	case sawRecords && b.source == "aws:sqs":
		t.kind = kindSQS
	case sawRecords:
		t.kind, t.source = kindRecords, b.source
	case t.detailType == "Scheduled Event" && t.source == "aws.events":
		t.kind = kindSchedule
	case t.detailType != "" && t.source != "":
		t.kind = kindEventBridge
	case t.schedule != "":
		t.kind = kindSchedule
	}
	return t, nil
}

// readFirstString reads an array of strings, keeping the first.
func readFirstString(d *scanner, field string, dst *string) error {
	it, err := d.array(field)
	if err != nil {
		return err
	}
	for {
		ok, err := d.More(&it)
		if err != nil || !ok {
			return err
		}
		s, err := d.stringField(field + "[]")
		if err != nil {
			return err
		}
		if *dst == "" {
			*dst = s
		}
	}
}
