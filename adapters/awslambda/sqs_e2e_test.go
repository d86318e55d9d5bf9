package awslambda_test

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/anyfunc/anyfunc/adapters/awslambda/lambdatest"
	"github.com/anyfunc/anyfunc/internal/emulator"
	"github.com/anyfunc/anyfunc/internal/sqsmapping"
)

// TestSQSEndToEnd sends 500 messages to moto's SQS and delivers them to a
// built function binary, through aws-lambda-go's runtime loop and the fake
// Runtime API, the way an event source mapping with ReportBatchItemFailures
// does: the test's poller receives batches of up to 10, invokes the
// function with the SQS event, deletes only the messages the answer does
// not name in batchItemFailures and makes the others visible again; the
// queue's redrive policy (maxReceiveCount 5) moves a message to the
// dead-letter queue. The function fails the first delivery of about 10% of
// the messages (half by panicking) and every delivery of 5 poison
// messages: every other message is processed exactly once, and the
// dead-letter queue holds exactly the 5.
func TestSQSEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a function binary and runs moto")
	}
	endpoint, stop, err := emulator.Launch(emulator.MotoSQS)
	emulator.Need(t, emulator.MotoSQS, err)
	t.Cleanup(stop)
	ctx := context.Background()
	client := sqs.New(sqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})

	name := fmt.Sprintf("e2e-events-%d", time.Now().UnixNano()%1e9)
	dlq, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name + "-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	dlqArn := queueArn(t, client, *dlq.QueueUrl)
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: map[string]string{
		"VisibilityTimeout": "30",
		"RedrivePolicy":     `{"deadLetterTargetArn":"` + dlqArn + `","maxReceiveCount":"5"}`,
	}})
	if err != nil {
		t.Fatal(err)
	}
	arn := queueArn(t, client, *q.QueueUrl)

	var bodies []string
	for i := range 495 {
		bodies = append(bodies, fmt.Sprintf("message-%03d", i))
	}
	for i := range 5 {
		bodies = append(bodies, fmt.Sprintf("poison-%d", i))
	}
	for i := 0; i < len(bodies); i += 10 {
		var entries []types.SendMessageBatchRequestEntry
		for j, b := range bodies[i : i+10] {
			entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(j)), MessageBody: aws.String(b),
				MessageAttributes: map[string]types.MessageAttributeValue{"kind": {DataType: aws.String("String"), StringValue: aws.String("e2e")}}})
		}
		out, err := client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q.QueueUrl, Entries: entries})
		if err != nil || len(out.Failed) > 0 {
			t.Fatalf("SendMessageBatch: %v %v", err, out)
		}
	}

	bin := filepath.Join(t.TempDir(), "bootstrap")
	if out, err := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, "./internal/sqsfunc").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	f := lambdatest.StartFunction(t, bin, "AWS_LAMBDA_FUNCTION_NAME=sqsfunc", "E2E_QUEUE="+name)

	successes := map[string]int{}
	failures := map[string]int{}
	drainCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	invocations, err := sqsmapping.Drain(drainCtx, client, *q.QueueUrl, func(ctx context.Context, batch []types.Message) ([]string, error) {
		ev := events.SQSEvent{}
		for _, m := range batch {
			attrs := map[string]events.SQSMessageAttribute{}
			for k, v := range m.MessageAttributes {
				attrs[k] = events.SQSMessageAttribute{StringValue: v.StringValue, DataType: *v.DataType, StringListValues: []string{}, BinaryListValues: [][]byte{}}
			}
			ev.Records = append(ev.Records, events.SQSMessage{MessageId: *m.MessageId, ReceiptHandle: *m.ReceiptHandle, Body: *m.Body,
				Md5OfBody: aws.ToString(m.MD5OfBody), Attributes: m.Attributes, MessageAttributes: attrs,
				EventSource: "aws:sqs", EventSourceARN: arn, AWSRegion: "us-east-1"})
		}
		payload, _ := json.Marshal(ev)
		res, err := f.Invoke(ctx, payload, lambdatest.InvokeOptions{Deadline: 30 * time.Second})
		if err != nil {
			return nil, err
		}
		if res.Error != nil {
			return nil, fmt.Errorf("invocation failed: %+v\n%s", res.Error, f.Output())
		}
		var resp events.SQSEventResponse
		if err := json.Unmarshal(res.Payload, &resp); err != nil {
			return nil, fmt.Errorf("answer %s: %v", res.Payload, err)
		}
		var ids []string
		for _, fl := range resp.BatchItemFailures {
			ids = append(ids, fl.ItemIdentifier)
		}
		return ids, nil
	}, func(m types.Message, failed bool) {
		if failed {
			failures[*m.Body]++
		} else {
			successes[*m.Body]++
		}
	})
	if err != nil {
		t.Fatalf("%v (%d processed)", err, len(successes))
	}

	// Every other message was processed exactly once, and failed exactly
	// as often as the function's rule says.
	wantFailures := 0
	for _, b := range bodies[:495] {
		if successes[b] != 1 {
			t.Errorf("%s processed %d times", b, successes[b])
		}
		h := fnv.New32a()
		h.Write([]byte(b))
		want := 0
		if r := h.Sum32() % 20; r == 0 || r == 10 {
			want = 1
		}
		wantFailures += want
		if failures[b] != want {
			t.Errorf("%s failed %d times, want %d", b, failures[b], want)
		}
	}
	for _, b := range bodies[495:] {
		if successes[b] != 0 || failures[b] != 5 {
			t.Errorf("%s: %d successes, %d failures; want 0 and 5", b, successes[b], failures[b])
		}
	}
	dead, err := sqsmapping.Empty(ctx, client, *dlq.QueueUrl)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 5 || !strings.HasPrefix(strings.Join(dead, ","), "poison-") || strings.Contains(strings.Join(dead, ","), "message-") {
		t.Errorf("dead-letter queue holds %v, want the 5 poison messages", dead)
	}
	f.Alive(t)
	t.Logf("500 messages: %d invocations, %d first-delivery failures, %d dead-lettered", invocations, wantFailures, len(dead))
}

func queueArn(t *testing.T, c *sqs.Client, url string) string {
	t.Helper()
	arn, err := sqsmapping.QueueARN(context.Background(), c, url)
	if err != nil {
		t.Fatal(err)
	}
	return arn
}
