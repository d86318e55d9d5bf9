package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/anyfunc/anyfunc/adapters/awslambda"
	"github.com/anyfunc/anyfunc/handler/event"
)

// The SQS contenders do the same work for each of the 10 records of a
// batch: read the "user" message attribute and the body, count the body's
// bytes for that user, and fail the messages carrying a "fail" attribute;
// both answer the same SQSEventResponse.

const sqsQueueARN = "arn:aws:sqs:us-east-1:123456789012:todo-events"

// sqsBatch10 is an SQS event of 10 records shaped like those an event
// source mapping delivers (the attributes of aws-lambda-go's
// events/testdata/sqs-event.json), two of which the work fails.
func sqsBatch10() []byte {
	var recs []string
	for i := range 10 {
		fail := ""
		if i == 3 || i == 7 {
			fail = `,"fail":{"stringValue":"yes","stringListValues":[],"binaryListValues":[],"dataType":"String"}`
		}
		recs = append(recs, fmt.Sprintf(`{"messageId":"059f36b4-87a3-44ab-83d2-66197567578%d","receiptHandle":"AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...%d","body":"{\"op\":\"create\",\"id\":\"t-%d\",\"title\":\"buy milk\"}","attributes":{"ApproximateReceiveCount":"1","SentTimestamp":"1545082649183","SenderId":"AIDAIENQZJOLO23YVJ4VO","ApproximateFirstReceiveTimestamp":"1545082649185"},"messageAttributes":{"user":{"stringValue":"user-%d","stringListValues":[],"binaryListValues":[],"dataType":"String"}%s},"md5OfBody":"e4e68fb7bd0e697a0ae8f1bb342846b3","eventSource":"aws:sqs","eventSourceARN":"%s","awsRegion":"us-east-1"}`,
			i, i, i, i%3, fail, sqsQueueARN))
	}
	return []byte(`{"Records":[` + strings.Join(recs, ",") + `]}`)
}

var errFail = errors.New("marked to fail")

// sqsWork is the per-message work both contenders do.
func sqsWork(counts map[string]int, user string, body int, fail bool) error {
	counts[user] += body
	if fail {
		return errFail
	}
	return nil
}

func sqsHandlers() map[string]lambda.Handler {
	countsA := map[string]int{}
	app := event.NewApp(nil)
	app.Consume("todo-events", event.MessageHandlerFunc(func(ctx context.Context, m *event.Message) error {
		_, fail := m.Attributes["fail"]
		return sqsWork(countsA, m.Attributes["user"], len(m.Body), fail)
	}))
	anyfunc, err := awslambda.NewHandler(app)
	if err != nil {
		panic(err)
	}

	countsR := map[string]int{}
	raw := lambda.NewHandler(func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
		for _, m := range ev.Records {
			user := ""
			if a, ok := m.MessageAttributes["user"]; ok && a.StringValue != nil {
				user = *a.StringValue
			}
			_, fail := m.MessageAttributes["fail"]
			if err := sqsWork(countsR, user, len(m.Body), fail); err != nil {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			}
		}
		return resp, nil
	})
	return map[string]lambda.Handler{"anyfunc": anyfunc, "raw": raw}
}

// TestSQSSameAnswer checks that both contenders answer the batch with the
// same failures, so that the benchmark compares the same work.
func TestSQSSameAnswer(t *testing.T) {
	want := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{
		{ItemIdentifier: "059f36b4-87a3-44ab-83d2-661975675783"},
		{ItemIdentifier: "059f36b4-87a3-44ab-83d2-661975675787"},
	}}
	payload := sqsBatch10()
	for name, h := range sqsHandlers() {
		out, err := h.Invoke(invokeContext(), payload)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var got events.SQSEventResponse
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%s: %v: %s", name, err, out)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s answered %s, want %+v", name, out, want)
		}
	}
}

// BenchmarkSQSBatch10 invokes each contender with the bytes of an SQS
// event of 10 records and produces the response bytes, as the runtime loop
// does.
func BenchmarkSQSBatch10(b *testing.B) {
	payload := sqsBatch10()
	hs := sqsHandlers()
	for _, name := range []string{"anyfunc", "raw"} {
		h := hs[name]
		b.Run(name, func(b *testing.B) {
			ctx := invokeContext()
			b.ReportAllocs()
			b.SetBytes(int64(len(payload)))
			cpu := startCPU(b)
			for b.Loop() {
				if _, err := h.Invoke(ctx, payload); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report()
		})
	}
}
