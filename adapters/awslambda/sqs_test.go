package awslambda_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/anyfunc/anyfunc/adapters/awslambda"
	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/event"
)

// recorder is a consumer that records what it was given and fails the
// messages whose body says so.
type recorder struct {
	mu   sync.Mutex
	msgs []event.Message
	ctxs []context.Context
}

func (c *recorder) HandleMessage(ctx context.Context, m *event.Message) error {
	c.mu.Lock()
	cp := *m
	cp.Body = slices.Clone(m.Body)
	c.msgs = append(c.msgs, cp)
	c.ctxs = append(c.ctxs, ctx)
	c.mu.Unlock()
	switch string(m.Body) {
	case "fail":
		return errors.New("told to fail")
	case "panic":
		panic("told to panic")
	}
	return nil
}

func (c *recorder) ids() []string {
	var ids []string
	for _, m := range c.msgs {
		ids = append(ids, m.ID)
	}
	return ids
}

func failures(t *testing.T, out []byte) []string {
	t.Helper()
	var resp events.SQSEventResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("answer %s: %v", out, err)
	}
	if !strings.HasPrefix(string(out), `{"batchItemFailures":[`) {
		t.Fatalf("answer %s lacks batchItemFailures", out)
	}
	ids := []string{}
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

const queueARN = "arn:aws:sqs:us-west-2:123456789012:todo-events"

func sqsRecord(id, body, arn string) string {
	return fmt.Sprintf(`{"messageId":%q,"receiptHandle":"rh-%s","body":%q,"attributes":{"ApproximateReceiveCount":"1","SentTimestamp":"1520621625029"},"messageAttributes":{},"eventSource":"aws:sqs","eventSourceARN":%q,"awsRegion":"us-west-2"}`, id, id, body, arn)
}

func sqsEvent(records ...string) []byte {
	return []byte(`{"Records":[` + strings.Join(records, ",") + `]}`)
}

func newApp(t *testing.T, c event.MessageHandler, opts ...event.ConsumerOption) *awslambda.Handler {
	t.Helper()
	app := event.NewApp(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		return &handler.Response{Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte("http " + r.Path)}, nil
	}))
	app.Consume("todo-events", c, opts...)
	return mustHandler(app)
}

// The aws-lambda-go fixture decodes into the Message as documented.
func TestSQSFixture(t *testing.T) {
	c := &recorder{}
	h := newApp(t, c, event.Queues("SQSQueue"))
	out, err := h.Invoke(context.Background(), fixture(t, "events/testdata/sqs-event.json"))
	if err != nil {
		t.Fatal(err)
	}
	if f := failures(t, out); len(f) != 0 {
		t.Errorf("failures %v", f)
	}
	if len(c.msgs) != 1 {
		t.Fatalf("%d messages delivered", len(c.msgs))
	}
	m := c.msgs[0]
	want := event.Message{
		ID: "MessageID_1", Body: []byte("Message Body"),
		Attributes:    map[string]string{"Attribute1": "AttributeValue1", "Attribute2": "123"},
		DeliveryCount: 2, EnqueuedAt: time.UnixMilli(1520621625029).UTC(),
		Queue: "arn:aws:sqs:us-west-2:123456789012:SQSQueue",
	}
	if fmt.Sprint(m) != fmt.Sprint(want) {
		t.Errorf("message\n got %+v\nwant %+v", m, want)
	}
}

