package lambdatest_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/anyfunc/anyfunc/adapters/awslambda/lambdatest"
)

func mustPanic(t *testing.T, what, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if s, _ := r.(string); !strings.Contains(s, want) {
			t.Errorf("%s: panic %v, want one containing %q", what, r, want)
		}
	}()
	f()
}

func TestSQSEvent(t *testing.T) {
	sent := time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC)
	b := lambdatest.SQSEvent("arn:aws:sqs:eu-west-1:111122223333:q",
		lambdatest.SQSMessage{Body: "a", Attributes: map[string]string{"traceparent": "00-x"}, ReceiveCount: 3, SentTime: sent},
		lambdatest.SQSMessage{ID: "z", Body: "b"})
	var ev struct {
		Records []struct {
			MessageID, Body, EventSource, EventSourceARN, AWSRegion string
			Attributes                                              map[string]string
			MessageAttributes                                       map[string]map[string]string
		}
	}
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	if len(ev.Records) != 2 {
		t.Fatalf("%d records", len(ev.Records))
	}
	r0, r1 := ev.Records[0], ev.Records[1]
	if r0.MessageID != "msg-1" || r1.MessageID != "z" || r0.Body != "a" || r0.EventSource != "aws:sqs" ||
		r0.EventSourceARN != "arn:aws:sqs:eu-west-1:111122223333:q" || r0.AWSRegion != "eu-west-1" {
		t.Errorf("records %+v", ev.Records)
	}
	if r0.Attributes["ApproximateReceiveCount"] != "3" || r1.Attributes["ApproximateReceiveCount"] != "1" ||
		r0.Attributes["SentTimestamp"] != "1746515289000" {
		t.Errorf("attributes %v %v", r0.Attributes, r1.Attributes)
	}
	if a := r0.MessageAttributes["traceparent"]; a["stringValue"] != "00-x" || a["dataType"] != "String" {
		t.Errorf("message attributes %v", r0.MessageAttributes)
	}
	mustPanic(t, "bad ARN", "not an SQS queue ARN", func() { lambdatest.SQSEvent("orders") })
	mustPanic(t, "repeated ID", `"m" repeats`, func() {
		lambdatest.SQSEvent("arn:aws:sqs:us-east-1:1:q", lambdatest.SQSMessage{ID: "m"}, lambdatest.SQSMessage{ID: "m"})
	})
}

func TestBatchItemFailures(t *testing.T) {
	for in, want := range map[string]string{
		`null`: "", `{}`: "", `{"batchItemFailures":[]}`: "",
		`{"batchItemFailures":[{"itemIdentifier":"a"},{"itemIdentifier":"b"}]}`: "a,b",
	} {
		got, err := lambdatest.BatchItemFailures([]byte(in))
		if err != nil || strings.Join(got, ",") != want {
			t.Errorf("BatchItemFailures(%s) = %v, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{``, `[1]`, `{"batchItemFailures":"x"}`} {
		if _, err := lambdatest.BatchItemFailures([]byte(in)); err == nil {
			t.Errorf("BatchItemFailures(%q) accepted it", in)
		}
	}
}

func TestScheduledEvent(t *testing.T) {
	var ev struct {
		DetailType string `json:"detail-type"`
		Time       string
		Resources  []string
	}
	if err := json.Unmarshal(lambdatest.ScheduledEvent("hourly", time.Date(2025, 1, 1, 10, 0, 0, 0, time.FixedZone("x", 3600))), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.DetailType != "Scheduled Event" || ev.Time != "2025-01-01T09:00:00Z" || len(ev.Resources) != 1 ||
		!strings.HasSuffix(ev.Resources[0], ":rule/hourly") {
		t.Errorf("event %+v", ev)
	}
	mustPanic(t, "empty rule", "empty rule name", func() { lambdatest.ScheduledEvent("", time.Time{}) })
}
