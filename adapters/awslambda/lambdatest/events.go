package lambdatest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SQSMessage is one message of an SQS event built by [SQSEvent].
type SQSMessage struct {
	// ID is the record's messageId, the identifier a batchItemFailures
	// answer names; "" means "msg-N", N its 1-based place in the batch.
	ID string
	// Body is the message body, as sent.
	Body string
	// Attributes are the message attributes, each sent as a String
	// attribute (messageAttributes); nil sends none.
	Attributes map[string]string
	// ReceiveCount is attributes.ApproximateReceiveCount; 0 means 1.
	ReceiveCount int
	// SentTime is attributes.SentTimestamp; the zero time means
	// DefaultEventTime.
	SentTime time.Time
}

// DefaultEventTime is the time the events built here report when their
// time is left zero: 2024-01-02T03:04:05Z, fixed so that tests are
// repeatable.
var DefaultEventTime = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// SQSEvent builds the event an SQS event source mapping sends for a batch
// of messages received from the queue whose ARN is queueARN (such as
// "arn:aws:sqs:us-east-1:123456789012:orders"; the adapter picks the
// consumer from its last segment). It panics if queueARN is not an SQS
// queue ARN, or if a message ID repeats.
func SQSEvent(queueARN string, msgs ...SQSMessage) []byte {
	parts := strings.Split(queueARN, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sqs" || parts[5] == "" {
		panic(fmt.Sprintf("lambdatest: SQSEvent: %q is not an SQS queue ARN (arn:aws:sqs:REGION:ACCOUNT:NAME)", queueARN))
	}
	type attr struct {
		StringValue string `json:"stringValue"`
		DataType    string `json:"dataType"`
	}
	type record struct {
		MessageID         string            `json:"messageId"`
		ReceiptHandle     string            `json:"receiptHandle"`
		Body              string            `json:"body"`
		Attributes        map[string]string `json:"attributes"`
		MessageAttributes map[string]attr   `json:"messageAttributes"`
		EventSource       string            `json:"eventSource"`
		EventSourceARN    string            `json:"eventSourceARN"`
		AWSRegion         string            `json:"awsRegion"`
	}
	recs := make([]record, 0, len(msgs))
	seen := map[string]bool{}
	for i, m := range msgs {
		id := m.ID
		if id == "" {
			id = "msg-" + strconv.Itoa(i+1)
		}
		if seen[id] {
			panic(fmt.Sprintf("lambdatest: SQSEvent: message ID %q repeats", id))
		}
		seen[id] = true
		n := m.ReceiveCount
		if n <= 0 {
			n = 1
		}
		sent := m.SentTime
		if sent.IsZero() {
			sent = DefaultEventTime
		}
		ma := map[string]attr{}
		for k, v := range m.Attributes {
			ma[k] = attr{StringValue: v, DataType: "String"}
		}
		recs = append(recs, record{
			MessageID: id, ReceiptHandle: "rh-" + id, Body: m.Body,
			Attributes: map[string]string{
				"ApproximateReceiveCount":          strconv.Itoa(n),
				"SentTimestamp":                    strconv.FormatInt(sent.UnixMilli(), 10),
				"ApproximateFirstReceiveTimestamp": strconv.FormatInt(sent.UnixMilli(), 10),
			},
			MessageAttributes: ma, EventSource: "aws:sqs", EventSourceARN: queueARN, AWSRegion: parts[3],
		})
	}
	b, err := json.Marshal(map[string]any{"Records": recs})
	if err != nil {
		panic(err) // strings and maps of strings always marshal
	}
	return b
}

// BatchItemFailures returns the message IDs a function's answer to an SQS
// event names in batchItemFailures (ReportBatchItemFailures): the
// messages the event source mapping leaves on the queue. An answer that
// names none (null, {} or an empty list) returns nil; an answer that is
// not such a document is an error.
func BatchItemFailures(answer []byte) ([]string, error) {
	if strings.TrimSpace(string(answer)) == "null" {
		return nil, nil
	}
	var doc struct {
		BatchItemFailures []struct {
			ItemIdentifier string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	if err := json.Unmarshal(answer, &doc); err != nil {
		return nil, fmt.Errorf("lambdatest: the answer is not a batchItemFailures document: %v; answer %.300q", err, answer)
	}
	var ids []string
	for _, f := range doc.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids, nil
}

// ScheduledEvent builds the event an EventBridge rule sends when its
// schedule fires ("detail-type": "Scheduled Event"): resources[0] is the
// ARN of the rule named rule (the adapter runs the schedule of that
// name), time is at in RFC 3339 (the zero time means DefaultEventTime).
// It panics if rule is empty.
func ScheduledEvent(rule string, at time.Time) []byte {
	if rule == "" {
		panic("lambdatest: ScheduledEvent: empty rule name")
	}
	if at.IsZero() {
		at = DefaultEventTime
	}
	b, err := json.Marshal(map[string]any{
		"version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
		"detail-type": "Scheduled Event", "source": "aws.events",
		"account": "123456789012", "time": at.UTC().Format(time.RFC3339), "region": "us-east-1",
		"resources": []string{"arn:aws:events:us-east-1:123456789012:rule/" + rule},
		"detail":    map[string]any{},
	})
	if err != nil {
		panic(err)
	}
	return b
}