// Exactly the failed and panicking messages are reported; the others are
// delivered once each.
func TestSQSPartialFailure(t *testing.T) {
	c := &recorder{}
	h := newApp(t, c)
	payload := sqsEvent(
		sqsRecord("m1", "ok", queueARN), sqsRecord("m2", "fail", queueARN), sqsRecord("m3", "ok", queueARN),
		sqsRecord("m4", "panic", queueARN), sqsRecord("m5", "ok", queueARN))
	out, err := h.Invoke(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	if got := failures(t, out); !slices.Equal(got, []string{"m2", "m4"}) {
		t.Errorf("failures %v, want [m2 m4]", got)
	}
	if !slices.Equal(c.ids(), []string{"m1", "m2", "m3", "m4", "m5"}) {
		t.Errorf("delivered %v", c.ids())
	}
	// The process survived the panic: the next invocation is served.
	if out, err := h.Invoke(context.Background(), sqsEvent(sqsRecord("m6", "ok", queueARN))); err != nil || string(out) != `{"batchItemFailures":[]}` {
		t.Errorf("after a panic: %s, %v", out, err)
	}
}

// On a FIFO queue delivery stops at the first failure, and it and every
// later record are reported.
func TestSQSFIFOStopsAtFirstFailure(t *testing.T) {
	c := &recorder{}
	fifo := "arn:aws:sqs:us-west-2:123456789012:todo-events.fifo"
	h := newApp(t, c, event.Queues("todo-events.fifo"))
	out, err := h.Invoke(context.Background(), sqsEvent(
		sqsRecord("f1", "ok", fifo), sqsRecord("f2", "fail", fifo), sqsRecord("f3", "ok", fifo), sqsRecord("f4", "ok", fifo)))
	if err != nil {
		t.Fatal(err)
	}
	if got := failures(t, out); !slices.Equal(got, []string{"f2", "f3", "f4"}) {
		t.Errorf("failures %v, want [f2 f3 f4]", got)
	}
	if !slices.Equal(c.ids(), []string{"f1", "f2"}) {
		t.Errorf("delivered %v, want [f1 f2]", c.ids())
	}
}

// A malformed record fails that record only.
func TestSQSMalformedRecordFailsAlone(t *testing.T) {
	c := &recorder{}
	h := newApp(t, c)
	bad := []string{
		`{"messageId":"b1","body":17,"eventSource":"aws:sqs","eventSourceARN":"` + queueARN + `"}`,
		`{"messageId":"b2","body":"x","attributes":{"ApproximateReceiveCount":"many"},"eventSource":"aws:sqs","eventSourceARN":"` + queueARN + `"}`,
		`{"messageId":"b3","body":"x","attributes":{"SentTimestamp":"yesterday"},"eventSource":"aws:sqs","eventSourceARN":"` + queueARN + `"}`,
		`{"messageId":"b4","body":"x","messageAttributes":{"a":"plain"},"eventSource":"aws:sqs","eventSourceARN":"` + queueARN + `"}`,
		`{"messageId":"b5","body":"x","messageAttributes":{"a":{"dataType":"String"}},"eventSource":"aws:sqs","eventSourceARN":"` + queueARN + `"}`,
		`{"messageId":"b6","body":"x","messageAttributes":{"a":{"dataType":"Binary","binaryValue":"***"}},"eventSource":"aws:sqs","eventSourceARN":"` + queueARN + `"}`,
		`{"messageId":"b7","body":"x","eventSource":"aws:sqs"}`,
		`{"messageId":"b8","body":"x","attributes":[1],"eventSource":"aws:sqs","eventSourceARN":"` + queueARN + `"}`,
	}
	records := []string{sqsRecord("g1", "ok", queueARN)}
	records = append(records, bad...)
	records = append(records, sqsRecord("g2", "ok", queueARN))
	out, err := h.Invoke(context.Background(), sqsEvent(records...))
	if err != nil {
		t.Fatal(err)
	}
	if got := failures(t, out); !slices.Equal(got, []string{"b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8"}) {
		t.Errorf("failures %v", got)
	}
	if !slices.Equal(c.ids(), []string{"g1", "g2"}) {
		t.Errorf("delivered %v, want [g1 g2]", c.ids())
	}
	// A failing record without an ID cannot be named: the invocation fails.
	_, err = h.Invoke(context.Background(), sqsEvent(sqsRecord("g3", "ok", queueARN), `{"body":"x","eventSource":"aws:sqs","eventSourceARN":"`+queueARN+`"}`))
	if !errors.Is(err, awslambda.ErrMalformedEvent) || !strings.Contains(err.Error(), "without messageId") {
		t.Errorf("record without messageId: %v", err)
	}
	// Invalid JSON fails the invocation.
	if _, err := h.Invoke(context.Background(), []byte(`{"Records":[{"messageId":"x",}]}`)); !errors.Is(err, awslambda.ErrMalformedEvent) {
		t.Errorf("invalid JSON: %v", err)
	}
}

func TestSQSAttributesAndDeadline(t *testing.T) {
	c := &recorder{}
	h := newApp(t, c)
	rec := `{"messageId":"t1","body":"caf\u00e9","attributes":{"ApproximateReceiveCount":"3","SentTimestamp":"1700000000123","AWSTraceHeader":"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1","MessageGroupId":"g"},` +
		`"messageAttributes":{"kind":{"stringValue":"create","dataType":"String"},"n":{"stringValue":"5","dataType":"Number.int"},"bin":{"binaryValue":"aGk=","dataType":"Binary"}},"eventSource":"aws:sqs","eventSourceARN":"` + queueARN + `"}`
	deadline := time.Now().Add(time.Minute)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if _, err := h.Invoke(ctx, sqsEvent(rec)); err != nil {
		t.Fatal(err)
	}
	m := c.msgs[0]
	if string(m.Body) != "café" || m.DeliveryCount != 3 || !m.EnqueuedAt.Equal(time.UnixMilli(1700000000123)) {
		t.Errorf("message %+v", m)
	}
	if m.Attributes["kind"] != "create" || m.Attributes["n"] != "5" || m.Attributes["MessageGroupId"] != "g" || len(m.Attributes) != 4 {
		t.Errorf("attributes %v", m.Attributes)
	}
	if got := m.TraceParent(); got != "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01" {
		t.Errorf("TraceParent %q", got)
	}
	if d, ok := c.ctxs[0].Deadline(); !ok || !d.Equal(deadline) {
		t.Errorf("consumer's deadline %v %v, want %v", d, ok, deadline)
	}
	if inv, ok := handler.InvocationFrom(c.ctxs[0]); !ok || inv.Platform != awslambda.Platform {
		t.Errorf("invocation %+v", inv)
	}
}

func TestNotServed(t *testing.T) {
	c := &recorder{}
	h := newApp(t, c)
	// A queue without a consumer.
	_, err := h.Invoke(context.Background(), sqsEvent(sqsRecord("x", "ok", "arn:aws:sqs:us-west-2:123456789012:other")))
	if !errors.Is(err, awslambda.ErrNotServed) || !strings.Contains(err.Error(), "arn:aws:sqs:us-west-2:123456789012:other") {
		t.Errorf("unknown queue: %v", err)
	}
	for _, tc := range []struct{ file, want string }{
		{"events/testdata/s3-event.json", `"aws:s3"`},
		{"events/testdata/dynamodb-event.json", `"aws:dynamodb"`},
		{"events/testdata/kinesis-event.json", `"aws:kinesis"`},
		{"events/testdata/codebuild-state-change.json", `source "aws.codebuild"`},
		{"events/testdata/cognito-event.json", `saw an object with members`},
	} {
		_, err := h.Invoke(context.Background(), fixture(t, tc.file))
		if !errors.Is(err, awslambda.ErrNotServed) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want ErrNotServed naming %s", tc.file, err, tc.want)
		}
	}
	if len(c.msgs) != 0 {
		t.Errorf("delivered %v", c.ids())
	}
	// HTTP events still reach the HTTP handler.
	out, err := h.Invoke(context.Background(), fixture(t, "events/testdata/apigw-v2-request-no-authorizer.json"))
	if err != nil || !strings.Contains(string(out), `"body":"http /`) {
		t.Errorf("HTTP through the app: %s, %v", out, err)
	}
	// A handler that is not an App still refuses SQS as before.
	plain := mustHandler(handler.HandlerFunc(func(context.Context, *handler.Request) (*handler.Response, error) { return nil, nil }))
	if _, err := plain.Invoke(context.Background(), fixture(t, "events/testdata/sqs-event.json")); !errors.Is(err, awslambda.ErrNotHTTPEvent) {
		t.Errorf("plain handler given SQS: %v", err)
	}
	// An app with invalid declarations is refused by NewHandler, saying why.
	app := event.NewApp(nil)
	app.Consume("", c)
	if _, err := awslambda.NewHandler(app); !errors.Is(err, event.ErrInvalidDeclaration) {
		t.Errorf("invalid app: %v", err)
	}
}

