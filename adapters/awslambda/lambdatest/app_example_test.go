package lambdatest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"time"

	"github.com/anyfunc/anyfunc/adapters/awslambda"
	"github.com/anyfunc/anyfunc/adapters/awslambda/lambdatest"
	"github.com/anyfunc/anyfunc/handler"
	"github.com/anyfunc/anyfunc/handler/event"
)

// An app's HTTP handler, its queue consumer and its schedule, invoked the
// way Lambda invokes them (an HTTP API event, an SQS batch, an EventBridge
// rule) with no AWS account and no runtime: the events go straight to the
// adapter's Invoke.
func Example() {
	app := event.NewApp(handler.HandlerFunc(func(ctx context.Context, r *handler.Request) (*handler.Response, error) {
		return &handler.Response{Body: []byte("hello " + r.URL().Query().Get("name"))}, nil
	}))
	app.Consume("orders", event.MessageHandlerFunc(func(ctx context.Context, m *event.Message) error {
		if string(m.Body) == "bad" {
			return errors.New("cannot ship") // this message alone is redelivered
		}
		return nil
	}))
	app.Schedule("nightly", event.ScheduleHandlerFunc(func(ctx context.Context, t *event.Tick) error {
		fmt.Println("tick", t.Schedule, t.Time.Format(time.RFC3339))
		return nil
	}), event.Every(24*time.Hour))
	h, err := awslambda.NewHandler(app)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()

	// HTTP: an API Gateway HTTP API (payload 2.0) event made from a request.
	req := httptest.NewRequest("GET", "https://api.example.com/hello?name=ada", nil)
	ev, err := lambdatest.Event(lambdatest.V2, req, nil, "req-1")
	if err != nil {
		panic(err)
	}
	out, err := h.Invoke(ctx, ev)
	if err != nil {
		panic(err)
	}
	resp, err := lambdatest.Response(lambdatest.V2, req, out)
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))

	// SQS: a batch of three; the answer names the one that failed.
	out, err = h.Invoke(ctx, lambdatest.SQSEvent("arn:aws:sqs:us-east-1:123456789012:orders",
		lambdatest.SQSMessage{ID: "m1", Body: "ok"},
		lambdatest.SQSMessage{ID: "m2", Body: "bad"},
		lambdatest.SQSMessage{ID: "m3", Body: "ok"}))
	if err != nil {
		panic(err)
	}
	failed, err := lambdatest.BatchItemFailures(out)
	if err != nil {
		panic(err)
	}
	fmt.Println("redelivered:", failed)

	// A schedule: the EventBridge rule's name picks it.
	if _, err := h.Invoke(ctx, lambdatest.ScheduledEvent("nightly", time.Time{})); err != nil {
		panic(err)
	}
	// Output:
	// 200 hello ada
	// redelivered: [m2]
	// tick nightly 2024-01-02T03:04:05Z
}