func TestSchedules(t *testing.T) {
	var ticks []event.Tick
	now := time.Date(2026, 3, 1, 10, 0, 30, 0, time.UTC)
	app := event.NewApp(nil)
	app.Schedule("repair", event.ScheduleHandlerFunc(func(_ context.Context, tk *event.Tick) error {
		ticks = append(ticks, *tk)
		return nil
	}), event.Every(time.Hour))
	app.Schedule("broken", event.ScheduleHandlerFunc(func(context.Context, *event.Tick) error { panic("no") }))
	h := mustHandler(app, awslambda.WithClock(func() time.Time { return now }))
	rule := func(name, tm string) []byte {
		return []byte(`{"version":"0","id":"53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"` + tm + `","region":"us-east-1","resources":["arn:aws:events:us-east-1:123456789012:rule/` + name + `"],"detail":{}}`)
	}
	if out, err := h.Invoke(context.Background(), rule("repair", "2026-03-01T10:00:00Z")); err != nil || string(out) != "null" {
		t.Fatalf("scheduled event: %s, %v", out, err)
	}
	if _, err := h.Invoke(context.Background(), rule("repair", "2026-03-01T09:00:00Z")); err != nil {
		t.Fatal(err)
	}
	scheduler := []byte(`{"schedule":"repair","scheduledTime":"2026-03-01T10:00:00Z"}`)
	if _, err := h.Invoke(context.Background(), scheduler); err != nil {
		t.Fatal(err)
	}
	want := []event.Tick{
		{Schedule: "repair", Time: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)},
		{Schedule: "repair", Time: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), PastDue: true},
		{Schedule: "repair", Time: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)},
	}
	if fmt.Sprint(ticks) != fmt.Sprint(want) {
		t.Errorf("ticks\n got %v\nwant %v", ticks, want)
	}
	var pe *event.PanicError
	if _, err := h.Invoke(context.Background(), rule("broken", "2026-03-01T10:00:00Z")); !errors.As(err, &pe) {
		t.Errorf("panicking schedule: %v", err)
	}
	if _, err := h.Invoke(context.Background(), rule("nightly", "2026-03-01T10:00:00Z")); !errors.Is(err, awslambda.ErrNotServed) || !strings.Contains(err.Error(), `"nightly"`) {
		t.Errorf("unknown schedule: %v", err)
	}
	if _, err := h.Invoke(context.Background(), rule("repair", "10 o'clock")); !errors.Is(err, awslambda.ErrMalformedEvent) {
		t.Errorf("bad time: %v", err)
	}
}

// Every SQS and EventBridge fixture of aws-lambda-go is served or refused
// with a kind, never a panic.
func TestTriggerFixturesNeverPanic(t *testing.T) {
	dir, err := sdkDir()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "events/testdata/*.json"))
	h := newApp(t, &recorder{})
	for _, f := range files {
		b, _ := os.ReadFile(f)
		_, err := h.Invoke(context.Background(), b)
		if err != nil && !errors.Is(err, awslambda.ErrNotServed) && !errors.Is(err, awslambda.ErrMalformedEvent) && !errors.Is(err, awslambda.ErrNotHTTPEvent) {
			t.Errorf("%s: %v", filepath.Base(f), err)
		}
	}
}
